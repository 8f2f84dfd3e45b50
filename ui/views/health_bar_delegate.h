#pragma once

#include "ui/views/static_text_cache.h"

#include <QColor>
#include <QStyledItemDelegate>

namespace peerscope {

// Paints a health score 0..1 as a horizontal bar, red at 0 through amber to green at 1, with
// the cell's display text (the number) over it, drawn from a StaticTextCache. The score is
// read from `scoreRole`; a cell without a number there is painted as usual.
class HealthBarDelegate final : public QStyledItemDelegate {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HealthBarDelegate)

public:
    explicit HealthBarDelegate(int scoreRole, QObject* parent = nullptr);
    ~HealthBarDelegate() override;

    // The bar colour for a score (clamped to 0..1).
    static QColor colorForScore(double score);

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;
    QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

private:
    int scoreRole_;
    mutable StaticTextCache textCache_;
};

} // namespace peerscope
