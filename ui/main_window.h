#pragma once

#include "engine/api/snapshot.h"

#include <QDateTime>
#include <QList>
#include <QMainWindow>
#include <QPointer>
#include <memory>

class QAction;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QSplitter;
class QTabWidget;
class QTableView;

namespace peerscope {

class BandwidthChartView;
class ConfigEditorWidget;
class EngineClient;
class EventLogModel;
class EventLogView;
class HistoryStore;
class LabPanel;
class NodeOverviewWidget;
class PeerDetailWidget;
class PeerTableModel;
class RelaysPanel;
class TrayNotifier;

// The desktop window. Tabs: Overview (this node, totals, health, relays, the global bandwidth
// chart), Peers (the live peer table and the selected peer's detail pane), Relays (the relays
// we reserve on, and their actions), Events, Config (the live config editor) and Lab. Everything
// engine-side goes through the injected EngineClient; snapshots arrive at 4 Hz and are applied as
// diffs; nothing here blocks; a tab that is not shown is not redrawn.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    // The tabs, in order; also the values of tabIndex().
    enum Tab { OverviewTab, PeersTab, RelaysTab, EventsTab, ConfigTab, LabTab, TabCount };

    explicit MainWindow(EngineClient* client, QWidget* parent = nullptr);
    ~MainWindow() override;

    void showTab(Tab tab);
    QWidget* tabWidget(Tab tab) const;

    // What the engine's ticks call (queued); public so a benchmark can drive the window.
    void applySnapshot(const NodeSnapshot& snapshot);
    void applyEvents(const QList<EventSnapshot>& events);
    // The selected peer in the Peers tab (empty to clear).
    void selectPeer(const QString& peerId);

protected:
    void closeEvent(QCloseEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void createActions();
    void createMenus();
    void createTabs();
    QWidget* createOverviewTab();
    QWidget* createPeersTab();
    void createStatusBar();
    void connectEngine();
    void setDefaultColumnWidths();
    void restoreSettings();
    void saveSettings() const;

    void updateRates(const NodeSnapshot& snapshot);
    // Applies the latest snapshot to the peer table's model if it skipped ticks while hidden.
    void refreshPeerTable();
    // The connected peer with this id as the table has it (or, while the table waits, as the
    // latest snapshot has it); nullptr when not connected.
    const PeerSnapshot* connectedPeer(const QString& peerId);
    void updateActions();
    void updateEmptyState();
    void updateSelectedPeer();
    QString selectedPeerId() const;

    void openDialDialog();
    void openExportDialog();
    void pingSelectedPeer();
    void disconnectSelectedPeer();
    void copySelectedPeerId();
    void toggleProtectSelectedPeer();
    void showTableMenu(const QPoint& position);
    void showMessage(const QString& message);

    QPointer<EngineClient> client_;
    std::unique_ptr<HistoryStore> history_;
    PeerTableModel* model_;
    QSortFilterProxyModel* proxy_;
    EventLogModel* eventModel_;
    QTabWidget* tabs_ = nullptr;
    NodeOverviewWidget* overview_ = nullptr;
    BandwidthChartView* globalChart_ = nullptr;
    QSplitter* peersSplitter_ = nullptr;
    QTableView* table_ = nullptr;
    QLineEdit* filterEdit_ = nullptr;
    QLabel* emptyLabel_ = nullptr;
    PeerDetailWidget* detail_ = nullptr;
    RelaysPanel* relaysPanel_ = nullptr;
    EventLogView* eventView_ = nullptr;
    ConfigEditorWidget* configEditor_ = nullptr;
    LabPanel* labPanel_ = nullptr;
    TrayNotifier* tray_ = nullptr;
    QLabel* countsLabel_ = nullptr;
    QLabel* ratesLabel_ = nullptr;

    QAction* dialAction_ = nullptr;
    QAction* exportAction_ = nullptr;
    QAction* pingAction_ = nullptr;
    QAction* disconnectAction_ = nullptr;
    QAction* protectAction_ = nullptr;
    QAction* copyPeerIdAction_ = nullptr;
    QAction* quitAction_ = nullptr;
    QAction* aboutAction_ = nullptr;

    NodeSnapshot latest_;         // what the views last showed, for exports and the protect action
    bool peerTableStale_ = false; // the model has not seen latest_ (the table is hidden)
    qsizetype latestPeerIndex_ = 0; // where connectedPeer() last found its peer in latest_

    // Recent (time, bytes in, bytes out) counter samples: the status bar rates are averaged
    // over about a second so the 4 Hz ticks do not make them flicker.
    struct RateSample {
        QDateTime at;
        quint64 bytesIn = 0;
        quint64 bytesOut = 0;
    };
    QList<RateSample> rateSamples_;
};

} // namespace peerscope
