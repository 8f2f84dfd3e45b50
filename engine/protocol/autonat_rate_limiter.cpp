#include "engine/protocol/autonat_rate_limiter.h"

namespace peerscope {

bool AutonatRateLimiter::allow(const PeerId& peer, MonoTime now) {
    expire(now);
    if (served_.size() >= limits_.total)
        return false;
    std::size_t& count = perPeer_[peer];
    if (count >= limits_.perPeer)
        return false;
    ++count;
    served_.push_back(Served{now, peer});
    return true;
}

std::size_t AutonatRateLimiter::servedInWindow(MonoTime now) {
    expire(now);
    return served_.size();
}

std::size_t AutonatRateLimiter::servedInWindow(const PeerId& peer, MonoTime now) {
    expire(now);
    const auto found = perPeer_.find(peer);
    return found == perPeer_.end() ? 0 : found->second;
}

void AutonatRateLimiter::expire(MonoTime now) {
    // A request served at t counts until t + window.
    while (!served_.empty() && served_.front().at + limits_.window <= now) {
        const auto found = perPeer_.find(served_.front().peer);
        if (--found->second == 0)
            perPeer_.erase(found);
        served_.pop_front();
    }
}

} // namespace peerscope
