#pragma once

#include "engine/core/clock.h"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace peerscope {

// Wake-up times of many entries, for a caller that polls on a fixed tick (a hashed timing wheel,
// Varghese & Lauck). An entry is filed in the bucket of its time's tick; rescheduling files it
// again and leaves the old record behind, recognised as stale by a sequence number kept per
// entry in one small dense array. So scheduling is an append, with no allocation once the
// buckets have grown and no tree to rebalance, and taking what is due reads only the buckets
// the clock has passed. Times are exact: an entry is due when its time is <= now, never early,
// whatever the bucket width. A time more than a revolution ahead waits in its bucket and is
// passed over until its turn comes.
class WakeupWheel final {
public:
    using Handle = std::uint32_t;

    explicit WakeupWheel(MonoTime granularity = std::chrono::milliseconds(100),
                         std::size_t bucketCount = 1024);

    // A new entry, due at `at`. Handles of removed entries are reused.
    Handle add(MonoTime at);
    // Moves the entry to `at` (or schedules it again after takeDue()).
    void schedule(Handle handle, MonoTime at);
    // Forgets the entry; its handle may come back from a later add().
    void remove(Handle handle);
    // Appends to `due` every entry whose time is <= now, each once, and unschedules it: the
    // handle stays valid, and the entry is not due again until schedule() is called.
    void takeDue(MonoTime now, std::vector<Handle>& due);

    bool scheduled(Handle handle) const { return slots_[handle].scheduled; }
    MonoTime at(Handle handle) const { return slots_[handle].at; }
    std::size_t size() const { return slots_.size() - free_.size(); }

private:
    struct Slot {
        MonoTime at{0};
        std::uint32_t seq = 0; // bumped on every change: older records are stale
        bool scheduled = false;
    };
    struct Record {
        Handle handle;
        std::uint32_t seq;
    };

    std::int64_t tickOf(MonoTime t) const;
    std::vector<Record>& bucket(std::int64_t tick);

    const std::int64_t granularity_; // nanoseconds
    std::vector<std::vector<Record>> buckets_;
    std::vector<Slot> slots_;  // by handle
    std::vector<Handle> free_; // removed handles, for reuse
    std::vector<Record> scratch_;
    // The tick of the last takeDue(): buckets before it have been emptied of due entries, so a
    // time before it is filed under it.
    std::int64_t cursor_ = 0;
    bool started_ = false;
};

} // namespace peerscope
