#include "ui/models/peer_table_model.h"

#include <QBrush>
#include <QColor>
#include <QFontDatabase>
#include <QLocale>
#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>

namespace peerscope {

namespace {

const QString kNoValue = QStringLiteral("—");

// A trend needs a change beyond jitter: 10 % of the recent mean, and at least half a
// millisecond so sub-millisecond loopback RTTs do not flip arrows on every probe.
constexpr double kTrendRelativeThreshold = 0.10;
constexpr double kTrendAbsoluteThresholdMs = 0.5;

bool lessById(const PeerSnapshot& peer, const QString& id) {
    return peer.peerId < id;
}

// The engine names the relay of every relayed connection.
bool isRelayed(const ConnectionSnapshot& connection) {
    return !connection.relayPeerId.isEmpty();
}

PeerTableModel::HealthState healthStateOf(const QString& state) {
    if (state == QLatin1String("failed"))
        return PeerTableModel::HealthState::Failed;
    if (state == QLatin1String("degraded"))
        return PeerTableModel::HealthState::Degraded;
    return PeerTableModel::HealthState::Healthy;
}

QString healthStateName(PeerTableModel::HealthState state) {
    switch (state) {
    case PeerTableModel::HealthState::Failed:
        return QStringLiteral("failed");
    case PeerTableModel::HealthState::Degraded:
        return QStringLiteral("degraded");
    case PeerTableModel::HealthState::Healthy:
        break;
    }
    return QStringLiteral("healthy");
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

QString allRemoteAddresses(const PeerSnapshot& peer) {
    QStringList lines;
    for (const ConnectionSnapshot& connection : peer.connections)
        lines << QStringLiteral("%1 (%2)").arg(connection.remoteAddr, connection.direction);
    return lines.join(QLatin1Char('\n'));
}

// Whether `before` (a row's peer) is `now`. A connection id names one connection of one peer
// for the engine's lifetime, so the same first connection settles it without touching the id
// strings (the engine's are shared between snapshots, so comparing them is a pointer test, but
// one more cache miss per row).
bool isSamePeer(const PeerSnapshot& before, const PeerSnapshot& now) {
    if (!before.connections.isEmpty() && !now.connections.isEmpty() &&
        before.connections.first().id == now.connections.first().id)
        return true;
    return before.peerId == now.peerId;
}

bool sameAddresses(const PeerSnapshot& a, const PeerSnapshot& b) {
    if (a.connections.size() != b.connections.size())
        return false;
    for (qsizetype i = 0; i < a.connections.size(); ++i) {
        const ConnectionSnapshot& x = a.connections.at(i);
        const ConnectionSnapshot& y = b.connections.at(i);
        if (x.id != y.id || x.remoteAddr != y.remoteAddr || x.direction != y.direction)
            return false;
    }
    return true;
}

QString humanBytes(quint64 bytes) {
    return QLocale().formattedDataSize(static_cast<qint64>(bytes), 1, QLocale::DataSizeIecFormat);
}

QString humanRate(double bytesPerSecond) {
    return QLocale().formattedDataSize(std::llround(std::max(bytesPerSecond, 0.0)), 1,
                                       QLocale::DataSizeIecFormat) +
           QStringLiteral("/s");
}

// One decimal; two below a millisecond, where one would show loopback and LAN RTTs as 0.0.
QString milliseconds(double ms) {
    return QStringLiteral("%1 ms").arg(ms, 0, 'f', ms < 1.0 ? 2 : 1);
}

QString directionName(bool inbound, bool outbound) {
    if (inbound && outbound)
        return QStringLiteral("both");
    if (inbound)
        return QStringLiteral("inbound");
    return outbound ? QStringLiteral("outbound") : QString();
}

QString trendArrow(int trend) {
    if (trend > 0)
        return QStringLiteral("↑");
    if (trend < 0)
        return QStringLiteral("↓");
    return QStringLiteral("→");
}

bool isNumeric(int column) {
    switch (column) {
    case PeerTableModel::ConnectionsColumn:
    case PeerTableModel::RttColumn:
    case PeerTableModel::HealthColumn:
    case PeerTableModel::RateInColumn:
    case PeerTableModel::RateOutColumn:
    case PeerTableModel::StreamsColumn:
    case PeerTableModel::ProtocolsColumn:
    case PeerTableModel::BytesInColumn:
    case PeerTableModel::BytesOutColumn:
        return true;
    default:
        return false;
    }
}

constexpr quint32 bit(int column) {
    return quint32(1) << column;
}

static_assert(PeerTableModel::ColumnCount <= 32, "changed columns are a 32-bit mask");

} // namespace

void PeerTableModel::RttHistory::record(const std::optional<double>& rttMs) {
    if (!rttMs) {
        count = 0;
        return;
    }
    if (count > 0 && samples[count - 1] == *rttMs)
        return;
    if (count == kCapacity) {
        std::move(samples.begin() + 1, samples.end(), samples.begin());
        --count;
    }
    samples[count++] = *rttMs;
}

int PeerTableModel::RttHistory::trend() const {
    if (count < 2)
        return 0;
    double previousSum = 0;
    for (int i = 0; i < count - 1; ++i)
        previousSum += samples[i];
    const double previousMean = previousSum / (count - 1);
    const double change = samples[count - 1] - previousMean;
    const double threshold =
        std::max(kTrendRelativeThreshold * previousMean, kTrendAbsoluteThresholdMs);
    if (change > threshold)
        return 1;
    if (change < -threshold)
        return -1;
    return 0;
}

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

PeerTableModel::PeerFigures PeerTableModel::figuresOf(const PeerSnapshot& peer,
                                                      const PeerFigures* sameConnections) {
    PeerFigures figures;
    // Direction and path depend only on the connections' ids, addresses and directions: when
    // those are the row's already, the string tests are not run again.
    if (sameConnections) {
        figures.connections = sameConnections->connections;
        figures.inbound = sameConnections->inbound;
        figures.outbound = sameConnections->outbound;
        figures.relayedConnections = sameConnections->relayedConnections;
        figures.relayPeerId = sameConnections->relayPeerId;
    } else {
        figures.connections = static_cast<int>(peer.connections.size());
        for (const ConnectionSnapshot& connection : peer.connections) {
            if (connection.direction == QLatin1String("inbound"))
                figures.inbound = true;
            else
                figures.outbound = true;
            if (isRelayed(connection) && figures.relayedConnections++ == 0)
                figures.relayPeerId = connection.relayPeerId;
        }
    }
    bool first = true;
    for (const ConnectionSnapshot& connection : peer.connections) {
        if (connection.rttSmoothedMs &&
            (!figures.rttMs || *connection.rttSmoothedMs < *figures.rttMs))
            figures.rttMs = connection.rttSmoothedMs;
        // The lowest score, not the mean: one failing connection of three is what the user
        // should see, and it keeps the bar's colour in line with the State column (the worst).
        figures.health =
            first ? connection.healthScore : std::min(figures.health, connection.healthScore);
        figures.state = std::max(figures.state, healthStateOf(connection.healthState));
        figures.rateIn += connection.rateIn.perSecond[0];
        figures.rateOut += connection.rateOut.perSecond[0];
        figures.streams += connection.streams;
        figures.bytesIn += connection.bytesIn;
        figures.bytesOut += connection.bytesOut;
        first = false;
    }
    figures.rttSmoothed = figures.rttMs.has_value();
    if (!figures.rttMs)
        figures.rttMs = peer.lastPingRttMs;
    return figures;
}

quint32 PeerTableModel::changedColumns(const Row& before, const PeerSnapshot& peer,
                                       const PeerFigures& b, const RttHistory& rtt,
                                       bool sameConnections) {
    const PeerFigures& a = before.figures;
    // The state tints the whole row.
    if (a.state != b.state)
        return bit(ColumnCount) - 1;
    quint32 changed = 0;
    if (before.peer->agentVersion != peer.agentVersion ||
        before.peer->protocolVersion != peer.protocolVersion)
        changed |= bit(AgentColumn);
    if (a.connections != b.connections)
        changed |= bit(ConnectionsColumn);
    if (a.inbound != b.inbound || a.outbound != b.outbound)
        changed |= bit(DirectionColumn);
    if (a.relayedConnections != b.relayedConnections || a.connections != b.connections ||
        a.relayPeerId != b.relayPeerId)
        changed |= bit(PathColumn);
    if (a.rttMs != b.rttMs || a.rttSmoothed != b.rttSmoothed || before.rtt.trend() != rtt.trend() ||
        (before.rtt.count < 2) != (rtt.count < 2))
        changed |= bit(RttColumn);
    if (a.health != b.health)
        changed |= bit(HealthColumn);
    if (a.rateIn != b.rateIn)
        changed |= bit(RateInColumn);
    if (a.rateOut != b.rateOut)
        changed |= bit(RateOutColumn);
    if (a.streams != b.streams)
        changed |= bit(StreamsColumn);
    if (before.peer->protocols != peer.protocols)
        changed |= bit(ProtocolsColumn);
    if (!sameConnections)
        changed |= bit(RemoteAddressColumn);
    if (a.bytesIn != b.bytesIn)
        changed |= bit(BytesInColumn);
    if (a.bytesOut != b.bytesOut)
        changed |= bit(BytesOutColumn);
    return changed;
}

void PeerTableModel::applySnapshot(const NodeSnapshot& snapshot) {
    // Rows point into the snapshot's peer list, kept (shared, not copied) until the next one:
    // the previous list stays alive to the end of this update for the comparisons and for
    // the rows about to go.
    const QList<PeerSnapshot> previous = std::exchange(peers_, snapshot.peers);

    // Only peers with an open connection are shown; the engine also reports peers it merely
    // knows about (identify records kept after a disconnect). Each incoming peer is paired
    // with its row: the engine lists peers in a stable order, so the row the same position
    // had last time is tried first, and the id hash only when that guess is wrong.
    // Kept between updates: its storage is reused rather than allocated and zeroed each tick.
    QList<const PeerSnapshot*>& incomingOfRow = incomingOfRow_;
    incomingOfRow.fill(nullptr, rows_.size());
    QList<const PeerSnapshot*> fresh;
    const qsizetype count = peers_.size();
    rowOfPosition_.resize(static_cast<std::size_t>(count), -1);
    for (qsizetype position = 0; position < count; ++position) {
        const PeerSnapshot& peer = peers_.at(position);
        int& row = rowOfPosition_[static_cast<std::size_t>(position)];
        if (peer.connections.isEmpty()) {
            row = -1;
            continue;
        }
        if (row < 0 || row >= rows_.size() || !isSamePeer(*rows_.at(row).peer, peer))
            row = rowOfPeer_.value(peer.peerId, -1);
        if (row >= 0)
            incomingOfRow[row] = &peer;
        else
            fresh << &peer;
    }

    // Updates first, while the row numbers are still the ones incomingOfRow uses.
    updateKnownPeers(incomingOfRow);
    const qsizetype rowsBefore = rows_.size();
    removeGonePeers(incomingOfRow);
    if (!fresh.isEmpty())
        insertNewPeers(std::move(fresh));
    // Rows moved: the guesses would all miss, so the next snapshot pairs by id.
    if (!fresh.isEmpty() || rows_.size() != rowsBefore)
        std::fill(rowOfPosition_.begin(), rowOfPosition_.end(), -1);
}

void PeerTableModel::updateKnownPeers(const QList<const PeerSnapshot*>& incomingOfRow) {
    // Adjacent changed rows share one dataChanged over the union of their changed columns:
    // at 4 Hz most rows change their rates, and one signal per row would make a sorting proxy
    // re-sort once per row. A row whose state changed is repainted whole, peer column
    // included; it gets a signal of its own, or the union would reach the peer column for
    // every row of the run, and a proxy sorted on that column (the default) would check the
    // order of all of them.
    //
    // A run of several rows also keeps the extra columns (remote address, byte totals; hidden
    // unless the user shows them) in a signal of their own: the totals change on every tick,
    // and a union reaching them from the rates would repaint the column in between (protocols,
    // stretched over the rest of the table) in every row of the run. One row is not worth a
    // second signal.
    int runFirstRow = -1;
    int runLastRow = -1;
    quint32 runColumns = 0;
    bool runWholeRows = false;
    const auto emitColumns = [this, &runFirstRow, &runLastRow](quint32 columns) {
        if (columns != 0)
            Q_EMIT dataChanged(index(runFirstRow, std::countr_zero(columns)),
                               index(runLastRow, 31 - std::countl_zero(columns)));
    };
    const auto flush = [&] {
        if (runFirstRow < 0)
            return;
        if (runWholeRows || runFirstRow == runLastRow) {
            emitColumns(runColumns);
        } else {
            emitColumns(runColumns & (bit(RemoteAddressColumn) - 1));
            emitColumns(runColumns & ~(bit(RemoteAddressColumn) - 1));
        }
        runFirstRow = -1;
        runColumns = 0;
    };

    for (int row = 0; row < rows_.size(); ++row) {
        const PeerSnapshot* incoming = incomingOfRow.at(row);
        if (!incoming) {
            flush(); // a row about to be removed breaks the run
            continue;
        }
        Row& current = rows_[row];
        const bool sameConnections = sameAddresses(*current.peer, *incoming);
        const PeerFigures figures =
            figuresOf(*incoming, sameConnections ? &current.figures : nullptr);
        RttHistory rtt = current.rtt;
        rtt.record(figures.rttMs);
        const quint32 changed = changedColumns(current, *incoming, figures, rtt, sameConnections);
        // Even when nothing visible changed: fields no column shows may have.
        current.peer = incoming;
        current.figures = figures;
        current.rtt = rtt;
        if (changed == 0) {
            flush();
            continue;
        }
        const bool wholeRow = (changed & bit(PeerColumn)) != 0;
        if (runFirstRow >= 0 && wholeRow != runWholeRows)
            flush();
        if (runFirstRow < 0)
            runFirstRow = row;
        runLastRow = row;
        runWholeRows = wholeRow;
        runColumns |= changed;
    }
    flush();
}

void PeerTableModel::removeGonePeers(const QList<const PeerSnapshot*>& incomingOfRow) {
    bool removed = false;
    // From the back, one beginRemoveRows per contiguous run of gone rows.
    for (int last = static_cast<int>(rows_.size()) - 1; last >= 0; --last) {
        if (incomingOfRow.at(last))
            continue;
        int first = last;
        while (first > 0 && !incomingOfRow.at(first - 1))
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

void PeerTableModel::insertNewPeers(QList<const PeerSnapshot*> fresh) {
    std::sort(fresh.begin(), fresh.end(),
              [](const PeerSnapshot* a, const PeerSnapshot* b) { return a->peerId < b->peerId; });
    // A peer listed twice in one snapshot gets one row.
    fresh.erase(std::unique(fresh.begin(), fresh.end(),
                            [](const PeerSnapshot* a, const PeerSnapshot* b) {
                                return a->peerId == b->peerId;
                            }),
                fresh.end());
    // New peers that land between the same two existing rows go in with one beginInsertRows.
    int inserted = 0;
    for (qsizetype i = 0; i < fresh.size();) {
        const auto at = std::lower_bound(
            rows_.cbegin(), rows_.cend(), fresh.at(i)->peerId,
            [](const Row& row, const QString& id) { return lessById(*row.peer, id); });
        const Row* next = at == rows_.cend() ? nullptr : &*at;
        qsizetype end = i + 1;
        while (end < fresh.size() && (!next || fresh.at(end)->peerId < next->peer->peerId))
            ++end;
        const int row = static_cast<int>(at - rows_.cbegin());
        const int count = static_cast<int>(end - i);
        beginInsertRows({}, row, row + count - 1);
        for (int k = 0; k < count; ++k) {
            const PeerSnapshot& peer = *fresh.at(i + k);
            Row added{&peer, figuresOf(peer, nullptr), {}};
            added.rtt.record(added.figures.rttMs);
            rows_.insert(row + k, std::move(added));
        }
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
        rowOfPeer_.insert(rows_.at(row).peer->peerId, row);
}

int PeerTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int PeerTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

// The raw value behind a cell: what it sorts on.
QVariant PeerTableModel::rawValue(const Row& row, int column) {
    const PeerSnapshot& peer = *row.peer;
    const PeerFigures& figures = row.figures;
    switch (column) {
    case PeerColumn:
        return peer.peerId;
    case AgentColumn:
        return peer.agentVersion;
    case ConnectionsColumn:
        return figures.connections;
    case DirectionColumn:
        return directionName(figures.inbound, figures.outbound);
    case PathColumn:
        // Relayed only when no direct connection is left: after a DCUtR upgrade the direct
        // connection carries the traffic while the relayed one winds down.
        return figures.relayedConnections == figures.connections && figures.connections > 0
                   ? tr("relayed via %1").arg(shortPeerId(figures.relayPeerId))
                   : tr("direct");
    case RttColumn:
        // Invalid sorts after every valid value: unmeasured peers go last.
        return figures.rttMs ? QVariant(*figures.rttMs) : QVariant();
    case HealthColumn:
        return figures.health;
    case StateColumn:
        return static_cast<int>(figures.state);
    case RateInColumn:
        return figures.rateIn;
    case RateOutColumn:
        return figures.rateOut;
    case StreamsColumn:
        return figures.streams;
    case ProtocolsColumn:
        return static_cast<int>(peer.protocols.size());
    case RemoteAddressColumn:
        return remoteAddress(peer);
    case BytesInColumn:
        return figures.bytesIn;
    case BytesOutColumn:
        return figures.bytesOut;
    default:
        return {};
    }
}

QVariant PeerTableModel::displayValue(const Row& row, int column) const {
    const PeerSnapshot& peer = *row.peer;
    const PeerFigures& figures = row.figures;
    switch (column) {
    case PeerColumn:
        return shortPeerId(peer.peerId);
    case AgentColumn:
        return peer.agentVersion.isEmpty() ? kNoValue : peer.agentVersion;
    case DirectionColumn:
    case RemoteAddressColumn: {
        const QString text = rawValue(row, column).toString();
        return text.isEmpty() ? kNoValue : text;
    }
    case RttColumn:
        if (!figures.rttMs)
            return kNoValue;
        // The arrow goes first so the numbers stay right-aligned; none until there is a
        // second measurement to compare with.
        if (row.rtt.count < 2)
            return milliseconds(*figures.rttMs);
        return trendArrow(row.rtt.trend()) + QLatin1Char(' ') + milliseconds(*figures.rttMs);
    case HealthColumn:
        return QString::number(figures.health, 'f', 2);
    case StateColumn:
        return healthStateName(figures.state);
    case RateInColumn:
        return humanRate(figures.rateIn);
    case RateOutColumn:
        return humanRate(figures.rateOut);
    case BytesInColumn:
        return humanBytes(figures.bytesIn);
    case BytesOutColumn:
        return humanBytes(figures.bytesOut);
    default:
        return rawValue(row, column);
    }
}

QVariant PeerTableModel::toolTip(const Row& row, int column) const {
    const PeerSnapshot& peer = *row.peer;
    const PeerFigures& figures = row.figures;
    switch (column) {
    case PeerColumn:
        return peer.peerId;
    case AgentColumn:
        if (peer.protocolVersion.isEmpty())
            return peer.agentVersion;
        return tr("%1\nProtocol version: %2").arg(peer.agentVersion, peer.protocolVersion);
    case PathColumn: {
        QStringList lines;
        for (const ConnectionSnapshot& connection : peer.connections)
            lines << tr("#%1 %2: %3")
                         .arg(connection.id)
                         .arg(isRelayed(connection)
                                  ? tr("relayed via %1").arg(connection.relayPeerId)
                                  : tr("direct"),
                              connection.remoteAddr);
        return lines.join(QLatin1Char('\n'));
    }
    case RttColumn: {
        if (!figures.rttMs)
            return tr("Not measured yet");
        QString text = figures.rttSmoothed ? tr("Smoothed RTT, best of the peer's connections: %1")
                                                 .arg(milliseconds(*figures.rttMs))
                                           : tr("Last ping: %1").arg(milliseconds(*figures.rttMs));
        if (row.rtt.count >= 2) {
            QStringList recent;
            for (int i = 0; i < row.rtt.count; ++i)
                recent << QString::number(row.rtt.samples[i], 'f',
                                          row.rtt.samples[i] < 1.0 ? 2 : 1);
            text += tr("\nRecent, oldest first: %1 ms").arg(recent.join(QStringLiteral(", ")));
        }
        return text;
    }
    case HealthColumn:
    case StateColumn: {
        QStringList lines{tr("Lowest score of the peer's connections: %1")
                              .arg(QString::number(figures.health, 'f', 2))};
        for (const ConnectionSnapshot& connection : peer.connections)
            lines << tr("#%1: %2 (%3)")
                         .arg(connection.id)
                         .arg(QString::number(connection.healthScore, 'f', 2),
                              connection.healthState);
        return lines.join(QLatin1Char('\n'));
    }
    case RateInColumn:
    case RateOutColumn: {
        double over[4] = {0, 0, 0, 0};
        for (const ConnectionSnapshot& connection : peer.connections) {
            const RateSnapshot& rate =
                column == RateInColumn ? connection.rateIn : connection.rateOut;
            for (int span = 0; span < 4; ++span)
                over[span] += rate.perSecond[span];
        }
        return tr("1 s: %1\n10 s: %2\n60 s: %3\n300 s: %4")
            .arg(humanRate(over[0]), humanRate(over[1]), humanRate(over[2]), humanRate(over[3]));
    }
    case ProtocolsColumn:
        return peer.protocols.join(QLatin1Char('\n'));
    case RemoteAddressColumn:
        return allRemoteAddresses(peer);
    case BytesInColumn:
        return tr("%1 bytes").arg(QLocale().toString(figures.bytesIn));
    case BytesOutColumn:
        return tr("%1 bytes").arg(QLocale().toString(figures.bytesOut));
    default:
        return {};
    }
}

QString PeerTableModel::filterText(const Row& row, int column) {
    const PeerSnapshot& peer = *row.peer;
    switch (column) {
    case PeerColumn:
        return peer.peerId;
    case AgentColumn:
        return peer.agentVersion;
    case DirectionColumn:
    case PathColumn:
        return rawValue(row, column).toString();
    case StateColumn:
        return healthStateName(row.figures.state);
    case RemoteAddressColumn:
        return allRemoteAddresses(peer);
    case ProtocolsColumn:
        return peer.protocols.join(QLatin1Char('\n'));
    default:
        return {};
    }
}

QVariant PeerTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row& row = rows_.at(index.row());
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        return displayValue(row, column);
    case Qt::ToolTipRole:
        return toolTip(row, column);
    case PeerIdRole:
        return row.peer->peerId;
    case SortRole:
        return rawValue(row, column);
    case FilterRole: {
        const QString text = filterText(row, column);
        return text.isEmpty() ? QVariant() : QVariant(text);
    }
    case HealthRole:
        return column == HealthColumn ? QVariant(row.figures.health) : QVariant();
    case TrendRole:
        return column == RttColumn ? QVariant(row.rtt.trend()) : QVariant();
    case Qt::BackgroundRole:
        // Translucent, so alternating row colours and the selection still show through.
        switch (row.figures.state) {
        case HealthState::Failed:
            return QBrush(QColor(220, 50, 47, 56));
        case HealthState::Degraded:
            return QBrush(QColor(255, 191, 0, 48));
        case HealthState::Healthy:
            break;
        }
        return {};
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
        return tip ? tr("Who opened the connections: inbound (the peer), outbound (this node) "
                        "or both")
                   : tr("Direction");
    case PathColumn:
        return tip ? tr("Direct, or relayed (and through which relay) when every connection goes "
                        "through a circuit relay")
                   : tr("Path");
    case RttColumn:
        return tip ? tr("Best smoothed round-trip time of the peer's connections (else the last "
                        "ping), with its trend: ↑ rising, ↓ falling, → steady")
                   : tr("RTT");
    case HealthColumn:
        return tip ? tr("Lowest health score of the peer's connections, 0 to 1") : tr("Health");
    case StateColumn:
        return tip ? tr("Worst health state of the peer's connections") : tr("State");
    case RateInColumn:
        return tip ? tr("Receive rate over the last second, all connections") : tr("In");
    case RateOutColumn:
        return tip ? tr("Send rate over the last second, all connections") : tr("Out");
    case StreamsColumn:
        return tip ? tr("Open streams over all connections") : tr("Streams");
    case ProtocolsColumn:
        return tip ? tr("Protocols the peer supports (hover a cell for the list)")
                   : tr("Protocols");
    case RemoteAddressColumn:
        return tip ? tr("Remote address of the oldest connection (hover for all)")
                   : tr("Remote address");
    case BytesInColumn:
        return tip ? tr("Bytes received over the open connections") : tr("Bytes in");
    case BytesOutColumn:
        return tip ? tr("Bytes sent over the open connections") : tr("Bytes out");
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
