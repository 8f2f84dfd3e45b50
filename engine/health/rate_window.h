#pragma once

#include "engine/core/clock.h"

#include <array>
#include <cstdint>

namespace peerscope {

// Byte rates over the last 1 s, 10 s, 60 s and 300 s from a ring of one-second buckets: 300
// complete seconds plus the current one (2.4 KiB per direction per connection, whatever the
// traffic). Rates are O(1) (a running sum per span, moved as seconds complete), so snapshots of
// thousands of connections stay cheap; peaks scan the span. Sans-I/O: time is given.
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
    static constexpr std::array<int, 4> spans{1, 10, 60, 300};
    static std::size_t slot(std::int64_t second);
    static std::size_t spanIndex(Span span);
    void advanceTo(MonoTime now);

    std::array<std::uint64_t, bucketCount> buckets_{};
    std::array<std::uint64_t, 4> sums_{}; // bytes in each span's complete seconds
    std::int64_t currentSecond_ = -1;
    std::uint64_t total_ = 0;
};

} // namespace peerscope
