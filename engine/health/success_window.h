#pragma once

#include <cstddef>
#include <deque>

namespace peerscope {

// Outcomes of the last N probes: the success rate and the current run of failures.
class SuccessWindow final {
public:
    explicit SuccessWindow(std::size_t size = 20) : size_(size) {}

    void record(bool ok);
    double successRate() const; // 1.0 before any probe
    int consecutiveFailures() const { return consecutiveFailures_; }
    std::size_t count() const { return outcomes_.size(); }

private:
    std::size_t size_;
    std::deque<bool> outcomes_;
    std::size_t successes_ = 0;
    int consecutiveFailures_ = 0;
};

} // namespace peerscope
