#include "engine/pool/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace peerscope {

RetryPolicy::RetryPolicy(RetryConfig config, std::uint64_t seed) : config_(config), state_(seed) {}

std::chrono::nanoseconds RetryPolicy::delayWithoutJitter(int attempt) const {
    const double initial = config_.initialDelay.count();
    const double cap = config_.maxDelay.count();
    // pow() overflows to inf for large attempts; min() then caps it.
    const double seconds =
        std::min(cap, initial * std::pow(config_.backoffMultiplier, std::max(0, attempt)));
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::llround(seconds * 1e9)));
}

std::chrono::nanoseconds RetryPolicy::delay(int attempt) {
    const double base = static_cast<double>(delayWithoutJitter(attempt).count());
    const double scaled = base * (1.0 + config_.jitterFactor * nextUniform());
    return std::chrono::nanoseconds(static_cast<std::int64_t>(std::max(0.0, std::round(scaled))));
}

double RetryPolicy::nextUniform() {
    // splitmix64 (Steele, Lea, Flood 2014).
    std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    // The top 53 bits as a double in [0, 1), then mapped to [-1, 1).
    const double unit = static_cast<double>(z >> 11) * 0x1.0p-53;
    return unit * 2.0 - 1.0;
}

} // namespace peerscope
