#include "ui/models/event_log_model.h"

#include "ui/models/peer_table_model.h"

#include <QBrush>
#include <QColor>
#include <QFontDatabase>
#include <algorithm>

namespace peerscope {

namespace {

bool isFailure(const QString& kind) {
    return kind == QLatin1String("failed") || kind == QLatin1String("dial_failed");
}

} // namespace

EventLogModel::EventLogModel(int capacity, QObject* parent)
    : QAbstractTableModel(parent), capacity_(std::max(capacity, 1)) {}

EventLogModel::~EventLogModel() = default;

void EventLogModel::append(const QList<EventSnapshot>& events) {
    // The engine hands them over oldest first; sort a copy only if something is out of order.
    QList<EventSnapshot> batch;
    const QList<EventSnapshot>* source = &events;
    if (!std::is_sorted(
            events.cbegin(), events.cend(),
            [](const EventSnapshot& a, const EventSnapshot& b) { return a.seq < b.seq; })) {
        batch = events;
        std::stable_sort(
            batch.begin(), batch.end(),
            [](const EventSnapshot& a, const EventSnapshot& b) { return a.seq < b.seq; });
        source = &batch;
    }
    const auto firstNew =
        std::upper_bound(source->cbegin(), source->cend(), lastSeq_,
                         [](quint64 seq, const EventSnapshot& event) { return seq < event.seq; });
    qsizetype fresh = source->cend() - firstNew;
    if (fresh == 0)
        return;
    // More than fit: only the newest capacity_ of them are ever shown.
    auto from = firstNew;
    if (fresh > capacity_) {
        from += fresh - capacity_;
        fresh = capacity_;
    }

    const qsizetype overflow = rows_.size() + fresh - capacity_;
    if (overflow > 0) {
        beginRemoveRows({}, 0, static_cast<int>(overflow) - 1);
        rows_.remove(0, overflow);
        endRemoveRows();
    }

    const int first = static_cast<int>(rows_.size());
    beginInsertRows({}, first, first + static_cast<int>(fresh) - 1);
    QStringList newKinds;
    for (auto it = from; it != source->cend(); ++it) {
        rows_.append(*it);
        if (!kinds_.contains(it->kind)) {
            kinds_.insert(it->kind);
            newKinds << it->kind;
        }
    }
    // Skipped (beyond the capacity) events still count as seen.
    lastSeq_ = (source->cend() - 1)->seq;
    endInsertRows();
    for (const QString& kind : newKinds)
        Q_EMIT kindAdded(kind);
}

void EventLogModel::clear() {
    if (rows_.isEmpty())
        return;
    beginRemoveRows({}, 0, static_cast<int>(rows_.size()) - 1);
    rows_.clear();
    endRemoveRows();
}

QStringList EventLogModel::kinds() const {
    QStringList sorted(kinds_.cbegin(), kinds_.cend());
    sorted.sort();
    return sorted;
}

int EventLogModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int EventLogModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant EventLogModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const EventSnapshot& event = rows_.at(index.row());
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case TimeColumn:
            return event.at.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz"));
        case KindColumn:
            return event.kind;
        case PeerColumn:
            return PeerTableModel::shortPeerId(event.peerId);
        case ConnectionColumn:
            return event.connectionId ? QVariant(event.connectionId) : QVariant();
        case DetailColumn:
            return event.detail;
        default:
            return {};
        }
    case Qt::ToolTipRole:
        switch (column) {
        case TimeColumn:
            return tr("%1 (event %2)")
                .arg(event.at.toUTC().toString(Qt::ISODateWithMs))
                .arg(event.seq);
        case PeerColumn:
            return event.peerId.isEmpty() ? QVariant() : QVariant(event.peerId);
        case DetailColumn:
            return event.detail.isEmpty() ? QVariant() : QVariant(event.detail);
        default:
            return {};
        }
    case PeerIdRole:
        return event.peerId;
    case KindRole:
        return event.kind;
    case SortRole:
        switch (column) {
        case TimeColumn:
            return event.seq;
        case ConnectionColumn:
            return event.connectionId;
        case PeerColumn:
            return event.peerId;
        default:
            return data(index, Qt::DisplayRole);
        }
    case FilterRole:
        switch (column) {
        case KindColumn:
            return event.kind;
        case PeerColumn:
            return event.peerId;
        case ConnectionColumn:
            return event.connectionId ? QString::number(event.connectionId) : QString();
        case DetailColumn:
            return event.detail;
        default:
            return {};
        }
    case Qt::ForegroundRole:
        if (column == KindColumn && isFailure(event.kind))
            return QBrush(QColor(200, 40, 40));
        return {};
    case Qt::TextAlignmentRole:
        return column == ConnectionColumn ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                          : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::FontRole:
        if (column == PeerColumn || column == TimeColumn)
            return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    default:
        return {};
    }
}

QVariant EventLogModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const bool tip = role == Qt::ToolTipRole;
    switch (section) {
    case TimeColumn:
        return tip ? tr("Local time of the event (hover for UTC)") : tr("Time");
    case KindColumn:
        return tip ? tr("What happened: opened, closed, degraded, failed, recovered, dial_failed, "
                        "backoff, retry, …")
                   : tr("Kind");
    case PeerColumn:
        return tip ? tr("The peer concerned (hover for the full ID); empty for the whole node")
                   : tr("Peer");
    case ConnectionColumn:
        return tip ? tr("The connection concerned, if any") : tr("Connection");
    case DetailColumn:
        return tip ? tr("Details: the error, the backoff delay, the address…") : tr("Detail");
    default:
        return {};
    }
}

Qt::ItemFlags EventLogModel::flags(const QModelIndex& index) const {
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemNeverHasChildren;
}

} // namespace peerscope
