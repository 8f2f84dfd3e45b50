#include "ui/models/connection_table_model.h"

#include "ui/models/peer_table_model.h"

#include <QBrush>
#include <QColor>
#include <QLocale>
#include <algorithm>
#include <cmath>

namespace peerscope {

namespace {

const QString kNoValue = QStringLiteral("—");

bool lessById(const ConnectionSnapshot& connection, quint64 id) {
    return connection.id < id;
}

QString milliseconds(double value) {
    return QStringLiteral("%1 ms").arg(value, 0, 'f', 2);
}

QString optionalMilliseconds(const std::optional<double>& value) {
    return value ? milliseconds(*value) : kNoValue;
}

QString percent(double fraction) {
    return QStringLiteral("%1 %").arg(std::lround(fraction * 100.0));
}

// The raw value behind a cell: what it sorts on.
QVariant rawValue(const ConnectionSnapshot& connection, int column) {
    switch (column) {
    case ConnectionTableModel::IdColumn:
        return connection.id;
    case ConnectionTableModel::DirectionColumn:
        return connection.direction;
    case ConnectionTableModel::RemoteAddressColumn:
        return connection.remoteAddr;
    case ConnectionTableModel::StateColumn:
        return connection.healthState;
    case ConnectionTableModel::HealthScoreColumn:
        return connection.healthScore;
    case ConnectionTableModel::RttColumn:
        // Invalid sorts after every valid value: unmeasured connections go last.
        return connection.rttSmoothedMs ? QVariant(*connection.rttSmoothedMs) : QVariant();
    case ConnectionTableModel::JitterColumn:
        return connection.rttSmoothedMs ? QVariant(connection.jitterMs) : QVariant();
    case ConnectionTableModel::SuccessRateColumn:
        return connection.probes > 0 ? QVariant(connection.pingSuccessRate) : QVariant();
    case ConnectionTableModel::StreamsColumn:
        return connection.streams;
    case ConnectionTableModel::FailedStreamsColumn:
        return connection.streamsFailed;
    case ConnectionTableModel::RateInColumn:
        return connection.rateIn.perSecond[0];
    case ConnectionTableModel::RateOutColumn:
        return connection.rateOut.perSecond[0];
    case ConnectionTableModel::AgeColumn:
        return connection.ageSeconds;
    case ConnectionTableModel::DrainingColumn:
        return connection.draining;
    case ConnectionTableModel::RelayColumn:
        return connection.relayPeerId;
    default:
        return {};
    }
}

// What is left of a relayed connection's circuit limit: "1 min 50 s, 120.0 KiB left".
QString relayLimitText(const ConnectionSnapshot& connection) {
    if (!connection.relayLimitSecondsLeft && !connection.relayLimitBytesLeft)
        return ConnectionTableModel::tr("no limit");
    QStringList parts;
    if (connection.relayLimitSecondsLeft)
        parts << ConnectionTableModel::formatAge(std::max(0.0, *connection.relayLimitSecondsLeft));
    if (connection.relayLimitBytesLeft)
        parts << QLocale().formattedDataSize(static_cast<qint64>(*connection.relayLimitBytesLeft),
                                             1, QLocale::DataSizeIecFormat);
    return ConnectionTableModel::tr("%1 left").arg(parts.join(QStringLiteral(", ")));
}

bool sameRates(const RateSnapshot& a, double peakA, const RateSnapshot& b, double peakB) {
    return std::equal(std::begin(a.perSecond), std::end(a.perSecond), std::begin(b.perSecond)) &&
           peakA == peakB;
}

QString lastError(const ConnectionSnapshot& connection) {
    if (connection.errors.isEmpty())
        return {};
    const ErrorSnapshot& error = connection.errors.constLast();
    return error.category + QStringLiteral(": ") + error.message;
}

// Whether a cell (any of its roles) would look different.
bool sameCell(const ConnectionSnapshot& a, const ConnectionSnapshot& b, int column) {
    switch (column) {
    case ConnectionTableModel::RemoteAddressColumn:
        return a.remoteAddr == b.remoteAddr && a.localAddr == b.localAddr && a.muxer == b.muxer &&
               a.muxerInHandshake == b.muxerInHandshake;
    case ConnectionTableModel::StateColumn:
        return a.healthState == b.healthState && a.unhealthyChecks == b.unhealthyChecks &&
               lastError(a) == lastError(b);
    case ConnectionTableModel::RttColumn:
        return a.rttSmoothedMs == b.rttSmoothedMs && a.rttLastMs == b.rttLastMs &&
               a.rttMinMs == b.rttMinMs && a.rttMaxMs == b.rttMaxMs && a.rtoMs == b.rtoMs;
    case ConnectionTableModel::SuccessRateColumn:
        return a.pingSuccessRate == b.pingSuccessRate && a.probes == b.probes;
    case ConnectionTableModel::RateInColumn:
        return sameRates(a.rateIn, a.peakIn60, b.rateIn, b.peakIn60);
    case ConnectionTableModel::RateOutColumn:
        return sameRates(a.rateOut, a.peakOut60, b.rateOut, b.peakOut60);
    case ConnectionTableModel::AgeColumn:
        // Shown to the second: a sub-second tick is no change.
        return std::floor(a.ageSeconds) == std::floor(b.ageSeconds);
    case ConnectionTableModel::RelayColumn:
        return a.relayPeerId == b.relayPeerId && relayLimitText(a) == relayLimitText(b);
    default:
        return rawValue(a, column) == rawValue(b, column);
    }
}

bool isNumeric(int column) {
    switch (column) {
    case ConnectionTableModel::IdColumn:
    case ConnectionTableModel::HealthScoreColumn:
    case ConnectionTableModel::RttColumn:
    case ConnectionTableModel::JitterColumn:
    case ConnectionTableModel::SuccessRateColumn:
    case ConnectionTableModel::StreamsColumn:
    case ConnectionTableModel::FailedStreamsColumn:
    case ConnectionTableModel::RateInColumn:
    case ConnectionTableModel::RateOutColumn:
    case ConnectionTableModel::AgeColumn:
        return true;
    default:
        return false;
    }
}

QString rateToolTip(const RateSnapshot& rate, double peak60) {
    return ConnectionTableModel::tr("1 s: %1\n10 s: %2\n60 s: %3\n300 s: %4\nBusiest second "
                                    "of the last minute: %5")
        .arg(ConnectionTableModel::formatRate(rate.perSecond[0]),
             ConnectionTableModel::formatRate(rate.perSecond[1]),
             ConnectionTableModel::formatRate(rate.perSecond[2]),
             ConnectionTableModel::formatRate(rate.perSecond[3]),
             ConnectionTableModel::formatRate(peak60));
}

} // namespace

ConnectionTableModel::ConnectionTableModel(QObject* parent) : QAbstractTableModel(parent) {}

ConnectionTableModel::~ConnectionTableModel() = default;

QString ConnectionTableModel::formatRate(double bytesPerSecond) {
    return QLocale().formattedDataSize(static_cast<qint64>(std::llround(bytesPerSecond)), 1,
                                       QLocale::DataSizeIecFormat) +
           QStringLiteral("/s");
}

QString ConnectionTableModel::formatAge(double seconds) {
    const qint64 whole = std::max<qint64>(0, static_cast<qint64>(std::floor(seconds)));
    if (whole < 60)
        return tr("%1 s").arg(whole);
    if (whole < 3600)
        return tr("%1 min %2 s").arg(whole / 60).arg(whole % 60, 2, 10, QLatin1Char('0'));
    return tr("%1 h %2 min").arg(whole / 3600).arg(whole % 3600 / 60, 2, 10, QLatin1Char('0'));
}

int ConnectionTableModel::rowOfConnection(quint64 connectionId) const {
    return rowOfConnection_.value(connectionId, -1);
}

void ConnectionTableModel::applyConnections(const QList<ConnectionSnapshot>& connections) {
    QHash<quint64, const ConnectionSnapshot*> incoming;
    incoming.reserve(connections.size());
    for (const ConnectionSnapshot& connection : connections)
        incoming.insert(connection.id, &connection);

    removeGone(incoming);
    updateKnown(incoming);

    QList<const ConnectionSnapshot*> fresh;
    for (auto it = incoming.cbegin(); it != incoming.cend(); ++it) {
        if (!rowOfConnection_.contains(it.key()))
            fresh << it.value();
    }
    if (!fresh.isEmpty())
        insertNew(std::move(fresh));
}

void ConnectionTableModel::removeGone(const QHash<quint64, const ConnectionSnapshot*>& incoming) {
    bool removed = false;
    // From the back, one beginRemoveRows per contiguous run of gone rows.
    for (int last = static_cast<int>(rows_.size()) - 1; last >= 0; --last) {
        if (incoming.contains(rows_.at(last).id))
            continue;
        int first = last;
        while (first > 0 && !incoming.contains(rows_.at(first - 1).id))
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

void ConnectionTableModel::updateKnown(const QHash<quint64, const ConnectionSnapshot*>& incoming) {
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
        const ConnectionSnapshot& next = *incoming.value(rows_.at(row).id);
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

void ConnectionTableModel::insertNew(QList<const ConnectionSnapshot*> fresh) {
    std::sort(
        fresh.begin(), fresh.end(),
        [](const ConnectionSnapshot* a, const ConnectionSnapshot* b) { return a->id < b->id; });
    // New connections that land between the same two existing rows share one beginInsertRows.
    int inserted = 0;
    for (qsizetype i = 0; i < fresh.size();) {
        const auto at = std::lower_bound(rows_.cbegin(), rows_.cend(), fresh.at(i)->id, lessById);
        const auto next = at == rows_.cend() ? nullptr : &*at;
        qsizetype end = i + 1;
        while (end < fresh.size() && (!next || fresh.at(end)->id < next->id))
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

void ConnectionTableModel::rebuildIndex() {
    rowOfConnection_.clear();
    rowOfConnection_.reserve(rows_.size());
    for (int row = 0; row < rows_.size(); ++row)
        rowOfConnection_.insert(rows_.at(row).id, row);
}

int ConnectionTableModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(rows_.size());
}

int ConnectionTableModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ConnectionTableModel::data(const QModelIndex& index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const ConnectionSnapshot& connection = rows_.at(index.row());
    const int column = index.column();

    switch (role) {
    case Qt::DisplayRole:
        switch (column) {
        case DirectionColumn:
            return connection.direction == QLatin1String("inbound") ? tr("in") : tr("out");
        case RemoteAddressColumn:
            return connection.remoteAddr.isEmpty() ? kNoValue : connection.remoteAddr;
        case HealthScoreColumn:
            // As the peer table shows it: a score 0..1, not a percentage.
            return QLocale().toString(connection.healthScore, 'f', 2);
        case RttColumn:
            return optionalMilliseconds(connection.rttSmoothedMs);
        case JitterColumn:
            return connection.rttSmoothedMs ? milliseconds(connection.jitterMs) : kNoValue;
        case SuccessRateColumn:
            return connection.probes > 0 ? percent(connection.pingSuccessRate) : kNoValue;
        case RateInColumn:
            return formatRate(connection.rateIn.perSecond[0]);
        case RateOutColumn:
            return formatRate(connection.rateOut.perSecond[0]);
        case AgeColumn:
            return formatAge(connection.ageSeconds);
        case DrainingColumn:
            return connection.draining ? tr("draining") : QString();
        case RelayColumn:
            if (connection.relayPeerId.isEmpty())
                return QString();
            return tr("via %1 · %2")
                .arg(PeerTableModel::shortPeerId(connection.relayPeerId),
                     relayLimitText(connection));
        default:
            return rawValue(connection, column);
        }
    case Qt::ToolTipRole:
        switch (column) {
        case RemoteAddressColumn: {
            QString text =
                tr("Remote: %1\nLocal: %2").arg(connection.remoteAddr, connection.localAddr);
            if (!connection.muxer.isEmpty())
                text += tr("\nMuxer: %1%2")
                            .arg(connection.muxer, connection.muxerInHandshake
                                                       ? tr(" (negotiated in the Noise handshake)")
                                                       : QString());
            return text;
        }
        case StateColumn: {
            QString text = tr("Failed health checks in a row: %1").arg(connection.unhealthyChecks);
            const QString error = lastError(connection);
            if (!error.isEmpty())
                text += tr("\nLast error: %1").arg(error);
            return text;
        }
        case RttColumn:
            return tr("Smoothed: %1\nLast: %2\nMin: %3\nMax: %4\nRetransmission timeout: %5")
                .arg(optionalMilliseconds(connection.rttSmoothedMs),
                     optionalMilliseconds(connection.rttLastMs),
                     optionalMilliseconds(connection.rttMinMs),
                     optionalMilliseconds(connection.rttMaxMs), milliseconds(connection.rtoMs));
        case SuccessRateColumn:
            return tr("%1 probes sent").arg(connection.probes);
        case RateInColumn:
            return rateToolTip(connection.rateIn, connection.peakIn60);
        case RateOutColumn:
            return rateToolTip(connection.rateOut, connection.peakOut60);
        case DrainingColumn:
            return connection.draining ? tr("Being replaced: gets no new streams") : QVariant();
        case RelayColumn:
            if (connection.relayPeerId.isEmpty())
                return tr("Direct");
            return tr("Relayed through %1\nLeft of the circuit's limit: %2")
                .arg(connection.relayPeerId, relayLimitText(connection));
        default:
            return {};
        }
    case Qt::ForegroundRole:
        if (column != StateColumn)
            return {};
        if (connection.healthState == QLatin1String("failed"))
            return QBrush(QColor(0xc0, 0x1c, 0x28));
        if (connection.healthState == QLatin1String("degraded"))
            return QBrush(QColor(0xc6, 0x5d, 0x00));
        return {};
    case ConnectionIdRole:
        return connection.id;
    case SortRole:
        return rawValue(connection, column);
    case Qt::TextAlignmentRole:
        return isNumeric(column) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                 : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    default:
        return {};
    }
}

QVariant ConnectionTableModel::headerData(int section, Qt::Orientation orientation,
                                          int role) const {
    if (orientation != Qt::Horizontal || section < 0 || section >= ColumnCount)
        return QAbstractTableModel::headerData(section, orientation, role);
    if (role == Qt::TextAlignmentRole)
        return isNumeric(section) ? QVariant(Qt::AlignRight | Qt::AlignVCenter)
                                  : QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    if (role == Qt::DisplayRole) {
        switch (section) {
        case IdColumn:
            return tr("ID");
        case DirectionColumn:
            return tr("Dir");
        case RemoteAddressColumn:
            return tr("Remote address");
        case StateColumn:
            return tr("State");
        case HealthScoreColumn:
            return tr("Health");
        case RttColumn:
            return tr("RTT");
        case JitterColumn:
            return tr("Jitter");
        case SuccessRateColumn:
            return tr("Ping success");
        case StreamsColumn:
            return tr("Streams");
        case FailedStreamsColumn:
            return tr("Failed");
        case RateInColumn:
            return tr("In");
        case RateOutColumn:
            return tr("Out");
        case AgeColumn:
            return tr("Age");
        case DrainingColumn:
            return tr("Draining");
        case RelayColumn:
            return tr("Relay");
        default:
            return {};
        }
    }
    if (role == Qt::ToolTipRole) {
        switch (section) {
        case IdColumn:
            return tr("The engine's id for the connection");
        case DirectionColumn:
            return tr("Who opened the connection: in = the peer dialled us, out = we dialled");
        case RemoteAddressColumn:
            return tr("The peer's address on this connection");
        case StateColumn:
            return tr("Health: healthy, degraded or failed");
        case HealthScoreColumn:
            return tr("Health score from latency, jitter and ping success");
        case RttColumn:
            return tr("Smoothed round-trip time of the health probes");
        case JitterColumn:
            return tr("Variation of the round-trip time");
        case SuccessRateColumn:
            return tr("Share of recent health probes that were answered");
        case StreamsColumn:
            return tr("Open streams");
        case FailedStreamsColumn:
            return tr("Streams that failed to open or were reset");
        case RateInColumn:
            return tr("Bytes received per second, over the last second");
        case RateOutColumn:
            return tr("Bytes sent per second, over the last second");
        case AgeColumn:
            return tr("How long the connection has been open");
        case DrainingColumn:
            return tr("Being replaced by a better connection: gets no new streams");
        case RelayColumn:
            return tr("The circuit relay carrying a relayed connection, and what is left of "
                      "its limit");
        default:
            return {};
        }
    }
    return {};
}

Qt::ItemFlags ConnectionTableModel::flags(const QModelIndex& index) const {
    if (!index.isValid())
        return Qt::NoItemFlags;
    return Qt::ItemIsSelectable | Qt::ItemIsEnabled | Qt::ItemNeverHasChildren;
}

} // namespace peerscope
