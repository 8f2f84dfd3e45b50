#include "ui/models/peer_table_model.h"

#include <QFontDatabase>
#include <QLocale>
#include <algorithm>

namespace peerscope {

namespace {

const QString kNoValue = QStringLiteral("—");

bool lessById(const PeerSnapshot& peer, const QString& id) {
    return peer.peerId < id;
}

// The peer's oldest connection (lowest id): stable while it stays open.
const ConnectionSnapshot* firstConnection(const PeerSnapshot& peer) {
    const auto it = std::min_element(
        peer.connections.cbegin(), peer.connections.cend(),
        [](const ConnectionSnapshot& a, const ConnectionSnapshot& b) { return a.id < b.id; });
    return it == peer.connections.cend() ? nullptr : &*it;
}

QString remoteAddress(const PeerSnapshot& peer) {
    const ConnectionSnapshot* first = firstConnection(peer);
    return first ? first->remoteAddr : QString();
}

QString direction(const PeerSnapshot& peer) {
    bool in = false;
    bool out = false;
    for (const ConnectionSnapshot& connection : peer.connections) {
        if (connection.direction == QLatin1String("inbound"))
            in = true;
        else
            out = true;
    }
    if (in && out)
        return QStringLiteral("both");
    if (in)
        return QStringLiteral("in");
    return out ? QStringLiteral("out") : QString();
}

int streams(const PeerSnapshot& peer) {
    int total = 0;
    for (const ConnectionSnapshot& connection : peer.connections)
        total += connection.streams;
    return total;
}

quint64 bytesIn(const PeerSnapshot& peer) {
    quint64 total = 0;
    for (const ConnectionSnapshot& connection : peer.connections)
        total += connection.bytesIn;
    return total;
}

quint64 bytesOut(const PeerSnapshot& peer) {
    quint64 total = 0;
    for (const ConnectionSnapshot& connection : peer.connections)
        total += connection.bytesOut;
    return total;
}

QString allRemoteAddresses(const PeerSnapshot& peer) {
    QStringList lines;
    for (const ConnectionSnapshot& connection : peer.connections)
        lines << QStringLiteral("%1 (%2)").arg(connection.remoteAddr, connection.direction);
    return lines.join(QLatin1Char('\n'));
}

QString humanBytes(quint64 bytes) {
    return QLocale().formattedDataSize(static_cast<qint64>(bytes), 1, QLocale::DataSizeIecFormat);
}

// The raw value behind a cell: what it sorts on.
QVariant rawValue(const PeerSnapshot& peer, int column) {
    switch (column) {
    case PeerTableModel::PeerColumn:
        return peer.peerId;
    case PeerTableModel::AgentColumn:
        return peer.agentVersion;
    case PeerTableModel::ConnectionsColumn:
        return static_cast<int>(peer.connections.size());
    case PeerTableModel::DirectionColumn:
        return direction(peer);
    case PeerTableModel::RemoteAddressColumn:
        return remoteAddress(peer);
    case PeerTableModel::RttColumn:
        // Invalid sorts after every valid value: unmeasured peers go last.
        return peer.lastPingRttMs ? QVariant(*peer.lastPingRttMs) : QVariant();
    case PeerTableModel::StreamsColumn:
        return streams(peer);
    case PeerTableModel::BytesInColumn:
        return bytesIn(peer);
    case PeerTableModel::BytesOutColumn:
        return bytesOut(peer);
    case PeerTableModel::ProtocolsColumn:
        return static_cast<int>(peer.protocols.size());
    default:
        return {};
    }
}

// Whether a cell (any of its roles) would look different.
bool sameCell(const PeerSnapshot& a, const PeerSnapshot& b, int column) {
    switch (column) {
    case PeerTableModel::AgentColumn:
        return a.agentVersion == b.agentVersion && a.protocolVersion == b.protocolVersion;
    case PeerTableModel::RemoteAddressColumn:
        return allRemoteAddresses(a) == allRemoteAddresses(b);
    case PeerTableModel::ProtocolsColumn:
        return a.protocols == b.protocols;
    default:
        return rawValue(a, column) == rawValue(b, column);
    }
}

bool isNumeric(int column) {
    switch (column) {
    case PeerTableModel::ConnectionsColumn:
    case PeerTableModel::RttColumn:
    case PeerTableModel::StreamsColumn:
    case PeerTableModel::BytesInColumn:
    case PeerTableModel::BytesOutColumn:
    case PeerTableModel::ProtocolsColumn:
        return true;
    default:
        return false;
    }
}

} // namespace

PeerTableModel::PeerTableModel(QObject* parent) : QAbstractTableModel(parent) {}

PeerTableModel::~PeerTableModel() = default;

QString PeerTableModel::shortPeerId(const QString& peerId) {
    if (peerId.size() <= 12)
        return peerId;
    return peerId.left(4) + QStringLiteral("…") + peerId.right(6);
}

int PeerTableModel::rowOfPeer(const QString& peerId) const {
    return rowOfPeer_.value(peerId, -1);
}

void PeerTableModel::applySnapshot(const NodeSnapshot& snapshot) {
    // Only peers with an open connection are shown; the engine also reports peers it merely
    // knows about (identify records kept after a disconnect).
    QHash<QString, const PeerSnapshot*> incoming;
    incoming.reserve(snapshot.peers.size());
    for (const PeerSnapshot& peer : snapshot.peers) {
        if (!peer.connections.isEmpty())
            incoming.insert(peer.peerId, &peer);
    }

    removeGonePeers(incoming);
    updateKnownPeers(incoming);

    QList<const PeerSnapshot*> fresh;
    for (auto it = incoming.cbegin(); it != incoming.cend(); ++it) {
        if (!rowOfPeer_.contains(it.key()))
            fresh << it.value();
    }
    if (!fresh.isEmpty())
        insertNewPeers(std::move(fresh));
}

void PeerTableModel::removeGonePeers(const QHash<QString, const PeerSnapshot*>& incoming) {
    bool removed = false;
    // From the back, one beginRemoveRows per contiguous run of gone rows.
    for (int last = static_cast<int>(rows_.size()) - 1; last >= 0; --last) {
        if (incoming.contains(rows_.at(last).peerId))
            continue;
        int first = last;
        while (first > 0 && !incoming.contains(rows_.at(first - 1).peerId))
            --first;
        beginRemoveRows({}, first, last);
        rows_.remove(first, last - first + 1);
        endRemoveRows();
        removed = true;
        last = first;
    }
    if (removed)
        rebuildIndex();
}

void PeerTableModel::updateKnownPeers(const QHash<QString, const PeerSnapshot*>& incoming) {
    // Adjacent rows with the same changed column range share one dataChanged.
    int pendingFirstRow = -1;
    int pendingLastRow = -1;
    int pendingFirstColumn = -1;
    int pendingLastColumn = -1;
    const auto flush = [&] {
        if (pendingFirstRow < 0)
            return;
        Q_EMIT dataChanged(index(pendingFirstRow, pendingFirstColumn),
                           index(pendingLastRow, pendingLastColumn));
        pendingFirstRow = -1;
    };

    for (int row = 0; row < rows_.size(); ++row) {
        const PeerSnapshot& next = *incoming.value(rows_.at(row).peerId);
        int firstColumn = -1;
        int lastColumn = -1;
        for (int column = 0; column < ColumnCount; ++column) {
            if (sameCell(rows_.at(row), next, column))
                continue;
            if (firstColumn < 0)
                firstColumn = column;
            lastColumn = column;
        }
        // Copy even when nothing visible changed: fields no column shows may have.
        rows_[row] = next;
        if (firstColumn < 0)
            continue;
        if (pendingFirstRow >= 0 && pendingLastRow == row - 1 &&
            pendingFirstColumn == firstColumn && pendingLastColumn == lastColumn) {
            pendingLastRow = row;
            continue;
        }
        flush();
        pendingFirstRow = pendingLastRow = row;
        pendingFirstColumn = firstColumn;
        pendingLastColumn = lastColumn;
    }
    flush();
}

void PeerTableModel::insertNewPeers(QList<const PeerSnapshot*> fresh) {
    std::sort(fresh.begin(), fresh.end(),
              [](const PeerSnapshot* a, const PeerSnapshot* b) { return a->peerId < b->peerId; });
    // New peers that land between the same two existing rows go in with one beginInsertRows.
    int inserted = 0;
    for (qsizetype i = 0; i < fresh.size();) {
        const auto at =
            std::lower_bound(rows_.cbegin(), rows_.cend(), fresh.at(i)->peerId, lessById);
        const auto next = at == rows_.cend() ? nullptr : &*at;
        qsizetype end = i + 1;
        while (end < fresh.size() && (!next || fresh.at(end)->peerId < next->peerId))
            ++end;
        const int row = static_cast<int>(at - rows_.cbegin());
        const int count = static_cast<int>(end - i);
        beginInsertRows({}, row, row + count - 1);
        for (int k = 0; k < count; ++k)
            rows_.insert(row + k, *fresh.at(i + k));
        endInsertRows();
        inserted += count;
        i = end;
    }
    if (inserted > 0)
        rebuildIndex();
}

void PeerTableModel::rebuildIndex() {
    rowOfPeer_.clear();
    rowOfPeer_.reserve(rows_.size());
    for (int row = 0; row < rows_.size(); ++row)
        rowOfPeer_.insert(rows_.at(row).peerId, row);
}

int PeerTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int PeerTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PeerTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const PeerSnapshot& peer = rows_.at(index.row());
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case PeerColumn:
            return shortPeerId(peer.peerId);
        case AgentColumn:
            return peer.agentVersion.isEmpty() ? kNoValue : peer.agentVersion;
        case DirectionColumn:
        case RemoteAddressColumn: {
            const QString text = rawValue(peer, column).toString();
            return text.isEmpty() ? kNoValue : text;
        }
        case RttColumn:
            return peer.lastPingRttMs ? QStringLiteral("%1 ms").arg(*peer.lastPingRttMs, 0, 'f', 2)
                                      : kNoValue;
        case BytesInColumn:
            return humanBytes(bytesIn(peer));
        case BytesOutColumn:
            return humanBytes(bytesOut(peer));
        default:
            return rawValue(peer, column);
        }
    case Qt::ToolTipRole:
        switch (column) {
        case PeerColumn:
            return peer.peerId;
        case AgentColumn:
            if (peer.protocolVersion.isEmpty())
                return peer.agentVersion;
            return tr("%1\nProtocol version: %2").arg(peer.agentVersion, peer.protocolVersion);
        case RemoteAddressColumn:
            return allRemoteAddresses(peer);
        case ProtocolsColumn:
            return peer.protocols.join(QLatin1Char('\n'));
        case BytesInColumn:
            return tr("%1 bytes").arg(QLocale().toString(bytesIn(peer)));
        case BytesOutColumn:
            return tr("%1 bytes").arg(QLocale().toString(bytesOut(peer)));
        default:
            return {};
        }
    case PeerIdRole:
        return peer.peerId;
    case SortRole:
        return rawValue(peer, column);
    case FilterRole:
        switch (column) {
        case PeerColumn:
            return peer.peerId;
        case AgentColumn:
            return peer.agentVersion;
        case DirectionColumn:
            return direction(peer);
        case RemoteAddressColumn:
            return allRemoteAddresses(peer);
        case ProtocolsColumn:
            return peer.protocols.join(QLatin1Char('\n'));
        default:
            return {};
        }
    case Qt::TextAlignmentRole:
        return isNumeric(column) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                 : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::FontRole:
        if (column == PeerColumn)
            return QFontDatabase::systemFont(QFontDatabase::FixedFont);
        return {};
    default:
        return {};
    }
}

