#include "ui/dialogs/config_editor_widget.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QRegularExpression>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <functional>

namespace peerscope {

namespace {

enum class FieldKind { Integer, Seconds, Number, Boolean, Strategy, PeerList };

constexpr double kManyConnections = 1000000;
constexpr double kLongSeconds = 31536000; // a year

// One form row: the engine's JSON name (which its messages use), how to show and edit it,
// and how to read and write it in an EngineConfig. Every value travels as a double.
struct FieldSpec {
    FieldSpec(const char* group, const char* name, const char* label, const char* help)
        : group(group), name(name), label(label), help(help) {}

    // The spin box keeps values within what the type allows (at least the validator's
    // inclusive bound); "must be greater than 0" fields go down to 0 so the engine says why 0
    // is refused. Cross-field rules are the validator's alone.
    FieldSpec& integer(double from, double to, const char* unit = "") {
        kind = FieldKind::Integer;
        minimum = from;
        maximum = to;
        suffix = unit;
        return *this;
    }
    FieldSpec& seconds(double from, int places, double singleStep,
                       const char* textAtMinimum = nullptr) {
        kind = FieldKind::Seconds;
        minimum = from;
        maximum = kLongSeconds;
        decimals = places;
        step = singleStep;
        suffix = " s";
        minimumText = textAtMinimum;
        return *this;
    }
    FieldSpec& number(double from, double to, int places, double singleStep,
                      const char* unit = "") {
        kind = FieldKind::Number;
        minimum = from;
        maximum = to;
        decimals = places;
        step = singleStep;
        suffix = unit;
        return *this;
    }
    FieldSpec& boolean() {
        kind = FieldKind::Boolean;
        return *this;
    }
    FieldSpec& strategy() {
        kind = FieldKind::Strategy;
        return *this;
    }
    // A list of peer IDs, edited as text: separated by commas, spaces or new lines.
    FieldSpec& peerList() {
        kind = FieldKind::PeerList;
        return *this;
    }

