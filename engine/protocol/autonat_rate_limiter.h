#pragma once

#include "engine/core/clock.h"
#include "engine/core/peer_id.h"

#include <cstddef>
#include <deque>
#include <unordered_map>

namespace peerscope {

// How many AutoNAT requests a server serves, as go-libp2p: 30 a minute in total, 3 a minute
// from one peer, over a sliding minute. Each served request costs a dial, so this bounds what
// others can make us dial. Sans-I/O: time is an argument. Memory is bounded by the total
// limit: only requests served within the window are remembered.
class AutonatRateLimiter final {
public:
    struct Limits {
        std::size_t total = 30;
        std::size_t perPeer = 3;
        MonoTime window = std::chrono::minutes(1);
    };

    AutonatRateLimiter() = default;
    explicit AutonatRateLimiter(Limits limits) : limits_(limits) {}

    // True, and the request counts, when both limits allow it at `now`; false otherwise (a
    // refused request does not count). `now` never goes backwards.
    bool allow(const PeerId& peer, MonoTime now);

    std::size_t servedInWindow(MonoTime now);
    std::size_t servedInWindow(const PeerId& peer, MonoTime now);

private:
    struct Served {
        MonoTime at;
        PeerId peer;
    };

    void expire(MonoTime now);

    Limits limits_;
    std::deque<Served> served_; // oldest first
    std::unordered_map<PeerId, std::size_t> perPeer_;
};

} // namespace peerscope
