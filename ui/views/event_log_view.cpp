#include "ui/views/event_log_view.h"

#include "ui/models/event_log_model.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLineEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollBar>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QVBoxLayout>
#include <algorithm>

namespace peerscope {

namespace {

// Listed before they first occur, so the user can pick one in advance.
const QStringList kKnownKinds{
    QStringLiteral("opened"),      QStringLiteral("closed"),    QStringLiteral("degraded"),
    QStringLiteral("failed"),      QStringLiteral("recovered"), QStringLiteral("replaced"),
    QStringLiteral("dial_failed"), QStringLiteral("backoff"),   QStringLiteral("retry"),
    QStringLiteral("trimmed"),     QStringLiteral("config")};

} // namespace

EventLogView::EventLogView(EventLogModel* model, QWidget* parent)
    : QWidget(parent), model_(model), kindProxy_(new QSortFilterProxyModel(this)),
      textProxy_(new QSortFilterProxyModel(this)), kindCombo_(new QComboBox),
      textEdit_(new QLineEdit), clearButton_(new QPushButton(tr("Clear"))), table_(new QTableView) {
    // Two proxies instead of a custom one: the kind is an exact match on one column, the
    // text a substring of any column.
    kindProxy_->setSourceModel(model_);
    kindProxy_->setFilterRole(EventLogModel::KindRole);
    kindProxy_->setFilterKeyColumn(EventLogModel::KindColumn);
    textProxy_->setSourceModel(kindProxy_);
    textProxy_->setFilterRole(EventLogModel::FilterRole);
    textProxy_->setFilterKeyColumn(-1);
    textProxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);

    kindCombo_->setObjectName(QStringLiteral("eventKindFilter"));
    kindCombo_->setToolTip(tr("Show only one kind of event"));
    kindCombo_->addItem(tr("All kinds"), QString());
    for (const QString& kind : kKnownKinds)
        addKind(kind);
    for (const QString& kind : model_->kinds())
        addKind(kind);
    connect(model_, &EventLogModel::kindAdded, this, &EventLogView::addKind);
    connect(kindCombo_, &QComboBox::currentIndexChanged, this, &EventLogView::applyKindFilter);

    textEdit_->setObjectName(QStringLiteral("eventTextFilter"));
    textEdit_->setPlaceholderText(tr("Filter by peer ID, connection or detail"));
    textEdit_->setClearButtonEnabled(true);
    connect(textEdit_, &QLineEdit::textChanged, this,
            [this](const QString& text) { textProxy_->setFilterFixedString(text.trimmed()); });

    clearButton_->setObjectName(QStringLiteral("clearEventsButton"));
    clearButton_->setToolTip(tr("Remove every event from the log"));
    connect(clearButton_, &QPushButton::clicked, model_, &EventLogModel::clear);

    table_->setObjectName(QStringLiteral("eventTable"));
    table_->setModel(textProxy_);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->setShowGrid(false);
    // Whole rows: the top row's index is the scroll value, which keepTopRow() relies on.
    table_->setVerticalScrollMode(QAbstractItemView::ScrollPerItem);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 6);
    table_->horizontalHeader()->setHighlightSections(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    const QFontMetrics metrics = table_->fontMetrics();
    table_->setColumnWidth(EventLogModel::TimeColumn,
                           metrics.horizontalAdvance(QStringLiteral("00:00:00.000")) + 24);
    table_->setColumnWidth(EventLogModel::KindColumn,
                           metrics.horizontalAdvance(QStringLiteral("dial_failed")) + 24);
    table_->setColumnWidth(EventLogModel::PeerColumn,
                           metrics.horizontalAdvance(QStringLiteral("12D3…abcdef")) + 32);

    // Following: stay at the bottom as the range grows. The user moving off the bottom stops
    // it; moving back to the bottom resumes it.
    QScrollBar* scrollBar = table_->verticalScrollBar();
    connect(scrollBar, &QScrollBar::valueChanged, this,
            [this, scrollBar](int value) { followNewest_ = value >= scrollBar->maximum(); });
    connect(scrollBar, &QScrollBar::rangeChanged, this, [this, scrollBar](int, int maximum) {
        if (followNewest_)
            scrollBar->setValue(maximum);
    });
    connect(textProxy_, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [this](const QModelIndex&, int first, int last) { rememberTopRow(first, last); });
    connect(textProxy_, &QAbstractItemModel::rowsRemoved, this, &EventLogView::keepTopRow);

    auto* filterRow = new QHBoxLayout;
    filterRow->addWidget(kindCombo_);
    filterRow->addWidget(textEdit_, 1);
    filterRow->addWidget(clearButton_);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(filterRow);
    layout->addWidget(table_, 1);
}

EventLogView::~EventLogView() = default;

void EventLogView::setKindFilter(const QString& kind) {
    if (!kind.isEmpty())
        addKind(kind);
    kindCombo_->setCurrentIndex(std::max(kindCombo_->findData(kind), 0));
}

QString EventLogView::kindFilter() const {
    return kindCombo_->currentData().toString();
}

void EventLogView::setTextFilter(const QString& text) {
    textEdit_->setText(text);
}

void EventLogView::addKind(const QString& kind) {
    if (kind.isEmpty() || kindCombo_->findData(kind) >= 0)
        return;
    // Sorted after "All kinds".
    int at = 1;
    while (at < kindCombo_->count() && kindCombo_->itemData(at).toString() < kind)
        ++at;
    kindCombo_->insertItem(at, kind, kind);
}

void EventLogView::applyKindFilter() {
    const QString kind = kindFilter();
    kindProxy_->setFilterRegularExpression(
        kind.isEmpty() ? QRegularExpression()
                       : QRegularExpression(QRegularExpression::anchoredPattern(
                             QRegularExpression::escape(kind))));
}

void EventLogView::rememberTopRow(int first, int last) {
    // Rows dropping off above what the user is reading would shift it: count them so
    // keepTopRow() can scroll back by as many.
    rowsRemovedAboveTop_ = 0;
    if (followNewest_)
        return;
    const int top = table_->verticalScrollBar()->value();
    if (first < top)
        rowsRemovedAboveTop_ = std::min(last, top - 1) - first + 1;
}

void EventLogView::keepTopRow() {
    if (rowsRemovedAboveTop_ <= 0)
        return;
    QScrollBar* scrollBar = table_->verticalScrollBar();
    const int target = std::max(scrollBar->value() - rowsRemovedAboveTop_, 0);
    rowsRemovedAboveTop_ = 0;
    scrollBar->setValue(target);
}

} // namespace peerscope
