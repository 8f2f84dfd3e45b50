#pragma once

#include "engine/api/snapshot.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

namespace peerscope {

// The connected peers of one node, one row per peer, fed by engine snapshots.
// applySnapshot() applies a diff (inserts, removals, dataChanged over the changed cells only)
// so views keep their selection, scroll position and sort order across the 4 Hz updates.
// Rows are kept in peer-id order: a peer's row never moves while it stays connected.
class PeerTableModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PeerTableModel)

public:
    enum Column {
        PeerColumn,
        AgentColumn,
        ConnectionsColumn,
        DirectionColumn,
        RemoteAddressColumn,
        RttColumn,
        StreamsColumn,
        BytesInColumn,
        BytesOutColumn,
        ProtocolsColumn,
        ColumnCount
    };

    enum Role {
        // Qt::UserRole: the full peer id, in every column.
        PeerIdRole = Qt::UserRole,
        // A raw value to sort on (numbers as numbers); invalid when there is no value.
        SortRole = Qt::UserRole + 1,
        // The text a filter matches: full peer id, agent, every remote address, protocols.
        FilterRole = Qt::UserRole + 2,
    };

    explicit PeerTableModel(QObject* parent = nullptr);
    ~PeerTableModel() override;

    void applySnapshot(const NodeSnapshot& snapshot);

    // The row of a peer, or -1.
    int rowOfPeer(const QString& peerId) const;
    // The peer shown in a row (row must be valid).
    const PeerSnapshot& peerAt(int row) const { return rows_.at(row); }

    // "12D3…abcdef": enough to tell peers apart at a glance.
    static QString shortPeerId(const QString& peerId);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    void removeGonePeers(const QHash<QString, const PeerSnapshot*>& incoming);
    void updateKnownPeers(const QHash<QString, const PeerSnapshot*>& incoming);
    void insertNewPeers(QList<const PeerSnapshot*> fresh);
    void rebuildIndex();

    QList<PeerSnapshot> rows_; // sorted by peerId
    QHash<QString, int> rowOfPeer_;
};

} // namespace peerscope
