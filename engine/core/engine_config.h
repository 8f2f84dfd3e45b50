#pragma once

#include "engine/core/connection_config.h"
#include "engine/core/relay_client_config.h"
#include "engine/core/relay_service_config.h"
#include "engine/core/resource_limits.h"
#include "engine/core/result.h"
#include "engine/core/retry_config.h"
#include "engine/core/services_config.h"

#include <QByteArray>
#include <QJsonObject>
#include <string>
#include <vector>

namespace peerscope {

// Why `text` cannot be a relay's address, empty when it can: a relay is dialled directly, by an
// ip4, ip6 or dns address, then tcp, then /p2p/<relay id>. For the config and `--relay`.
std::string relayAddressError(const std::string& text);

// The whole editable configuration, validated in one place for the config file, the control
// API and the GUI. JSON: {"version": 1, "connection": {...}, "retry": {...}, "services": {...},
// "resources": {...}, "relay_service": {...}, "relay_client": {...}}
// with snake_case field names; durations are seconds (fractions allowed), max_ping_latency_ms
// milliseconds, sizes bytes.
struct EngineConfig {
    ConnectionConfig connection;
    RetryConfig retry;
    ServicesConfig services;
    ResourceLimits resources;
    RelayClientConfig relayClient;
    RelayServiceConfig relayService;

    // The JSON sections, in the order they are written.
    static const std::vector<std::string>& sectionNames();

    // One message per bad field, naming it and its value, e.g.
    // "min_connections_per_peer (4) exceeds max_connections_per_peer (3)". Empty when valid.
    std::vector<std::string> validate() const;

    QJsonObject toJson() const;
    // Starts from `base` and applies only the keys present (a PUT may be partial). On any
    // problem returns every message, one per line, and no config: nothing is half-applied.
    static Result<EngineConfig> fromJson(const QJsonObject& json, const EngineConfig& base);
    static std::vector<std::string> fromJsonErrors(const QJsonObject& json,
                                                   const EngineConfig& base, EngineConfig* out);
    static Result<EngineConfig> parse(const QByteArray& json, const EngineConfig& base);

    // "connection.max_connections_per_peer", ... for the fields not at their default.
    std::vector<std::string> differingFromDefaults() const;

    bool operator==(const EngineConfig&) const = default;
};

} // namespace peerscope
