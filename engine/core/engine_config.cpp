#include "engine/core/engine_config.h"

#include "engine/core/circuit_addr.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QStringList>
#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>
#include <string_view>
#include <type_traits>

namespace peerscope {

namespace {

enum class Kind {
    Integer,
    Bytes,
    Number,
    Seconds,
    WholeSeconds,
    Boolean,
    Strategy,
    PeerIdList,
    RelayAddressList,
};

// One JSON field: where it lives and how to read and write it.
struct Field {
    const char* section; // one of EngineConfig::sectionNames()
    const char* name;
    Kind kind;
    std::function<QJsonValue(const EngineConfig&)> get;
    std::function<void(EngineConfig&, const QJsonValue&)> set;
};

// A field of `Section` (EngineConfig::*sectionMember), read and written as `kind`.
template <typename Section, typename Value>
Field field(const char* section, Section EngineConfig::*sectionMember, const char* name, Kind kind,
            Value Section::*member) {
    return {section, name, kind,
            [sectionMember, member](const EngineConfig& c) -> QJsonValue {
                const Value& value = c.*sectionMember.*member;
                if constexpr (std::is_same_v<Value, bool>)
                    return value;
                else if constexpr (std::is_same_v<Value, std::vector<std::string>>) {
                    QJsonArray array;
                    for (const std::string& item : value)
                        array.append(QString::fromStdString(item));
                    return array;
                } else if constexpr (std::is_same_v<Value, LoadBalancingStrategy>)
                    return QString::fromLatin1(loadBalancingStrategyName(value));
                else if constexpr (std::is_arithmetic_v<Value>)
                    return static_cast<double>(value);
                else
                    return static_cast<double>(value.count()); // a duration in seconds
            },
            [sectionMember, member](EngineConfig& c, const QJsonValue& v) {
                Value& value = c.*sectionMember.*member;
                if constexpr (std::is_same_v<Value, bool>)
                    value = v.toBool();
                else if constexpr (std::is_same_v<Value, std::vector<std::string>>) {
                    value.clear();
                    for (const QJsonValue& item : v.toArray())
                        value.push_back(item.toString().toStdString());
                } else if constexpr (std::is_same_v<Value, LoadBalancingStrategy>)
                    value = *loadBalancingStrategyFromName(v.toString().toStdString());
                else if constexpr (std::is_arithmetic_v<Value>)
                    value = static_cast<Value>(v.toDouble());
                else
                    value = Value(static_cast<typename Value::rep>(v.toDouble()));
            }};
}

template <typename Value>
Field connectionField(const char* name, Kind kind, Value ConnectionConfig::*member) {
    return field("connection", &EngineConfig::connection, name, kind, member);
}
template <typename Value>
Field retryField(const char* name, Kind kind, Value RetryConfig::*member) {
    return field("retry", &EngineConfig::retry, name, kind, member);
}
template <typename Value> Field resourcesField(const char* name, Value ResourceLimits::*member) {
    return field("resources", &EngineConfig::resources, name, Kind::Integer, member);
}
template <typename Value>
Field relayClientField(const char* name, Kind kind, Value RelayClientConfig::*member) {
    return field("relay_client", &EngineConfig::relayClient, name, kind, member);
}
template <typename Value>
Field relayServiceField(const char* name, Kind kind, Value RelayServiceConfig::*member) {
    return field("relay_service", &EngineConfig::relayService, name, kind, member);
}
template <typename Value>
Field servicesField(const char* name, Kind kind, Value ServicesConfig::*member) {
    return field("services", &EngineConfig::services, name, kind, member);
}

const std::vector<Field>& fields() {
    static const std::vector<Field> all = [] {
        using C = ConnectionConfig;
        using R = RetryConfig;
        using S = ServicesConfig;
        using L = ResourceLimits;
        using RC = RelayClientConfig;
        using V = RelayServiceConfig;
        return std::vector<Field>{
            connectionField("max_connections_per_peer", Kind::Integer, &C::maxConnectionsPerPeer),
            connectionField("min_connections_per_peer", Kind::Integer, &C::minConnectionsPerPeer),
            connectionField("max_connections", Kind::Integer, &C::maxConnections),
            connectionField("max_inbound_connections", Kind::Integer, &C::maxInboundConnections),
            connectionField("max_outbound_connections", Kind::Integer, &C::maxOutboundConnections),
            connectionField("low_water", Kind::Integer, &C::lowWater),
            connectionField("high_water", Kind::Integer, &C::highWater),
            connectionField("grace_period", Kind::Seconds, &C::gracePeriod),
            connectionField("connection_timeout", Kind::Seconds, &C::connectionTimeout),
            connectionField("idle_timeout", Kind::Seconds, &C::idleTimeout),
            connectionField("load_balancing_strategy", Kind::Strategy, &C::loadBalancingStrategy),
            connectionField("enable_health_monitoring", Kind::Boolean, &C::enableHealthMonitoring),
            connectionField("health_check_interval", Kind::Seconds, &C::healthCheckInterval),
            connectionField("ping_timeout", Kind::Seconds, &C::pingTimeout),
            connectionField("min_health_threshold", Kind::Number, &C::minHealthThreshold),
            connectionField("latency_weight", Kind::Number, &C::latencyWeight),
            connectionField("success_rate_weight", Kind::Number, &C::successRateWeight),
            connectionField("stability_weight", Kind::Number, &C::stabilityWeight),
            connectionField("max_ping_latency_ms", Kind::Number, &C::maxPingLatencyMs),
            connectionField("min_ping_success_rate", Kind::Number, &C::minPingSuccessRate),
            connectionField("max_failed_streams", Kind::Integer, &C::maxFailedStreams),
            connectionField("unhealthy_checks_before_replace", Kind::Integer,
                            &C::unhealthyChecksBeforeReplace),
            connectionField("adaptive_timeouts", Kind::Boolean, &C::adaptiveTimeouts),
            connectionField("metrics_peer_label_limit", Kind::Integer, &C::metricsPeerLabelLimit),
            retryField("max_retries", Kind::Integer, &R::maxRetries),
            retryField("initial_delay", Kind::Seconds, &R::initialDelay),
            retryField("max_delay", Kind::Seconds, &R::maxDelay),
            retryField("backoff_multiplier", Kind::Number, &R::backoffMultiplier),
            retryField("jitter_factor", Kind::Number, &R::jitterFactor),
            servicesField("serve_perf", Kind::Boolean, &S::servePerf),
            servicesField("perf_max_stream_bytes", Kind::Bytes, &S::perfMaxStreamBytes),
            resourcesField("system_pending_handshakes", &L::systemPendingHandshakes),
            resourcesField("ip_pending_handshakes", &L::ipPendingHandshakes),
            resourcesField("system_inbound_connections", &L::systemInboundConnections),
            resourcesField("system_outbound_connections", &L::systemOutboundConnections),
            resourcesField("ip_inbound_connections", &L::ipInboundConnections),
            resourcesField("peer_connections", &L::peerConnections),
            resourcesField("system_inbound_streams", &L::systemInboundStreams),
            resourcesField("system_outbound_streams", &L::systemOutboundStreams),
            resourcesField("peer_inbound_streams", &L::peerInboundStreams),
            resourcesField("peer_outbound_streams", &L::peerOutboundStreams),
            resourcesField("connection_inbound_streams", &L::connectionInboundStreams),
            resourcesField("protocol_inbound_streams", &L::protocolInboundStreams),
            resourcesField("system_buffered_bytes", &L::systemBufferedBytes),
            resourcesField("peer_buffered_bytes", &L::peerBufferedBytes),
            resourcesField("connection_buffered_bytes", &L::connectionBufferedBytes),
            resourcesField("stream_buffered_bytes", &L::streamBufferedBytes),
            relayServiceField("enabled", Kind::Boolean, &V::enabled),
            relayServiceField("reservation_ttl", Kind::WholeSeconds, &V::reservationTtl),
            relayServiceField("max_reservations", Kind::Integer, &V::maxReservations),
            relayServiceField("max_reservations_per_ip", Kind::Integer, &V::maxReservationsPerIp),
            relayServiceField("max_circuits", Kind::Integer, &V::maxCircuits),
            relayServiceField("max_circuits_per_peer", Kind::Integer, &V::maxCircuitsPerPeer),
            relayServiceField("circuit_duration", Kind::WholeSeconds, &V::circuitDuration),
            relayServiceField("circuit_data_bytes", Kind::Bytes, &V::circuitDataBytes),
            relayServiceField("trusted_peers", Kind::PeerIdList, &V::trustedPeers),
            relayClientField("relays", Kind::RelayAddressList, &RC::relays),
            relayClientField("automatic_relays", Kind::Boolean, &RC::automaticRelays),
            relayClientField("reservations", Kind::Integer, &RC::reservations),
            relayClientField("relay_switch_rtt_ms", Kind::Number, &RC::relaySwitchRttMs),
            relayClientField("relay_switch_probes", Kind::Integer, &RC::relaySwitchProbes),
        };
    }();
    return all;
}

std::string show(double value) {
    // Byte limits are whole numbers in the millions: "1048576", not "1.04858e+06".
    if (value == std::floor(value) && std::fabs(value) < 1e15)
        return std::to_string(static_cast<long long>(value));
    std::ostringstream out;
    out << value;
    return out.str();
}

std::string jsonText(const QJsonValue& value) {
    if (value.isString()) {
        std::string quoted(1, '"');
        quoted += value.toString().toStdString();
        quoted += '"';
        return quoted;
    }
    if (value.isBool())
        return value.toBool() ? "true" : "false";
    if (value.isNull())
        return "null";
    if (value.isDouble())
        return show(value.toDouble());
    return value.isArray() ? "an array" : "an object";
}

const char* kindName(Kind kind) {
    switch (kind) {
    case Kind::Integer:
        return "an integer";
    case Kind::Bytes:
        return "a whole number of bytes";
    case Kind::Number:
        return "a number";
    case Kind::Seconds:
        return "a number of seconds";
    case Kind::WholeSeconds:
        return "a whole number of seconds";
    case Kind::Boolean:
        return "true or false";
    case Kind::Strategy:
        return "a strategy name";
    case Kind::RelayAddressList:
        return "a list of relay addresses";
    case Kind::PeerIdList:
        return "an array of peer IDs";
    }
    return "a value";
}

// Type check of one JSON value against its field; empty when it fits.
std::string typeError(const Field& field, const QJsonValue& value) {
    const std::string where = std::string(field.section) + "." + field.name + ": ";
    switch (field.kind) {
    case Kind::Integer:
        if (!value.isDouble() || std::floor(value.toDouble()) != value.toDouble() ||
            std::abs(value.toDouble()) > 2e9)
            return where + "expected " + kindName(field.kind) + ", got " + jsonText(value);
        return {};
    case Kind::Bytes:
        // Exact in a JSON number (a double) up to 2^53.
        if (!value.isDouble() || std::floor(value.toDouble()) != value.toDouble() ||
            value.toDouble() < 0 || value.toDouble() > 9007199254740992.0)
            return where + "expected " + kindName(field.kind) + ", got " + jsonText(value);
        return {};
    case Kind::WholeSeconds:
        if (!value.isDouble() || std::floor(value.toDouble()) != value.toDouble() ||
            value.toDouble() < 0 || value.toDouble() > 4294967295.0)
            return where + "expected " + kindName(field.kind) + ", got " + jsonText(value);
        return {};
    case Kind::PeerIdList: {
        if (!value.isArray())
            return where + "expected " + kindName(field.kind) + ", got " + jsonText(value);
        const QJsonArray array = value.toArray();
        for (qsizetype i = 0; i < array.size(); ++i)
            if (!array[i].isString())
                return std::string(field.section) + "." + field.name + "[" + std::to_string(i) +
                       "]: expected a peer ID string, got " + jsonText(array[i]);
        return {};
    }
    case Kind::Number:
    case Kind::Seconds:
        if (!value.isDouble() || !std::isfinite(value.toDouble()))
            return where + "expected " + kindName(field.kind) + ", got " + jsonText(value);
        return {};
    case Kind::Boolean:
        if (!value.isBool())
            return where + "expected " + kindName(field.kind) + ", got " + jsonText(value);
        return {};
    case Kind::RelayAddressList: {
        if (!value.isArray())
            return where + "expected " + kindName(field.kind) + ", got " + jsonText(value);
        const QJsonArray items = value.toArray();
        for (qsizetype i = 0; i < items.size(); ++i) {
            const std::string at =
                std::string(field.section) + "." + field.name + "[" + std::to_string(i) + "]: ";
            if (!items[i].isString())
                return at + "expected a multiaddr string, got " + jsonText(items[i]);
            if (std::string error = relayAddressError(items[i].toString().toStdString());
                !error.empty())
                return at + error;
        }
        return {};
    }
    case Kind::Strategy: {
        if (!value.isString() || !loadBalancingStrategyFromName(value.toString().toStdString())) {
            std::string names;
            for (const std::string& name : loadBalancingStrategyNames()) {
                if (!names.empty())
                    names += ", ";
                names += name;
            }
            return where + "expected one of " + names + ", got " + jsonText(value);
        }
        return {};
    }
    }
    return {};
}

} // namespace

std::string relayAddressError(const std::string& text) {
    Result<Multiaddr> addr = Multiaddr::parse(text);
    if (!addr)
        return "\"" + text + "\": " + addr.errorMessage();
    if (std::string problem = relayAddrProblem(*addr, false); !problem.empty())
        return "\"" + text + "\" " + problem;
    return {};
}

std::vector<std::string> EngineConfig::validate() const {
    std::vector<std::string> errors;
    const ConnectionConfig& c = connection;
    auto need = [&errors](bool ok, std::string message) {
        if (!ok)
            errors.push_back(std::move(message));
    };
    auto atLeast = [&](const char* name, double value, double minimum) {
        need(value >= minimum,
             std::string(name) + " (" + show(value) + ") must be at least " + show(minimum));
    };
    auto positive = [&](const char* name, double value) {
        need(value > 0, std::string(name) + " (" + show(value) + ") must be greater than 0");
    };
    auto unit = [&](const char* name, double value) {
        need(value >= 0 && value <= 1,
             std::string(name) + " (" + show(value) + ") must be within 0..1");
    };

    atLeast("max_connections_per_peer", c.maxConnectionsPerPeer, 1);
    atLeast("min_connections_per_peer", c.minConnectionsPerPeer, 0);
    need(c.minConnectionsPerPeer <= c.maxConnectionsPerPeer,
         "min_connections_per_peer (" + show(c.minConnectionsPerPeer) +
             ") exceeds max_connections_per_peer (" + show(c.maxConnectionsPerPeer) + ")");
    atLeast("max_connections", c.maxConnections, 1);
    atLeast("max_inbound_connections", c.maxInboundConnections, 0);
    atLeast("max_outbound_connections", c.maxOutboundConnections, 0);
    atLeast("low_water", c.lowWater, 0);
    need(c.lowWater < c.highWater, "low_water (" + show(c.lowWater) +
                                       ") must be below high_water (" + show(c.highWater) + ")");
    need(c.highWater <= c.maxConnections, "high_water (" + show(c.highWater) +
                                              ") exceeds max_connections (" +
                                              show(c.maxConnections) + ")");
    atLeast("grace_period", c.gracePeriod.count(), 0);
    positive("connection_timeout", c.connectionTimeout.count());
    atLeast("idle_timeout", c.idleTimeout.count(), 0);
    positive("health_check_interval", c.healthCheckInterval.count());
    positive("ping_timeout", c.pingTimeout.count());
    unit("min_health_threshold", c.minHealthThreshold);
    atLeast("latency_weight", c.latencyWeight, 0);
    atLeast("success_rate_weight", c.successRateWeight, 0);
    atLeast("stability_weight", c.stabilityWeight, 0);
    need(c.latencyWeight + c.successRateWeight + c.stabilityWeight > 0,
         "latency_weight + success_rate_weight + stability_weight must be greater than 0");
    positive("max_ping_latency_ms", c.maxPingLatencyMs);
    unit("min_ping_success_rate", c.minPingSuccessRate);
    atLeast("max_failed_streams", c.maxFailedStreams, 1);
    atLeast("unhealthy_checks_before_replace", c.unhealthyChecksBeforeReplace, 1);
    atLeast("metrics_peer_label_limit", c.metricsPeerLabelLimit, 0);

    atLeast("max_retries", retry.maxRetries, 0);
    atLeast("initial_delay", retry.initialDelay.count(), 0);
    positive("max_delay", retry.maxDelay.count());
    need(retry.initialDelay <= retry.maxDelay,
         "initial_delay (" + show(retry.initialDelay.count()) + ") exceeds max_delay (" +
             show(retry.maxDelay.count()) + ")");
    atLeast("backoff_multiplier", retry.backoffMultiplier, 1);
    unit("jitter_factor", retry.jitterFactor);

    atLeast("perf_max_stream_bytes", static_cast<double>(services.perfMaxStreamBytes), 1);

    const ResourceLimits& r = resources;
    // Every limit is a count of at least one; the names come from the one field table.
    for (const Field& field : fields())
        if (std::string_view(field.section) == "resources")
            atLeast(field.name, field.get(*this).toDouble(), 1);
    // A narrower scope above its wider one could never be reached.
    auto notAbove = [&](const char* name, int value, const char* wider, int widerValue) {
        need(value <= widerValue, std::string(name) + " (" + show(value) + ") exceeds " + wider +
                                      " (" + show(widerValue) + ")");
    };
    notAbove("ip_pending_handshakes", r.ipPendingHandshakes, "system_pending_handshakes",
             r.systemPendingHandshakes);
    notAbove("ip_inbound_connections", r.ipInboundConnections, "system_inbound_connections",
             r.systemInboundConnections);
    notAbove("connection_inbound_streams", r.connectionInboundStreams, "peer_inbound_streams",
             r.peerInboundStreams);
    notAbove("protocol_inbound_streams", r.protocolInboundStreams, "peer_inbound_streams",
             r.peerInboundStreams);
    notAbove("peer_buffered_bytes", r.peerBufferedBytes, "system_buffered_bytes",
             r.systemBufferedBytes);
    notAbove("connection_buffered_bytes", r.connectionBufferedBytes, "peer_buffered_bytes",
             r.peerBufferedBytes);
    notAbove("stream_buffered_bytes", r.streamBufferedBytes, "connection_buffered_bytes",
             r.connectionBufferedBytes);
    // A bulk writer keeps 1 MiB queued (StreamFiller) plus the chunk it adds: below 2 MiB a
    // well-behaved writer would be reset.
    atLeast("stream_buffered_bytes", r.streamBufferedBytes, 2 * 1024 * 1024);
    const RelayClientConfig& rc = relayClient;
    atLeast("reservations", rc.reservations, 0);
    need(rc.reservations <= 16, "reservations (" + show(rc.reservations) + ") must be at most 16");
    positive("relay_switch_rtt_ms", rc.relaySwitchRttMs);
    atLeast("relay_switch_probes", rc.relaySwitchProbes, 1);
    for (std::size_t i = 0; i < rc.relays.size(); ++i)
        if (std::string error = relayAddressError(rc.relays[i]); !error.empty())
            errors.push_back("relays[" + std::to_string(i) + "]: " + error);

    // The pool would keep dialling what the resource manager refuses.
    notAbove("max_connections_per_peer", c.maxConnectionsPerPeer, "peer_connections",
             r.peerConnections);

    const RelayServiceConfig& v = relayService;
    atLeast("reservation_ttl", static_cast<double>(v.reservationTtl.count()), 1);
    atLeast("max_reservations", v.maxReservations, 1);
    atLeast("max_reservations_per_ip", v.maxReservationsPerIp, 1);
    notAbove("max_reservations_per_ip", v.maxReservationsPerIp, "max_reservations",
             v.maxReservations);
    atLeast("max_circuits", v.maxCircuits, 1);
    atLeast("max_circuits_per_peer", v.maxCircuitsPerPeer, 1);
    notAbove("max_circuits_per_peer", v.maxCircuitsPerPeer, "max_circuits", v.maxCircuits);
    // No limit at all is what trusted_peers is for; the limit message carries 32-bit seconds.
    atLeast("circuit_duration", static_cast<double>(v.circuitDuration.count()), 1);
    need(v.circuitDuration.count() <= 4294967295LL,
         "circuit_duration (" + show(static_cast<double>(v.circuitDuration.count())) +
             ") must be at most 4294967295");
    atLeast("circuit_data_bytes", static_cast<double>(v.circuitDataBytes), 1);
    for (std::size_t i = 0; i < v.trustedPeers.size(); ++i)
        need(PeerId::parse(v.trustedPeers[i]).ok(), "relay_service.trusted_peers[" +
                                                        std::to_string(i) + "]: \"" +
                                                        v.trustedPeers[i] + "\" is not a peer ID");
    need(v.trustedPeers.size() <= 1024, "trusted_peers (" + std::to_string(v.trustedPeers.size()) +
                                            " entries) must have at most 1024");
    return errors;
}

const std::vector<std::string>& EngineConfig::sectionNames() {
    static const std::vector<std::string> names{"connection", "retry",         "services",
                                                "resources",  "relay_service", "relay_client"};
    return names;
}

QJsonObject EngineConfig::toJson() const {
    QJsonObject json{{"version", 1}};
    for (const std::string& section : sectionNames()) {
        QJsonObject sectionJson;
        for (const Field& field : fields())
            if (section == field.section)
                sectionJson.insert(QString::fromLatin1(field.name), field.get(*this));
        json.insert(QString::fromStdString(section), sectionJson);
    }
    return json;
}

std::vector<std::string> EngineConfig::fromJsonErrors(const QJsonObject& json,
                                                      const EngineConfig& base, EngineConfig* out) {
    std::vector<std::string> errors;
    EngineConfig result = base;
    for (auto it = json.begin(); it != json.end(); ++it) {
        const std::string key = it.key().toStdString();
        if (key == "version") {
            if (!it.value().isDouble() || it.value().toDouble() != 1)
                errors.push_back("version: expected 1, got " + jsonText(it.value()));
            continue;
        }
        const std::vector<std::string>& sections = sectionNames();
        if (std::find(sections.begin(), sections.end(), key) == sections.end()) {
            std::string expected;
            for (std::size_t i = 0; i < sections.size(); ++i)
                expected += (i == 0 ? "" : i + 1 == sections.size() ? " or " : ", ") + sections[i];
            errors.push_back(key + ": unknown section (expected " + expected + ")");
            continue;
        }
        if (!it.value().isObject()) {
            errors.push_back(key + ": expected an object, got " + jsonText(it.value()));
            continue;
        }
        const QJsonObject section = it.value().toObject();
        for (auto entry = section.begin(); entry != section.end(); ++entry) {
            const Field* field = nullptr;
            for (const Field& candidate : fields())
                if (key == candidate.section && entry.key() == QLatin1String(candidate.name))
                    field = &candidate;
            if (field == nullptr) {
                errors.push_back(key + "." + entry.key().toStdString() + ": unknown field");
                continue;
            }
            if (std::string error = typeError(*field, entry.value()); !error.empty()) {
                errors.push_back(error);
                continue;
            }
            field->set(result, entry.value());
        }
    }
    // Range and cross-field rules too, so one pass reports every bad field.
    for (std::string& error : result.validate())
        errors.push_back(std::move(error));
    if (errors.empty() && out != nullptr)
        *out = result;
    return errors;
}

Result<EngineConfig> EngineConfig::fromJson(const QJsonObject& json, const EngineConfig& base) {
    EngineConfig result;
    std::vector<std::string> errors = fromJsonErrors(json, base, &result);
    if (errors.empty())
        return result;
    std::string message;
    for (const std::string& error : errors) {
        if (!message.empty())
            message += '\n';
        message += error;
    }
    return makeError(message);
}

Result<EngineConfig> EngineConfig::parse(const QByteArray& json, const EngineConfig& base) {
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        return makeError("config: JSON syntax error at offset " + std::to_string(error.offset) +
                         ": " + error.errorString().toStdString());
    if (!document.isObject())
        return makeError("config: expected a JSON object at the top level");
    return fromJson(document.object(), base);
}

std::vector<std::string> EngineConfig::differingFromDefaults() const {
    const EngineConfig defaults;
    std::vector<std::string> out;
    for (const Field& field : fields())
        if (field.get(*this) != field.get(defaults))
            out.push_back(std::string(field.section) + "." + field.name);
    return out;
}

} // namespace peerscope
