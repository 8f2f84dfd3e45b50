#pragma once

#include "engine/protocol/x25519_key.h"

#include <optional>

namespace peerscope {

// Keeps one Noise ephemeral key generated ahead of time, so a handshake does not wait for the
// X25519 key generation; the I/O layer refills it when the node is idle. Each key is handed out
// once. Not thread-safe: one per Host, on the engine thread.
class EphemeralKeyPool final {
public:
    // The spare key if there is one, else a new one.
    X25519Key take();
    // Generates the spare if it was taken.
    void refill();
    bool hasSpare() const { return spare_.has_value(); }

private:
    std::optional<X25519Key> spare_;
};

} // namespace peerscope
