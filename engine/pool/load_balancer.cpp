#include "engine/pool/load_balancer.h"

#include <algorithm>

namespace peerscope {

std::vector<std::uint64_t>
LoadBalancer::order(LoadBalancingStrategy strategy,
                    const std::vector<ConnectionCandidate>& candidates) const {
    std::vector<ConnectionCandidate> usable;
    for (const ConnectionCandidate& c : candidates)
        if (c.usable)
            usable.push_back(c);
    // Lowest id first: the tie-break for every strategy below (stable sorts keep it).
    std::sort(
        usable.begin(), usable.end(),
        [](const ConnectionCandidate& a, const ConnectionCandidate& b) { return a.id < b.id; });
    switch (strategy) {
    case LoadBalancingStrategy::RoundRobin: {
        // Start after the id handed out last, wrapping around.
        auto next =
            std::find_if(usable.begin(), usable.end(),
                         [this](const ConnectionCandidate& c) { return c.id > lastRoundRobin_; });
        std::rotate(usable.begin(), next, usable.end());
        break;
    }
    case LoadBalancingStrategy::LeastLoaded:
        std::stable_sort(usable.begin(), usable.end(),
                         [](const ConnectionCandidate& a, const ConnectionCandidate& b) {
                             return a.activeStreams < b.activeStreams;
                         });
        break;
    case LoadBalancingStrategy::HealthBased:
        std::stable_sort(usable.begin(), usable.end(),
                         [](const ConnectionCandidate& a, const ConnectionCandidate& b) {
                             return a.healthScore > b.healthScore;
                         });
        break;
    case LoadBalancingStrategy::LatencyBased:
        // Measured before unmeasured; among measured, the lowest smoothed RTT.
        std::stable_sort(usable.begin(), usable.end(),
                         [](const ConnectionCandidate& a, const ConnectionCandidate& b) {
                             if (a.smoothedRtt.has_value() != b.smoothedRtt.has_value())
                                 return a.smoothedRtt.has_value();
                             return a.smoothedRtt && *a.smoothedRtt < *b.smoothedRtt;
                         });
        break;
    }
    std::vector<std::uint64_t> ids;
    ids.reserve(usable.size());
    for (const ConnectionCandidate& c : usable)
        ids.push_back(c.id);
    return ids;
}

std::optional<std::uint64_t>
LoadBalancer::pick(LoadBalancingStrategy strategy,
                   const std::vector<ConnectionCandidate>& candidates) {
    std::vector<std::uint64_t> ids = order(strategy, candidates);
    if (ids.empty())
        return std::nullopt;
    notePicked(ids.front());
    return ids.front();
}

} // namespace peerscope
