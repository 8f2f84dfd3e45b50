#include "ui/main_window.h"

#include "engine/api/engine_client.h"
#include "ui/models/peer_table_model.h"
#include "ui/node_overview_widget.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>
#include <algorithm>
#include <numeric>

namespace peerscope {

namespace {

constexpr int kMessageTimeoutMs = 15000;
constexpr int kPingCount = 3;
constexpr qint64 kRateWindowMs = 1000;

const QString kSettingsGroup = QStringLiteral("MainWindow");
const QString kDialSettingsKey = QStringLiteral("dial/lastAddress");

// Plain English plurals: the app ships no translations yet, so tr()'s %n forms would show "(s)".
QString countText(int count, const char* one, const char* many) {
    return count == 1 ? QCoreApplication::translate("peerscope::MainWindow", one)
                      : QCoreApplication::translate("peerscope::MainWindow", many).arg(count);
}

QString countsText(int peers, int connections) {
    return countText(peers, QT_TRANSLATE_NOOP("peerscope::MainWindow", "1 peer"),
                     QT_TRANSLATE_NOOP("peerscope::MainWindow", "%1 peers")) +
           QStringLiteral("  ·  ") +
           countText(connections, QT_TRANSLATE_NOOP("peerscope::MainWindow", "1 connection"),
                     QT_TRANSLATE_NOOP("peerscope::MainWindow", "%1 connections"));
}

QString humanRate(double bytesPerSecond) {
    return QLocale().formattedDataSize(static_cast<qint64>(bytesPerSecond), 1,
                                       QLocale::DataSizeIecFormat) +
           QStringLiteral("/s");
}

} // namespace

MainWindow::MainWindow(EngineClient* client, QWidget* parent)
    : QMainWindow(parent), client_(client), model_(new PeerTableModel(this)),
      proxy_(new QSortFilterProxyModel(this)) {
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(QStringLiteral("PeerScope"));
    setWindowIcon(QIcon::fromTheme(QStringLiteral("network-workgroup")));

    proxy_->setSourceModel(model_);
    proxy_->setSortRole(PeerTableModel::SortRole);
    proxy_->setFilterRole(PeerTableModel::FilterRole);
    proxy_->setFilterKeyColumn(-1); // any column
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    proxy_->setSortCaseSensitivity(Qt::CaseInsensitive);

    createActions();
    createMenus();
    createCentralWidget();
    createStatusBar();
    setDefaultColumnWidths();
    restoreSettings();

    if (client_) {
        // Emitted on the engine thread: queued, so the model is only touched here.
        connect(client_, &EngineClient::snapshotUpdated, this, &MainWindow::applySnapshot,
                Qt::QueuedConnection);
        // Show what the engine has right away rather than after the next tick.
        applySnapshot(client_->snapshot());
    }
    updateActions();
    updateEmptyState();
}

MainWindow::~MainWindow() = default;

void MainWindow::createActions() {
    dialAction_ =
        new QAction(QIcon::fromTheme(QStringLiteral("network-connect")), tr("&Dial…"), this);
    dialAction_->setObjectName(QStringLiteral("dialAction"));
    dialAction_->setShortcut(tr("Ctrl+D"));
    dialAction_->setToolTip(tr("Connect to a peer by multiaddr"));
    connect(dialAction_, &QAction::triggered, this, &MainWindow::openDialDialog);

    pingAction_ = new QAction(QIcon::fromTheme(QStringLiteral("view-refresh")), tr("&Ping"), this);
    pingAction_->setObjectName(QStringLiteral("pingAction"));
    pingAction_->setShortcut(tr("Ctrl+P"));
    pingAction_->setToolTip(tr("Measure the round-trip time to the selected peer"));
    connect(pingAction_, &QAction::triggered, this, &MainWindow::pingSelectedPeer);

    disconnectAction_ = new QAction(QIcon::fromTheme(QStringLiteral("network-disconnect")),
                                    tr("Dis&connect"), this);
    disconnectAction_->setObjectName(QStringLiteral("disconnectAction"));
    disconnectAction_->setShortcut(QKeySequence::Delete);
    disconnectAction_->setToolTip(tr("Close every connection to the selected peer"));
    connect(disconnectAction_, &QAction::triggered, this, &MainWindow::disconnectSelectedPeer);

    copyPeerIdAction_ =
        new QAction(QIcon::fromTheme(QStringLiteral("edit-copy")), tr("Copy Peer &ID"), this);
    copyPeerIdAction_->setObjectName(QStringLiteral("copyPeerIdAction"));
    connect(copyPeerIdAction_, &QAction::triggered, this, &MainWindow::copySelectedPeerId);

    quitAction_ =
        new QAction(QIcon::fromTheme(QStringLiteral("application-exit")), tr("&Quit"), this);
    quitAction_->setShortcut(QKeySequence::Quit);
    quitAction_->setMenuRole(QAction::QuitRole);
    connect(quitAction_, &QAction::triggered, this, &QWidget::close);

    aboutAction_ = new QAction(tr("&About PeerScope"), this);
    aboutAction_->setMenuRole(QAction::AboutRole);
    connect(aboutAction_, &QAction::triggered, this, [this] {
        auto* box = new QMessageBox(
            QMessageBox::Information, tr("About PeerScope"),
            tr("<b>PeerScope %1</b><p>A libp2p network monitor and peer manager.</p>")
                .arg(QStringLiteral(PEERSCOPE_VERSION)),
            QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open(); // window-modal without a nested event loop
    });
}

void MainWindow::createMenus() {
    QMenu* file = menuBar()->addMenu(tr("&File"));
    file->addAction(dialAction_);
    file->addSeparator();
    file->addAction(quitAction_);

    QMenu* peer = menuBar()->addMenu(tr("&Peer"));
    peer->addAction(pingAction_);
    peer->addAction(disconnectAction_);
    peer->addSeparator();
    peer->addAction(copyPeerIdAction_);

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(aboutAction_);

    QToolBar* toolBar = addToolBar(tr("Main"));
    toolBar->setObjectName(QStringLiteral("mainToolBar")); // saveState() needs a name
    toolBar->setMovable(false);
    toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolBar->addAction(dialAction_);
    toolBar->addSeparator();
    toolBar->addAction(pingAction_);
    toolBar->addAction(disconnectAction_);
}

void MainWindow::createCentralWidget() {
    overview_ = new NodeOverviewWidget;
    connect(overview_, &NodeOverviewWidget::peerIdCopied, this,
            [this] { showMessage(tr("Peer ID copied to the clipboard")); });

    auto* title = new QLabel(tr("Connected peers"));
    QFont titleFont = title->font();
    titleFont.setBold(true);
    title->setFont(titleFont);

    filterEdit_ = new QLineEdit;
    filterEdit_->setObjectName(QStringLiteral("peerFilterEdit"));
    filterEdit_->setPlaceholderText(tr("Filter by peer ID, agent, address or protocol"));
    filterEdit_->setClearButtonEnabled(true);
    filterEdit_->setMinimumWidth(
        filterEdit_->fontMetrics().horizontalAdvance(filterEdit_->placeholderText()) + 48);
    connect(filterEdit_, &QLineEdit::textChanged, this, [this](const QString& text) {
        proxy_->setFilterFixedString(text.trimmed());
        updateEmptyState();
    });

    table_ = new QTableView;
    table_->setObjectName(QStringLiteral("peerTable"));
    table_->setModel(proxy_);
    table_->setSortingEnabled(true);
    table_->sortByColumn(PeerTableModel::PeerColumn, Qt::AscendingOrder);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setSelectionMode(QAbstractItemView::SingleSelection);
    table_->setAlternatingRowColors(true);
    table_->setWordWrap(false);
    table_->setShowGrid(false);
    table_->setTextElideMode(Qt::ElideMiddle);
    table_->verticalHeader()->hide();
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    table_->verticalHeader()->setDefaultSectionSize(table_->fontMetrics().height() + 8);
    table_->horizontalHeader()->setHighlightSections(false);
    table_->horizontalHeader()->setSectionsMovable(true);
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(table_, &QWidget::customContextMenuRequested, this, &MainWindow::showTableMenu);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MainWindow::updateActions);
    // Keyboard users get the actions on the table itself, too.
    table_->addAction(pingAction_);
    table_->addAction(disconnectAction_);

    // Shown over the empty table so an empty window still says what to do.
    emptyLabel_ = new QLabel(table_->viewport());
    emptyLabel_->setObjectName(QStringLiteral("emptyPeersLabel"));
    emptyLabel_->setAlignment(Qt::AlignCenter);
    emptyLabel_->setWordWrap(true);
    emptyLabel_->setEnabled(false); // the disabled palette greys it out
    emptyLabel_->setAttribute(Qt::WA_TransparentForMouseEvents);
    table_->viewport()->installEventFilter(this);
    connect(proxy_, &QAbstractItemModel::rowsInserted, this, &MainWindow::updateEmptyState);
    connect(proxy_, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updateEmptyState);
    connect(proxy_, &QAbstractItemModel::modelReset, this, &MainWindow::updateEmptyState);

    auto* titleRow = new QHBoxLayout;
    titleRow->addWidget(title);
    titleRow->addStretch(1);
    titleRow->addWidget(filterEdit_);

    auto* peersPanel = new QWidget;
    auto* peersLayout = new QVBoxLayout(peersPanel);
    peersLayout->setContentsMargins(0, 0, 0, 0);
    peersLayout->addLayout(titleRow);
    peersLayout->addWidget(table_, 1);

    splitter_ = new QSplitter(Qt::Vertical);
    splitter_->setObjectName(QStringLiteral("mainSplitter"));
    splitter_->setChildrenCollapsible(false);
    splitter_->addWidget(overview_);
    splitter_->addWidget(peersPanel);
    splitter_->setStretchFactor(0, 0);
    splitter_->setStretchFactor(1, 1);

    auto* central = new QWidget;
    auto* layout = new QVBoxLayout(central);
    layout->addWidget(splitter_);
    setCentralWidget(central);
}

void MainWindow::createStatusBar() {
    countsLabel_ = new QLabel;
    countsLabel_->setObjectName(QStringLiteral("statusCountsLabel"));
    ratesLabel_ = new QLabel;
    ratesLabel_->setObjectName(QStringLiteral("statusRatesLabel"));
    ratesLabel_->setToolTip(tr("Receive and send rates over the last second"));
    countsLabel_->setContentsMargins(8, 0, 8, 0);
    ratesLabel_->setContentsMargins(8, 0, 8, 0);
    statusBar()->addPermanentWidget(countsLabel_);
    statusBar()->addPermanentWidget(ratesLabel_);
    countsLabel_->setText(countsText(0, 0));
    ratesLabel_->setText(QStringLiteral("↓ %1   ↑ %1").arg(humanRate(0)));
}

void MainWindow::setDefaultColumnWidths() {
    const QFontMetrics metrics = table_->fontMetrics();
    const QFontMetrics fixed(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    const int padding = 2 * metrics.horizontalAdvance(QLatin1Char('x')) + 12;
    // Wide enough for the header (plus its sort arrow) and a typical value.
    const auto fit = [&](int column, const QString& sample, const QFontMetrics& sampleMetrics) {
        const QString header = model_->headerData(column, Qt::Horizontal).toString();
        const int width = std::max(metrics.horizontalAdvance(header) + 20,
                                   sampleMetrics.horizontalAdvance(sample));
        table_->setColumnWidth(column, width + padding);
    };
    fit(PeerTableModel::PeerColumn, QStringLiteral("12D3…abcdef"), fixed);
    fit(PeerTableModel::AgentColumn, QStringLiteral("js-libp2p/3.0.0 UserAgent=v22"), metrics);
    fit(PeerTableModel::ConnectionsColumn, QStringLiteral("99"), metrics);
    fit(PeerTableModel::DirectionColumn, QStringLiteral("both"), metrics);
    fit(PeerTableModel::RemoteAddressColumn, QStringLiteral("/ip4/255.255.255.255/tcp/65535"),
        metrics);
    fit(PeerTableModel::RttColumn, QStringLiteral("9999.99 ms"), metrics);
    fit(PeerTableModel::StreamsColumn, QStringLiteral("999"), metrics);
    fit(PeerTableModel::BytesInColumn, QStringLiteral("1023.9 MiB"), metrics);
    fit(PeerTableModel::BytesOutColumn, QStringLiteral("1023.9 MiB"), metrics);
    fit(PeerTableModel::ProtocolsColumn, QStringLiteral("99"), metrics);

    int tableWidth = 0;
    for (int column = 0; column < PeerTableModel::ColumnCount; ++column)
        tableWidth += table_->columnWidth(column);
    resize(std::max(tableWidth + 60, 1000), 720);
    // The overview at its natural height; the table gets the rest.
    splitter_->setSizes({overview_->minimumSizeHint().height(), 10000});
}

void MainWindow::restoreSettings() {
    QSettings settings;
    settings.beginGroup(kSettingsGroup);
    if (const QByteArray geometry = settings.value(QStringLiteral("geometry")).toByteArray();
        !geometry.isEmpty())
        restoreGeometry(geometry);
    if (const QByteArray state = settings.value(QStringLiteral("windowState")).toByteArray();
        !state.isEmpty())
        restoreState(state);
    if (const QByteArray sizes = settings.value(QStringLiteral("splitter")).toByteArray();
        !sizes.isEmpty())
        splitter_->restoreState(sizes);
    if (const QByteArray header = settings.value(QStringLiteral("peerTableHeader")).toByteArray();
        !header.isEmpty())
        table_->horizontalHeader()->restoreState(header);
    settings.endGroup();
}

void MainWindow::saveSettings() const {
    QSettings settings;
    settings.beginGroup(kSettingsGroup);
    settings.setValue(QStringLiteral("geometry"), saveGeometry());
    settings.setValue(QStringLiteral("windowState"), saveState());
    settings.setValue(QStringLiteral("splitter"), splitter_->saveState());
    settings.setValue(QStringLiteral("peerTableHeader"), table_->horizontalHeader()->saveState());
    settings.endGroup();
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveSettings();
    QMainWindow::closeEvent(event);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (watched == table_->viewport() && event->type() == QEvent::Resize)
        emptyLabel_->setGeometry(table_->viewport()->rect().adjusted(16, 16, -16, -16));
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::applySnapshot(const NodeSnapshot& snapshot) {
    overview_->applySnapshot(snapshot);
    model_->applySnapshot(snapshot);

    int peers = 0;
    int connections = 0;
    for (const PeerSnapshot& peer : snapshot.peers) {
        peers += peer.connections.isEmpty() ? 0 : 1;
        connections += static_cast<int>(peer.connections.size());
    }
    countsLabel_->setText(countsText(peers, connections));
    updateRates(snapshot);
}

void MainWindow::updateRates(const NodeSnapshot& snapshot) {
    if (!snapshot.takenAt.isValid())
        return;
    rateSamples_.append({snapshot.takenAt, snapshot.counters.bytesIn, snapshot.counters.bytesOut});
    // Keep the newest sample plus enough history to span the window.
    while (rateSamples_.size() > 2 &&
           rateSamples_.at(1).at.msecsTo(snapshot.takenAt) >= kRateWindowMs)
        rateSamples_.removeFirst();
    const RateSample& oldest = rateSamples_.first();
    const qint64 elapsedMs = oldest.at.msecsTo(snapshot.takenAt);
    if (elapsedMs <= 0)
        return;
    // Closed connections can make a total dip if the engine resets a counter: clamp to zero.
    const auto rate = [elapsedMs](quint64 from, quint64 to) {
        return to > from ? static_cast<double>(to - from) * 1000.0 / elapsedMs : 0.0;
    };
    ratesLabel_->setText(QStringLiteral("↓ %1   ↑ %2")
                             .arg(humanRate(rate(oldest.bytesIn, snapshot.counters.bytesIn)),
                                  humanRate(rate(oldest.bytesOut, snapshot.counters.bytesOut))));
}

QString MainWindow::selectedPeerId() const {
    const QModelIndexList rows = table_->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString() : rows.first().data(PeerTableModel::PeerIdRole).toString();
}

void MainWindow::updateActions() {
    const bool hasPeer = !selectedPeerId().isEmpty();
    const bool hasEngine = !client_.isNull();
    dialAction_->setEnabled(hasEngine);
    pingAction_->setEnabled(hasEngine && hasPeer);
    disconnectAction_->setEnabled(hasEngine && hasPeer);
    copyPeerIdAction_->setEnabled(hasPeer);
}

void MainWindow::updateEmptyState() {
    const bool empty = proxy_->rowCount() == 0;
    if (empty) {
        // Asks the filter, not the source model: the proxy drops its rows before the source
        // model does, so the source may still count the peer that is leaving.
        const bool filtered = !proxy_->filterRegularExpression().pattern().isEmpty();
        emptyLabel_->setText(filtered
                                 ? tr("No peer matches the filter.")
                                 : tr("No connected peers yet.\nUse Dial… to connect to a peer."));
    }
    emptyLabel_->setVisible(empty);
    // Removing the selected row does not always emit selectionChanged for the actions.
    updateActions();
}

void MainWindow::openDialDialog() {
    auto* dialog = new QInputDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setObjectName(QStringLiteral("dialDialog"));
    dialog->setWindowTitle(tr("Dial Peer"));
    dialog->setInputMode(QInputDialog::TextInput);
    dialog->setLabelText(tr("Multiaddr of the peer, ending in /p2p/<peer ID>:"));
    dialog->setOkButtonText(tr("Dial"));
    dialog->setTextValue(QSettings().value(kDialSettingsKey).toString());
    if (auto* edit = dialog->findChild<QLineEdit*>()) {
        edit->setPlaceholderText(QStringLiteral("/ip4/192.0.2.1/tcp/4001/p2p/12D3KooW…"));
        edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
        edit->setClearButtonEnabled(true);
        // Wide enough for a typical /ip4/…/tcp/…/p2p/<52-char id> address. On the edit, not
        // the dialog: QInputDialog's layout constraint overrides the dialog's own size.
        edit->setMinimumWidth(QFontMetrics(edit->font()).horizontalAdvance(QLatin1Char('x')) * 96);
    }
    connect(dialog, &QInputDialog::textValueSelected, this, &MainWindow::dial);
    dialog->open(); // window-modal, no nested event loop
}

void MainWindow::dial(const QString& multiaddr) {
    const QString address = multiaddr.trimmed();
    if (address.isEmpty() || !client_)
        return;
    QSettings().setValue(kDialSettingsKey, address);
    showMessage(tr("Dialing %1…").arg(address));
    client_->dial(address, this, [this, address](const DialOutcome& outcome) {
        if (!outcome.ok) {
            showMessage(tr("Dial %1 failed: %2").arg(address, outcome.error));
            return;
        }
        showMessage(tr("Connected to %1 via %2")
                        .arg(PeerTableModel::shortPeerId(outcome.connection.peerId),
                             outcome.connection.remoteAddr));
    });
}

void MainWindow::pingSelectedPeer() {
    const QString peerId = selectedPeerId();
    if (peerId.isEmpty() || !client_)
        return;
    const QString shortId = PeerTableModel::shortPeerId(peerId);
    showMessage(tr("Pinging %1…").arg(shortId));
    client_->ping(peerId, kPingCount, this, [this, shortId](const PingOutcome& outcome) {
        if (!outcome.ok || outcome.rttsMs.empty()) {
            showMessage(
                tr("Ping %1 failed: %2")
                    .arg(shortId, outcome.error.isEmpty() ? tr("no reply") : outcome.error));
            return;
        }
        const auto& rtts = outcome.rttsMs;
        const double average = std::accumulate(rtts.begin(), rtts.end(), 0.0) / rtts.size();
        const auto [min, max] = std::minmax_element(rtts.begin(), rtts.end());
        showMessage(tr("Ping %1: RTT %2 ms (min %3, max %4 over %5 pings)")
                        .arg(shortId)
                        .arg(average, 0, 'f', 2)
                        .arg(*min, 0, 'f', 2)
                        .arg(*max, 0, 'f', 2)
                        .arg(rtts.size()));
    });
}

void MainWindow::disconnectSelectedPeer() {
    const QString peerId = selectedPeerId();
    if (peerId.isEmpty() || !client_)
        return;
    client_->disconnectPeer(peerId);
    showMessage(tr("Disconnecting %1…").arg(PeerTableModel::shortPeerId(peerId)));
}

void MainWindow::copySelectedPeerId() {
    const QString peerId = selectedPeerId();
    if (peerId.isEmpty())
        return;
    QApplication::clipboard()->setText(peerId);
    showMessage(tr("Copied %1").arg(peerId));
}

void MainWindow::showTableMenu(const QPoint& position) {
    const QModelIndex index = table_->indexAt(position);
    if (!index.isValid())
        return;
    table_->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect |
                                                QItemSelectionModel::Rows);
    auto* menu = new QMenu(this);
    menu->setAttribute(Qt::WA_DeleteOnClose);
    menu->addAction(pingAction_);
    menu->addAction(disconnectAction_);
    menu->addSeparator();
    menu->addAction(copyPeerIdAction_);
    menu->popup(table_->viewport()->mapToGlobal(position)); // popup(), not exec(): no nested loop
}

void MainWindow::showMessage(const QString& message) {
    statusBar()->showMessage(message, kMessageTimeoutMs);
}

} // namespace peerscope
