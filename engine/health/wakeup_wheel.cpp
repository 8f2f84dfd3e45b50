#include "engine/health/wakeup_wheel.h"

#include <algorithm>

namespace peerscope {

WakeupWheel::WakeupWheel(MonoTime granularity, std::size_t bucketCount)
    : granularity_(std::max<std::int64_t>(1, granularity.count())),
      buckets_(std::max<std::size_t>(1, bucketCount)) {}

std::int64_t WakeupWheel::tickOf(MonoTime t) const {
    // Floor division: a time before the epoch belongs to the tick below, not to tick 0.
    const std::int64_t ns = t.count();
    const std::int64_t q = ns / granularity_;
    return (ns % granularity_ != 0 && ns < 0) ? q - 1 : q;
}

std::vector<WakeupWheel::Record>& WakeupWheel::bucket(std::int64_t tick) {
    const auto n = static_cast<std::int64_t>(buckets_.size());
    return buckets_[static_cast<std::size_t>(((tick % n) + n) % n)];
}

WakeupWheel::Handle WakeupWheel::add(MonoTime at) {
    Handle handle;
    if (free_.empty()) {
        handle = static_cast<Handle>(slots_.size());
        slots_.emplace_back();
    } else {
        handle = free_.back();
        free_.pop_back();
    }
    schedule(handle, at);
    return handle;
}

void WakeupWheel::schedule(Handle handle, MonoTime at) {
    Slot& slot = slots_[handle];
    ++slot.seq;
    slot.at = at;
    slot.scheduled = true;
    // A time the cursor has passed goes into the cursor's bucket, the next one read.
    const std::int64_t tick = started_ ? std::max(tickOf(at), cursor_) : tickOf(at);
    bucket(tick).push_back({handle, slot.seq});
}

void WakeupWheel::remove(Handle handle) {
    Slot& slot = slots_[handle];
    ++slot.seq; // its record, if any, is stale now
    slot.scheduled = false;
    free_.push_back(handle);
}

void WakeupWheel::takeDue(MonoTime now, std::vector<Handle>& due) {
    const std::int64_t last = tickOf(now);
    const auto n = static_cast<std::int64_t>(buckets_.size());
    // Every bucket from the cursor's to now's, each at most once: after a long gap (or on the
    // first call, with no cursor yet) that is the whole wheel. A clock set back (a test's) keeps
    // the cursor and reads back to it, so nothing filed under the cursor waits for the clock.
    const std::int64_t end = started_ ? std::max(cursor_, last) : last;
    std::int64_t first = started_ ? std::min(cursor_, last) : end - n + 1;
    first = std::max(first, end - n + 1);
    for (std::int64_t tick = first; tick <= end; ++tick) {
        std::vector<Record>& records = bucket(tick);
        if (records.empty())
            continue;
        scratch_.swap(records); // what stays is filed back into the (now empty) bucket
        for (const Record& record : scratch_) {
            Slot& slot = slots_[record.handle];
            if (slot.seq != record.seq)
                continue; // moved or removed since
            if (slot.at > now) {
                records.push_back(record); // later in this tick, or a later revolution
                continue;
            }
            ++slot.seq;
            slot.scheduled = false;
            due.push_back(record.handle);
        }
        scratch_.clear();
    }
    cursor_ = end;
    started_ = true;
}

} // namespace peerscope
