#pragma once

#include "engine/api/snapshot.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QList>

namespace peerscope {

// The connections of one peer, one row each, kept in id order (a row never moves while its
// connection stays open). applyConnections() applies a diff like PeerTableModel: removals
// and insertions for membership, dataChanged over only the changed cells, never a reset, so
// a view keeps its selection and sort order across the 4 Hz updates.
class ConnectionTableModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionTableModel)

public:
    enum Column {
        IdColumn,
        DirectionColumn,
        RemoteAddressColumn,
        StateColumn,
        HealthScoreColumn,
        RttColumn,
        JitterColumn,
        SuccessRateColumn,
        StreamsColumn,
        FailedStreamsColumn,
        RateInColumn,
        RateOutColumn,
        AgeColumn,
        DrainingColumn,
        RelayColumn, // "via <short relay id>" and what is left of its limit; empty: direct
        ColumnCount
    };

    enum Role {
        // The connection id (quint64), in every column.
        ConnectionIdRole = Qt::UserRole,
        // A raw value to sort on (numbers as numbers); invalid when there is no value.
        SortRole = Qt::UserRole + 1,
    };

    explicit ConnectionTableModel(QObject* parent = nullptr);
    ~ConnectionTableModel() override;

    // The peer's connections as the latest snapshot has them (any order).
    void applyConnections(const QList<ConnectionSnapshot>& connections);

    // The row of a connection, or -1.
    int rowOfConnection(quint64 connectionId) const;
    // The connection shown in a row (row must be valid).
    const ConnectionSnapshot& connectionAt(int row) const { return rows_.at(row); }

    // "1.5 KiB/s", "12 s", "3 min 05 s", "2 h 07 min": shared with the detail pane.
    static QString formatRate(double bytesPerSecond);
    static QString formatAge(double seconds);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

private:
    void removeGone(const QHash<quint64, const ConnectionSnapshot*>& incoming);
    void updateKnown(const QHash<quint64, const ConnectionSnapshot*>& incoming);
    void insertNew(QList<const ConnectionSnapshot*> fresh);
    void rebuildIndex();

    QList<ConnectionSnapshot> rows_; // sorted by id
    QHash<quint64, int> rowOfConnection_;
};

} // namespace peerscope
