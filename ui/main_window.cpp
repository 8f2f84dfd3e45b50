#include "ui/main_window.h"

#include "engine/api/engine_client.h"
#include "ui/charts/bandwidth_chart_view.h"
#include "ui/charts/history_store.h"
#include "ui/dialogs/config_editor_widget.h"
#include "ui/dialogs/dial_dialog.h"
#include "ui/dialogs/export_dialog.h"
#include "ui/models/event_log_model.h"
#include "ui/models/peer_table_model.h"
#include "ui/node_overview_widget.h"
#include "ui/report/report_charts.h"
#include "ui/tray_notifier.h"
#include "ui/views/cached_text_delegate.h"
#include "ui/views/event_log_view.h"
#include "ui/views/health_bar_delegate.h"
#include "ui/views/lab_panel.h"
#include "ui/views/peer_detail_widget.h"
#include "ui/views/relays_panel.h"

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
#include <QTabWidget>
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
// v2: the peer table's columns moved when path, health, state and rates joined it.
const QString kPeerHeaderKey = QStringLiteral("peerTableHeader/v2");

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
    : QMainWindow(parent), client_(client), history_(std::make_unique<HistoryStore>()),
      model_(new PeerTableModel(this)), proxy_(new QSortFilterProxyModel(this)),
      eventModel_(new EventLogModel(EventLogModel::kDefaultCapacity, this)) {
    setObjectName(QStringLiteral("MainWindow"));
    setWindowTitle(QStringLiteral("PeerScope"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/peerscope.svg")));

    proxy_->setSourceModel(model_);
    proxy_->setSortRole(PeerTableModel::SortRole);
    proxy_->setFilterRole(PeerTableModel::FilterRole);
    proxy_->setFilterKeyColumn(-1); // any column
    proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    proxy_->setSortCaseSensitivity(Qt::CaseInsensitive);

    createActions();
    createMenus();
    createTabs();
    createStatusBar();
    setDefaultColumnWidths();
    restoreSettings();

    tray_ = new TrayNotifier(this, this);
    connect(tray_, &TrayNotifier::quitRequested, this, &QWidget::close);
    // Without a tray the notification still reaches the person, in the status bar.
    connect(tray_, &TrayNotifier::notified, this,
            [this](const QString& title, const QString& text) {
                if (!tray_->hasIcon())
                    showMessage(title + QStringLiteral(": ") + text);
            });

    connectEngine();
    updateActions();
    updateEmptyState();
}

MainWindow::~MainWindow() = default;

void MainWindow::connectEngine() {
    if (!client_)
        return;
    // Emitted on the engine thread: queued, so models are only touched here.
    connect(client_, &EngineClient::snapshotUpdated, this, &MainWindow::applySnapshot,
            Qt::QueuedConnection);
    connect(client_, &EngineClient::eventsAppended, this, &MainWindow::applyEvents,
            Qt::QueuedConnection);
    // The backlog, for events from before the window existed; the log ignores repeats.
    client_->events(0, this, [this](const QList<EventSnapshot>& events) { applyEvents(events); });
    connect(configEditor_, &ConfigEditorWidget::applyRequested, this,
            [this](const EngineConfig& config, bool persist) {
                client_->applyConfig(config, persist, configEditor_, [this](const QString& error) {
                    configEditor_->showApplyResult(error);
                    showMessage(
                        error.isEmpty()
                            ? tr("Connection settings applied")
                            : tr("Settings refused: %1").arg(QString(error).replace('\n', "; ")));
                });
            });
    connect(detail_, &PeerDetailWidget::pingNowRequested, this, [this](quint64 id) {
        client_->probeNow(id);
        showMessage(tr("Probing connection %1…").arg(id));
    });
    connect(detail_, &PeerDetailWidget::closeConnectionRequested, this, [this](quint64 id) {
        client_->closeConnection(id);
        showMessage(tr("Closing connection %1…").arg(id));
    });
    connect(detail_, &PeerDetailWidget::disconnectRequested, this, [this](const QString& peer) {
        client_->disconnectPeer(peer);
        showMessage(tr("Disconnecting %1…").arg(PeerTableModel::shortPeerId(peer)));
    });
    connect(detail_, &PeerDetailWidget::protectRequested, this,
            [this](const QString& peer, bool isProtected) {
                client_->setProtected(peer, isProtected);
                showMessage((isProtected ? tr("Protecting %1") : tr("Unprotecting %1"))
                                .arg(PeerTableModel::shortPeerId(peer)));
            });
    // Show what the engine has right away rather than after the next tick.
    applySnapshot(client_->snapshot());
}

void MainWindow::createActions() {
    dialAction_ =
        new QAction(QIcon::fromTheme(QStringLiteral("network-connect")), tr("&Dial…"), this);
    dialAction_->setObjectName(QStringLiteral("dialAction"));
    dialAction_->setShortcut(tr("Ctrl+D"));
    dialAction_->setToolTip(tr("Connect to a peer by multiaddr"));
    connect(dialAction_, &QAction::triggered, this, &MainWindow::openDialDialog);

    exportAction_ = new QAction(QIcon::fromTheme(QStringLiteral("document-save-as")),
                                tr("&Export Report…"), this);
    exportAction_->setObjectName(QStringLiteral("exportAction"));
    exportAction_->setShortcut(tr("Ctrl+E"));
    exportAction_->setToolTip(tr("Save the current metrics as JSON, CSV, Prometheus text or PDF"));
    connect(exportAction_, &QAction::triggered, this, &MainWindow::openExportDialog);

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

    protectAction_ = new QAction(tr("P&rotect"), this);
    protectAction_->setObjectName(QStringLiteral("protectAction"));
    protectAction_->setCheckable(true);
    protectAction_->setToolTip(
        tr("A protected peer is never trimmed, and its failure and recovery are notified"));
    connect(protectAction_, &QAction::triggered, this, &MainWindow::toggleProtectSelectedPeer);

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
    file->addAction(exportAction_);
    file->addSeparator();
    file->addAction(quitAction_);

    QMenu* peer = menuBar()->addMenu(tr("&Peer"));
    peer->addAction(pingAction_);
    peer->addAction(disconnectAction_);
    peer->addAction(protectAction_);
    peer->addSeparator();
    peer->addAction(copyPeerIdAction_);

    QMenu* view = menuBar()->addMenu(tr("&View"));
    const QStringList names{tr("&Overview"), tr("&Peers"),  tr("&Relays"),
                            tr("&Events"),   tr("&Config"), tr("&Lab")};
    for (int tab = 0; tab < TabCount; ++tab) {
        QAction* action = view->addAction(names[tab]);
        action->setShortcut(QKeySequence(Qt::ALT | static_cast<Qt::Key>(Qt::Key_1 + tab)));
        connect(action, &QAction::triggered, this, [this, tab] { showTab(Tab(tab)); });
    }

    QMenu* help = menuBar()->addMenu(tr("&Help"));
    help->addAction(aboutAction_);

    QToolBar* toolBar = addToolBar(tr("Main"));
    toolBar->setObjectName(QStringLiteral("mainToolBar")); // saveState() needs a name
    toolBar->setMovable(false);
    toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolBar->addAction(dialAction_);
    toolBar->addAction(exportAction_);
    toolBar->addSeparator();
    toolBar->addAction(pingAction_);
    toolBar->addAction(disconnectAction_);
    toolBar->addAction(protectAction_);
}

void MainWindow::createTabs() {
    tabs_ = new QTabWidget;
    tabs_->setObjectName(QStringLiteral("mainTabs"));
    tabs_->setDocumentMode(true);
    tabs_->addTab(createOverviewTab(), tr("Overview"));
    tabs_->addTab(createPeersTab(), tr("Peers"));

    relaysPanel_ = new RelaysPanel(client_.data());
    relaysPanel_->setObjectName(QStringLiteral("relaysPanel"));
    connect(relaysPanel_, &RelaysPanel::message, this, &MainWindow::showMessage);
    tabs_->addTab(relaysPanel_, tr("Relays"));

    eventView_ = new EventLogView(eventModel_);
    eventView_->setObjectName(QStringLiteral("eventLogView"));
    tabs_->addTab(eventView_, tr("Events"));

    configEditor_ = new ConfigEditorWidget;
    configEditor_->setObjectName(QStringLiteral("configEditor"));
    tabs_->addTab(configEditor_, tr("Config"));

    labPanel_ = new LabPanel(client_.data());
    labPanel_->setObjectName(QStringLiteral("labPanel"));
    tabs_->addTab(labPanel_, tr("Lab"));
    setCentralWidget(tabs_);
}

QWidget* MainWindow::createOverviewTab() {
    overview_ = new NodeOverviewWidget;
    connect(overview_, &NodeOverviewWidget::peerIdCopied, this,
            [this] { showMessage(tr("Peer ID copied to the clipboard")); });
    globalChart_ = new BandwidthChartView(*history_);
    globalChart_->setObjectName(QStringLiteral("globalBandwidthChart"));
    globalChart_->showGlobal();
    globalChart_->setMinimumHeight(220);

    auto* page = new QWidget;
    auto* layout = new QVBoxLayout(page);
    layout->addWidget(overview_, 0);
    layout->addWidget(globalChart_, 1);
    return page;
}

QWidget* MainWindow::createPeersTab() {
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
    // Most of a tick's repaint is laying out cell text again: the cells draw it from a cache.
    table_->setItemDelegate(new CachedTextDelegate(table_));
    table_->setItemDelegateForColumn(PeerTableModel::HealthColumn,
                                     new HealthBarDelegate(PeerTableModel::HealthRole, table_));
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
    // Shown in the detail pane; a right click on the header brings them back.
    for (int column : {PeerTableModel::RemoteAddressColumn, PeerTableModel::BytesInColumn,
                       PeerTableModel::BytesOutColumn})
        table_->setColumnHidden(column, true);
    table_->horizontalHeader()->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(table_->horizontalHeader(), &QWidget::customContextMenuRequested, this,
            [this](const QPoint& position) {
                auto* menu = new QMenu(this);
                menu->setAttribute(Qt::WA_DeleteOnClose);
                for (int column = 0; column < PeerTableModel::ColumnCount; ++column) {
                    QAction* action =
                        menu->addAction(model_->headerData(column, Qt::Horizontal).toString());
                    action->setCheckable(true);
                    action->setChecked(!table_->isColumnHidden(column));
                    action->setEnabled(column != PeerTableModel::PeerColumn);
                    connect(action, &QAction::toggled, this, [this, column](bool shown) {
                        table_->setColumnHidden(column, !shown);
                    });
                }
                menu->popup(table_->horizontalHeader()->mapToGlobal(position));
            });
    table_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(table_, &QWidget::customContextMenuRequested, this, &MainWindow::showTableMenu);
    connect(table_->selectionModel(), &QItemSelectionModel::selectionChanged, this, [this] {
        updateActions();
        updateSelectedPeer();
    });
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

    auto* title = new QLabel(tr("Connected peers"));
    QFont titleFont = title->font();
    titleFont.setBold(true);
    title->setFont(titleFont);
    auto* titleRow = new QHBoxLayout;
    titleRow->addWidget(title);
    titleRow->addStretch(1);
    titleRow->addWidget(filterEdit_);

    auto* tablePanel = new QWidget;
    auto* tableLayout = new QVBoxLayout(tablePanel);
    tableLayout->setContentsMargins(0, 0, 0, 0);
    tableLayout->addLayout(titleRow);
    tableLayout->addWidget(table_, 1);

    detail_ = new PeerDetailWidget(*history_);
    detail_->setObjectName(QStringLiteral("peerDetail"));
    connect(detail_, &PeerDetailWidget::multiaddrCopied, this,
            [this](const QString& addr) { showMessage(tr("Copied %1").arg(addr)); });

    peersSplitter_ = new QSplitter(Qt::Vertical);
    peersSplitter_->setObjectName(QStringLiteral("peersSplitter"));
    peersSplitter_->setChildrenCollapsible(false);
    peersSplitter_->addWidget(tablePanel);
    peersSplitter_->addWidget(detail_);
    peersSplitter_->setStretchFactor(0, 1);
    peersSplitter_->setStretchFactor(1, 1);
    return peersSplitter_;
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
    fit(PeerTableModel::DirectionColumn, QStringLiteral("outbound"), metrics);
    fit(PeerTableModel::PathColumn, QStringLiteral("relayed via 12D3…abcdef"), metrics);
    fit(PeerTableModel::RttColumn, QStringLiteral("↑ 9999.9 ms"), metrics);
    fit(PeerTableModel::HealthColumn, QStringLiteral("0.00 ██████"), metrics);
    fit(PeerTableModel::StateColumn, QStringLiteral("degraded"), metrics);
    fit(PeerTableModel::RateInColumn, QStringLiteral("1023.9 KiB/s"), metrics);
    fit(PeerTableModel::RateOutColumn, QStringLiteral("1023.9 KiB/s"), metrics);
    fit(PeerTableModel::StreamsColumn, QStringLiteral("999"), metrics);
    fit(PeerTableModel::ProtocolsColumn, QStringLiteral("99"), metrics);
    fit(PeerTableModel::RemoteAddressColumn, QStringLiteral("/ip4/255.255.255.255/tcp/65535"),
        metrics);
    fit(PeerTableModel::BytesInColumn, QStringLiteral("1023.9 MiB"), metrics);
    fit(PeerTableModel::BytesOutColumn, QStringLiteral("1023.9 MiB"), metrics);

    int tableWidth = 0;
    for (int column = 0; column < PeerTableModel::ColumnCount; ++column)
        if (!table_->isColumnHidden(column))
            tableWidth += table_->columnWidth(column);
    resize(std::max(tableWidth + 60, 1100), 800);
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
    if (const QByteArray sizes = settings.value(QStringLiteral("peersSplitter")).toByteArray();
        !sizes.isEmpty())
        peersSplitter_->restoreState(sizes);
    if (const QByteArray header = settings.value(kPeerHeaderKey).toByteArray(); !header.isEmpty())
        table_->horizontalHeader()->restoreState(header);
    if (const QByteArray header = settings.value(QStringLiteral("eventTableHeader")).toByteArray();
        !header.isEmpty())
        eventView_->table()->horizontalHeader()->restoreState(header);
    tabs_->setCurrentIndex(std::clamp(settings.value(QStringLiteral("tab")).toInt(), 0,
                                      static_cast<int>(TabCount) - 1));
    settings.endGroup();
}

void MainWindow::saveSettings() const {
    QSettings settings;
    settings.beginGroup(kSettingsGroup);
    settings.setValue(QStringLiteral("geometry"), saveGeometry());
    settings.setValue(QStringLiteral("windowState"), saveState());
    settings.setValue(QStringLiteral("peersSplitter"), peersSplitter_->saveState());
    settings.setValue(kPeerHeaderKey, table_->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("eventTableHeader"),
                      eventView_->table()->horizontalHeader()->saveState());
    settings.setValue(QStringLiteral("tab"), tabs_->currentIndex());
    settings.endGroup();
}

void MainWindow::showTab(Tab tab) {
    tabs_->setCurrentIndex(tab);
}

QWidget* MainWindow::tabWidget(Tab tab) const {
    return tabs_->widget(tab);
}

void MainWindow::closeEvent(QCloseEvent* event) {
    saveSettings();
    QMainWindow::closeEvent(event);
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    if (watched == table_->viewport() && event->type() == QEvent::Resize)
        emptyLabel_->setGeometry(table_->viewport()->rect().adjusted(16, 16, -16, -16));
    // Shown before it paints: the table catches up with the ticks it missed while hidden.
    if (watched == table_->viewport() && event->type() == QEvent::Show)
        refreshPeerTable();
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::applySnapshot(const NodeSnapshot& snapshot) {
    latest_ = snapshot;
    // The history always follows (every chart reads it, shown or not); the views below only
    // redraw while they are on screen. The peer table's model feeds only the table: while
    // the Peers tab is not shown it waits, and catches up with the latest snapshot when the
    // table is shown again (diffing a thousand peers was a fifth of every other tab's tick).
    history_->apply(snapshot);
    if (table_->isVisible())
        model_->applySnapshot(snapshot);
    else
        peerTableStale_ = true;
    overview_->applySnapshot(snapshot);
    if (globalChart_->isVisible())
        globalChart_->refresh();
    detail_->applySnapshot(snapshot);      // a no-op while hidden
    relaysPanel_->applySnapshot(snapshot); // a handful of rows: kept current, shown or not
    configEditor_->setRunningConfig(snapshot.config, snapshot.configPath);
    if (labPanel_->isVisible())
        labPanel_->applySnapshot(snapshot);
    tray_->applySnapshot(snapshot);

    countsLabel_->setText(countsText(snapshot.health.peers, snapshot.health.connections));
    updateRates(snapshot);
    updateActions();
}

void MainWindow::applyEvents(const QList<EventSnapshot>& events) {
    eventModel_->append(events);
    detail_->appendEvents(events);
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

void MainWindow::refreshPeerTable() {
    if (!peerTableStale_)
        return;
    peerTableStale_ = false;
    model_->applySnapshot(latest_);
}

const PeerSnapshot* MainWindow::connectedPeer(const QString& peerId) {
    if (peerId.isEmpty())
        return nullptr;
    if (!peerTableStale_) {
        const int row = model_->rowOfPeer(peerId);
        return row >= 0 ? &model_->peerAt(row) : nullptr;
    }
    // The table is behind: the latest snapshot has it, where it was last time first.
    const QList<PeerSnapshot>& peers = latest_.peers;
    if (latestPeerIndex_ >= peers.size() || peers.at(latestPeerIndex_).peerId != peerId) {
        const auto it = std::find_if(peers.cbegin(), peers.cend(), [&](const PeerSnapshot& peer) {
            return peer.peerId == peerId;
        });
        if (it == peers.cend())
            return nullptr;
        latestPeerIndex_ = it - peers.cbegin();
    }
    const PeerSnapshot& peer = peers.at(latestPeerIndex_);
    return peer.connections.isEmpty() ? nullptr : &peer; // the table lists connected peers
}

void MainWindow::updateActions() {
    // A row stays selected while the table waits (hidden): the latest snapshot says whether
    // its peer is still connected.
    const PeerSnapshot* peer = connectedPeer(selectedPeerId());
    const bool hasPeer = peer != nullptr;
    const bool hasEngine = !client_.isNull();
    dialAction_->setEnabled(hasEngine);
    exportAction_->setEnabled(hasEngine);
    pingAction_->setEnabled(hasEngine && hasPeer);
    disconnectAction_->setEnabled(hasEngine && hasPeer);
    copyPeerIdAction_->setEnabled(hasPeer);
    protectAction_->setEnabled(hasEngine && hasPeer);
    protectAction_->setChecked(hasPeer && peer->isProtected);
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

void MainWindow::selectPeer(const QString& peerId) {
    refreshPeerTable();
    const int row = peerId.isEmpty() ? -1 : model_->rowOfPeer(peerId);
    if (row < 0) {
        table_->clearSelection();
        return;
    }
    table_->selectRow(proxy_->mapFromSource(model_->index(row, 0)).row());
}

void MainWindow::updateSelectedPeer() {
    const QString peerId = selectedPeerId();
    if (peerId != detail_->peerId())
        detail_->showPeer(peerId);
}

void MainWindow::openDialDialog() {
    if (!client_)
        return;
    auto* dialog = new DialDialog(client_, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setObjectName(QStringLiteral("dialDialog"));
    connect(dialog, &DialDialog::dialFinished, this,
            [this](const QString& address, const DialOutcome& outcome) {
                if (!outcome.ok) {
                    showMessage(tr("Dial %1 failed: %2").arg(address, outcome.error));
                    return;
                }
                showMessage(tr("Connected to %1 via %2")
                                .arg(PeerTableModel::shortPeerId(outcome.connection.peerId),
                                     outcome.connection.remoteAddr));
            });
    dialog->open(); // window-modal, no nested event loop
}

void MainWindow::openExportDialog() {
    if (!client_)
        return;
    auto* dialog = new ExportDialog(client_, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setObjectName(QStringLiteral("exportDialog"));
    dialog->setCharts(reportChartsFrom(*history_, latest_));
    dialog->open();
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

void MainWindow::toggleProtectSelectedPeer() {
    const QString peerId = selectedPeerId();
    if (peerId.isEmpty() || !client_)
        return;
    const PeerSnapshot* peer = connectedPeer(peerId);
    const bool protect = peer == nullptr || !peer->isProtected;
    client_->setProtected(peerId, protect);
    showMessage((protect ? tr("Protecting %1") : tr("Unprotecting %1"))
                    .arg(PeerTableModel::shortPeerId(peerId)));
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
    menu->addAction(protectAction_);
    menu->addSeparator();
    menu->addAction(copyPeerIdAction_);
    menu->popup(table_->viewport()->mapToGlobal(position)); // popup(), not exec(): no nested loop
}

void MainWindow::showMessage(const QString& message) {
    statusBar()->showMessage(message, kMessageTimeoutMs);
}

} // namespace peerscope
