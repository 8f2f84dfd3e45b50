#include "ui/views/relays_panel.h"

#include "engine/api/engine_client.h"
#include "ui/dialogs/add_relay_dialog.h"
#include "ui/models/peer_table_model.h"
#include "ui/models/relay_table_model.h"
#include "ui/views/sparkline_delegate.h"

#include <QAction>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

namespace peerscope {

namespace {

const QColor kErrorText(0xc0, 0x1c, 0x28);

} // namespace

RelaysPanel::RelaysPanel(EngineClient* client, QWidget* parent)
    : QWidget(parent), client_(client), model_(new RelayTableModel(this)),
      proxy_(new QSortFilterProxyModel(this)) {
    proxy_->setSourceModel(model_);
    proxy_->setSortRole(RelayTableModel::SortRole);

    preferAction_ = new QAction(QIcon::fromTheme(QStringLiteral("emblem-favorite")),
                                tr("&Use This Relay"), this);
    preferAction_->setObjectName(QStringLiteral("preferRelayAction"));
    preferAction_->setToolTip(
        tr("Prefer the selected relay: held whenever reachable, ahead of automatic choice"));
    connect(preferAction_, &QAction::triggered, this, &RelaysPanel::preferSelectedRelay);

    addAction_ = new QAction(QIcon::fromTheme(QStringLiteral("list-add")), tr("&Add Relay…"), this);
    addAction_->setObjectName(QStringLiteral("addRelayAction"));
    addAction_->setToolTip(tr("Add a static relay by its multiaddr"));
    connect(addAction_, &QAction::triggered, this, &RelaysPanel::openAddRelayDialog);

    removeAction_ =
        new QAction(QIcon::fromTheme(QStringLiteral("list-remove")), tr("&Remove"), this);
    removeAction_->setObjectName(QStringLiteral("removeRelayAction"));
    removeAction_->setToolTip(tr("Forget the selected relay and give up its reservation"));
    connect(removeAction_, &QAction::triggered, this, &RelaysPanel::removeSelectedRelay);

    reserveAction_ =
        new QAction(QIcon::fromTheme(QStringLiteral("view-refresh")), tr("Reserve &Now"), this);
    reserveAction_->setObjectName(QStringLiteral("reserveRelayAction"));
    reserveAction_->setToolTip(tr("Make or refresh the reservation on the selected relay now"));
    connect(reserveAction_, &QAction::triggered, this, &RelaysPanel::reserveSelectedRelayNow);

    auto* toolBar = new QToolBar;
    toolBar->setObjectName(QStringLiteral("relayToolBar"));
    toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolBar->addAction(addAction_);
    toolBar->addSeparator();
    toolBar->addAction(preferAction_);
    toolBar->addAction(reserveAction_);
    toolBar->addAction(removeAction_);

    table_ = new QTableView;
    table_->setObjectName(QStringLiteral("relayTable"));
    table_->setModel(proxy_);
    table_->setItemDelegateForColumn(
        RelayTableModel::RttColumn, new SparklineDelegate(RelayTableModel::RttHistoryRole, table_));
    table_->setSortingEnabled(true);
    table_->sortByColumn(RelayTableModel::PeerColumn, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->setShowGrid(false);
    table_->setTextElideMode(Qt::ElideMiddle);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setHighlightSections(false);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(table_, &QWidget::customContextMenuRequested, this, &RelaysPanel::showMenu);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RelaysPanel::updateActions);
    const QFontMetrics metrics = table_->fontMetrics();
    const QFontMetrics fixed(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    table_->setColumnWidth(RelayTableModel::PeerColumn,
                           fixed.horizontalAdvance(QStringLiteral("12D3…abcdef")) + 24);
    table_->setColumnWidth(RelayTableModel::AddressColumn, metrics.horizontalAdvance(QStringLiteral(
                                                               "/ip4/255.255.255.255/tcp/65535")));
    table_->setColumnWidth(RelayTableModel::RttColumn,
                           metrics.horizontalAdvance(QStringLiteral("9999.9 ms")) +
                               SparklineDelegate::kSparklineWidth + 24);
    table_->setColumnWidth(
        RelayTableModel::ReservationColumn,
        metrics.horizontalAdvance(QStringLiteral("refused: RESERVATION_REFUSED")) + 16);
    table_->setColumnWidth(RelayTableModel::DataColumn,
                           metrics.horizontalAdvance(QStringLiteral("1023.9 MiB / 1023.9 MiB")) +
                               16);
    // Rows come and go at the model's pace: the actions follow.
    for (auto signal : {&QAbstractItemModel::rowsInserted, &QAbstractItemModel::rowsRemoved})
        connect(proxy_, signal, this, [this] {
            updateEmptyState();
            updateActions();
        });
    connect(proxy_, &QAbstractItemModel::dataChanged, this, &RelaysPanel::updateActions);

    emptyLabel_ = new QLabel(tr("No relays known yet. Add one with Add Relay…, list them in the "
                                "config (relay_client), or connect to peers that offer the relay "
                                "service: identify finds them."));
    emptyLabel_->setObjectName(QStringLiteral("relayEmptyLabel"));
    emptyLabel_->setWordWrap(true);

    resultLabel_ = new QLabel;
    resultLabel_->setObjectName(QStringLiteral("relayResultLabel"));
    resultLabel_->setWordWrap(true);
    resultLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    resultLabel_->hide();

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(toolBar);
    layout->addWidget(emptyLabel_);
    layout->addWidget(table_, 1);
    layout->addWidget(resultLabel_);
    updateEmptyState();
    updateActions();
}

RelaysPanel::~RelaysPanel() = default;

void RelaysPanel::applySnapshot(const NodeSnapshot& snapshot) {
    model_->applySnapshot(snapshot);
}

QString RelaysPanel::selectedRelay() const {
    const QModelIndexList rows = table_->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(RelayTableModel::PeerIdRole).toString();
}

void RelaysPanel::selectRelay(const QString& peerId) {
    const int row = model_->rowOfRelay(peerId);
    if (row < 0) {
        table_->clearSelection();
        return;
    }
    table_->selectRow(proxy_->mapFromSource(model_->index(row, 0)).row());
}

void RelaysPanel::updateActions() {
    const QString relay = selectedRelay();
    const int row = model_->rowOfRelay(relay);
    const bool hasRelay = row >= 0;
    const bool hasEngine = !client_.isNull();
    addAction_->setEnabled(hasEngine);
    preferAction_->setEnabled(hasEngine && hasRelay && !model_->relayAt(row).preferred);
    removeAction_->setEnabled(hasEngine && hasRelay);
    reserveAction_->setEnabled(hasEngine && hasRelay);
}

void RelaysPanel::updateEmptyState() {
    emptyLabel_->setVisible(model_->rowCount() == 0);
}

void RelaysPanel::showMenu(const QPoint& position) {
    const QModelIndex index = table_->indexAt(position);
    if (index.isValid())
        table_->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect |
                                                    QItemSelectionModel::Rows);
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addAction(preferAction_);
    menu->addAction(reserveAction_);
    menu->addAction(removeAction_);
    menu->addSeparator();
    menu->addAction(addAction_);
    menu->popup(table_->viewport()->mapToGlobal(position)); // popup(): no nested event loop
}

void RelaysPanel::showResult(const QString& done, const QString& failed, const QString& error) {
    const QString text = error.isEmpty() ? done : failed + QStringLiteral(": ") + error;
    QPalette palette = resultLabel_->palette();
    palette.setColor(QPalette::WindowText,
                     error.isEmpty() ? QWidget::palette().color(QPalette::WindowText) : kErrorText);
    resultLabel_->setPalette(palette);
    resultLabel_->setText(text);
    resultLabel_->show();
    Q_EMIT message(text);
}

void RelaysPanel::openAddRelayDialog() {
    if (!client_)
        return;
    auto* dialog = new AddRelayDialog(client_, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setObjectName(QStringLiteral("addRelayDialog"));
    connect(dialog, &AddRelayDialog::relayAdded, this, [this](const QString& multiaddr) {
        showResult(tr("Added relay %1").arg(multiaddr), {}, {});
    });
    dialog->open(); // window-modal, no nested event loop
}

void RelaysPanel::preferSelectedRelay() {
    const QString relay = selectedRelay();
    if (relay.isEmpty() || !client_)
        return;
    const QString shortId = PeerTableModel::shortPeerId(relay);
    client_->preferRelay(relay, this, [this, shortId](const QString& error) {
        showResult(tr("Using relay %1").arg(shortId), tr("Use relay %1 failed").arg(shortId),
                   error);
    });
}

void RelaysPanel::removeSelectedRelay() {
    const QString relay = selectedRelay();
    if (relay.isEmpty() || !client_)
        return;
    const QString shortId = PeerTableModel::shortPeerId(relay);
    client_->removeRelay(relay, this, [this, shortId](const QString& error) {
        showResult(tr("Removed relay %1").arg(shortId), tr("Remove relay %1 failed").arg(shortId),
                   error);
    });
}

void RelaysPanel::reserveSelectedRelayNow() {
    const QString relay = selectedRelay();
    if (relay.isEmpty() || !client_)
        return;
    const QString shortId = PeerTableModel::shortPeerId(relay);
    client_->reserveRelayNow(relay, this, [this, shortId](const QString& error) {
        showResult(tr("Reserving on relay %1…").arg(shortId),
                   tr("Reserve on relay %1 failed").arg(shortId), error);
    });
}

} // namespace peerscope
