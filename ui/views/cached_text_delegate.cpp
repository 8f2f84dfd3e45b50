#include "ui/views/cached_text_delegate.h"

#include <QApplication>
#include <QPainter>
#include <QStyle>
#include <QStyleOptionFocusRect>
#include <QStyleOptionViewItem>

namespace peerscope {

namespace {

// Styles whose item panel is QCommonStyle's: a cell neither selected nor hovered, without a
// background brush, gets nothing from them. Others (a platform style, a style sheet) may
// draw something there, so they are always asked.
bool drawsNothingForPlainItems(const QStyle* style) {
    const QByteArray name = style->metaObject()->className();
    return name == "QFusionStyle" || name == "QWindowsStyle" || name == "QCommonStyle";
}

bool isSingleLine(const QString& text) {
    for (const QChar c : text) {
        if (c == QLatin1Char('\n') || c == QChar::LineSeparator || c == QChar::ParagraphSeparator)
            return false;
    }
    return true;
}

} // namespace

CachedTextDelegate::CachedTextDelegate(QObject* parent) : QStyledItemDelegate(parent) {}

CachedTextDelegate::~CachedTextDelegate() = default;

void CachedTextDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option,
                               const QModelIndex& index) const {
    QStyleOptionViewItem item(option);
    initStyleOption(&item, index);
    if (!paintItem(painter, item, cache_))
        QStyledItemDelegate::paint(painter, option, index);
}

QColor CachedTextDelegate::textColor(const QStyleOptionViewItem& item) {
    QPalette::ColorGroup group =
        item.state & QStyle::State_Enabled ? QPalette::Normal : QPalette::Disabled;
    if (group == QPalette::Normal && !(item.state & QStyle::State_Active))
        group = QPalette::Inactive;
    return item.palette.color(group, item.state & QStyle::State_Selected ? QPalette::HighlightedText
                                                                         : QPalette::Text);
}

bool CachedTextDelegate::paintItem(QPainter* painter, QStyleOptionViewItem& item,
                                   StaticTextCache& cache) {
    constexpr auto kNotCovered = QStyleOptionViewItem::HasCheckIndicator |
                                 QStyleOptionViewItem::HasDecoration |
                                 QStyleOptionViewItem::WrapText;
    if ((item.features & kNotCovered) || (item.state & QStyle::State_Editing) ||
        !isSingleLine(item.text))
        return false;
    const QWidget* widget = item.widget;
    QStyle* style = widget ? widget->style() : QApplication::style();
    const QString text = item.text;
    // The style draws the background (measuring an empty text is free); the focus frame, a
    // translucent fill in some styles, goes over the text, so it comes last. For a plain cell
    // (not selected, hovered or focused, no background brush of its own) Qt's own styles
    // draw nothing there (the view has painted the row's background), and most cells of a
    // live table are plain: the style is not called for them.
    const bool hasFocus = item.state & QStyle::State_HasFocus;
    const bool plain = !(item.state & (QStyle::State_Selected | QStyle::State_MouseOver |
                                       QStyle::State_HasFocus)) &&
                       item.backgroundBrush.style() == Qt::NoBrush;
    if (!plain || !drawsNothingForPlainItems(style)) {
        item.text.clear();
        item.state &= ~QStyle::State_HasFocus;
        style->drawControl(QStyle::CE_ItemViewItem, &item, painter, widget);
        item.text = text;
        if (hasFocus)
            item.state |= QStyle::State_HasFocus;
    }

    // As QCommonStyle: the text rect less the focus frame margin on each side.
    const int margin = style->pixelMetric(QStyle::PM_FocusFrameHMargin, nullptr, widget) + 1;
    const QRect textRect = item.rect.adjusted(margin, 0, -margin, 0);
    if (!text.isEmpty()) {
        const QPen pen = painter->pen();
        const QFont font = painter->font();
        painter->setPen(textColor(item));
        cache.draw(painter, textRect,
                   QStyle::visualAlignment(item.direction, item.displayAlignment), text, item.font,
                   item.textElideMode);
        painter->setPen(pen);
        painter->setFont(font);
    }
    if (hasFocus)
        drawFocus(painter, item, style);
    return true;
}

void CachedTextDelegate::drawFocus(QPainter* painter, const QStyleOptionViewItem& item,
                                   QStyle* style) {
    // As QCommonStyle draws an item's focus; one cell per view has it.
    QStyleOptionFocusRect focus;
    focus.QStyleOption::operator=(item);
    focus.rect = style->subElementRect(QStyle::SE_ItemViewItemFocusRect, &item, item.widget);
    focus.state |= QStyle::State_KeyboardFocusChange | QStyle::State_Item;
    const QPalette::ColorGroup group =
        item.state & QStyle::State_Enabled ? QPalette::Normal : QPalette::Disabled;
    focus.backgroundColor = item.palette.color(
        group, item.state & QStyle::State_Selected ? QPalette::Highlight : QPalette::Window);
    painter->save();
    painter->setClipRect(item.rect, Qt::IntersectClip);
    style->drawPrimitive(QStyle::PE_FrameFocusRect, &focus, painter, item.widget);
    painter->restore();
}

} // namespace peerscope
