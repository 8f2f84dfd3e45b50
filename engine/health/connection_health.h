#pragma once

#include "engine/core/clock.h"
#include "engine/core/connection_config.h"
#include "engine/health/rate_window.h"
#include "engine/health/rtt_estimator.h"
#include "engine/health/success_window.h"

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>

namespace peerscope {

enum class HealthState { Healthy, Degraded, Failed };
const char* healthStateName(HealthState state); // "healthy", "degraded", "failed"

// Everything measured about one connection, and its health score. Sans-I/O: the monitor feeds
// it probe outcomes, byte counts and stream events with the time.
//
// Score (0..1), with the weights w_l, w_s, w_t from ConnectionConfig:
//   L = 1 - min(1, SRTT / max_ping_latency)      latency; 1 before any RTT sample
//   S = ping success rate over the last 20 probes
//   T = (1 - min(1, failed streams / max_failed_streams))
//       * (1 - min(1, jitter / SRTT))             stability; jitter only once SRTT is known
//       * 0.5^(consecutive probe failures)
//   score = (w_l L + w_s S + w_t T) / (w_l + w_s + w_t)
// A success rate below min_ping_success_rate caps the score just under min_health_threshold.
//
// State after each evaluation (one per probe):
//   Healthy   score >= min_health_threshold and the last probe answered
//   Degraded  otherwise
//   Failed    unhealthy_checks_before_replace degraded evaluations in a row
// One good evaluation makes a degraded or failed connection healthy again.
class ConnectionHealth final {
public:
    struct ErrorEntry {
        MonoTime at;
        std::string category; // "ping", "stream", ...
        std::string message;
    };
    static constexpr std::size_t maxErrors = 32;

    ConnectionHealth(MonoTime openedAt, std::chrono::nanoseconds initialRto);

    void recordProbe(MonoTime now, std::optional<std::chrono::nanoseconds> rtt,
                     const std::string& error = {});
    void recordStreamOpened() { ++streamsOpened_; }
    void recordStreamFailed(MonoTime now, const std::string& why);
    void recordError(MonoTime now, std::string category, std::string message);
    // Cumulative wire byte counters, as the connection reports them; the difference since the
    // last call goes into the rate windows.
    void recordBytes(MonoTime now, std::uint64_t totalIn, std::uint64_t totalOut);

    double score(const ConnectionConfig& config) const;
    double latencyComponent(const ConnectionConfig& config) const;
    double stabilityComponent(const ConnectionConfig& config) const;
    // Scores the connection and moves its state; returns the new state.
    HealthState evaluate(const ConnectionConfig& config);
    HealthState state() const { return state_; }
    int unhealthyChecks() const { return unhealthyChecks_; }

    RttEstimator& rtt() { return rtt_; }
    const RttEstimator& rtt() const { return rtt_; }
    const SuccessWindow& probes() const { return probes_; }
    RateWindow& bytesIn() { return in_; }
    RateWindow& bytesOut() { return out_; }
    std::uint64_t streamsOpened() const { return streamsOpened_; }
    std::uint64_t streamsFailed() const { return streamsFailed_; }
    std::uint64_t probesSent() const { return probesSent_; }
    MonoTime openedAt() const { return openedAt_; }
    const std::deque<ErrorEntry>& errors() const { return errors_; }

private:
    // What a probe reads and writes (recordProbe, evaluate, score) first, in as few cache lines
    // as it takes; the byte sample's fields next to the rate windows it feeds; the 2.4 KiB
    // windows last.
    RttEstimator rtt_;
    SuccessWindow probes_;
    std::uint64_t probesSent_ = 0, streamsFailed_ = 0, streamsOpened_ = 0;
    HealthState state_ = HealthState::Healthy;
    int unhealthyChecks_ = 0;
    MonoTime openedAt_;
    std::deque<ErrorEntry> errors_;
    std::uint64_t lastTotalIn_ = 0, lastTotalOut_ = 0;
    RateWindow in_, out_;
};

} // namespace peerscope
