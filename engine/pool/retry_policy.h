#pragma once

#include "engine/core/retry_config.h"

#include <chrono>
#include <cstdint>

namespace peerscope {

// Exponential backoff with jitter for dial retries. The jitter comes from a seeded splitmix64
// generator (not std:: distributions, whose output differs between standard libraries), so a
// given seed gives the same delays everywhere and tests can assert them exactly.
class RetryPolicy final {
public:
    RetryPolicy(RetryConfig config, std::uint64_t seed);

    const RetryConfig& config() const { return config_; }
    // A new config applies from the next delay on; the jitter sequence carries on.
    void setConfig(const RetryConfig& config) { config_ = config; }

    // min(maxDelay, initialDelay * multiplier^attempt), attempt 0 being the first retry.
    std::chrono::nanoseconds delayWithoutJitter(int attempt) const;
    // The same, scaled by (1 + jitterFactor * u) with u uniform in [-1, 1); never negative.
    std::chrono::nanoseconds delay(int attempt);
    // After `failedAttempts` failures (the first dial counts), is another attempt allowed?
    bool shouldRetry(int failedAttempts) const { return failedAttempts <= config_.maxRetries; }

private:
    double nextUniform(); // [-1, 1)

    RetryConfig config_;
    std::uint64_t state_;
};

} // namespace peerscope
