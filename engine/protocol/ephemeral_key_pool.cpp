#include "engine/protocol/ephemeral_key_pool.h"

namespace peerscope {

X25519Key EphemeralKeyPool::take() {
    if (!spare_)
        return X25519Key::generate();
    X25519Key key = std::move(*spare_);
    spare_.reset();
    return key;
}

void EphemeralKeyPool::refill() {
    if (!spare_)
        spare_ = X25519Key::generate();
}

} // namespace peerscope
