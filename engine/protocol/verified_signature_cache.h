#pragma once

#include "engine/core/bytes.h"

#include <cstddef>
#include <deque>
#include <string>
#include <unordered_set>

namespace peerscope {

// Remembers (identity key, Noise static key, signature) triples whose signature verified, so a
// peer that opens several connections (the pool keeps up to max_connections_per_peer) pays for
// one Ed25519 verification, not one per handshake. A hit means these exact bytes verified
// before, so the answer cannot differ. Bounded: the oldest entries go first. Not thread-safe:
// one per Host, on the engine thread.
class VerifiedSignatureCache final {
public:
    explicit VerifiedSignatureCache(std::size_t capacity = 4096) : capacity_(capacity) {}

    bool contains(ByteView identityKey, ByteView staticKey, ByteView signature) const;
    void insert(ByteView identityKey, ByteView staticKey, ByteView signature);
    std::size_t size() const { return entries_.size(); }
    void clear();

private:
    static std::string keyOf(ByteView identityKey, ByteView staticKey, ByteView signature);

    std::size_t capacity_;
    std::unordered_set<std::string> entries_;
    std::deque<std::string> order_; // insertion order, for eviction
};

} // namespace peerscope
