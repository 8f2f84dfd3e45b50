#include "engine/core/connection_config.h"

#include <array>
#include <utility>

namespace peerscope {

namespace {
constexpr std::array<std::pair<LoadBalancingStrategy, const char*>, 4> strategyNames{{
    {LoadBalancingStrategy::RoundRobin, "round_robin"},
    {LoadBalancingStrategy::LeastLoaded, "least_loaded"},
    {LoadBalancingStrategy::HealthBased, "health_based"},
    {LoadBalancingStrategy::LatencyBased, "latency_based"},
}};
} // namespace

const char* loadBalancingStrategyName(LoadBalancingStrategy strategy) {
    for (const auto& [value, name] : strategyNames)
        if (value == strategy)
            return name;
    return "round_robin";
}

std::optional<LoadBalancingStrategy> loadBalancingStrategyFromName(std::string_view name) {
    for (const auto& [value, text] : strategyNames)
        if (name == text)
            return value;
    return std::nullopt;
}

std::vector<std::string> loadBalancingStrategyNames() {
    std::vector<std::string> out;
    for (const auto& [value, name] : strategyNames)
        out.emplace_back(name);
    return out;
}

} // namespace peerscope
