#include "engine/health/connection_health.h"

#include <algorithm>
#include <cmath>

namespace peerscope {

const char* healthStateName(HealthState state) {
    switch (state) {
    case HealthState::Healthy:
        return "healthy";
    case HealthState::Degraded:
        return "degraded";
    case HealthState::Failed:
        return "failed";
    }
    return "healthy";
}

ConnectionHealth::ConnectionHealth(MonoTime openedAt, std::chrono::nanoseconds initialRto)
    : rtt_(initialRto), openedAt_(openedAt) {}

void ConnectionHealth::recordProbe(MonoTime now, std::optional<std::chrono::nanoseconds> rtt,
                                   const std::string& error) {
    ++probesSent_;
    probes_.record(rtt.has_value());
    if (rtt) {
        rtt_.addSample(*rtt);
    } else {
        rtt_.backoff();
        recordError(now, "ping", error.empty() ? std::string("no reply") : error);
    }
}

void ConnectionHealth::recordStreamFailed(MonoTime now, const std::string& why) {
    ++streamsFailed_;
    recordError(now, "stream", why);
}

void ConnectionHealth::recordError(MonoTime now, std::string category, std::string message) {
    errors_.push_back({now, std::move(category), std::move(message)});
    if (errors_.size() > maxErrors)
        errors_.pop_front();
}

void ConnectionHealth::recordBytes(MonoTime now, std::uint64_t totalIn, std::uint64_t totalOut) {
    in_.add(now, totalIn >= lastTotalIn_ ? totalIn - lastTotalIn_ : 0);
    out_.add(now, totalOut >= lastTotalOut_ ? totalOut - lastTotalOut_ : 0);
    lastTotalIn_ = totalIn;
    lastTotalOut_ = totalOut;
}

double ConnectionHealth::latencyComponent(const ConnectionConfig& config) const {
    const std::optional<std::chrono::nanoseconds> srtt = rtt_.smoothed();
    if (!srtt)
        return probes_.consecutiveFailures() > 0 ? 0.0 : 1.0;
    const double ms = std::chrono::duration<double, std::milli>(*srtt).count();
    return 1.0 - std::min(1.0, ms / std::max(1e-9, config.maxPingLatencyMs));
}

double ConnectionHealth::stabilityComponent(const ConnectionConfig& config) const {
    const double streams =
        1.0 - std::min(1.0, static_cast<double>(streamsFailed_) /
                                std::max(1.0, static_cast<double>(config.maxFailedStreams)));
    double jitter = 1.0;
    if (const auto srtt = rtt_.smoothed(); srtt && srtt->count() > 0)
        jitter = 1.0 - std::min(1.0, static_cast<double>(rtt_.jitter().count()) /
                                         static_cast<double>(srtt->count()));
    // 0.5^n, exactly, without pow(): this runs on every probe.
    const double failures = std::ldexp(1.0, -probes_.consecutiveFailures());
    return streams * jitter * failures;
}

double ConnectionHealth::score(const ConnectionConfig& config) const {
    const double weights = config.latencyWeight + config.successRateWeight + config.stabilityWeight;
    if (weights <= 0)
        return 1.0;
    double score = (config.latencyWeight * latencyComponent(config) +
                    config.successRateWeight * probes_.successRate() +
                    config.stabilityWeight * stabilityComponent(config)) /
                   weights;
    if (probes_.count() > 0 && probes_.successRate() < config.minPingSuccessRate)
        score = std::min(score, std::nextafter(config.minHealthThreshold, 0.0));
    return std::clamp(score, 0.0, 1.0);
}

HealthState ConnectionHealth::evaluate(const ConnectionConfig& config) {
    const bool good =
        score(config) >= config.minHealthThreshold && probes_.consecutiveFailures() == 0;
    if (good) {
        unhealthyChecks_ = 0;
        state_ = HealthState::Healthy;
    } else {
        ++unhealthyChecks_;
        state_ = unhealthyChecks_ >= config.unhealthyChecksBeforeReplace ? HealthState::Failed
                                                                         : HealthState::Degraded;
    }
    return state_;
}

} // namespace peerscope