QVariant PeerTableModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::TextAlignmentRole)
        return isNumeric(section) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                  : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::ToolTipRole)
        return {};
    const bool tip = role == Qt::ToolTipRole;
    switch (section) {
    case PeerColumn:
        return tip ? tr("Peer ID (hover a cell for the full ID)") : tr("Peer");
    case AgentColumn:
        return tip ? tr("Agent version the peer announced through identify") : tr("Agent");
    case ConnectionsColumn:
        return tip ? tr("Open connections to this peer") : tr("Connections");
    case DirectionColumn:
        return tip ? tr("Who opened the connections: in (the peer), out (this node) or both")
                   : tr("Direction");
    case RemoteAddressColumn:
        return tip ? tr("Remote address of the oldest connection (hover for all)")
                   : tr("Remote address");
    case RttColumn:
        return tip ? tr("Round-trip time of the last ping") : tr("RTT");
    case StreamsColumn:
        return tip ? tr("Open streams over all connections") : tr("Streams");
    case BytesInColumn:
        return tip ? tr("Bytes received over the open connections") : tr("Bytes in");
    case BytesOutColumn:
        return tip ? tr("Bytes sent over the open connections") : tr("Bytes out");
    case ProtocolsColumn:
        return tip ? tr("Protocols the peer supports (hover a cell for the list)")
                   : tr("Protocols");
    default:
        return {};
    }
}

Qt::ItemFlags PeerTableModel::flags(const QModelIndex& index) const {
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemNeverHasChildren;
}

} // namespace peerscope
