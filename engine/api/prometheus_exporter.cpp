#include "engine/api/prometheus_exporter.h"

#include <QString>
#include <algorithm>

namespace peerscope {

namespace {

// Label values escape backslash, double quote and newline (exposition format 0.0.4).
// Works on the UTF-8 bytes, so characters outside the BMP (surrogate pairs) stay intact.
QByteArray escapeLabel(const QString& value) {
    const QByteArray utf8 = value.toUtf8();
    QByteArray out;
    out.reserve(utf8.size());
    for (char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

class MetricWriter {
public:
    void family(const char* name, const char* type, const char* help) {
        text_ += "# HELP ";
        text_ += name;
        text_ += ' ';
        text_ += help;
        text_ += "\n# TYPE ";
        text_ += name;
        text_ += ' ';
        text_ += type;
        text_ += '\n';
    }
    void sample(const char* name, double value,
                const QList<QPair<QByteArray, QString>>& labels = {}) {
        text_ += name;
        if (!labels.isEmpty()) {
            text_ += '{';
            bool first = true;
            for (const auto& [label, labelValue] : labels) {
                if (!first)
                    text_ += ',';
                first = false;
                text_ += label + "=\"" + escapeLabel(labelValue) + '"';
            }
            text_ += '}';
        }
        text_ += ' ';
        text_ += QByteArray::number(value, 'g', 17);
        text_ += '\n';
    }
    QByteArray take() { return std::move(text_); }

private:
    QByteArray text_;
};

// The relays we use (circuit relay v2, our side): few, but automatic ones come from any peer,
// so per-relay series are bounded like the per-peer ones (those in use first).
void writeRelays(MetricWriter& out, const NodeSnapshot& snapshot) {
    static const char* const states[] = {"none",    "reserving", "reserved",
                                         "refused", "expired",   "failed"};
    out.family("peerscope_relays", "gauge", "Relays known, by the state of our reservation.");
    for (const char* state : states)
        out.sample("peerscope_relays",
                   double(std::count_if(snapshot.relays.begin(), snapshot.relays.end(),
                                        [state](const RelaySnapshot& r) {
                                            return r.reservation == QLatin1String(state);
                                        })),
                   {{"state", QString::fromLatin1(state)}});
    out.family("peerscope_relayed_addrs", "gauge",
               "Our /p2p-circuit addresses, through the relays we hold a reservation on.");
    out.sample("peerscope_relayed_addrs", double(snapshot.relayedAddrs.size()));
    QList<RelaySnapshot> shown = snapshot.relays;
    std::stable_sort(
        shown.begin(), shown.end(),
        [](const RelaySnapshot& a, const RelaySnapshot& b) { return a.inUse > b.inUse; });
    const qsizetype limit = std::max(0, snapshot.metricsPeerLabelLimit);
    if (shown.size() > limit)
        shown.erase(shown.begin() + limit, shown.end());
    out.family("peerscope_relay_in_use", "gauge",
               "1 for a relay we hold (or are making) a reservation on, else 0.");
    for (const RelaySnapshot& r : shown)
        out.sample("peerscope_relay_in_use", r.inUse ? 1 : 0,
                   {{"relay", r.peerId},
                    {"source", r.source},
                    {"preferred", r.preferred ? QStringLiteral("true") : QStringLiteral("false")}});
    out.family("peerscope_relay_rtt_seconds", "gauge",
               "The last round trip of a ping to the relay over our connection to it.");
    for (const RelaySnapshot& r : shown)
        if (r.rttMs)
            out.sample("peerscope_relay_rtt_seconds", *r.rttMs / 1000.0, {{"relay", r.peerId}});
    out.family("peerscope_relay_reservation_expiry_timestamp_seconds", "gauge",
               "When our reservation on the relay ends (unix time), while reserved.");
    for (const RelaySnapshot& r : shown)
        if (r.reservedUntil.isValid())
            out.sample("peerscope_relay_reservation_expiry_timestamp_seconds",
                       double(r.reservedUntil.toSecsSinceEpoch()), {{"relay", r.peerId}});
    out.family("peerscope_relay_circuits", "gauge", "Our relayed connections through the relay.");
    for (const RelaySnapshot& r : shown)
        out.sample("peerscope_relay_circuits", r.circuits, {{"relay", r.peerId}});
}

} // namespace

QByteArray renderPrometheus(const NodeSnapshot& snapshot) {
    MetricWriter out;
    int inbound = 0;
    int outbound = 0;
    int connectedPeers = 0; // a peer record may briefly outlive its last connection
    for (const PeerSnapshot& peer : snapshot.peers) {
        if (!peer.connections.isEmpty())
            ++connectedPeers;
        for (const ConnectionSnapshot& connection : peer.connections)
            (connection.direction == QLatin1String("inbound") ? inbound : outbound)++;
    }

    out.family("peerscope_build_info", "gauge", "PeerScope build information.");
    out.sample("peerscope_build_info", 1,
               {{"version", QStringLiteral(PEERSCOPE_VERSION)}, {"agent", snapshot.agentVersion}});
    out.family("peerscope_peers", "gauge", "Peers with at least one open connection.");
    out.sample("peerscope_peers", connectedPeers);
    out.family("peerscope_connections", "gauge", "Open connections by direction.");
    out.sample("peerscope_connections", inbound, {{"direction", QStringLiteral("inbound")}});
    out.sample("peerscope_connections", outbound, {{"direction", QStringLiteral("outbound")}});
    out.family("peerscope_streams", "gauge", "Open streams over all connections.");
    out.sample("peerscope_streams", snapshot.openStreams);
    out.family("peerscope_streams_opened_total", "counter", "Streams opened, both directions.");
    out.sample("peerscope_streams_opened_total", double(snapshot.counters.streamsOpened));
    out.family("peerscope_bytes_received_total", "counter",
               "Bytes received on connections, on the wire (encrypted).");
    out.sample("peerscope_bytes_received_total", double(snapshot.counters.bytesIn));
    out.family("peerscope_bytes_sent_total", "counter",
               "Bytes sent on connections, on the wire (encrypted).");
    out.sample("peerscope_bytes_sent_total", double(snapshot.counters.bytesOut));
    out.family("peerscope_connections_opened_total", "counter", "Connections established.");
    out.sample("peerscope_connections_opened_total", double(snapshot.counters.connectionsOpened));
    out.family("peerscope_connections_closed_total", "counter", "Connections closed.");
    out.sample("peerscope_connections_closed_total", double(snapshot.counters.connectionsClosed));
    out.family("peerscope_dials_total", "counter", "Outbound dials by outcome.");
    out.sample("peerscope_dials_total", double(snapshot.counters.dialsSucceeded),
               {{"outcome", QStringLiteral("success")}});
    out.sample("peerscope_dials_total", double(snapshot.counters.dialsFailed),
               {{"outcome", QStringLiteral("failure")}});
    out.family("peerscope_handshake_failures_total", "counter",
               "Connection upgrades (security, muxer) that failed, by reason.");
    // Every known reason is always present, so rate() works from the first failure on.
    QMap<QString, quint64> failures = snapshot.counters.handshakeFailures;
    for (const char* reason : {"security_negotiation", "noise", "peer_id_mismatch",
                               "muxer_negotiation", "timeout", "eof"})
        failures.insert(QString::fromLatin1(reason), failures.value(QString::fromLatin1(reason)));
    for (auto it = failures.cbegin(); it != failures.cend(); ++it)
        out.sample("peerscope_handshake_failures_total", double(it.value()),
                   {{"reason", it.key()}});
    out.family("peerscope_resource_refused_total", "counter",
               "Handshakes, connections, streams and buffered bytes refused for a resource limit, "
               "by the scope "
               "whose limit refused them.");
    for (const ResourceRefusedSnapshot& refused : snapshot.resources.refused)
        out.sample("peerscope_resource_refused_total", double(refused.count),
                   {{"scope", refused.scope}, {"resource", refused.resource}});
    out.family("peerscope_resource_in_use", "gauge",
               "Handshakes under way, connections and streams open, bytes buffered, as the "
               "resource manager "
               "counts them.");
    for (const ResourceUseSnapshot& use : snapshot.resources.system)
        out.sample("peerscope_resource_in_use", double(use.inUse), {{"resource", use.resource}});
    out.family("peerscope_resource_limit", "gauge", "The node-wide limit of each resource.");
    for (const ResourceUseSnapshot& use : snapshot.resources.system)
        out.sample("peerscope_resource_limit", double(use.limit), {{"resource", use.resource}});
    out.family("peerscope_connection_protocol_errors_total", "counter",
               "Established connections closed because the peer sent bytes that broke a layer.");
    QMap<QString, quint64> errors = snapshot.counters.protocolErrors;
    for (const char* layer : {"noise", "yamux"})
        errors.insert(QString::fromLatin1(layer), errors.value(QString::fromLatin1(layer)));
    for (auto it = errors.cbegin(); it != errors.cend(); ++it)
        out.sample("peerscope_connection_protocol_errors_total", double(it.value()),
                   {{"layer", it.key()}});
    out.family("peerscope_streams_reset_total", "counter",
               "Streams reset because the peer went past one of the node's bounds, by reason.");
    QMap<QString, quint64> resets = snapshot.counters.streamsReset;
    for (const char* reason : {"perf_over_limit", "write_queue_full", "identify_push_too_large"})
        resets.insert(QString::fromLatin1(reason), resets.value(QString::fromLatin1(reason)));
    for (auto it = resets.cbegin(); it != resets.cend(); ++it)
        out.sample("peerscope_streams_reset_total", double(it.value()), {{"reason", it.key()}});
    out.family("peerscope_streams_refused_total", "counter",
               "Inbound streams refused, by reason (protocol_not_supported: every protocol the "
               "peer proposed was answered \"na\").");
    QMap<QString, quint64> refusedStreams = snapshot.counters.streamsRefused;
    refusedStreams.insert(QStringLiteral("protocol_not_supported"),
                          refusedStreams.value(QStringLiteral("protocol_not_supported")));
    for (auto it = refusedStreams.cbegin(); it != refusedStreams.cend(); ++it)
        out.sample("peerscope_streams_refused_total", double(it.value()), {{"reason", it.key()}});
    out.family("peerscope_connection_read_pauses_total", "counter",
               "Times a connection stopped reading its socket because the peer did not read "
               "what we had to send it.");
    out.sample("peerscope_connection_read_pauses_total", double(snapshot.counters.readPauses));
    out.family("peerscope_api_requests_refused_total", "counter",
               "Control API requests refused, by reason: without the bearer token, or from the "
               "head alone before the body was read.");
    QMap<QString, quint64> refused = snapshot.counters.apiRequestsRefused;
    for (const char* reason :
         {"unauthorized", "body_too_large", "head_too_large", "length_required", "bad_request"})
        refused.insert(QLatin1String(reason), refused.value(QLatin1String(reason)));
    for (auto it = refused.cbegin(); it != refused.cend(); ++it)
        out.sample("peerscope_api_requests_refused_total", double(it.value()),
                   {{"reason", it.key()}});

    // The circuit relay service (the hop side); zeros while it is off.
    const RelayServiceSnapshot& relay = snapshot.relayService;
    out.family("peerscope_relay_service_enabled", "gauge",
               "1 while the node serves circuit relay v2 (hop) to other peers.");
    out.sample("peerscope_relay_service_enabled", relay.enabled ? 1 : 0);
    out.family("peerscope_relay_service_reservations", "gauge",
               "Relay reservations other peers hold on this node.");
    out.sample("peerscope_relay_service_reservations", double(relay.reservations));
    out.family("peerscope_relay_service_circuits", "gauge",
               "Relayed connections (circuits) open through this node.");
    out.sample("peerscope_relay_service_circuits", double(relay.circuits));
    out.family("peerscope_relay_service_reservations_total", "counter",
               "Relay reservations granted, refreshes included.");
    out.sample("peerscope_relay_service_reservations_total", double(relay.reservationsGranted));
    out.family("peerscope_relay_service_circuits_total", "counter",
               "Circuits through this node that ended, by outcome.");
    QMap<QString, quint64> outcomes = relay.circuitsClosed;
    for (const char* outcome : {"closed", "data_limit", "duration_limit", "reset_by_source",
                                "reset_by_destination", "service_stopped"})
        outcomes.insert(QLatin1String(outcome), outcomes.value(QLatin1String(outcome)));
    for (auto it = outcomes.cbegin(); it != outcomes.cend(); ++it)
        out.sample("peerscope_relay_service_circuits_total", double(it.value()),
                   {{"outcome", it.key()}});
    out.family("peerscope_relay_service_bytes_total", "counter",
               "Bytes relayed through circuits, by direction (source to destination and back).");
    out.sample("peerscope_relay_service_bytes_total", double(relay.bytesToDestination),
               {{"direction", QStringLiteral("to_destination")}});
    out.sample("peerscope_relay_service_bytes_total", double(relay.bytesToSource),
               {{"direction", QStringLiteral("to_source")}});
    out.family("peerscope_relay_service_refused_total", "counter",
               "Relay requests refused, by the status answered (request_timeout: reset unanswered "
               "for sending no request in time).");
    QMap<QString, quint64> relayRefused = relay.refused;
    for (const char* status : {"reservation_refused", "resource_limit_exceeded",
                               "permission_denied", "connection_failed", "no_reservation",
                               "malformed_message", "unexpected_message", "request_timeout"})
        relayRefused.insert(QLatin1String(status), relayRefused.value(QLatin1String(status)));
    for (auto it = relayRefused.cbegin(); it != relayRefused.cend(); ++it)
        out.sample("peerscope_relay_service_refused_total", double(it.value()),
                   {{"status", it.key()}});

    // Pool and health.
    out.family("peerscope_connections_by_health", "gauge", "Open connections by health state.");
    out.sample("peerscope_connections_by_health", snapshot.health.healthy,
               {{"state", QStringLiteral("healthy")}});
    out.sample("peerscope_connections_by_health", snapshot.health.degraded,
               {{"state", QStringLiteral("degraded")}});
    out.sample("peerscope_connections_by_health", snapshot.health.failed,
               {{"state", QStringLiteral("failed")}});
    out.family("peerscope_health_score_average", "gauge",
               "Average health score (0..1) over open connections.");
    out.sample("peerscope_health_score_average", snapshot.health.averageHealth);

    out.family("peerscope_ping_rtt_seconds", "histogram",
               "Round trips of health probes (libp2p ping).");
    const RttHistogramSnapshot& histogram = snapshot.rttHistogram;
    for (int i = 0; i < histogram.bounds.size(); ++i)
        out.sample("peerscope_ping_rtt_seconds_bucket", double(histogram.cumulative[i]),
                   {{"le", QString::number(histogram.bounds[i], 'g', 6)}});
    out.sample("peerscope_ping_rtt_seconds_bucket", double(histogram.count),
               {{"le", QStringLiteral("+Inf")}});
    out.sample("peerscope_ping_rtt_seconds_sum", histogram.sum);
    out.sample("peerscope_ping_rtt_seconds_count", double(histogram.count));

    out.family("peerscope_pool_dials_total", "counter",
               "Pool dial attempts by outcome (each retry is an attempt).");
    out.sample("peerscope_pool_dials_total", double(snapshot.pool.dialsSucceeded),
               {{"outcome", QStringLiteral("success")}});
    out.sample("peerscope_pool_dials_total", double(snapshot.pool.dialsFailed),
               {{"outcome", QStringLiteral("failure")}});
    out.sample("peerscope_pool_dials_total", double(snapshot.pool.dialsTimedOut),
               {{"outcome", QStringLiteral("timeout")}});
    out.family("peerscope_pool_retries_total", "counter", "Dial attempts after the first.");
    out.sample("peerscope_pool_retries_total", double(snapshot.pool.retries));
    out.family("peerscope_pool_replacements_total", "counter",
               "Unhealthy connections replaced by new ones.");
    out.sample("peerscope_pool_replacements_total", double(snapshot.pool.replacements));
    out.family("peerscope_pool_trimmed_total", "counter",
               "Connections closed by trimming above high water or the idle timeout.");
    out.sample("peerscope_pool_trimmed_total", double(snapshot.pool.trimmed));
    out.family("peerscope_pool_refused_total", "counter",
               "Connections closed at once for being over a connection limit.");
    out.sample("peerscope_pool_refused_total", double(snapshot.pool.refusedOverLimit));
    out.family("peerscope_pool_stream_retries_total", "counter",
               "Stream opens that failed on one connection and moved to the next.");
    out.sample("peerscope_pool_stream_retries_total", double(snapshot.pool.streamRetries));

    // Per peer, bounded: the busiest metrics_peer_label_limit peers by traffic get a label of
    // their own; the rest are folded into peer="other" (bytes summed, score averaged), so a node
    // with thousands of peers does not explode the series count.
    struct PeerLine {
        QString peer;
        double bytesIn = 0, bytesOut = 0, scoreSum = 0;
        int connections = 0;
    };
    QList<PeerLine> lines;
    for (const PeerSnapshot& peer : snapshot.peers) {
        if (peer.connections.isEmpty())
            continue;
        PeerLine line{peer.peerId};
        for (const ConnectionSnapshot& c : peer.connections) {
            line.bytesIn += double(c.bytesIn);
            line.bytesOut += double(c.bytesOut);
            line.scoreSum += c.healthScore;
            ++line.connections;
        }
        lines.push_back(line);
    }
    std::sort(lines.begin(), lines.end(), [](const PeerLine& a, const PeerLine& b) {
        const double ta = a.bytesIn + a.bytesOut, tb = b.bytesIn + b.bytesOut;
        return ta != tb ? ta > tb : a.peer < b.peer;
    });
    const int limit = std::max(0, snapshot.metricsPeerLabelLimit);
    if (lines.size() > limit) {
        PeerLine other{QStringLiteral("other")};
        for (int i = limit; i < lines.size(); ++i) {
            other.bytesIn += lines[i].bytesIn;
            other.bytesOut += lines[i].bytesOut;
            other.scoreSum += lines[i].scoreSum;
            other.connections += lines[i].connections;
        }
        lines.erase(lines.begin() + limit, lines.end());
        lines.push_back(other);
    }
    out.family("peerscope_peer_health_score", "gauge",
               "Average health score (0..1) of a peer's connections; \"other\" for the rest.");
    for (const PeerLine& line : lines)
        out.sample("peerscope_peer_health_score", line.scoreSum / std::max(1, line.connections),
                   {{"peer", line.peer}});
    out.family("peerscope_peer_connections", "gauge", "Open connections per peer.");
    for (const PeerLine& line : lines)
        out.sample("peerscope_peer_connections", line.connections, {{"peer", line.peer}});
    out.family("peerscope_peer_bytes", "gauge",
               "Wire bytes over a peer's open connections, by direction.");
    for (const PeerLine& line : lines) {
        out.sample("peerscope_peer_bytes", line.bytesIn,
                   {{"peer", line.peer}, {"direction", QStringLiteral("in")}});
        out.sample("peerscope_peer_bytes", line.bytesOut,
                   {{"peer", line.peer}, {"direction", QStringLiteral("out")}});
    }
    writeRelays(out, snapshot);
    return out.take();
}

} // namespace peerscope
