#pragma once

#include "engine/api/snapshot.h"
#include "ui/charts/ring_buffer.h"

#include <QHash>
#include <QList>
#include <QString>
#include <QWidget>
#include <vector>

class QLabel;
class QPushButton;
class QSortFilterProxyModel;
class QStackedWidget;
class QTabWidget;
class QTableView;
class QTreeWidget;

namespace peerscope {

class BandwidthChartView;
class ConnectionTableModel;
class HistoryStore;
class LatencyChartView;

// The detail pane for one selected peer: a header (short id, agent, protected badge), its
// connections, a latency chart (the selected connection, else the first), a bandwidth chart
// (the selected connection, else the whole peer) and the peer's event and error history.
// Actions are signals the main window wires to EngineClient; "copy multiaddr" copies the
// connection's remote address + /p2p/<peer id> itself.
//
// applySnapshot() is meant to follow HistoryStore::apply() on the same snapshot. While the
// pane is hidden it only keeps the snapshot (a shared copy) and refreshes when shown again.
class PeerDetailWidget final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PeerDetailWidget)

public:
    // The most recent events kept for peers not shown yet, and history rows per peer.
    static constexpr std::size_t kEventLogCapacity = 2000;
    static constexpr std::size_t kHistoryCapacity = 500;

    explicit PeerDetailWidget(const HistoryStore& history, QWidget* parent = nullptr);
    ~PeerDetailWidget() override;

    // Empty: nothing selected (a placeholder text).
    void showPeer(const QString& peerId);
    QString peerId() const { return peerId_; }

    void applySnapshot(const NodeSnapshot& snapshot);
    // Every new event; those about the shown peer go into its history, the rest are kept
    // (the newest kEventLogCapacity) for when another peer is shown.
    void appendEvents(const QList<EventSnapshot>& events);

    // The selected connection, 0 when none is.
    quint64 selectedConnectionId() const;
    // What "ping now", "copy multiaddr" and the latency chart act on: the selected
    // connection, else the first (lowest id), 0 when the peer has none.
    quint64 actionConnectionId() const;

    ConnectionTableModel* connectionModel() const { return model_; }
    QTableView* connectionTable() const { return table_; }
    LatencyChartView* latencyChart() const { return latency_; }
    BandwidthChartView* bandwidthChart() const { return bandwidth_; }
    QTreeWidget* historyList() const { return historyList_; }

Q_SIGNALS:
    void pingNowRequested(quint64 connectionId);
    void closeConnectionRequested(quint64 connectionId);
    void disconnectRequested(const QString& peerId);
    void protectRequested(const QString& peerId, bool isProtected);
    // After "copy multiaddr" put `multiaddr` on the clipboard (for a status message).
    void multiaddrCopied(const QString& multiaddr);

protected:
    void showEvent(QShowEvent* event) override;

private:
    struct HistoryEntry {
        qint64 atMs = 0;
        QString kind;
        quint64 connectionId = 0;
        QString detail;
    };
    // An error already in the history, to recognise it in the next snapshot's list.
    struct KnownError {
        qint64 atMs = 0;
        QString category;
        QString message;
    };

    QWidget* createHeader();
    QWidget* createActions();
    QWidget* createHistoryList();

    void refresh();
    const PeerSnapshot* findPeer();
    void updateHeader(const PeerSnapshot* peer);
    void collectErrors(const PeerSnapshot* peer);
    void updateTargets();
    void clearConnectionSelection();
    void updateActions();

    void addHistoryEntry(HistoryEntry entry);
    void rebuildHistoryList();
    void insertHistoryItem(int row, const HistoryEntry& entry);

    void copyMultiaddr();

    const HistoryStore& history_;
    QString peerId_;
    NodeSnapshot latest_;
    qsizetype peerIndex_ = 0; // where the shown peer was in latest_.peers, the first guess
    bool stale_ = false;
    bool historyStale_ = false;
    bool peerConnected_ = false;
    bool peerProtected_ = false;
    bool peerKnown_ = false;
    bool columnsFitted_ = false;

    RingBuffer<EventSnapshot> eventLog_;
    std::vector<HistoryEntry> entries_; // the shown peer's, oldest first
    QHash<quint64, QList<KnownError>> knownErrors_;

    QStackedWidget* stack_;
    QLabel* placeholder_;
    QLabel* peerIdLabel_;
    QLabel* agentLabel_;
    QLabel* protectedBadge_;
    QLabel* statusLabel_;
    QPushButton* pingButton_;
    QPushButton* closeButton_;
    QPushButton* disconnectButton_;
    QPushButton* protectButton_;
    QPushButton* copyButton_;
    ConnectionTableModel* model_;
    QSortFilterProxyModel* proxy_;
    QTableView* table_;
    QTabWidget* tabs_;
    LatencyChartView* latency_;
    BandwidthChartView* bandwidth_;
    QTreeWidget* historyList_;
};

} // namespace peerscope
