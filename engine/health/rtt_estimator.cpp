#include "engine/health/rtt_estimator.h"

#include <algorithm>
#include <cmath>

namespace peerscope {

RttEstimator::RttEstimator(Duration initialRto, Duration minRto, Duration maxRto,
                           Duration granularity)
    : initialRto_(initialRto), minRto_(minRto), maxRto_(maxRto), granularity_(granularity) {}

void RttEstimator::addSample(Duration rtt) {
    const double r = static_cast<double>(rtt.count());
    if (samples_ == 0) {
        srtt_ = r;
        rttvar_ = r / 2;
    } else {
        // RTTVAR first, with the old SRTT (RFC 6298 2.3).
        rttvar_ = 0.75 * rttvar_ + 0.25 * std::abs(srtt_ - r);
        srtt_ = 0.875 * srtt_ + 0.125 * r;
        const double difference = std::abs(r - static_cast<double>(last_->count()));
        jitter_ += (difference - jitter_) / 16;
    }
    last_ = rtt;
    min_ = min_ ? std::min(*min_, rtt) : rtt;
    max_ = max_ ? std::max(*max_, rtt) : rtt;
    ++samples_;
    backoffs_ = 0;
}

void RttEstimator::backoff() {
    if (backoffs_ < 30)
        ++backoffs_;
}

RttEstimator::Duration RttEstimator::rto() const {
    double rto = samples_ == 0
                     ? static_cast<double>(initialRto_.count())
                     : srtt_ + std::max(static_cast<double>(granularity_.count()), 4 * rttvar_);
    rto =
        std::clamp(rto, static_cast<double>(minRto_.count()), static_cast<double>(maxRto_.count()));
    // rto * 2^backoffs, exactly, without pow(): this runs on every probe.
    rto = std::min(std::ldexp(rto, backoffs_), static_cast<double>(maxRto_.count()));
    return Duration(static_cast<std::int64_t>(std::llround(rto)));
}

std::optional<RttEstimator::Duration> RttEstimator::smoothed() const {
    if (samples_ == 0)
        return std::nullopt;
    return Duration(static_cast<std::int64_t>(std::llround(srtt_)));
}

} // namespace peerscope
