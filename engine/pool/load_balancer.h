#pragma once

#include "engine/core/connection_config.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace peerscope {

// What a strategy knows of one connection.
struct ConnectionCandidate {
    std::uint64_t id = 0;
    std::size_t activeStreams = 0;
    double healthScore = 1.0;                            // 0..1
    std::optional<std::chrono::nanoseconds> smoothedRtt; // none before the first probe
    bool usable = true;                                  // open and able to open streams
};

// Picks a peer's connection for a new stream. One LoadBalancer per peer: round robin keeps
// its cursor here. Ties always go to the lowest connection id, so choices are repeatable.
class LoadBalancer final {
public:
    // Every usable candidate, best first; a failed stream open moves on to the next.
    std::vector<std::uint64_t> order(LoadBalancingStrategy strategy,
                                     const std::vector<ConnectionCandidate>& candidates) const;
    // Round robin moves on past `id` (the caller used it).
    void notePicked(std::uint64_t id) { lastRoundRobin_ = id; }
    std::optional<std::uint64_t> pick(LoadBalancingStrategy strategy,
                                      const std::vector<ConnectionCandidate>& candidates);

private:
    std::uint64_t lastRoundRobin_ = 0; // id handed out last by round robin
};

} // namespace peerscope
