#pragma once

#include "engine/core/clock.h"

#include <array>
#include <cstdint>

namespace peerscope {

// Byte rates over the last 1 s, 10 s, 60 s and 300 s from a ring of one-second marks: the running
// total at the end of each of the last 301 complete seconds (2.4 KiB per direction per
// connection, whatever the traffic). A rate is the difference of two marks, O(1), so snapshots of
// thousands of connections stay cheap; a peak scans the span. Adding a second's bytes writes one
// mark, so the per-second sample of every connection touches two cache lines per direction, not
// one per span. Sans-I/O: time is given.
class RateWindow final {
public:
    enum class Span { OneSecond = 1, TenSeconds = 10, OneMinute = 60, FiveMinutes = 300 };
    static constexpr int bucketCount = 301;

    void add(MonoTime now, std::uint64_t bytes);
    // Average bytes/s over the span's last complete seconds (the current second is partial
    // and left out, so a rate does not dip at every second boundary).
    double rate(Span span, MonoTime now);
    // The highest one-second rate within the span.
    double peak(Span span, MonoTime now);
    std::uint64_t total() const { return total_; }

private:
    static std::size_t slot(std::int64_t second);
    void advanceTo(MonoTime now);
    // The running total at the end of a complete second, at most bucketCount seconds back.
    std::uint64_t markAt(std::int64_t second) const { return marks_[slot(second)]; }

    // Read on every add, so first: with the newest mark they share a line more often than not.
    std::int64_t currentSecond_ = -1;
    std::uint64_t total_ = 0;
    // marks_[slot(s)] = total_ at the end of second s, for the last bucketCount complete seconds;
    // before the first byte every mark is 0.
    std::array<std::uint64_t, bucketCount> marks_{};
};

} // namespace peerscope
