#include "ui/views/sparkline_delegate.h"

#include <QApplication>
#include <QPainter>
#include <QPolygonF>
#include <QStyle>
#include <algorithm>

namespace peerscope {

namespace {

constexpr int kMargin = 3;

} // namespace

SparklineDelegate::SparklineDelegate(int valuesRole, QObject* parent)
    : QStyledItemDelegate(parent), valuesRole_(valuesRole) {}

SparklineDelegate::~SparklineDelegate() = default;

QList<QPointF> SparklineDelegate::sparklinePoints(const QList<double>& values, const QRectF& area) {
    QList<QPointF> points;
    if (values.size() < 2 || area.isEmpty())
        return points;
    const auto [min, max] = std::minmax_element(values.cbegin(), values.cend());
    // A flat line sits in the middle rather than on an edge.
    const double span = *max - *min;
    const double step = area.width() / static_cast<double>(values.size() - 1);
    points.reserve(values.size());
    for (qsizetype i = 0; i < values.size(); ++i) {
        const double t = span > 0 ? (values.at(i) - *min) / span : 0.5;
        points.append(QPointF(area.left() + step * static_cast<double>(i),
                              area.bottom() - t * area.height()));
    }
    return points;
}

void SparklineDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                              const QModelIndex& index) const {
    const QList<double> values = index.data(valuesRole_).value<QList<double>>();
    if (values.size() < 2) {
        QStyledItemDelegate::paint(painter, option, index);
        return;
    }
    QStyleOptionViewItem item(option);
    initStyleOption(&item, index);
    const QString text = item.text;
    item.text.clear(); // the style draws background, selection and focus; the text goes left
    const QWidget* widget = item.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &item, painter, widget);

    const QRect cell = item.rect.adjusted(kMargin, kMargin, -kMargin, -kMargin);
    const int lineWidth = std::min(kSparklineWidth, cell.width() / 2);
    const QRect lineArea(cell.right() - lineWidth + 1, cell.top(), lineWidth, cell.height());
    const QRect textArea(cell.left(), cell.top(), cell.width() - lineWidth - kMargin,
                         cell.height());
    const bool selected = item.state & QStyle::State_Selected;
    const QColor ink = item.palette.color(selected ? QPalette::HighlightedText : QPalette::Text);

    painter->save();
    painter->setPen(ink);
    painter->drawText(textArea, Qt::AlignRight | Qt::AlignVCenter,
                      item.fontMetrics.elidedText(text, Qt::ElideRight, textArea.width()));
    painter->setRenderHint(QPainter::Antialiasing);
    QColor lineColor = selected ? ink : item.palette.color(QPalette::Highlight);
    painter->setPen(QPen(lineColor, 1.2));
    painter->drawPolyline(QPolygonF(sparklinePoints(values, QRectF(lineArea))));
    painter->restore();
}

QSize SparklineDelegate::sizeHint(const QStyleOptionViewItem& option,
                                  const QModelIndex& index) const {
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    size.setWidth(size.width() + kSparklineWidth + 2 * kMargin);
    return size;
}

} // namespace peerscope
