#include "ui/views/peer_detail_widget.h"

#include "ui/charts/bandwidth_chart_view.h"
#include "ui/charts/history_store.h"
#include "ui/charts/latency_chart_view.h"
#include "ui/models/connection_table_model.h"
#include "ui/models/peer_table_model.h"
#include "ui/views/cached_text_delegate.h"

#include <QClipboard>
#include <QFontDatabase>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStackedWidget>
#include <QTabWidget>
#include <QTableView>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace peerscope {

namespace {

// Two reports of one error differ by how far apart the snapshots measured "seconds ago".
constexpr qint64 kSameErrorToleranceMs = 500;
// Per connection; the engine reports at most 32.
constexpr qsizetype kKnownErrorsPerConnection = 64;

enum HistoryColumn { TimeColumn, KindColumn, ConnectionColumn, DetailColumn, HistoryColumnCount };

QString errorKind(const QString& category) {
    return PeerDetailWidget::tr("error (%1)").arg(category);
}

QColor colorForKind(const QString& kind) {
    if (kind.startsWith(QLatin1String("error")) || kind == QLatin1String("failed") ||
        kind == QLatin1String("dial_failed"))
        return QColor(0xc0, 0x1c, 0x28);
    if (kind == QLatin1String("degraded") || kind == QLatin1String("backoff") ||
        kind == QLatin1String("retry"))
        return QColor(0xc6, 0x5d, 0x00);
    return {};
}

} // namespace

PeerDetailWidget::PeerDetailWidget(const HistoryStore& history, QWidget* parent)
    : QWidget(parent), history_(history), eventLog_(kEventLogCapacity), stack_(new QStackedWidget),
      placeholder_(new QLabel), model_(new ConnectionTableModel(this)),
      proxy_(new QSortFilterProxyModel(this)), table_(new QTableView), tabs_(new QTabWidget),
      latency_(new LatencyChartView(history)), bandwidth_(new BandwidthChartView(history)) {
    setObjectName(QStringLiteral("peerDetail"));

    placeholder_->setObjectName(QStringLiteral("peerDetailPlaceholder"));
    placeholder_->setText(tr("Select a peer to see its connections, latency, bandwidth and "
                             "events."));
    placeholder_->setAlignment(Qt::AlignCenter);
    placeholder_->setWordWrap(true);
    placeholder_->setEnabled(false); // the disabled palette: a hint, not content

    proxy_->setSourceModel(model_);
    proxy_->setSortRole(ConnectionTableModel::SortRole);
    table_->setObjectName(QStringLiteral("connectionTable"));
    table_->setModel(proxy_);
    table_->setItemDelegate(new CachedTextDelegate(table_));
    table_->setSortingEnabled(true);
    table_->sortByColumn(ConnectionTableModel::IdColumn, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->setShowGrid(false);
    table_->setTextElideMode(Qt::ElideMiddle);
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &PeerDetailWidget::updateTargets);

    tabs_->setObjectName(QStringLiteral("peerDetailTabs"));
    tabs_->addTab(latency_, tr("Latency"));
    tabs_->addTab(bandwidth_, tr("Bandwidth"));
    tabs_->addTab(createHistoryList(), tr("Events"));
    // One time span for both charts: the selector is on the bandwidth chart.
    connect(bandwidth_, &BandwidthChartView::resolutionChanged, latency_,
            &LatencyChartView::setResolution);

    auto* splitter = new QSplitter(Qt::Vertical);
    splitter->setChildrenCollapsible(false);
    splitter->addWidget(table_);
    splitter->addWidget(tabs_);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);

    auto* content = new QWidget;
    auto* contentLayout = new QVBoxLayout(content);
    contentLayout->setContentsMargins(0, 0, 0, 0);
    contentLayout->addWidget(createHeader());
    contentLayout->addWidget(createActions());
    contentLayout->addWidget(splitter, 1);

    stack_->addWidget(placeholder_);
    stack_->addWidget(content);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(stack_);

    updateActions();
}

PeerDetailWidget::~PeerDetailWidget() = default;

QWidget* PeerDetailWidget::createHeader() {
    peerIdLabel_ = new QLabel;
    peerIdLabel_->setObjectName(QStringLiteral("peerDetailPeerId"));
    QFont idFont = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    idFont.setBold(true);
    peerIdLabel_->setFont(idFont);
    peerIdLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    agentLabel_ = new QLabel;
    agentLabel_->setObjectName(QStringLiteral("peerDetailAgent"));
    agentLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    protectedBadge_ = new QLabel(tr("Protected"));
    protectedBadge_->setObjectName(QStringLiteral("peerDetailProtectedBadge"));
    protectedBadge_->setToolTip(tr("The connection pool never trims this peer's connections"));
    protectedBadge_->setStyleSheet(QStringLiteral(
        "QLabel { background: #2f6f3e; color: white; border-radius: 4px; padding: 1px 6px; }"));
    protectedBadge_->hide();

    statusLabel_ = new QLabel;
    statusLabel_->setObjectName(QStringLiteral("peerDetailStatus"));

    auto* header = new QWidget;
    auto* layout = new QHBoxLayout(header);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(peerIdLabel_);
    layout->addWidget(protectedBadge_);
    layout->addWidget(agentLabel_, 1);
    layout->addWidget(statusLabel_);
    return header;
}

