#pragma once

#include "engine/core/bytes.h"
#include "engine/core/keys.h"
#include "engine/protocol/x25519_key.h"

#include <memory>

namespace peerscope {

// A node's Noise static key and its identity signature over
// "noise-libp2p-static-key:" + the static public key. Made once per node and shared by its
// handshakes, as go-libp2p and rust-libp2p do: each handshake then skips a key generation
// and a signature. Forward secrecy comes from the per-handshake ephemeral keys.
class NoiseStaticKey final {
public:
    static std::shared_ptr<const NoiseStaticKey> create(const PrivateKey& identity);

    const X25519Key& key() const { return key_; }
    const Bytes& signature() const { return signature_; }

private:
    NoiseStaticKey(X25519Key key, Bytes signature);

    X25519Key key_;
    Bytes signature_;
};

} // namespace peerscope
