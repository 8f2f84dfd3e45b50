#include "ui/models/relay_table_model.h"

#include "ui/models/peer_table_model.h"

#include <QBrush>
#include <QColor>
#include <QLocale>
#include <QSet>
#include <algorithm>

namespace peerscope {

namespace {

const QString kNoValue = QStringLiteral("—");

QString humanBytes(quint64 bytes) {
    return QLocale().formattedDataSize(static_cast<qint64>(bytes), 1, QLocale::DataSizeIecFormat);
}

bool isNumeric(int column) {
    return column == RelayTableModel::RttColumn || column == RelayTableModel::CircuitsColumn ||
           column == RelayTableModel::DataColumn;
}

} // namespace

RelayTableModel::RelayTableModel(QObject* parent) : QAbstractTableModel(parent) {}

RelayTableModel::~RelayTableModel() = default;

void RelayTableModel::applySnapshot(const NodeSnapshot& snapshot) {
    applyRelays(snapshot.relays);
}

void RelayTableModel::applyRelays(const QList<RelaySnapshot>& relays) {
    QList<RelaySnapshot> incoming = relays;
    std::sort(incoming.begin(), incoming.end(),
              [](const RelaySnapshot& a, const RelaySnapshot& b) { return a.peerId < b.peerId; });
    QSet<QString> incomingIds;
    for (const RelaySnapshot& relay : incoming)
        incomingIds.insert(relay.peerId);

    // Gone relays first, from the bottom so the rows above keep their numbers.
    bool removed = false;
    for (int row = static_cast<int>(rows_.size()) - 1; row >= 0; --row) {
        if (incomingIds.contains(rows_.at(row).peerId))
            continue;
        beginRemoveRows({}, row, row);
        rows_.removeAt(row);
        endRemoveRows();
        removed = true;
    }
    if (removed)
        rebuildIndex();

    // Both sorted, and every row is still incoming: one pass updates or inserts.
    int row = 0;
    bool inserted = false;
    for (const RelaySnapshot& next : incoming) {
        if (row < rows_.size() && rows_.at(row).peerId == next.peerId) {
            int first = -1;
            int last = -1;
            for (int column = 0; column < ColumnCount; ++column) {
                if (sameCell(rows_.at(row), next, column))
                    continue;
                if (first < 0)
                    first = column;
                last = column;
            }
            rows_[row] = next; // fields no column shows may have changed too
            if (first >= 0)
                Q_EMIT dataChanged(index(row, first), index(row, last));
        } else {
            beginInsertRows({}, row, row);
            rows_.insert(row, next);
            endInsertRows();
            inserted = true;
        }
        ++row;
    }
    if (inserted)
        rebuildIndex();
}

void RelayTableModel::rebuildIndex() {
    rowOfRelay_.clear();
    for (int row = 0; row < rows_.size(); ++row)
        rowOfRelay_.insert(rows_.at(row).peerId, row);
}

int RelayTableModel::rowOfRelay(const QString& peerId) const {
    return rowOfRelay_.value(peerId, -1);
}

QString RelayTableModel::reservationText(const RelaySnapshot& relay) {
    const QString& state = relay.reservation;
    if (state == QLatin1String("reserved")) {
        if (!relay.reservedUntil.isValid())
            return tr("reserved");
        return tr("reserved until %1")
            .arg(relay.reservedUntil.toLocalTime().toString(QStringLiteral("HH:mm")));
    }
    if (state == QLatin1String("reserving"))
        return tr("reserving…");
    if (state == QLatin1String("none"))
        return tr("not reserved");
    // "refused", "failed", "expired": with the reason when there is one.
    return relay.detail.isEmpty() ? state : tr("%1: %2").arg(state, relay.detail);
}

QString RelayTableModel::dataText(const RelaySnapshot& relay) {
    return tr("%1 / %2").arg(humanBytes(relay.circuitBytes), relay.limitDataBytes
                                                                 ? humanBytes(*relay.limitDataBytes)
                                                                 : tr("no limit"));
}

bool RelayTableModel::sameCell(const RelaySnapshot& a, const RelaySnapshot& b, int column) {
    switch (column) {
    case RttColumn:
        return a.rttMs == b.rttMs && a.rttHistoryMs == b.rttHistoryMs &&
               a.probesUnanswered == b.probesUnanswered;
    case ReservationColumn:
        return a.reservation == b.reservation && a.reservedUntil == b.reservedUntil &&
               a.detail == b.detail && a.circuitAddrs == b.circuitAddrs &&
               a.limitDurationSeconds == b.limitDurationSeconds;
    case DataColumn:
        return a.circuitBytes == b.circuitBytes && a.limitDataBytes == b.limitDataBytes;
    case InUseColumn:
        return a.inUse == b.inUse && a.connected == b.connected;
    default:
        return rawValue(a, column) == rawValue(b, column);
    }
}

QVariant RelayTableModel::rawValue(const RelaySnapshot& relay, int column) {
    switch (column) {
    case PeerColumn:
        return relay.peerId;
    case AddressColumn:
        return relay.addr;
    case RttColumn:
        // Invalid sorts after every valid value: unmeasured relays go last.
        return relay.rttMs ? QVariant(*relay.rttMs) : QVariant();
    case ReservationColumn:
        return relay.reservation;
    case CircuitsColumn:
        return relay.circuits;
    case DataColumn:
        return relay.circuitBytes;
    case SourceColumn:
        return relay.source;
    case PreferredColumn:
        return relay.preferred;
    case InUseColumn:
        return relay.inUse;
    default:
        return {};
    }
}

QVariant RelayTableModel::displayValue(const RelaySnapshot& relay, int column) const {
    switch (column) {
    case PeerColumn:
        return PeerTableModel::shortPeerId(relay.peerId);
    case AddressColumn:
        return relay.addr.isEmpty() ? kNoValue : relay.addr;
    case RttColumn:
        return relay.rttMs ? QStringLiteral("%1 ms").arg(*relay.rttMs, 0, 'f', 1) : kNoValue;
    case ReservationColumn:
        return reservationText(relay);
    case CircuitsColumn:
        return relay.circuits;
    case DataColumn:
        return dataText(relay);
    case SourceColumn:
        return relay.source;
    case PreferredColumn:
        return relay.preferred ? tr("★ preferred") : QString();
    case InUseColumn:
        return relay.inUse ? tr("in use") : QString();
    default:
        return {};
    }
}

QVariant RelayTableModel::toolTip(const RelaySnapshot& relay, int column) const {
    switch (column) {
    case PeerColumn:
        return relay.peerId;
    case AddressColumn:
        return relay.addr.isEmpty() ? tr("Known only by its connection") : relay.addr;
    case RttColumn:
        return tr("Last probe: %1\nProbes unanswered in a row: %2\nRecent probes: %3")
            .arg(relay.rttMs ? QStringLiteral("%1 ms").arg(*relay.rttMs, 0, 'f', 2) : kNoValue)
            .arg(relay.probesUnanswered)
            .arg(relay.rttHistoryMs.size());
    case ReservationColumn: {
        QStringList lines{reservationText(relay)};
        if (relay.limitDurationSeconds)
            lines << tr("Each circuit may last %1 s").arg(*relay.limitDurationSeconds);
        for (const QString& addr : relay.circuitAddrs)
            lines << tr("Our address through it: %1").arg(addr);
        return lines.join(QLatin1Char('\n'));
    }
    case DataColumn:
        return tr("Bytes on our circuits through this relay, both ways, against what each circuit "
                  "may carry");
    case InUseColumn:
        return relay.connected ? tr("Connected") : tr("Not connected");
    default:
        return {};
    }
}

int RelayTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int RelayTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RelayTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const RelaySnapshot& relay = rows_.at(index.row());
    const int column = index.column();
    switch (role) {
    case Qt::DisplayRole:
        return displayValue(relay, column);
    case Qt::ToolTipRole:
        return toolTip(relay, column);
    case Qt::ForegroundRole:
        if (column != ReservationColumn)
            return {};
        if (relay.reservation == QLatin1String("refused") ||
            relay.reservation == QLatin1String("failed"))
            return QBrush(QColor(0xc0, 0x1c, 0x28));
        if (relay.reservation == QLatin1String("reserved"))
            return QBrush(QColor(0x2e, 0xa0, 0x43));
        return {};
    case Qt::TextAlignmentRole:
        return isNumeric(column) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                 : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    case PeerIdRole:
        return relay.peerId;
    case SortRole:
        return rawValue(relay, column);
    case RttHistoryRole:
        return column == RttColumn ? QVariant::fromValue(relay.rttHistoryMs) : QVariant();
    default:
        return {};
    }
}

