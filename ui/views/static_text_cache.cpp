#include "ui/views/static_text_cache.h"

#include <QFontMetrics>
#include <QPainter>
#include <QRect>
#include <QTransform>
#include <algorithm>

namespace peerscope {

namespace {

// Fonts kept at once; a view that cycles through more starts over.
constexpr std::size_t kMaxFonts = 8;

} // namespace

StaticTextCache::StaticTextCache(qsizetype capacityPerFont)
    : capacityPerFont_(std::max<qsizetype>(2, capacityPerFont)) {}

StaticTextCache::~StaticTextCache() = default;

StaticTextCache::FontTexts& StaticTextCache::textsFor(const QFont& font) {
    for (FontTexts& entry : fonts_) {
        if (entry.font == font)
            return entry;
    }
    if (fonts_.size() >= kMaxFonts)
        fonts_.clear();
    fonts_.push_back({font, {}, {}});
    return fonts_.back();
}

StaticTextCache::Entry& StaticTextCache::entry(const QString& text, const QFont& font) {
    FontTexts& texts = textsFor(font);
    if (const auto it = texts.newer.find(text); it != texts.newer.end())
        return *it;
    Entry found;
    if (const auto it = texts.older.constFind(text); it != texts.older.cend()) {
        found = *it; // shared: a copy of a QStaticText is cheap
    } else {
        found.text = QStaticText(text);
        found.text.setTextFormat(Qt::PlainText);
        found.text.prepare(QTransform(), texts.font);
    }
    if (texts.newer.size() >= capacityPerFont_ / 2) {
        texts.older = std::move(texts.newer);
        texts.newer = {};
    }
    return *texts.newer.insert(text, found);
}

const QStaticText& StaticTextCache::text(const QString& text, const QFont& font) {
    return entry(text, font).text;
}

void StaticTextCache::draw(QPainter* painter, const QRect& rect, Qt::Alignment alignment,
                           const QString& text, const QFont& font, Qt::TextElideMode elideMode) {
    Entry* laidOut = &entry(text, font);
    if (laidOut->text.size().width() > rect.width() && elideMode != Qt::ElideNone)
        laidOut = &entry(QFontMetrics(font).elidedText(text, elideMode, rect.width()), font);
    // Vertically as QStyle::alignedRect() places the layout's rounded height; horizontally as
    // a QTextLayout line aligns its advance inside the rect, in fractions of a pixel.
    const int height = qRound(laidOut->text.size().height());
    qreal y = rect.y();
    if (alignment & Qt::AlignVCenter)
        y += (rect.height() - height) / 2;
    else if (alignment & Qt::AlignBottom)
        y += rect.height() - height;
    qreal x = rect.x();
    if (alignment & (Qt::AlignRight | Qt::AlignHCenter)) {
        if (laidOut->advance < 0)
            laidOut->advance = QFontMetricsF(font).horizontalAdvance(laidOut->text.text());
        x += alignment & Qt::AlignRight ? rect.width() - laidOut->advance
                                        : (rect.width() - laidOut->advance) / 2;
    }
    painter->setFont(font);
    if (height <= rect.height()) {
        painter->drawStaticText(QPointF(x, y), laidOut->text);
        return;
    }
    // Taller than the rect (a row shorter than the font): kept inside it, as the style clips.
    painter->save();
    painter->setClipRect(rect, Qt::IntersectClip);
    painter->drawStaticText(QPointF(x, y), laidOut->text);
    painter->restore();
}

qsizetype StaticTextCache::size() const {
    qsizetype total = 0;
    for (const FontTexts& entry : fonts_)
        total += entry.newer.size() + entry.older.size();
    return total;
}

void StaticTextCache::clear() {
    fonts_.clear();
}

} // namespace peerscope
