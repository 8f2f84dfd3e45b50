#pragma once

#include "engine/api/snapshot.h"

#include <QAbstractTableModel>
#include <QList>
#include <QSet>
#include <QStringList>

namespace peerscope {

// The engine's lifecycle events and errors, oldest first, one row per event. Append-only and
// capped: past the capacity the oldest rows are dropped (beginRemoveRows), never a reset.
// Events are appended in seq order; a seq at or below the newest one seen is ignored, so the
// initial backlog (EngineClient::events) and the per-tick eventsAppended can overlap.
class EventLogModel final : public QAbstractTableModel {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventLogModel)

public:
    static constexpr int kDefaultCapacity = 5000;

    enum Column { TimeColumn, KindColumn, PeerColumn, ConnectionColumn, DetailColumn, ColumnCount };

    enum Role {
        // The full peer id (empty for node-wide events), in every column.
        PeerIdRole = Qt::UserRole,
        // A raw value to sort on: the seq for Time, the id for Connection, else the text.
        SortRole = Qt::UserRole + 1,
        // The text a filter matches: kind, full peer id, connection id, detail.
        FilterRole = Qt::UserRole + 2,
        // The event's kind ("failed", "dial_failed", ...), in every column.
        KindRole = Qt::UserRole + 3,
    };

    explicit EventLogModel(int capacity = kDefaultCapacity, QObject* parent = nullptr);
    ~EventLogModel() override;

    void append(const QList<EventSnapshot>& events);
    // Drops every row (the user's Clear); events already seen stay ignored.
    void clear();

    int capacity() const { return capacity_; }
    // The newest seq seen, 0 before any.
    quint64 lastSeq() const { return lastSeq_; }
    const EventSnapshot& eventAt(int row) const { return rows_.at(row); }
    // Every kind seen so far, sorted.
    QStringList kinds() const;

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    Qt::ItemFlags flags(const QModelIndex& index) const override;

Q_SIGNALS:
    // A kind appeared for the first time (for a kind filter's list).
    void kindAdded(const QString& kind);

private:
    int capacity_;
    quint64 lastSeq_ = 0;
    QList<EventSnapshot> rows_; // oldest first; QList drops from the front without moving
    QSet<QString> kinds_;
};

} // namespace peerscope
