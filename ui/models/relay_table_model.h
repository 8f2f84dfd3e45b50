#pragma once

#include "engine/api/snapshot.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

namespace peerscope {

// The relays the engine's relay manager knows (circuit relay v2, our side), one row per relay,
// fed by snapshots. applySnapshot() applies a diff like the peer table: rows stay in peer-id
// order, relays that come are inserted, relays that go are removed, and dataChanged covers
// only the cells that changed; never a reset on a live update.
class RelayTableModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RelayTableModel)

public:
    enum Column {
        PeerColumn,        // short id; full id in the tooltip
        AddressColumn,     // how we reach it
        RttColumn,         // last probe RTT; RttHistoryRole feeds the sparkline
        ReservationColumn, // "reserved until 14:03", "refused: ...", ...
        CircuitsColumn,    // our relayed connections through it
        DataColumn,        // bytes on those circuits / the per-circuit data limit
        SourceColumn,      // "static" | "automatic"
        PreferredColumn,   // "★ preferred" when the user chose it
        InUseColumn,       // "in use" when we hold, or are making, a reservation there
        ColumnCount
    };

    enum Role {
        // The relay's full peer id, in every column.
        PeerIdRole = Qt::UserRole,
        // A raw value to sort on (numbers as numbers); invalid when there is no value.
        SortRole = Qt::UserRole + 1,
        // RttColumn: the last probes' round trips in ms, oldest first (QList<double>).
        RttHistoryRole = Qt::UserRole + 2,
    };

    explicit RelayTableModel(QObject* parent = nullptr);
    ~RelayTableModel() override;

    void applySnapshot(const NodeSnapshot& snapshot);
    void applyRelays(const QList<RelaySnapshot>& relays);

    int rowOfRelay(const QString& peerId) const;
    const RelaySnapshot& relayAt(int row) const { return rows_.at(row); }

    // What the Reservation column says: "reserved until 14:03", "refused: <why>", ...
    static QString reservationText(const RelaySnapshot& relay);
    // What the Data column says: "1.2 KiB / 128.0 KiB", "1.2 KiB / no limit".
    static QString dataText(const RelaySnapshot& relay);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    static bool sameCell(const RelaySnapshot& a, const RelaySnapshot& b, int column);
    QVariant displayValue(const RelaySnapshot& relay, int column) const;
    QVariant toolTip(const RelaySnapshot& relay, int column) const;
    static QVariant rawValue(const RelaySnapshot& relay, int column);
    void rebuildIndex();

    QList<RelaySnapshot> rows_; // sorted by peerId
    QHash<QString, int> rowOfRelay_;
};

} // namespace peerscope
