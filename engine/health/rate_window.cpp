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

void RateWindow::advanceTo(MonoTime now) {
    const std::int64_t second = secondOf(now);
    if (currentSecond_ < 0) {
        currentSecond_ = second;
        return;
    }
    if (second <= currentSecond_)
        return;
    if (second - currentSecond_ >= bucketCount) {
        // Idle for longer than the ring: every second it covers ended with the same total.
        marks_.fill(total_);
        currentSecond_ = second;
        return;
    }
    // Each second that completes ends with the total so far. The slot it takes held the mark
    // bucketCount seconds back, which no span reaches any more.
    for (; currentSecond_ < second; ++currentSecond_)
        marks_[slot(currentSecond_)] = total_;
}

void RateWindow::add(MonoTime now, std::uint64_t bytes) {
    advanceTo(now);
    total_ += bytes;
}

double RateWindow::rate(Span span, MonoTime now) {
    advanceTo(now);
    const int seconds = static_cast<int>(span);
    const std::uint64_t bytes = markAt(currentSecond_ - 1) - markAt(currentSecond_ - 1 - seconds);
    return static_cast<double>(bytes) / seconds;
}

double RateWindow::peak(Span span, MonoTime now) {
    advanceTo(now);
    std::uint64_t best = 0;
    for (int i = 1; i <= static_cast<int>(span); ++i)
        best = std::max(best, markAt(currentSecond_ - i) - markAt(currentSecond_ - i - 1));
    return static_cast<double>(best);
}

} // namespace peerscope
