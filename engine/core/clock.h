#pragma once

#include <chrono>

namespace peerscope {

// Monotonic time as a duration since an arbitrary epoch. Sans-I/O cores take it as an argument;
// the I/O layer reads it from an injected Clock so tests can drive time by hand.
using MonoTime = std::chrono::nanoseconds;

class Clock {
public:
    virtual ~Clock() = default;
    virtual MonoTime now() const = 0;
};

class SteadyClock final : public Clock {
public:
    MonoTime now() const override {
        return std::chrono::duration_cast<MonoTime>(
            std::chrono::steady_clock::now().time_since_epoch());
    }
};

class ManualClock final : public Clock {
public:
    MonoTime now() const override { return now_; }
    void advance(MonoTime by) { now_ += by; }
    void set(MonoTime to) { now_ = to; }

private:
    MonoTime now_{0};
};

} // namespace peerscope
