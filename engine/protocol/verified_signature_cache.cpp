#include "engine/protocol/verified_signature_cache.h"

namespace peerscope {

std::string VerifiedSignatureCache::keyOf(ByteView identityKey, ByteView staticKey,
                                          ByteView signature) {
    // Length-prefixed parts: no two different triples share a key.
    std::string key;
    key.reserve(identityKey.size() + staticKey.size() + signature.size() + 6);
    for (ByteView part : {identityKey, staticKey, signature}) {
        key.push_back(static_cast<char>(part.size() >> 8));
        key.push_back(static_cast<char>(part.size() & 0xff));
        key.append(reinterpret_cast<const char*>(part.data()), part.size());
    }
    return key;
}

bool VerifiedSignatureCache::contains(ByteView identityKey, ByteView staticKey,
                                      ByteView signature) const {
    return entries_.count(keyOf(identityKey, staticKey, signature)) != 0;
}

void VerifiedSignatureCache::insert(ByteView identityKey, ByteView staticKey, ByteView signature) {
    if (capacity_ == 0)
        return;
    std::string key = keyOf(identityKey, staticKey, signature);
    if (!entries_.insert(key).second)
        return;
    order_.push_back(std::move(key));
    if (order_.size() > capacity_) {
        entries_.erase(order_.front());
        order_.pop_front();
    }
}

void VerifiedSignatureCache::clear() {
    entries_.clear();
    order_.clear();
}

} // namespace peerscope
