#include "engine/protocol/x25519_key.h"

#include "engine/core/openssl_ptr.h"

namespace peerscope {

void X25519Key::Free::operator()(EVP_PKEY* key) const {
    EVP_PKEY_free(key);
}

X25519Key X25519Key::generate() {
    X25519Key k;
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr));
    EVP_PKEY* raw = nullptr;
    EVP_PKEY_keygen_init(ctx.get());
    EVP_PKEY_keygen(ctx.get(), &raw);
    k.key_.reset(raw);
    std::size_t length = size;
    EVP_PKEY_get_raw_public_key(raw, k.publicKey_.data(), &length);
    return k;
}

std::optional<X25519Key::Bytes32> X25519Key::dh(ByteView remotePublic) const {
    if (remotePublic.size() != size)
        return std::nullopt;
    EvpPkeyPtr peer(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, remotePublic.data(), size));
    if (!peer)
        return std::nullopt;
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new(key_.get(), nullptr));
    Bytes32 shared{};
    std::size_t length = size;
    const bool ok = ctx && EVP_PKEY_derive_init(ctx.get()) == 1 &&
                    EVP_PKEY_derive_set_peer(ctx.get(), peer.get()) == 1 &&
                    EVP_PKEY_derive(ctx.get(), shared.data(), &length) == 1 && length == size;
    if (!ok || shared == Bytes32{})
        return std::nullopt;
    return shared;
}

} // namespace peerscope