QWidget* PeerDetailWidget::createActions() {
    const auto makeButton = [](const QString& objectName, const QString& icon, const QString& text,
                               const QString& toolTip) {
        auto* button = new QPushButton(QIcon::fromTheme(icon), text);
        button->setObjectName(objectName);
        button->setToolTip(toolTip);
        return button;
    };
    pingButton_ =
        makeButton(QStringLiteral("pingNowButton"), QStringLiteral("view-refresh"), tr("Ping now"),
                   tr("Send a health probe on the selected (or first) connection"));
    closeButton_ =
        makeButton(QStringLiteral("closeConnectionButton"), QStringLiteral("window-close"),
                   tr("Close connection"), tr("Close the selected connection"));
    disconnectButton_ =
        makeButton(QStringLiteral("disconnectButton"), QStringLiteral("network-disconnect"),
                   tr("Disconnect peer"), tr("Close every connection to this peer"));
    protectButton_ =
        makeButton(QStringLiteral("protectButton"), QStringLiteral("security-high"), tr("Protect"),
                   tr("Protected peers are never trimmed by the connection pool"));
    copyButton_ = makeButton(QStringLiteral("copyMultiaddrButton"), QStringLiteral("edit-copy"),
                             tr("Copy multiaddr"),
                             tr("Copy the selected (or first) connection's address with /p2p/"));

    connect(pingButton_, &QPushButton::clicked, this, [this] {
        if (const quint64 id = actionConnectionId())
            Q_EMIT pingNowRequested(id);
    });
    connect(closeButton_, &QPushButton::clicked, this, [this] {
        if (const quint64 id = selectedConnectionId())
            Q_EMIT closeConnectionRequested(id);
    });
    connect(disconnectButton_, &QPushButton::clicked, this, [this] {
        if (!peerId_.isEmpty())
            Q_EMIT disconnectRequested(peerId_);
    });
    // The badge and the button follow the next snapshot, not the click: the engine decides.
    connect(protectButton_, &QPushButton::clicked, this, [this] {
        if (!peerId_.isEmpty())
            Q_EMIT protectRequested(peerId_, !peerProtected_);
    });
    connect(copyButton_, &QPushButton::clicked, this, &PeerDetailWidget::copyMultiaddr);

    auto* actions = new QWidget;
    auto* layout = new QHBoxLayout(actions);
    layout->setContentsMargins(0, 0, 0, 0);
    for (QPushButton* button :
         {pingButton_, closeButton_, disconnectButton_, protectButton_, copyButton_})
        layout->addWidget(button);
    layout->addStretch(1);
    return actions;
}

QWidget* PeerDetailWidget::createHistoryList() {
    historyList_ = new QTreeWidget;
    historyList_->setObjectName(QStringLiteral("peerHistoryList"));
    historyList_->setColumnCount(HistoryColumnCount);
    historyList_->setHeaderLabels({tr("Time"), tr("Event"), tr("Connection"), tr("Detail")});
    historyList_->setRootIsDecorated(false);
    historyList_->setUniformRowHeights(true);
    historyList_->setAlternatingRowColors(true);
    historyList_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    historyList_->header()->setStretchLastSection(true);
    return historyList_;
}

void PeerDetailWidget::showPeer(const QString& peerId) {
    if (peerId == peerId_)
        return;
    peerId_ = peerId;
    clearConnectionSelection();
    entries_.clear();
    knownErrors_.clear();
    peerConnected_ = peerProtected_ = peerKnown_ = false;
    historyStale_ = true; // the list still shows the previous peer's
    if (!peerId_.isEmpty()) {
        for (std::size_t i = 0; i < eventLog_.size(); ++i) {
            const EventSnapshot& event = eventLog_.at(i);
            if (event.peerId == peerId_)
                addHistoryEntry(
                    {event.at.toMSecsSinceEpoch(), event.kind, event.connectionId, event.detail});
        }
    }
    bandwidth_->showPeer(peerId_);
    stack_->setCurrentIndex(peerId_.isEmpty() ? 0 : 1);
    if (isVisible())
        refresh();
    else
        stale_ = true;
}

