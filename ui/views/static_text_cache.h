#pragma once

#include <QFont>
#include <QHash>
#include <QStaticText>
#include <QString>
#include <vector>

class QPainter;
class QRect;

namespace peerscope {

// Laid-out text kept for drawing again: a live table repaints the same strings (rates, RTTs,
// states) at every tick, and laying text out (shaping it with HarfBuzz) is most of what a
// cell's paint costs. A string is laid out once per font, then drawn from its glyph positions
// (QStaticText). Bounded, in two generations per font: when the newer one is full it becomes
// the older and the older is dropped, and a string found in the older moves to the newer. So
// what is on screen stays cached, and a stream of never-repeating values (a rate) cannot
// grow the cache past its capacity.
class StaticTextCache final {
public:
    static constexpr qsizetype kDefaultCapacity = 2048;

    explicit StaticTextCache(qsizetype capacityPerFont = kDefaultCapacity);
    ~StaticTextCache();
    StaticTextCache(const StaticTextCache&) = delete;
    StaticTextCache& operator=(const StaticTextCache&) = delete;

    // Plain, single-line `text` laid out in `font`.
    const QStaticText& text(const QString& text, const QFont& font);

    // Draws `text` on one line inside `rect`, as QStyle lays out an item view's text: aligned
    // by `alignment` (visual, already mirrored for right-to-left), vertically centred by line
    // height, elided with `elideMode` when wider than the rect. Uses the painter's pen; sets
    // the painter's font to `font`.
    void draw(QPainter* painter, const QRect& rect, Qt::Alignment alignment, const QString& text,
              const QFont& font, Qt::TextElideMode elideMode);

    // Strings kept, over every font.
    qsizetype size() const;
    void clear();

private:
    struct Entry {
        QStaticText text;
        // Where a line's alignment puts the text: its advance, which can be narrower than the
        // drawn width (an ellipsis overhangs). Measured when first needed; -1 until then.
        qreal advance = -1;
    };
    struct FontTexts {
        QFont font;
        QHash<QString, Entry> newer;
        QHash<QString, Entry> older;
    };

    FontTexts& textsFor(const QFont& font);
    Entry& entry(const QString& text, const QFont& font);

    qsizetype capacityPerFont_;
    std::vector<FontTexts> fonts_; // a view uses one or two fonts: a list beats a hash
};

} // namespace peerscope
