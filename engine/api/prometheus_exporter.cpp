#include "engine/api/prometheus_exporter.h"

#include <QString>

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
    out.family("peerscope_connection_protocol_errors_total", "counter",
               "Established connections closed because the peer sent bytes that broke a layer.");
    QMap<QString, quint64> errors = snapshot.counters.protocolErrors;
    for (const char* layer : {"noise", "yamux"})
        errors.insert(QString::fromLatin1(layer), errors.value(QString::fromLatin1(layer)));
    for (auto it = errors.cbegin(); it != errors.cend(); ++it)
        out.sample("peerscope_connection_protocol_errors_total", double(it.value()),
                   {{"layer", it.key()}});
    return out.take();
}

} // namespace peerscope
