#include "engine/core/engine_config.h"

#include <QJsonDocument>
#include <QJsonValue>
#include <QStringList>
#include <cmath>
#include <functional>
#include <sstream>

namespace peerscope {

namespace {

enum class Kind { Integer, Number, Seconds, Boolean, Strategy };

// One JSON field: where it lives and how to read and write it.
struct Field {
    const char* section; // "connection" | "retry"
    const char* name;
    Kind kind;
    std::function<QJsonValue(const EngineConfig&)> get;
    std::function<void(EngineConfig&, const QJsonValue&)> set;
};

Field intField(const char* name, int ConnectionConfig::*member) {
    return {"connection", name, Kind::Integer,
            [member](const EngineConfig& c) { return QJsonValue(c.connection.*member); },
            [member](EngineConfig& c, const QJsonValue& v) {
                c.connection.*member = static_cast<int>(v.toDouble());
            }};
}
Field numberField(const char* name, double ConnectionConfig::*member) {
    return {
        "connection", name, Kind::Number,
        [member](const EngineConfig& c) { return QJsonValue(c.connection.*member); },
        [member](EngineConfig& c, const QJsonValue& v) { c.connection.*member = v.toDouble(); }};
}
Field secondsField(const char* name, ConnectionConfig::Seconds ConnectionConfig::*member) {
    return {"connection", name, Kind::Seconds,
            [member](const EngineConfig& c) { return QJsonValue((c.connection.*member).count()); },
            [member](EngineConfig& c, const QJsonValue& v) {
                c.connection.*member = ConnectionConfig::Seconds(v.toDouble());
            }};
}
Field boolField(const char* name, bool ConnectionConfig::*member) {
    return {"connection", name, Kind::Boolean,
            [member](const EngineConfig& c) { return QJsonValue(c.connection.*member); },
            [member](EngineConfig& c, const QJsonValue& v) { c.connection.*member = v.toBool(); }};
}

const std::vector<Field>& fields() {
    static const std::vector<Field> all = [] {
        using C = ConnectionConfig;
        std::vector<Field> f{
            intField("max_connections_per_peer", &C::maxConnectionsPerPeer),
            intField("min_connections_per_peer", &C::minConnectionsPerPeer),
            intField("max_connections", &C::maxConnections),
            intField("max_inbound_connections", &C::maxInboundConnections),
            intField("max_outbound_connections", &C::maxOutboundConnections),
            intField("low_water", &C::lowWater),
            intField("high_water", &C::highWater),
            secondsField("grace_period", &C::gracePeriod),
            secondsField("connection_timeout", &C::connectionTimeout),
            secondsField("idle_timeout", &C::idleTimeout),
            {"connection", "load_balancing_strategy", Kind::Strategy,
             [](const EngineConfig& c) {
                 return QJsonValue(QString::fromLatin1(
                     loadBalancingStrategyName(c.connection.loadBalancingStrategy)));
             },
             [](EngineConfig& c, const QJsonValue& v) {
                 c.connection.loadBalancingStrategy =
                     *loadBalancingStrategyFromName(v.toString().toStdString());
             }},
            boolField("enable_health_monitoring", &C::enableHealthMonitoring),
            secondsField("health_check_interval", &C::healthCheckInterval),
            secondsField("ping_timeout", &C::pingTimeout),
            numberField("min_health_threshold", &C::minHealthThreshold),
            numberField("latency_weight", &C::latencyWeight),
            numberField("success_rate_weight", &C::successRateWeight),
            numberField("stability_weight", &C::stabilityWeight),
            numberField("max_ping_latency_ms", &C::maxPingLatencyMs),
            numberField("min_ping_success_rate", &C::minPingSuccessRate),
            intField("max_failed_streams", &C::maxFailedStreams),
            intField("unhealthy_checks_before_replace", &C::unhealthyChecksBeforeReplace),
            boolField("adaptive_timeouts", &C::adaptiveTimeouts),
            intField("metrics_peer_label_limit", &C::metricsPeerLabelLimit),
        };
        f.push_back({"retry", "max_retries", Kind::Integer,
                     [](const EngineConfig& c) { return QJsonValue(c.retry.maxRetries); },
                     [](EngineConfig& c, const QJsonValue& v) {
                         c.retry.maxRetries = static_cast<int>(v.toDouble());
                     }});
        f.push_back({"retry", "initial_delay", Kind::Seconds,
                     [](const EngineConfig& c) { return QJsonValue(c.retry.initialDelay.count()); },
                     [](EngineConfig& c, const QJsonValue& v) {
                         c.retry.initialDelay = RetryConfig::Seconds(v.toDouble());
                     }});
        f.push_back({"retry", "max_delay", Kind::Seconds,
                     [](const EngineConfig& c) { return QJsonValue(c.retry.maxDelay.count()); },
                     [](EngineConfig& c, const QJsonValue& v) {
                         c.retry.maxDelay = RetryConfig::Seconds(v.toDouble());
                     }});
        f.push_back({"retry", "backoff_multiplier", Kind::Number,
                     [](const EngineConfig& c) { return QJsonValue(c.retry.backoffMultiplier); },
                     [](EngineConfig& c, const QJsonValue& v) {
                         c.retry.backoffMultiplier = v.toDouble();
                     }});
        f.push_back(
            {"retry", "jitter_factor", Kind::Number,
             [](const EngineConfig& c) { return QJsonValue(c.retry.jitterFactor); },
             [](EngineConfig& c, const QJsonValue& v) { c.retry.jitterFactor = v.toDouble(); }});
        return f;
    }();
    return all;
}

std::string show(double value) {
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
    case Kind::Number:
        return "a number";
    case Kind::Seconds:
        return "a number of seconds";
    case Kind::Boolean:
        return "true or false";
    case Kind::Strategy:
        return "a strategy name";
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
    case Kind::Number:
    case Kind::Seconds:
        if (!value.isDouble() || !std::isfinite(value.toDouble()))
            return where + "expected " + kindName(field.kind) + ", got " + jsonText(value);
        return {};
    case Kind::Boolean:
        if (!value.isBool())
            return where + "expected " + kindName(field.kind) + ", got " + jsonText(value);
        return {};
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
    return errors;
}

QJsonObject EngineConfig::toJson() const {
    QJsonObject connectionJson, retryJson;
    for (const Field& field : fields())
        (std::string(field.section) == "connection" ? connectionJson : retryJson)
            .insert(QString::fromLatin1(field.name), field.get(*this));
    return QJsonObject{{"version", 1}, {"connection", connectionJson}, {"retry", retryJson}};
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
        if (key != "connection" && key != "retry") {
            errors.push_back(key + ": unknown section (expected connection or retry)");
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
