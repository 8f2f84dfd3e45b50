#pragma once

#include "ui/views/static_text_cache.h"

#include <QStyledItemDelegate>

class QStyle;

namespace peerscope {

// A QStyledItemDelegate for live tables: the style still draws each cell's background,
// selection and focus, but the text is drawn from a StaticTextCache rather than laid out
// again (twice: QStyle measures it, then draws it) on every paint. Cells the cache does not
// cover (an icon, a check box, wrapped or multi-line text) are painted by the base class.
class CachedTextDelegate final : public QStyledItemDelegate {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CachedTextDelegate)

public:
    explicit CachedTextDelegate(QObject* parent = nullptr);
    ~CachedTextDelegate() override;

    void paint(QPainter* painter, const QStyleOptionViewItem& option,
               const QModelIndex& index) const override;

private:
    // Draws `item`'s background and selection with the style, its text as QCommonStyle
    // places it (from `cache`), then its focus frame. False (nothing drawn) for an item this
    // cannot draw as the style would: an icon, a check box, wrapping, several lines.
    static bool paintItem(QPainter* painter, QStyleOptionViewItem& item, StaticTextCache& cache);
    // The pen colour QCommonStyle gives an item's text.
    static QColor textColor(const QStyleOptionViewItem& item);
    static void drawFocus(QPainter* painter, const QStyleOptionViewItem& item, QStyle* style);

    mutable StaticTextCache cache_;
};

} // namespace peerscope