    const char* group;
    const char* name;
    const char* label;
    const char* help;
    FieldKind kind = FieldKind::Integer;
    double minimum = 0;
    double maximum = 0;
    int decimals = 0;
    double step = 1;
    const char* suffix = "";
    const char* minimumText = nullptr; // shown instead of the minimum ("never")
    const char* section = "";
    std::function<double(const EngineConfig&)> get;
    std::function<void(EngineConfig&, double)> set;
    // PeerList fields travel as their entries instead (get() gives 0).
    std::function<QStringList(const EngineConfig&)> getList;
    std::function<void(EngineConfig&, const QStringList&)> setList;
};

// Whether the field holds the same value in both configs.
bool sameValue(const FieldSpec& spec, const EngineConfig& a, const EngineConfig& b) {
    if (spec.kind == FieldKind::PeerList)
        return spec.getList(a) == spec.getList(b);
    return spec.get(a) == spec.get(b);
}

QStringList splitPeerList(const QString& text) {
    static const QRegularExpression separators(QStringLiteral("[\\s,]+"));
    return text.split(separators, Qt::SkipEmptyParts);
}

double asNumber(int value) {
    return value;
}
double asNumber(double value) {
    return value;
}
double asNumber(std::uint64_t value) {
    return static_cast<double>(value);
}
double asNumber(bool value) {
    return value ? 1 : 0;
}
double asNumber(std::chrono::duration<double> value) {
    return value.count();
}
double asNumber(std::chrono::seconds value) {
    return static_cast<double>(value.count());
}
double asNumber(const std::vector<std::string>&) {
    return 0; // see FieldSpec::getList
}
double asNumber(LoadBalancingStrategy value) {
    return static_cast<int>(value);
}

void assign(int& out, double value) {
    out = static_cast<int>(std::lround(value));
}
void assign(double& out, double value) {
    out = value;
}
void assign(std::uint64_t& out, double value) {
    out = static_cast<std::uint64_t>(std::llround(std::max(value, 0.0)));
}
void assign(bool& out, double value) {
    out = value != 0;
}
void assign(std::chrono::duration<double>& out, double value) {
    out = std::chrono::duration<double>(value);
}
void assign(std::chrono::seconds& out, double value) {
    out = std::chrono::seconds(std::llround(value));
}
void assign(std::vector<std::string>&, double) {} // see FieldSpec::setList
void assign(LoadBalancingStrategy& out, double value) {
    out = static_cast<LoadBalancingStrategy>(static_cast<int>(value));
}

// Binds `spec` to `member` of the EngineConfig section `sectionMember`, named `section`.
template <typename Section, typename Value>
FieldSpec bound(FieldSpec spec, const char* section, Section EngineConfig::*sectionMember,
                Value Section::*member) {
    spec.section = section;
    spec.get = [sectionMember, member](const EngineConfig& c) {
        return asNumber(c.*sectionMember.*member);
    };
    spec.set = [sectionMember, member](EngineConfig& c, double value) {
        assign(c.*sectionMember.*member, value);
    };
    return spec;
}

template <typename Value> FieldSpec connection(FieldSpec spec, Value ConnectionConfig::*member) {
    return bound(std::move(spec), "connection", &EngineConfig::connection, member);
}
template <typename Value> FieldSpec retry(FieldSpec spec, Value RetryConfig::*member) {
    return bound(std::move(spec), "retry", &EngineConfig::retry, member);
}
template <typename Value> FieldSpec services(FieldSpec spec, Value ServicesConfig::*member) {
    return bound(std::move(spec), "services", &EngineConfig::services, member);
}
template <typename Value> FieldSpec resources(FieldSpec spec, Value ResourceLimits::*member) {
    return bound(std::move(spec), "resources", &EngineConfig::resources, member);
}
template <typename Value> FieldSpec relay(FieldSpec spec, Value RelayServiceConfig::*member) {
    return bound(std::move(spec), "relay_service", &EngineConfig::relayService, member);
}
// A list field (peer IDs, relay addresses), edited as text: its entries travel as a list.
template <typename Section>
FieldSpec stringList(FieldSpec spec, const char* section, Section EngineConfig::*sectionMember,
                     std::vector<std::string> Section::*member) {
    spec = bound(std::move(spec), section, sectionMember, member);
    spec.getList = [sectionMember, member](const EngineConfig& c) {
        QStringList out;
        for (const std::string& entry : c.*sectionMember.*member)
            out << QString::fromStdString(entry);
        return out;
    };
    spec.setList = [sectionMember, member](EngineConfig& c, const QStringList& entries) {
        std::vector<std::string>& list = c.*sectionMember.*member;
        list.clear();
        for (const QString& entry : entries)
            list.push_back(entry.toStdString());
    };
    return spec;
}
FieldSpec relayPeers(FieldSpec spec, std::vector<std::string> RelayServiceConfig::*member) {
    return stringList(std::move(spec), "relay_service", &EngineConfig::relayService, member);
}

template <typename Value> FieldSpec relayClient(FieldSpec spec, Value RelayClientConfig::*member) {
    return bound(std::move(spec), "relay_client", &EngineConfig::relayClient, member);
}
FieldSpec relayAddrs(FieldSpec spec, std::vector<std::string> RelayClientConfig::*member) {
    return stringList(std::move(spec), "relay_client", &EngineConfig::relayClient, member);
}

const std::vector<FieldSpec>& fieldSpecs() {
    using C = ConnectionConfig;
    using R = RetryConfig;
    using S = ServicesConfig;
    using L = ResourceLimits;
    using V = RelayServiceConfig;
    using RC = RelayClientConfig;
    static const std::vector<FieldSpec> specs{
        connection(FieldSpec("Connection limits", "max_connections_per_peer",
                             "Connections per peer, at most",
                             "The pool never keeps more connections than this to one peer.")
                       .integer(1, 1000),
                   &C::maxConnectionsPerPeer),
        connection(FieldSpec("Connection limits", "min_connections_per_peer",
                             "Connections per peer, at least",
                             "A peer you dialled is topped up to this many connections; 0 lets the "
                             "pool drop it.")
                       .integer(0, 1000),
                   &C::minConnectionsPerPeer),
        connection(FieldSpec("Connection limits", "max_connections", "Connections in total",
                             "Inbound and outbound together; more are refused.")
                       .integer(1, kManyConnections),
                   &C::maxConnections),
        connection(FieldSpec("Connection limits", "max_inbound_connections", "Inbound connections",
                             "Connections other peers open to this node.")
                       .integer(0, kManyConnections),
                   &C::maxInboundConnections),
        connection(FieldSpec("Connection limits", "max_outbound_connections",
                             "Outbound connections", "Connections this node opens.")
                       .integer(0, kManyConnections),
                   &C::maxOutboundConnections),
        connection(FieldSpec("Trimming", "high_water", "Trim above",
                             "With more connections than this, the pool closes connections until "
                             "the low-water mark is reached.")
                       .integer(0, kManyConnections, " connections"),
                   &C::highWater),
        connection(
            FieldSpec(
                "Trimming", "low_water", "Trim down to",
                "Trimming stops at this many connections; it must be below the high-water mark.")
                .integer(0, kManyConnections, " connections"),
            &C::lowWater),
        connection(FieldSpec("Trimming", "grace_period", "Grace period",
                             "A connection younger than this is never trimmed.")
                       .seconds(0, 1, 1),
                   &C::gracePeriod),
        connection(
            FieldSpec("Timeouts", "connection_timeout", "Connection timeout",
                      "How long one dial attempt (TCP, security and muxer handshakes) may take.")
                .seconds(0, 1, 1),
            &C::connectionTimeout),
        connection(FieldSpec("Timeouts", "idle_timeout", "Idle timeout",
                             "A connection without streams for this long is closed; 0 keeps idle "
                             "connections open.")
                       .seconds(0, 1, 10, "never"),
                   &C::idleTimeout),
        connection(FieldSpec("Load balancing", "load_balancing_strategy", "Strategy",
                             "How a new stream picks among a peer's connections: in turn, the one "
                             "with the fewest streams, the healthiest or the fastest.")
                       .strategy(),
                   &C::loadBalancingStrategy),
        connection(FieldSpec("Health monitoring", "enable_health_monitoring", "Probe connections",
                             "Ping every connection on a schedule to measure RTT and health.")
                       .boolean(),
                   &C::enableHealthMonitoring),
        connection(FieldSpec("Health monitoring", "health_check_interval", "Probe interval",
                             "Time between two probes of one connection.")
                       .seconds(0, 1, 5),
                   &C::healthCheckInterval),
        connection(FieldSpec("Health monitoring", "ping_timeout", "Probe timeout",
                             "A probe without a reply in this time counts as failed.")
                       .seconds(0, 2, 0.5),
                   &C::pingTimeout),
        connection(
            FieldSpec("Health monitoring", "adaptive_timeouts", "Adaptive probe timeout",
                      "Time a probe out after the retransmission timeout derived from the measured "
                      "RTT (like TCP's RTO) when that is shorter than the probe timeout.")
                .boolean(),
            &C::adaptiveTimeouts),
        connection(FieldSpec("Health monitoring", "unhealthy_checks_before_replace", "Failed after",
                             "Unhealthy checks in a row after which a connection counts as failed "
                             "and is replaced.")
                       .integer(1, 1000, " checks"),
                   &C::unhealthyChecksBeforeReplace),
        connection(
            FieldSpec("Health monitoring", "max_failed_streams",
                      "Failed streams for zero stability",
                      "The stability score falls with each failed stream and is 0 at this many.")
                .integer(1, 1000000, " streams"),
            &C::maxFailedStreams),
        connection(FieldSpec("Health scoring", "min_health_threshold", "Healthy from score",
                             "A connection scoring below this (0..1) is unhealthy.")
                       .number(0, 1, 2, 0.05),
                   &C::minHealthThreshold),
        connection(FieldSpec("Health scoring", "latency_weight", "Latency weight",
                             "Weight of the latency score in the health score. The three weights "
                             "are relative; their sum must be above 0.")
                       .number(0, 1000, 2, 0.05),
                   &C::latencyWeight),
        connection(FieldSpec("Health scoring", "success_rate_weight", "Success rate weight",
                             "Weight of the probe success rate in the health score.")
                       .number(0, 1000, 2, 0.05),
                   &C::successRateWeight),
        connection(FieldSpec("Health scoring", "stability_weight", "Stability weight",
                             "Weight of stability (few failed streams, little jitter, no failed "
                             "probes in a row) in the health score.")
                       .number(0, 1000, 2, 0.05),
                   &C::stabilityWeight),
        connection(FieldSpec("Health scoring", "max_ping_latency_ms", "Worst latency",
                             "At or above this smoothed RTT the latency score is 0.")
                       .number(0, 3600000, 1, 50, " ms"),
                   &C::maxPingLatencyMs),
        connection(
            FieldSpec("Health scoring", "min_ping_success_rate", "Probe success rate, at least",
                      "A connection whose probes succeed less often than this (0..1) is unhealthy.")
                .number(0, 1, 2, 0.05),
            &C::minPingSuccessRate),
        retry(FieldSpec("Dial retries", "max_retries", "Retries",
                        "Attempts after the first failed dial; 0 dials once.")
                  .integer(0, 1000),
              &R::maxRetries),
        retry(FieldSpec("Dial retries", "initial_delay", "First delay",
                        "The wait before the first retry; each further wait is multiplied by the "
                        "backoff factor.")
                  .seconds(0, 3, 0.05),
              &R::initialDelay),
        retry(FieldSpec("Dial retries", "max_delay", "Longest delay",
                        "No wait between retries is longer than this.")
                  .seconds(0, 1, 1),
              &R::maxDelay),
        retry(FieldSpec("Dial retries", "backoff_multiplier", "Backoff factor",
                        "Each wait is this many times the one before (1 = constant).")
                  .number(1, 100, 2, 0.25, " ×"),
              &R::backoffMultiplier),
        retry(FieldSpec("Dial retries", "jitter_factor", "Jitter",
                        "Each wait varies randomly by up to this fraction either way (0..1), so "
                        "many dialers do not retry in step.")
                  .number(0, 1, 2, 0.05),
              &R::jitterFactor),
        connection(FieldSpec("Metrics", "metrics_peer_label_limit", "Peers with own metrics label",
                             "In /metrics, this many peers get their own peer label; the rest are "
                             "summed up as \"other\".")
                       .integer(0, 100000, " peers"),
                   &C::metricsPeerLabelLimit),
        services(FieldSpec("Services", "serve_perf", "Serve perf",
                           "Answer /perf/1.0.0 throughput requests. Off by default: any peer "
                           "can ask for as much data as the limit below allows.")
                     .boolean(),
                 &S::servePerf),
        services(FieldSpec("Services", "perf_max_stream_bytes", "Perf limit per stream",
                           "The most one perf request may send or receive, each way; a "
                           "request for more is refused.")
                     .number(1, 9007199254740992.0, 0, 1048576, " bytes"),
                 &S::perfMaxStreamBytes),
        resources(FieldSpec("Resource limits", "system_pending_handshakes", "Handshakes under way",
                            "Connections accepted or dialled whose handshake has not finished. "
                            "More are closed at once, before any cryptography.")
                      .integer(1, 100000),
                  &L::systemPendingHandshakes),
        resources(FieldSpec("Resource limits", "ip_pending_handshakes", "Handshakes per address",
                            "Handshakes under way from one IPv4 address or IPv6 /64; more from it "
                            "are closed at once.")
                      .integer(1, 100000),
                  &L::ipPendingHandshakes),
        resources(FieldSpec("Resource limits", "system_inbound_connections", "Inbound connections",
                            "Established inbound connections; a new one over this is closed after "
                            "its handshake.")
                      .integer(1, 1000000),
                  &L::systemInboundConnections),
        resources(
            FieldSpec(
                "Resource limits", "system_outbound_connections", "Outbound connections",
                "Established outbound connections; a dial over this fails after its handshake.")
                .integer(1, 1000000),
            &L::systemOutboundConnections),
        resources(FieldSpec("Resource limits", "ip_inbound_connections",
                            "Inbound connections per address",
                            "Inbound connections from one IPv4 address or IPv6 /64.")
                      .integer(1, 1000000),
                  &L::ipInboundConnections),
        resources(
            FieldSpec(
                "Resource limits", "peer_connections", "Connections per peer",
                "Connections to one peer, both directions, as a hard cap (go-libp2p allows 8).")
                .integer(1, 100000),
            &L::peerConnections),
        resources(FieldSpec("Resource limits", "system_inbound_streams", "Inbound streams",
                            "Streams opened by peers, all connections together; more are reset "
                            "before any handler runs.")
                      .integer(1, 10000000),
                  &L::systemInboundStreams),
        resources(FieldSpec("Resource limits", "system_outbound_streams", "Outbound streams",
                            "Streams this node opens, all connections together; more fail to open.")
                      .integer(1, 10000000),
                  &L::systemOutboundStreams),
        resources(FieldSpec("Resource limits", "peer_inbound_streams", "Inbound streams per peer",
                            "Streams one peer has open to us, over all its connections.")
                      .integer(1, 10000000),
                  &L::peerInboundStreams),
        resources(FieldSpec("Resource limits", "peer_outbound_streams", "Outbound streams per peer",
                            "Streams this node has open to one peer.")
                      .integer(1, 10000000),
                  &L::peerOutboundStreams),
        resources(FieldSpec("Resource limits", "connection_inbound_streams",
                            "Inbound streams per connection",
                            "Streams a peer has open on one connection.")
                      .integer(1, 10000000),
                  &L::connectionInboundStreams),
        resources(
            FieldSpec("Resource limits", "protocol_inbound_streams", "Inbound streams per protocol",
                      "Streams of one protocol from one peer, counted once the protocol is agreed.")
                .integer(1, 10000000),
            &L::protocolInboundStreams),
        resources(FieldSpec("Resource limits", "system_buffered_bytes", "Bytes buffered",
                            "Bytes held for all connections that the kernel does not hold: send "
                            "queues and data not yet read. Over it new inbound streams are reset "
                            "and receive windows stop growing.")
                      .number(1, 2147483647, 0, 1048576, " bytes"),
                  &L::systemBufferedBytes),
        resources(FieldSpec("Resource limits", "peer_buffered_bytes", "Bytes buffered per peer",
                            "Bytes held for one peer's connections.")
                      .number(1, 2147483647, 0, 1048576, " bytes"),
                  &L::peerBufferedBytes),
        resources(FieldSpec("Resource limits", "connection_buffered_bytes",
                            "Bytes buffered per connection", "Bytes held for one connection.")
                      .number(1, 2147483647, 0, 1048576, " bytes"),
                  &L::connectionBufferedBytes),
        resources(FieldSpec("Resource limits", "stream_buffered_bytes", "Bytes queued per stream",
                            "Writes of one stream not yet sent; a write past it resets the "
                            "stream. At least 2 MiB.")
                      .number(2097152, 2147483647, 0, 1048576, " bytes"),
                  &L::streamBufferedBytes),
        relay(FieldSpec("Relay service", "enabled", "Relay for other peers",
                        "Serve circuit relay v2: peers behind NATs reserve a slot here and others "
                        "reach them through this node. Off by default: relaying costs bandwidth "
                        "for strangers. --relay-service turns it on whatever this says.")
                  .boolean(),
              &V::enabled),
        relay(FieldSpec("Relay service", "reservation_ttl", "Reservation lasts",
                        "How long a reservation holds unless the peer refreshes it; it also ends "
                        "when the peer's last connection to us closes.")
                  .integer(1, 2147483647, " s"),
              &V::reservationTtl),
        relay(FieldSpec("Relay service", "max_reservations", "Reservations",
                        "Peers that may hold a reservation at once; more are refused.")
                  .integer(1, 1000000),
              &V::maxReservations),
        relay(FieldSpec("Relay service", "max_reservations_per_ip", "Reservations per address",
                        "Reservations from one IPv4 address or IPv6 /64.")
                  .integer(1, 1000000),
              &V::maxReservationsPerIp),
        relay(FieldSpec("Relay service", "max_circuits", "Circuits",
                        "Relayed connections through this node at once.")
                  .integer(1, 1000000),
              &V::maxCircuits),
        relay(FieldSpec("Relay service", "max_circuits_per_peer", "Circuits per peer",
                        "Relayed connections one peer takes part in, as source or destination.")
                  .integer(1, 1000000),
              &V::maxCircuitsPerPeer),
        relay(FieldSpec("Relay service", "circuit_duration", "Circuit lasts at most",
                        "A relayed connection is reset after this long (peers usually upgrade "
                        "to a direct connection before).")
                  .integer(1, 2147483647, " s"),
              &V::circuitDuration),
        relay(FieldSpec("Relay service", "circuit_data_bytes", "Circuit data, each way",
                        "A relayed connection is reset once more than this has crossed it in one "
                        "direction.")
                  .number(1, 9007199254740992.0, 0, 65536, " bytes"),
              &V::circuitDataBytes),
        relayPeers(FieldSpec("Relay service", "trusted_peers", "Trusted peers",
                             "Peer IDs (separated by commas or spaces) whose circuits have no "
                             "duration or data limit, as source or destination.")
                       .peerList(),
                   &V::trustedPeers),
        relayAddrs(FieldSpec("Relays we use", "relays", "Relays",
                             "Relays to hold a reservation on, so peers that cannot dial us reach "
                             "us through them: multiaddrs ending in /p2p/<relay id>, separated by "
                             "spaces. --relay adds to them. The Relays tab adds and removes them "
                             "for this run.")
                       .peerList(),
                   &RC::relays),
        relayClient(FieldSpec("Relays we use", "automatic_relays", "Find relays automatically",
                              "Connected peers whose identify lists the relay service are "
                              "candidates too.")
                        .boolean(),
                    &RC::automaticRelays),
        relayClient(FieldSpec("Relays we use", "reservations", "Reservations to hold",
                              "Relays to hold a reservation on at once; 0 holds none.")
                        .integer(0, 16),
                    &RC::reservations),
        relayClient(FieldSpec("Relays we use", "relay_switch_rtt_ms", "Switch above",
                              "A relay in use that answers slower than this for the given "
                              "number of probes in a row is replaced by one clearly better (at "
                              "least 10 ms faster and under 2/3 of its round trip).")
                        .number(1, 60000, 0, 10, " ms"),
                    &RC::relaySwitchRttMs),
        relayClient(FieldSpec("Relays we use", "relay_switch_probes", "Slow probes before a switch",
                              "Consecutive slow probes (every 5 s) before an automatic switch.")
                        .integer(1, 1000),
                    &RC::relaySwitchProbes),
    };
    return specs;
}

QString strategyTitle(const std::string& name) {
    if (name == "round_robin")
        return ConfigEditorWidget::tr("Round robin");
    if (name == "least_loaded")
        return ConfigEditorWidget::tr("Least loaded (fewest streams)");
    if (name == "health_based")
        return ConfigEditorWidget::tr("Health based (best score)");
    if (name == "latency_based")
        return ConfigEditorWidget::tr("Latency based (lowest RTT)");
    return QString::fromStdString(name);
}

// The value as the form shows it, for tooltips ("Default: 30 s").
QString valueText(const FieldSpec& spec, double value) {
    switch (spec.kind) {
    case FieldKind::Boolean:
        return value != 0 ? ConfigEditorWidget::tr("on") : ConfigEditorWidget::tr("off");
    case FieldKind::Strategy:
        return QString::fromLatin1(
            loadBalancingStrategyName(static_cast<LoadBalancingStrategy>(int(value))));
    case FieldKind::PeerList:
        return ConfigEditorWidget::tr("none");
    case FieldKind::Integer:
    case FieldKind::Seconds:
    case FieldKind::Number:
        break;
    }
    if (spec.minimumText != nullptr && value == spec.minimum)
        return QString::fromUtf8(spec.minimumText);
    return QLocale().toString(value, 'g', 10) + QString::fromUtf8(spec.suffix);
}

QString defaultText(const FieldSpec& spec, const EngineConfig& defaults) {
    if (spec.kind == FieldKind::PeerList && !spec.getList(defaults).isEmpty())
        return spec.getList(defaults).join(QStringLiteral(", "));
    return valueText(spec, spec.get(defaults));
}

QColor errorColor() {
    return QColor(0xc0, 0x1c, 0x28);
}

} // namespace

struct ConfigEditorWidget::FieldRow {
    const FieldSpec* spec = nullptr;
    QLabel* label = nullptr;
    QWidget* editor = nullptr;
    QLabel* error = nullptr;
    QRegularExpression mention; // the field's name as a whole word in a message
};

ConfigEditorWidget::ConfigEditorWidget(QWidget* parent) : QWidget(parent) {
    setObjectName(QStringLiteral("configEditor"));

    pathLabel_ = new QLabel;
    pathLabel_->setObjectName(QStringLiteral("configPathLabel"));
    pathLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    pathLabel_->setWordWrap(true);

    auto* scroll = new QScrollArea;
    scroll->setObjectName(QStringLiteral("configFormScrollArea"));
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidget(createForm());

    QPalette errorPalette = palette();
    errorPalette.setColor(QPalette::WindowText, errorColor());
    messagesLabel_ = new QLabel;
    messagesLabel_->setObjectName(QStringLiteral("validationMessagesLabel"));
    messagesLabel_->setPalette(errorPalette);
    messagesLabel_->setWordWrap(true);
    messagesLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    messagesLabel_->setTextFormat(Qt::PlainText);

    differingLabel_ = new QLabel;
    differingLabel_->setObjectName(QStringLiteral("differingFromDefaultsLabel"));
    differingLabel_->setWordWrap(true);
    differingLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    differingLabel_->setTextFormat(Qt::PlainText);

    statusLabel_ = new QLabel;
    statusLabel_->setObjectName(QStringLiteral("applyStatusLabel"));
    statusLabel_->setWordWrap(true);
    statusLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    statusLabel_->setTextFormat(Qt::PlainText);

    defaultsButton_ = new QPushButton(tr("Restore &Defaults"));
    defaultsButton_->setObjectName(QStringLiteral("restoreDefaultsButton"));
    defaultsButton_->setToolTip(
        tr("Fill the form with the built-in defaults; nothing changes until you apply"));
    revertButton_ = new QPushButton(tr("&Revert"));
    revertButton_->setObjectName(QStringLiteral("revertButton"));
    revertButton_->setToolTip(tr("Discard your edits: back to the running configuration"));
    saveButton_ = new QPushButton(tr("&Save to File"));
    saveButton_->setObjectName(QStringLiteral("saveButton"));
    applyButton_ = new QPushButton(tr("&Apply"));
    applyButton_->setObjectName(QStringLiteral("applyButton"));
    applyButton_->setToolTip(tr("Use these settings now, until the engine restarts. Open "
                                "connections stay; new decisions follow the new values."));
    applyButton_->setDefault(true);
    connect(defaultsButton_, &QPushButton::clicked, this, &ConfigEditorWidget::restoreDefaults);
    connect(revertButton_, &QPushButton::clicked, this, &ConfigEditorWidget::revert);
    connect(saveButton_, &QPushButton::clicked, this, [this] { requestApply(true); });
    connect(applyButton_, &QPushButton::clicked, this, [this] { requestApply(false); });

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(defaultsButton_);
    buttons->addStretch(1);
    buttons->addWidget(revertButton_);
    buttons->addWidget(saveButton_);
    buttons->addWidget(applyButton_);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(pathLabel_);
    layout->addWidget(scroll, 1);
    layout->addWidget(messagesLabel_);
    layout->addWidget(differingLabel_);
    layout->addWidget(statusLabel_);
    layout->addLayout(buttons);

    loadForm(edited_);
    refresh();
}

ConfigEditorWidget::~ConfigEditorWidget() = default;

QWidget* ConfigEditorWidget::createForm() {
    auto* form = new QWidget;
    auto* layout = new QVBoxLayout(form);
    QGroupBox* group = nullptr;
    QFormLayout* groupLayout = nullptr;
    const EngineConfig defaults;
    rows_.reserve(fieldSpecs().size());
    for (const FieldSpec& spec : fieldSpecs()) {
        if (group == nullptr || group->title() != tr(spec.group)) {
            group = new QGroupBox(tr(spec.group));
            groupLayout = new QFormLayout(group);
            groupLayout->setFieldGrowthPolicy(QFormLayout::FieldsStayAtSizeHint);
            layout->addWidget(group);
        }
        FieldRow& row = rows_.emplace_back();
        row.spec = &spec;
        row.mention = QRegularExpression(
            QStringLiteral("(^|[^a-z_])%1($|[^a-z_])").arg(QLatin1String(spec.name)));
        row.label = new QLabel(tr(spec.label));
        row.editor = createEditor(row);
        row.editor->setObjectName(QLatin1String(spec.name));
        row.label->setBuddy(row.editor);
        const QString tooltip =
            tr("<p><b>%1.%2</b></p><p>%3</p><p>Default: %4</p>")
                .arg(QLatin1String(spec.section), QLatin1String(spec.name),
                     tr(spec.help).toHtmlEscaped(), defaultText(spec, defaults).toHtmlEscaped());
        row.label->setToolTip(tooltip);
        row.editor->setToolTip(tooltip);

        row.error = new QLabel;
        row.error->setObjectName(QLatin1String(spec.name) + QStringLiteral("Error"));
        QPalette errorPalette = row.error->palette();
        errorPalette.setColor(QPalette::WindowText, errorColor());
        row.error->setPalette(errorPalette);
        row.error->setTextFormat(Qt::PlainText); // one line: wrapping in a form row clips it
        row.error->hide();

        auto* field = new QWidget;
        auto* fieldLayout = new QVBoxLayout(field);
        fieldLayout->setContentsMargins(0, 0, 0, 0);
        fieldLayout->setSpacing(2);
        fieldLayout->addWidget(row.editor, 0, Qt::AlignLeft);
        fieldLayout->addWidget(row.error);
        groupLayout->addRow(row.label, field);
    }
    // One label column width for all groups, so the editors line up down the page.
    int labelWidth = 0;
    for (const FieldRow& row : rows_) {
        QFont bold = row.label->font();
        bold.setBold(true);
        labelWidth = std::max(labelWidth, QFontMetrics(bold).horizontalAdvance(
                                              tr(row.spec->label) + QStringLiteral(" ●")));
    }
    for (const FieldRow& row : rows_)
        row.label->setMinimumWidth(labelWidth);

    auto* legend = new QLabel(tr("Bold: differs from the default.  ●: edited, not applied yet."));
    legend->setEnabled(false); // greyed out: a hint, not a value
    layout->addWidget(legend);
    layout->addStretch(1);
    return form;
}

QWidget* ConfigEditorWidget::createEditor(FieldRow& row) {
    const FieldSpec& spec = *row.spec;
    const std::size_t index = rows_.size() - 1;
    auto edited = [this, index](double value) { fieldEdited(rows_[index], value); };
    switch (spec.kind) {
    case FieldKind::Integer: {
        auto* box = new QSpinBox;
        box->setRange(int(spec.minimum), int(spec.maximum));
        box->setSingleStep(int(spec.step));
        box->setSuffix(QString::fromUtf8(spec.suffix));
        box->setAccelerated(true);
        connect(box, &QSpinBox::valueChanged, this, [edited](int value) { edited(value); });
        return box;
    }
    case FieldKind::Seconds:
    case FieldKind::Number: {
        auto* box = new QDoubleSpinBox;
        box->setDecimals(spec.decimals);
        box->setRange(spec.minimum, spec.maximum);
        box->setSingleStep(spec.step);
        box->setSuffix(QString::fromUtf8(spec.suffix));
        box->setAccelerated(true);
        if (spec.minimumText != nullptr)
            box->setSpecialValueText(tr(spec.minimumText));
        connect(box, &QDoubleSpinBox::valueChanged, this, edited);
        return box;
    }
    case FieldKind::Boolean: {
        auto* box = new QCheckBox(tr("Enabled"));
        connect(box, &QCheckBox::toggled, this, [edited](bool on) { edited(on ? 1 : 0); });
        return box;
    }
    case FieldKind::PeerList: {
        auto* line = new QLineEdit;
        line->setMinimumWidth(QFontMetrics(line->font()).horizontalAdvance(QLatin1Char('0')) * 60);
        line->setPlaceholderText(tr("none"));
        connect(line, &QLineEdit::textEdited, this, [this, index](const QString& text) {
            rows_[index].spec->setList(edited_, splitPeerList(text));
            refresh();
        });
        return line;
    }
    case FieldKind::Strategy: {
        auto* box = new QComboBox;
        for (const std::string& name : loadBalancingStrategyNames())
            box->addItem(strategyTitle(name),
                         static_cast<int>(*loadBalancingStrategyFromName(name)));
        connect(box, &QComboBox::currentIndexChanged, this,
                [box, edited](int index) { edited(box->itemData(index).toInt()); });
        return box;
    }
    }
    return new QWidget;
}

void ConfigEditorWidget::fieldEdited(const FieldRow& row, double value) {
    row.spec->set(edited_, value);
    refresh();
}

void ConfigEditorWidget::loadForm(const EngineConfig& config) {
    for (FieldRow& row : rows_) {
        const double value = row.spec->get(config);
        // Filling the form is not an edit: edited_ is set by the caller, exactly (a spin box
        // rounds to its decimals).
        const QSignalBlocker blocker(row.editor);
        if (auto* spin = qobject_cast<QSpinBox*>(row.editor))
            spin->setValue(static_cast<int>(std::lround(value)));
        else if (auto* doubleSpin = qobject_cast<QDoubleSpinBox*>(row.editor))
            doubleSpin->setValue(value);
        else if (auto* check = qobject_cast<QCheckBox*>(row.editor))
            check->setChecked(value != 0);
        else if (auto* combo = qobject_cast<QComboBox*>(row.editor))
            combo->setCurrentIndex(combo->findData(static_cast<int>(value)));
        else if (auto* line = qobject_cast<QLineEdit*>(row.editor))
            line->setText(row.spec->getList(config).join(QStringLiteral(", ")));
    }
}

void ConfigEditorWidget::setRunningConfig(const EngineConfig& config, const QString& configPath) {
    if (config == running_ && configPath == configPath_)
        return; // the 4 Hz snapshots mostly repeat themselves
    const bool follow = !hasUnappliedEdits() && !pending_;
    running_ = config;
    configPath_ = configPath;
    if (follow) {
        edited_ = config;
        loadForm(edited_);
    }
    refresh();
}

QStringList ConfigEditorWidget::validationMessages() const {
    QStringList messages;
    for (const std::string& message : edited_.validate())
        messages << QString::fromStdString(message);
    return messages;
}

void ConfigEditorWidget::refresh() {
    const QStringList messages = validationMessages();
    const EngineConfig defaults;
    for (FieldRow& row : rows_) {
        QStringList mine;
        for (const QString& message : messages)
            if (row.mention.match(message).hasMatch())
                mine << message;
        row.error->setText(mine.join(QLatin1Char('\n')));
        row.error->setVisible(!mine.isEmpty());

        QFont font = row.label->font();
        font.setBold(!sameValue(*row.spec, edited_, defaults));
        row.label->setFont(font);
        const bool unapplied = !sameValue(*row.spec, edited_, running_);
        row.label->setText(unapplied ? tr(row.spec->label) + QStringLiteral(" ●")
                                     : tr(row.spec->label));
    }

    messagesLabel_->setVisible(!messages.isEmpty());
    if (!messages.isEmpty()) {
        QStringList lines{messages.size() == 1
                              ? tr("Cannot apply, 1 value is not valid:")
                              : tr("Cannot apply, %1 values are not valid:").arg(messages.size())};
        for (const QString& message : messages)
            lines << QStringLiteral("• ") + message;
        messagesLabel_->setText(lines.join(QLatin1Char('\n')));
    }

    QStringList differing;
    for (const std::string& field : edited_.differingFromDefaults())
        differing << QString::fromStdString(field);
    differingLabel_->setText(
        differing.isEmpty()
            ? tr("All values are the defaults.")
            : tr("Differs from the defaults: %1").arg(differing.join(QStringLiteral(", "))));

    pathLabel_->setText(configPath_.isEmpty()
                            ? tr("Running configuration (no config file known yet)")
                            : tr("Running configuration · Save writes %1").arg(configPath_));
    saveButton_->setToolTip(configPath_.isEmpty()
                                ? tr("Apply, and write the settings to the config file")
                                : tr("Apply, and write the settings to %1").arg(configPath_));

    const bool valid = messages.isEmpty();
    const bool idle = !pending_;
    applyButton_->setEnabled(valid && idle && hasUnappliedEdits());
    saveButton_->setEnabled(valid && idle);
    revertButton_->setEnabled(idle && hasUnappliedEdits());
    defaultsButton_->setEnabled(idle && edited_ != defaults);

    QPalette statusPalette = palette();
    if (resultIsError_ && idle)
        statusPalette.setColor(QPalette::WindowText, errorColor());
    statusLabel_->setPalette(statusPalette);
    const QString status = statusText();
    statusLabel_->setText(status);
    statusLabel_->setVisible(!status.isEmpty());
}

QString ConfigEditorWidget::statusText() const {
    if (pending_)
        return pendingPersist_ ? tr("Saving…") : tr("Applying…");
    if (resultIsError_)
        return resultText_;
    if (hasUnappliedEdits()) {
        int count = 0;
        for (const FieldRow& row : rows_)
            count += sameValue(*row.spec, edited_, running_) ? 0 : 1;
        return count == 1 ? tr("1 edited value is not applied yet.")
                          : tr("%1 edited values are not applied yet.").arg(count);
    }
    return resultText_;
}

void ConfigEditorWidget::requestApply(bool persist) {
    if (pending_ || !edited_.validate().empty())
        return;
    pending_ = edited_;
    pendingPersist_ = persist;
    resultText_.clear();
    resultIsError_ = false;
    refresh();
    Q_EMIT applyRequested(edited_, persist);
}

void ConfigEditorWidget::showApplyResult(const QString& error) {
    const bool persisted = pendingPersist_;
    if (error.isEmpty()) {
        // The next snapshot says so too; until then the form should not read as unapplied.
        if (pending_)
            running_ = *pending_;
        resultIsError_ = false;
        resultText_ = !persisted              ? tr("Applied.")
                      : configPath_.isEmpty() ? tr("Applied and saved.")
                                              : tr("Applied and saved to %1.").arg(configPath_);
    } else {
        resultIsError_ = true;
        resultText_ = (persisted ? tr("Not saved: %1") : tr("Not applied: %1")).arg(error);
    }
    pending_.reset();
    refresh();
}

void ConfigEditorWidget::revert() {
    edited_ = running_;
    loadForm(edited_);
    resultText_.clear();
    resultIsError_ = false;
    refresh();
}

void ConfigEditorWidget::restoreDefaults() {
    edited_ = EngineConfig{};
    loadForm(edited_);
    refresh();
}

} // namespace peerscope
