#include "engine/protocol/noise_static_key.h"

namespace peerscope {

namespace {
constexpr char signaturePrefix[] = "noise-libp2p-static-key:";
}

NoiseStaticKey::NoiseStaticKey(X25519Key key, Bytes signature)
    : key_(std::move(key)), signature_(std::move(signature)) {}

std::shared_ptr<const NoiseStaticKey> NoiseStaticKey::create(const PrivateKey& identity) {
    X25519Key key = X25519Key::generate();
    Bytes signed_ = toBytes(signaturePrefix);
    signed_.insert(signed_.end(), key.publicKey().begin(), key.publicKey().end());
    Bytes signature = identity.sign(signed_);
    return std::shared_ptr<const NoiseStaticKey>(
        new NoiseStaticKey(std::move(key), std::move(signature)));
}

} // namespace peerscope
