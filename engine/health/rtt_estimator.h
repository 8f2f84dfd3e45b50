#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

namespace peerscope {

// Round-trip time estimator of RFC 6298: SRTT and RTTVAR from samples, the retransmission
// timeout RTO = SRTT + max(G, 4 * RTTVAR) clamped to [minRto, maxRto], doubled after a
// timeout until the next sample (section 5.5). Jitter is RFC 3550's smoothed mean difference
// of consecutive samples. Sans-I/O: samples are given, nothing is timed here.
class RttEstimator final {
public:
    using Duration = std::chrono::nanoseconds;

    explicit RttEstimator(Duration initialRto, Duration minRto = std::chrono::milliseconds(200),
                          Duration maxRto = std::chrono::seconds(60),
                          Duration granularity = std::chrono::milliseconds(1));

    void addSample(Duration rtt);
    // A probe timed out: back off (double the RTO, capped at maxRto).
    void backoff();
    void setInitialRto(Duration initialRto) { initialRto_ = initialRto; }

    Duration rto() const;
    std::optional<Duration> last() const { return last_; }
    std::optional<Duration> smoothed() const;
    std::optional<Duration> min() const { return min_; }
    std::optional<Duration> max() const { return max_; }
    Duration rttvar() const { return Duration(static_cast<std::int64_t>(rttvar_)); }
    Duration jitter() const { return Duration(static_cast<std::int64_t>(jitter_)); }
    std::uint64_t sampleCount() const { return samples_; }

private:
    Duration initialRto_, minRto_, maxRto_, granularity_;
    double srtt_ = 0, rttvar_ = 0, jitter_ = 0; // nanoseconds
    std::optional<Duration> last_, min_, max_;
    std::uint64_t samples_ = 0;
    int backoffs_ = 0;
};

} // namespace peerscope
