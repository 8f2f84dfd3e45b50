#include "engine/health/rate_window.h"

#include <algorithm>

namespace peerscope {

namespace {
std::int64_t secondOf(MonoTime t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t).count();
}
} // namespace

void RateWindow::advanceTo(MonoTime now) {
    const std::int64_t second = secondOf(now);
    if (currentSecond_ < 0) {
        currentSecond_ = second;
        return;
    }
    if (second <= currentSecond_)
        return;
    // Zero the buckets of the seconds that passed without traffic (at most the whole ring).
    const std::int64_t gap = std::min<std::int64_t>(second - currentSecond_, bucketCount);
    for (std::int64_t i = 1; i <= gap; ++i)
        buckets_[static_cast<std::size_t>((currentSecond_ + i) % bucketCount)] = 0;
    currentSecond_ = second;
}

void RateWindow::add(MonoTime now, std::uint64_t bytes) {
    advanceTo(now);
    buckets_[static_cast<std::size_t>(currentSecond_ % bucketCount)] += bytes;
    total_ += bytes;
}

double RateWindow::rate(Span span, MonoTime now) {
    advanceTo(now);
    const int seconds = static_cast<int>(span);
    std::uint64_t sum = 0;
    for (int i = 1; i <= seconds; ++i)
        sum += buckets_[static_cast<std::size_t>((currentSecond_ - i + bucketCount * 2) %
                                                 bucketCount)];
    return static_cast<double>(sum) / seconds;
}

double RateWindow::peak(Span span, MonoTime now) {
    advanceTo(now);
    const int seconds = static_cast<int>(span);
    std::uint64_t best = 0;
    for (int i = 1; i <= seconds; ++i)
        best = std::max(best, buckets_[static_cast<std::size_t>(
                                  (currentSecond_ - i + bucketCount * 2) % bucketCount)]);
    return static_cast<double>(best);
}

} // namespace peerscope
