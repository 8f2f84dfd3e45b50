#include "engine/api/snapshot_json.h"

#include "engine/health/event_log.h"

#include <QJsonArray>
#include <QStringList>
#include <algorithm>

namespace peerscope {

namespace {

QJsonValue optionalNumber(const std::optional<double>& value) {
    return value ? QJsonValue(*value) : QJsonValue();
}

QJsonObject ratesJson(const RateSnapshot& rate) {
    return QJsonObject{{"1s", rate.perSecond[0]},
                       {"10s", rate.perSecond[1]},
                       {"60s", rate.perSecond[2]},
                       {"300s", rate.perSecond[3]}};
}

QByteArray csvField(const QString& value) {
    QByteArray utf8 = value.toUtf8();
    if (!utf8.contains(',') && !utf8.contains('"') && !utf8.contains('\n') && !utf8.contains('\r'))
        return utf8;
    utf8.replace("\"", "\"\"");
    return '"' + utf8 + '"';
}

QString number(const std::optional<double>& value) {
    return value ? QString::number(*value, 'g', 10) : QString();
}

} // namespace

QJsonObject connectionJson(const ConnectionSnapshot& c) {
    QJsonArray errors;
    for (const ErrorSnapshot& error : c.errors)
        errors.append(QJsonObject{{"secondsAgo", error.secondsAgo},
                                  {"category", error.category},
                                  {"message", error.message}});
    QJsonObject protocolBytes; // protocol -> {"in", "out"}
    for (const ProtocolBytesSnapshot& bytes : c.protocolBytes)
        protocolBytes.insert(bytes.protocol, QJsonObject{{"in", double(bytes.bytesIn)},
                                                         {"out", double(bytes.bytesOut)}});
    return QJsonObject{
        {"id", QString::number(c.id)},
        {"peerId", c.peerId},
        {"direction", c.direction},
        {"remoteAddr", c.remoteAddr},
        {"localAddr", c.localAddr},
        {"openedAt", c.openedAt.toUTC().toString(Qt::ISODateWithMs)},
        {"ageSeconds", c.ageSeconds},
        {"streams", c.streams},
        {"bytesIn", double(c.bytesIn)},
        {"bytesOut", double(c.bytesOut)},
        {"muxer", c.muxer},
        {"muxerInHandshake", c.muxerInHandshake},
        {"health", QJsonObject{{"state", c.healthState},
                               {"score", c.healthScore},
                               {"rttLastMs", optionalNumber(c.rttLastMs)},
                               {"rttSmoothedMs", optionalNumber(c.rttSmoothedMs)},
                               {"rttMinMs", optionalNumber(c.rttMinMs)},
                               {"rttMaxMs", optionalNumber(c.rttMaxMs)},
                               {"jitterMs", c.jitterMs},
                               {"rtoMs", c.rtoMs},
                               {"pingSuccessRate", c.pingSuccessRate},
                               {"probes", double(c.probes)},
                               {"unhealthyChecks", c.unhealthyChecks},
                               {"streamsFailed", double(c.streamsFailed)},
                               {"draining", c.draining}}},
        {"bytesPerSecondIn", ratesJson(c.rateIn)},
        {"bytesPerSecondOut", ratesJson(c.rateOut)},
        {"peakBytesPerSecondIn60s", c.peakIn60},
        {"peakBytesPerSecondOut60s", c.peakOut60},
        {"bytesByProtocol", protocolBytes},
        {"relay",
         c.relayPeerId.isEmpty()
             ? QJsonValue()
             : QJsonObject{{"peerId", c.relayPeerId},
                           {"limitSecondsLeft", optionalNumber(c.relayLimitSecondsLeft)},
                           {"limitBytesLeft", c.relayLimitBytesLeft
                                                  ? QJsonValue(double(*c.relayLimitBytesLeft))
                                                  : QJsonValue()}}},
        {"errors", errors}};
}

QJsonObject relayJson(const RelaySnapshot& r) {
    QJsonArray rtts;
    for (double rtt : r.rttHistoryMs)
        rtts.append(rtt);
    return QJsonObject{
        {"peerId", r.peerId},
        {"addr", r.addr},
        {"source", r.source},
        {"preferred", r.preferred},
        {"inUse", r.inUse},
        {"connected", r.connected},
        {"reservation", r.reservation},
        {"reservedUntil", r.reservedUntil.isValid()
                              ? QJsonValue(r.reservedUntil.toUTC().toString(Qt::ISODate))
                              : QJsonValue()},
        {"detail", r.detail},
        {"limit", QJsonObject{{"durationSeconds", r.limitDurationSeconds
                                                      ? QJsonValue(double(*r.limitDurationSeconds))
                                                      : QJsonValue()},
                              {"dataBytes", r.limitDataBytes ? QJsonValue(double(*r.limitDataBytes))
                                                             : QJsonValue()}}},
        {"circuitAddrs", QJsonArray::fromStringList(r.circuitAddrs)},
        {"rttMs", optionalNumber(r.rttMs)},
        {"rttHistoryMs", rtts},
        {"probesUnanswered", double(r.probesUnanswered)},
        {"circuits", r.circuits},
        {"circuitBytes", double(r.circuitBytes)}};
}

QJsonObject peerJson(const PeerSnapshot& peer) {
    QJsonArray connections;
    for (const ConnectionSnapshot& c : peer.connections)
        connections.append(connectionJson(c));
    return QJsonObject{{"peerId", peer.peerId},
                       {"agentVersion", peer.agentVersion},
                       {"protocolVersion", peer.protocolVersion},
                       {"protocols", QJsonArray::fromStringList(peer.protocols)},
                       {"listenAddrs", QJsonArray::fromStringList(peer.listenAddrs)},
                       {"lastPingRttMs", optionalNumber(peer.lastPingRttMs)},
                       {"protected", peer.isProtected},
                       {"kept", peer.kept},
                       {"connections", connections}};
}

QJsonObject healthSummaryJson(const HealthSummary& s) {
    return QJsonObject{
        {"peers", s.peers},
        {"connections", s.connections},
        {"averageHealth", s.averageHealth},
        {"byState",
         QJsonObject{{"healthy", s.healthy}, {"degraded", s.degraded}, {"failed", s.failed}}},
        {"monitoring", s.monitoring}};
}

QJsonObject poolCountersJson(const PoolCountersSnapshot& p) {
    return QJsonObject{{"dialsSucceeded", double(p.dialsSucceeded)},
                       {"dialsFailed", double(p.dialsFailed)},
                       {"dialsTimedOut", double(p.dialsTimedOut)},
                       {"retries", double(p.retries)},
                       {"replacements", double(p.replacements)},
                       {"trimmed", double(p.trimmed)},
                       {"refusedOverLimit", double(p.refusedOverLimit)},
                       {"streamRetries", double(p.streamRetries)}};
}

namespace {
QJsonObject countsJson(const QMap<QString, quint64>& counts) {
    QJsonObject out;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        out.insert(it.key(), double(it.value()));
    return out;
}
QMap<QString, quint64> countsFromJson(const QJsonValue& value) {
    QMap<QString, quint64> out;
    const QJsonObject counts = value.toObject();
    for (auto it = counts.begin(); it != counts.end(); ++it)
        out.insert(it.key(), static_cast<quint64>(std::max(0.0, it.value().toDouble())));
    return out;
}
quint64 countOf(const QJsonObject& json, const char* name) {
    return static_cast<quint64>(std::max(0.0, json.value(QLatin1String(name)).toDouble()));
}
} // namespace

QJsonObject relayServiceJson(const RelayServiceSnapshot& r) {
    return QJsonObject{{"enabled", r.enabled},
                       {"reservations", double(r.reservations)},
                       {"circuits", double(r.circuits)},
                       {"reservationsGranted", double(r.reservationsGranted)},
                       {"reservationsExpired", double(r.reservationsExpired)},
                       {"circuitsOpened", double(r.circuitsOpened)},
                       {"circuitsClosed", countsJson(r.circuitsClosed)},
                       {"bytesToDestination", double(r.bytesToDestination)},
                       {"bytesToSource", double(r.bytesToSource)},
                       {"refused", countsJson(r.refused)}};
}

RelayServiceSnapshot relayServiceFromJson(const QJsonObject& json) {
    RelayServiceSnapshot r;
    r.enabled = json.value(QLatin1String("enabled")).toBool();
    r.reservations = countOf(json, "reservations");
    r.circuits = countOf(json, "circuits");
    r.reservationsGranted = countOf(json, "reservationsGranted");
    r.reservationsExpired = countOf(json, "reservationsExpired");
    r.circuitsOpened = countOf(json, "circuitsOpened");
    r.circuitsClosed = countsFromJson(json.value(QLatin1String("circuitsClosed")));
    r.bytesToDestination = countOf(json, "bytesToDestination");
    r.bytesToSource = countOf(json, "bytesToSource");
    r.refused = countsFromJson(json.value(QLatin1String("refused")));
    return r;
}

QJsonObject eventJson(const LifecycleEvent& event) {
    return QJsonObject{{"seq", double(event.seq)},
                       {"at", event.at.toString(Qt::ISODateWithMs)},
                       {"kind", event.kind},
                       {"peer", event.peer},
                       {"connectionId", event.connectionId
                                            ? QJsonValue(QString::number(event.connectionId))
                                            : QJsonValue()},
                       {"detail", event.detail}};
}

QJsonArray relaysJson(const NodeSnapshot& snapshot) {
    QJsonArray relays;
    for (const RelaySnapshot& relay : snapshot.relays)
        relays.append(relayJson(relay));
    return relays;
}

QJsonObject nodeReportJson(const NodeSnapshot& snapshot) {
    QJsonArray peers;
    for (const PeerSnapshot& peer : snapshot.peers)
        peers.append(peerJson(peer));
    return QJsonObject{{"peerId", snapshot.peerId},
                       {"agentVersion", snapshot.agentVersion},
                       {"takenAt", snapshot.takenAt.toString(Qt::ISODateWithMs)},
                       {"listenAddrs", QJsonArray::fromStringList(snapshot.listenAddrs)},
                       {"health", healthSummaryJson(snapshot.health)},
                       {"pool", poolCountersJson(snapshot.pool)},
                       {"relays", relaysJson(snapshot)},
                       {"relayedAddrs", QJsonArray::fromStringList(snapshot.relayedAddrs)},
                       {"relayService", relayServiceJson(snapshot.relayService)},
                       {"peers", peers}};
}

QByteArray renderConnectionsCsv(const NodeSnapshot& snapshot) {
    QByteArray out =
        "peer_id,connection_id,direction,remote_addr,age_s,streams,state,health_score,"
        "rtt_last_ms,rtt_smoothed_ms,rtt_min_ms,rtt_max_ms,jitter_ms,ping_success_rate,probes,"
        "streams_failed,bytes_in,bytes_out,in_bps_10s,out_bps_10s,in_bps_60s,out_bps_60s,"
        "protected,relay_peer_id\r\n";
    for (const PeerSnapshot& peer : snapshot.peers)
        for (const ConnectionSnapshot& c : peer.connections) {
            const QStringList fields{peer.peerId,
                                     QString::number(c.id),
                                     c.direction,
                                     c.remoteAddr,
                                     QString::number(c.ageSeconds, 'f', 1),
                                     QString::number(c.streams),
                                     c.healthState,
                                     QString::number(c.healthScore, 'f', 4),
                                     number(c.rttLastMs),
                                     number(c.rttSmoothedMs),
                                     number(c.rttMinMs),
                                     number(c.rttMaxMs),
                                     QString::number(c.jitterMs, 'g', 10),
                                     QString::number(c.pingSuccessRate, 'f', 4),
                                     QString::number(c.probes),
                                     QString::number(c.streamsFailed),
                                     QString::number(c.bytesIn),
                                     QString::number(c.bytesOut),
                                     QString::number(c.rateIn.perSecond[1], 'f', 1),
                                     QString::number(c.rateOut.perSecond[1], 'f', 1),
                                     QString::number(c.rateIn.perSecond[2], 'f', 1),
                                     QString::number(c.rateOut.perSecond[2], 'f', 1),
                                     peer.isProtected ? QStringLiteral("true")
                                                      : QStringLiteral("false"),
                                     c.relayPeerId};
            QByteArray line;
            for (const QString& field : fields) {
                if (!line.isEmpty())
                    line += ',';
                line += csvField(field);
            }
            out += line + "\r\n";
        }
    return out;
}

} // namespace peerscope
