#pragma once

#include <QList>
#include <QPointF>
#include <QRectF>
#include <QStyledItemDelegate>

namespace peerscope {

// Paints a cell's display text on the left and, on the right, a small line of the recent
// values the model gives in `valuesRole` (a QList<double>, oldest first), scaled between
// their minimum and maximum. A cell with fewer than two values is painted as usual.
class SparklineDelegate final : public QStyledItemDelegate {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SparklineDelegate)

public:
    static constexpr int kSparklineWidth = 60;

    explicit SparklineDelegate(int valuesRole, QObject* parent = nullptr);
    ~SparklineDelegate() override;

    // The line's points for `values` in `area`: x evenly spaced, the largest value at the top.
    static QList<QPointF> sparklinePoints(const QList<double>& values, const QRectF& area);

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    int valuesRole_;
};

} // namespace peerscope
