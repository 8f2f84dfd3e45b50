#pragma once

#include "engine/api/snapshot.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>
#include <array>
#include <optional>
#include <vector>

namespace peerscope {

// The connected peers of one node, one row per peer, fed by engine snapshots.
// applySnapshot() applies a diff (inserts, removals, dataChanged over the changed cells only)
// so views keep their selection, scroll position and sort order across the 4 Hz updates.
// Rows are kept in peer-id order: a peer's row never moves while it stays connected.
// Per-peer figures are aggregated once per snapshot, so an update costs O(peers), not
// O(peers x columns x connections); text is formatted only when a view asks for it.
class PeerTableModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PeerTableModel)

public:
    // Stable from here on: the main window saves header state by column index, so new
    // columns go before ColumnCount and existing ones keep their place.
    enum Column {
        PeerColumn,          // short id; full id in the tooltip
        AgentColumn,         // agent version
        ConnectionsColumn,   // open connections
        DirectionColumn,     // "inbound", "outbound" or "both"
        PathColumn,          // "direct", or "relayed via <relay>" when every connection is relayed
        RttColumn,           // best smoothed RTT of its connections, else the last ping
        HealthColumn,        // lowest connection health score, 0..1 (HealthRole)
        StateColumn,         // worst connection health state
        RateInColumn,        // bytes/s received over the last second, all connections
        RateOutColumn,       // bytes/s sent over the last second
        StreamsColumn,       // open streams
        ProtocolsColumn,     // number of protocols; the list in the tooltip
        RemoteAddressColumn, // the oldest connection's remote address (extra)
        BytesInColumn,       // total bytes received over the open connections (extra)
        BytesOutColumn,      // total bytes sent (extra)
        ColumnCount
    };

    enum Role {
        // Qt::UserRole: the full peer id, in every column.
        PeerIdRole = Qt::UserRole,
        // A raw value to sort on (numbers as numbers); invalid when there is no value.
        SortRole = Qt::UserRole + 1,
        // The text a filter matches: full peer id, agent, direction, path, state, every
        // remote address, protocols.
        FilterRole = Qt::UserRole + 2,
        // HealthColumn: the score as a double 0..1, for HealthBarDelegate.
        HealthRole = Qt::UserRole + 3,
        // RttColumn: -1 falling, 0 steady, +1 rising over the last few measurements (int).
        TrendRole = Qt::UserRole + 4,
    };

    // Severity order: the worst of a peer's connections is the peer's state.
    enum class HealthState { Healthy, Degraded, Failed };

    explicit PeerTableModel(QObject* parent = nullptr);
    ~PeerTableModel() override;

    void applySnapshot(const NodeSnapshot& snapshot);

    // The row of a peer, or -1.
    int rowOfPeer(const QString& peerId) const;
    // The peer shown in a row (row must be valid).
    const PeerSnapshot& peerAt(int row) const { return *rows_.at(row).peer; }

    // "12D3…abcdef": enough to tell peers apart at a glance.
    static QString shortPeerId(const QString& peerId);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    // What the columns show, aggregated over a peer's connections once per snapshot.
    struct PeerFigures {
        int connections = 0;
        bool inbound = false;
        bool outbound = false;
        int relayedConnections = 0;
        QString relayPeerId; // of the first relayed connection
        std::optional<double> rttMs;
        bool rttSmoothed = false; // from the health monitor rather than the last ping
        double health = 1.0;
        HealthState state = HealthState::Healthy;
        double rateIn = 0;
        double rateOut = 0;
        int streams = 0;
        quint64 bytesIn = 0;
        quint64 bytesOut = 0;
    };

    // The last few distinct RTT values of a peer, oldest first, for the trend arrow.
    struct RttHistory {
        static constexpr int kCapacity = 5;
        std::array<double, kCapacity> samples{};
        int count = 0;

        // Records `rttMs` if it differs from the newest sample; clears on no value.
        void record(const std::optional<double>& rttMs);
        int trend() const;
    };

    struct Row {
        const PeerSnapshot* peer; // into peers_
        PeerFigures figures;
        RttHistory rtt;
    };

    // sameConnections: the row's figures when the peer has the same connections (ids,
    // addresses, directions) as the row, so the per-connection string tests can be skipped.
    static PeerFigures figuresOf(const PeerSnapshot& peer, const PeerFigures* sameConnections);
    static quint32 changedColumns(const Row& before, const PeerSnapshot& peer,
                                  const PeerFigures& figures, const RttHistory& rtt,
                                  bool sameConnections);
    QVariant displayValue(const Row& row, int column) const;
    QVariant toolTip(const Row& row, int column) const;
    static QVariant rawValue(const Row& row, int column);
    static QString filterText(const Row& row, int column);

    void updateKnownPeers(const QList<const PeerSnapshot*>& incomingOfRow);
    void removeGonePeers(const QList<const PeerSnapshot*>& incomingOfRow);
    void insertNewPeers(QList<const PeerSnapshot*> fresh);
    void rebuildIndex();

    QList<PeerSnapshot> peers_; // the latest snapshot's, shared with it
    QList<Row> rows_;           // sorted by peerId
    QHash<QString, int> rowOfPeer_;
    // The row each position of the previous snapshot's peer list went to; -1 for none.
    std::vector<int> rowOfPosition_;
    // applySnapshot()'s pairing of rows with incoming peers (nullptr: gone).
    QList<const PeerSnapshot*> incomingOfRow_;
};

} // namespace peerscope
