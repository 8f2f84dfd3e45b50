#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peerscope {

// How newStream() picks among a peer's connections.
enum class LoadBalancingStrategy { RoundRobin, LeastLoaded, HealthBased, LatencyBased };

const char* loadBalancingStrategyName(LoadBalancingStrategy strategy); // "round_robin", ...
std::optional<LoadBalancingStrategy> loadBalancingStrategyFromName(std::string_view name);
std::vector<std::string> loadBalancingStrategyNames();

// The connection pool and health monitor settings. One schema for the config file, the control
// API and the GUI; EngineConfig validates it in one place.
struct ConnectionConfig {
    using Seconds = std::chrono::duration<double>;

    int maxConnectionsPerPeer = 3;
    int minConnectionsPerPeer = 1;
    int maxConnections = 300; // total, inbound + outbound
    int maxInboundConnections = 200;
    int maxOutboundConnections = 200;
    int lowWater = 100;      // trimming goes down to this many connections...
    int highWater = 200;     // ...once there are more than this
    Seconds gracePeriod{20}; // a younger connection is never trimmed
    Seconds connectionTimeout{30};
    // No user streams (the health probe's does not count) for this long: closed; 0 = never.
    Seconds idleTimeout{300};
    LoadBalancingStrategy loadBalancingStrategy = LoadBalancingStrategy::RoundRobin;
    bool enableHealthMonitoring = false;
    Seconds healthCheckInterval{60};
    Seconds pingTimeout{5};
    double minHealthThreshold = 0.3;
    double latencyWeight = 0.4;
    double successRateWeight = 0.4;
    double stabilityWeight = 0.2;
    double maxPingLatencyMs = 1000; // at or above this smoothed RTT the latency score is 0
    double minPingSuccessRate = 0.5;
    int maxFailedStreams = 10;
    int unhealthyChecksBeforeReplace = 3;
    bool adaptiveTimeouts = true;
    int metricsPeerLabelLimit = 50; // peers with their own label in /metrics; the rest "other"

    bool operator==(const ConnectionConfig&) const = default;
};

} // namespace peerscope
