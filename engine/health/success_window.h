#pragma once

#include <cstddef>
#include <cstdint>

namespace peerscope {

// Outcomes of the last N probes (N <= 64): the success rate and the current run of failures.
// The outcomes are bits of one word, newest lowest, so a record is a shift and a count, with no
// allocation and no second cache line.
class SuccessWindow final {
public:
    static constexpr std::size_t maxSize = 64;

    explicit SuccessWindow(std::size_t size = 20);

    void record(bool ok);
    double successRate() const; // 1.0 before any probe
    int consecutiveFailures() const { return consecutiveFailures_; }
    std::size_t count() const { return count_; }

private:
    std::uint64_t outcomes_ = 0; // bit i: the probe i records ago succeeded
    std::uint64_t mask_;         // the low size bits
    std::uint8_t size_;
    std::uint8_t count_ = 0;
    int consecutiveFailures_ = 0;
};

} // namespace peerscope