QVariant RelayTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::TextAlignmentRole)
        return isNumeric(section) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                  : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case PeerColumn:
            return tr("Relay");
        case AddressColumn:
            return tr("Address");
        case RttColumn:
            return tr("RTT");
        case ReservationColumn:
            return tr("Reservation");
        case CircuitsColumn:
            return tr("Circuits");
        case DataColumn:
            return tr("Data used / limit");
        case SourceColumn:
            return tr("Source");
        case PreferredColumn:
            return tr("Preferred");
        case InUseColumn:
            return tr("In use");
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case PeerColumn:
            return tr("The relay's peer ID");
        case AddressColumn:
            return tr("How this node reaches the relay");
        case RttColumn:
            return tr("Round trip of the last probe to the relay, and the recent ones");
        case ReservationColumn:
            return tr("Our reservation on the relay: what lets peers reach us through it");
        case CircuitsColumn:
            return tr("Our relayed connections through it");
        case DataColumn:
            return tr("Bytes on our circuits through it, against the data limit of a circuit");
        case SourceColumn:
            return tr("static: from the config or added by hand; automatic: found by identify");
        case PreferredColumn:
            return tr("Chosen with \"Use this relay\": held whenever reachable");
        case InUseColumn:
            return tr("Chosen: this node holds, or is making, a reservation there");
        default:
            return {};
        }
    }
    return {};
}

Qt::ItemFlags RelayTableModel::flags(const QModelIndex& index) const {
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemNeverHasChildren;
}

} // namespace peerscope