void PeerDetailWidget::applySnapshot(const NodeSnapshot& snapshot) {
    latest_ = snapshot; // implicitly shared: cheap even while hidden
    if (!isVisible()) {
        stale_ = true;
        return;
    }
    refresh();
}

void PeerDetailWidget::appendEvents(const QList<EventSnapshot>& events) {
    for (const EventSnapshot& event : events) {
        eventLog_.push(event);
        if (!peerId_.isEmpty() && event.peerId == peerId_)
            addHistoryEntry(
                {event.at.toMSecsSinceEpoch(), event.kind, event.connectionId, event.detail});
    }
}

void PeerDetailWidget::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (stale_ || historyStale_)
        refresh();
}

void PeerDetailWidget::refresh() {
    stale_ = false;
    const PeerSnapshot* peer = peerId_.isEmpty() ? nullptr : findPeer();
    if (!peerId_.isEmpty())
        updateHeader(peer);
    const quint64 selectedBefore = selectedConnectionId();
    model_->applyConnections(peer ? peer->connections : QList<ConnectionSnapshot>());
    // The view moves the selection to a neighbour of a removed row. Closing is one click
    // away, so the selection must not land on a connection the user did not pick.
    if (selectedBefore != 0 && model_->rowOfConnection(selectedBefore) < 0)
        clearConnectionSelection();
    if (!columnsFitted_ && model_->rowCount() > 0) {
        // Once, from the first rows seen: later the widths are the user's.
        table_->resizeColumnsToContents();
        columnsFitted_ = true;
    }
    collectErrors(peer);
    updateTargets();
    // Targets may not have changed: redraw for the new points either way (a no-op for the
    // chart in a hidden tab).
    latency_->refresh();
    bandwidth_->refresh();
    if (historyStale_)
        rebuildHistoryList();
}

const PeerSnapshot* PeerDetailWidget::findPeer() {
    // The engine lists peers in a stable order: where the peer was last time comes first.
    const QList<PeerSnapshot>& peers = latest_.peers;
    if (peerIndex_ < peers.size() && peers.at(peerIndex_).peerId == peerId_)
        return &peers.at(peerIndex_);
    for (qsizetype i = 0; i < peers.size(); ++i) {
        if (peers.at(i).peerId == peerId_) {
            peerIndex_ = i;
            return &peers.at(i);
        }
    }
    return nullptr;
}

void PeerDetailWidget::updateHeader(const PeerSnapshot* peer) {
    // Called on every tick: setText() returns early on the same text, setToolTip() does not.
    const auto setToolTip = [](QWidget* widget, const QString& toolTip) {
        if (widget->toolTip() != toolTip)
            widget->setToolTip(toolTip);
    };
    peerIdLabel_->setText(PeerTableModel::shortPeerId(peerId_));
    setToolTip(peerIdLabel_, peerId_);
    peerKnown_ = peer != nullptr;
    peerConnected_ = peer && !peer->connections.isEmpty();
    peerProtected_ = peer && peer->isProtected;
    const QString agent = peer && !peer->agentVersion.isEmpty() ? peer->agentVersion : tr("—");
    agentLabel_->setText(agent);
    setToolTip(agentLabel_, peer && !peer->protocolVersion.isEmpty()
                                ? tr("Protocol version: %1").arg(peer->protocolVersion)
                                : QString());
    protectedBadge_->setVisible(peerProtected_);
    protectButton_->setText(peerProtected_ ? tr("Unprotect") : tr("Protect"));
    const int connections = peer ? static_cast<int>(peer->connections.size()) : 0;
    if (connections == 0)
        statusLabel_->setText(tr("not connected"));
    else if (connections == 1)
        statusLabel_->setText(tr("1 connection"));
    else
        statusLabel_->setText(tr("%1 connections").arg(connections));
}

void PeerDetailWidget::collectErrors(const PeerSnapshot* peer) {
    if (peer == nullptr) {
        knownErrors_.clear();
        return;
    }
    // The usual tick: no connection reports an error and none is remembered.
    if (knownErrors_.isEmpty() && std::all_of(peer->connections.cbegin(), peer->connections.cend(),
                                              [](const ConnectionSnapshot& connection) {
                                                  return connection.errors.isEmpty();
                                              }))
        return;
    const qint64 takenAtMs = latest_.takenAt.toMSecsSinceEpoch();
    QHash<quint64, QList<KnownError>> stillOpen;
    stillOpen.reserve(peer->connections.size());
    for (const ConnectionSnapshot& connection : peer->connections) {
        QList<KnownError> known = knownErrors_.value(connection.id);
        for (const ErrorSnapshot& error : connection.errors) {
            const qint64 atMs = takenAtMs - std::llround(error.secondsAgo * 1000.0);
            const bool seen = std::any_of(known.cbegin(), known.cend(), [&](const KnownError& k) {
                return std::abs(k.atMs - atMs) <= kSameErrorToleranceMs &&
                       k.category == error.category && k.message == error.message;
            });
            if (seen)
                continue;
            known.append({atMs, error.category, error.message});
            addHistoryEntry({atMs, errorKind(error.category), connection.id, error.message});
        }
        if (known.size() > kKnownErrorsPerConnection)
            known.remove(0, known.size() - kKnownErrorsPerConnection);
        if (!known.isEmpty())
            stillOpen.insert(connection.id, std::move(known));
    }
    // A closed connection reports no more errors: forget what it did report.
    knownErrors_ = std::move(stillOpen);
}

