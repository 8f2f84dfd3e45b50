#pragma once

#include <chrono>

namespace peerscope {

// Dial retries: delay n = min(maxDelay, initialDelay * backoffMultiplier^n), then +- jitter.
struct RetryConfig {
    using Seconds = std::chrono::duration<double>;

    int maxRetries = 3;
    Seconds initialDelay{0.1};
    Seconds maxDelay{30};
    double backoffMultiplier = 2.0;
    double jitterFactor = 0.1; // the delay varies by up to this fraction either way

    bool operator==(const RetryConfig&) const = default;
};

} // namespace peerscope
