#include "ui/views/health_bar_delegate.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>
#include <algorithm>
#include <cmath>

namespace peerscope {

namespace {

const QColor kRed(220, 50, 47);
const QColor kAmber(255, 191, 0);
const QColor kGreen(46, 160, 67);

constexpr int kBarMargin = 3;
constexpr int kMinimumBarWidth = 48;

QColor mix(const QColor& from, const QColor& to, double t) {
    const auto channel = [t](int a, int b) {
        return static_cast<int>(std::lround(a + (b - a) * t));
    };
    return QColor(channel(from.red(), to.red()), channel(from.green(), to.green()),
                  channel(from.blue(), to.blue()));
}

} // namespace

HealthBarDelegate::HealthBarDelegate(int scoreRole, QObject* parent)
    : QStyledItemDelegate(parent), scoreRole_(scoreRole) {}

HealthBarDelegate::~HealthBarDelegate() = default;

QColor HealthBarDelegate::colorForScore(double score) {
    const double clamped = std::isfinite(score) ? std::clamp(score, 0.0, 1.0) : 0.0;
    if (clamped < 0.5)
        return mix(kRed, kAmber, clamped * 2);
    return mix(kAmber, kGreen, (clamped - 0.5) * 2);
}

void HealthBarDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const {
    const QVariant value = index.data(scoreRole_);
    bool isNumber = false;
    const double score = value.toDouble(&isNumber);
    if (!value.isValid() || !isNumber) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }

    QStyleOptionViewItem item(option);
    initStyleOption(&item, index);
    const QString text = item.text;
    // The style draws background, selection and focus; the text goes over the bar instead.
    item.text.clear();
    const QWidget* widget = item.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &item, painter, widget);

    const QRect track = item.rect.adjusted(kBarMargin, kBarMargin, -kBarMargin, -kBarMargin);
    if (track.width() <= 0 || track.height() <= 0)
        return;
    const double clamped = std::isfinite(score) ? std::clamp(score, 0.0, 1.0) : 0.0;
    const QColor color = colorForScore(clamped);

    painter->save();
    QColor trackColor = color;
    trackColor.setAlpha(48); // the empty part hints at the scale
    painter->fillRect(track, trackColor);
    const int filled = static_cast<int>(std::lround(track.width() * clamped));
    if (filled > 0)
        painter->fillRect(QRect(track.left(), track.top(), filled, track.height()), color);
    if (!text.isEmpty()) {
        const bool selected = item.state & QStyle::State_Selected;
        painter->setPen(item.palette.color(selected ? QPalette::HighlightedText : QPalette::Text));
        textCache_.draw(painter, track, Qt::AlignCenter, text, item.font, Qt::ElideNone);
    }
    painter->restore();
}

QSize HealthBarDelegate::sizeHint(const QStyleOptionViewItem& option,
                                  const QModelIndex& index) const {
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    size.setWidth(std::max(size.width(), kMinimumBarWidth + 2 * kBarMargin));
    return size;
}

} // namespace peerscope