void PeerDetailWidget::clearConnectionSelection() {
    // The current index too: the view would select the row it moves to when that row goes.
    table_->selectionModel()->clear();
}

quint64 PeerDetailWidget::selectedConnectionId() const {
    const QModelIndexList rows = table_->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return 0;
    return rows.first().data(ConnectionTableModel::ConnectionIdRole).toULongLong();
}

quint64 PeerDetailWidget::actionConnectionId() const {
    if (const quint64 selected = selectedConnectionId())
        return selected;
    return model_->rowCount() > 0 ? model_->connectionAt(0).id : 0;
}

void PeerDetailWidget::updateTargets() {
    latency_->showConnection(actionConnectionId());
    if (const quint64 selected = selectedConnectionId())
        bandwidth_->showConnection(selected);
    else
        bandwidth_->showPeer(peerId_);
    updateActions();
}

void PeerDetailWidget::updateActions() {
    const bool hasConnection = actionConnectionId() != 0;
    pingButton_->setEnabled(hasConnection);
    copyButton_->setEnabled(hasConnection);
    closeButton_->setEnabled(selectedConnectionId() != 0);
    disconnectButton_->setEnabled(!peerId_.isEmpty() && peerConnected_);
    protectButton_->setEnabled(!peerId_.isEmpty() && peerKnown_);
}

void PeerDetailWidget::addHistoryEntry(HistoryEntry entry) {
    const auto position =
        std::upper_bound(entries_.begin(), entries_.end(), entry.atMs,
                         [](qint64 atMs, const HistoryEntry& other) { return atMs < other.atMs; });
    const auto index = static_cast<int>(position - entries_.begin());
    entries_.insert(position, std::move(entry));
    const bool overflow = entries_.size() > kHistoryCapacity;
    if (overflow)
        entries_.erase(entries_.begin());
    if (overflow && index == 0)
        return; // older than everything kept: it was the one dropped
    if (!isVisible() || historyStale_) {
        historyStale_ = true;
        return;
    }
    // Newest first: entry i (oldest first) is row size - 1 - i.
    if (overflow)
        delete historyList_->takeTopLevelItem(historyList_->topLevelItemCount() - 1);
    const int row = static_cast<int>(entries_.size()) - 1 - (overflow ? index - 1 : index);
    insertHistoryItem(row, entries_.at(entries_.size() - 1 - row));
}

void PeerDetailWidget::rebuildHistoryList() {
    historyStale_ = false;
    historyList_->clear();
    for (auto it = entries_.crbegin(); it != entries_.crend(); ++it)
        insertHistoryItem(historyList_->topLevelItemCount(), *it);
}

void PeerDetailWidget::insertHistoryItem(int row, const HistoryEntry& entry) {
    const QDateTime at = QDateTime::fromMSecsSinceEpoch(entry.atMs).toLocalTime();
    auto* item = new QTreeWidgetItem;
    item->setText(TimeColumn, at.toString(QStringLiteral("HH:mm:ss")));
    item->setToolTip(TimeColumn, at.toString(Qt::ISODateWithMs));
    item->setText(KindColumn, entry.kind);
    item->setText(ConnectionColumn,
                  entry.connectionId != 0 ? QString::number(entry.connectionId) : QString());
    item->setText(DetailColumn, entry.detail);
    item->setToolTip(DetailColumn, entry.detail);
    if (const QColor color = colorForKind(entry.kind); color.isValid())
        item->setForeground(KindColumn, color);
    historyList_->insertTopLevelItem(row, item);
}

void PeerDetailWidget::copyMultiaddr() {
    const quint64 id = actionConnectionId();
    const int row = model_->rowOfConnection(id);
    if (row < 0)
        return;
    const QString suffix = QStringLiteral("/p2p/") + peerId_;
    QString multiaddr = model_->connectionAt(row).remoteAddr;
    if (!multiaddr.endsWith(suffix))
        multiaddr += suffix;
    QGuiApplication::clipboard()->setText(multiaddr);
    Q_EMIT multiaddrCopied(multiaddr);
}

} // namespace peerscope
