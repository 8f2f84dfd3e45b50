#include "engine/health/rate_window.h"

#include <algorithm>

namespace peerscope {

namespace {
std::int64_t secondOf(MonoTime t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t).count();
}
} // namespace

std::size_t RateWindow::slot(std::int64_t second) {
    return static_cast<std::size_t>(((second % bucketCount) + bucketCount) % bucketCount);
}

std::size_t RateWindow::spanIndex(Span span) {
    switch (span) {
    case Span::OneSecond:
        return 0;
    case Span::TenSeconds:
        return 1;
    case Span::OneMinute:
        return 2;
    case Span::FiveMinutes:
        return 3;
    }
    return 0;
}

void RateWindow::advanceTo(MonoTime now) {
    const std::int64_t second = secondOf(now);
    if (currentSecond_ < 0) {
        currentSecond_ = second;
        return;
    }
    if (second <= currentSecond_)
        return;
    if (second - currentSecond_ >= bucketCount) {
        // Idle for longer than the ring: everything in it has left every span.
        buckets_.fill(0);
        sums_.fill(0);
        currentSecond_ = second;
        return;
    }
    while (currentSecond_ < second) {
        // The current second completes: it joins every span, and for each span the second
        // that is now too old leaves it (its bucket is still intact: it is reused last).
        const std::uint64_t completed = buckets_[slot(currentSecond_)];
        for (std::size_t i = 0; i < spans.size(); ++i)
            sums_[i] += completed - buckets_[slot(currentSecond_ - spans[i])];
        ++currentSecond_;
        buckets_[slot(currentSecond_)] = 0;
    }
}

void RateWindow::add(MonoTime now, std::uint64_t bytes) {
    advanceTo(now);
    buckets_[slot(currentSecond_)] += bytes;
    total_ += bytes;
}

double RateWindow::rate(Span span, MonoTime now) {
    advanceTo(now);
    return static_cast<double>(sums_[spanIndex(span)]) / static_cast<int>(span);
}

double RateWindow::peak(Span span, MonoTime now) {
    advanceTo(now);
    std::uint64_t best = 0;
    for (int i = 1; i <= static_cast<int>(span); ++i)
        best = std::max(best, buckets_[slot(currentSecond_ - i)]);
    return static_cast<double>(best);
}

} // namespace peerscope
