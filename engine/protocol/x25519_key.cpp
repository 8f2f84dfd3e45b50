#include "engine/protocol/x25519_key.h"

#include <openssl/evp.h>

namespace peerscope {

void X25519Key::Free::operator()(EVP_PKEY* key) const {
    EVP_PKEY_free(key);
}

X25519Key X25519Key::generate() {
    X25519Key k;
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_X25519, nullptr);
    EVP_PKEY* raw = nullptr;
    EVP_PKEY_keygen_init(ctx);
    EVP_PKEY_keygen(ctx, &raw);
    EVP_PKEY_CTX_free(ctx);
    k.key_.reset(raw);
    std::size_t length = size;
    EVP_PKEY_get_raw_public_key(raw, k.publicKey_.data(), &length);
    return k;
}

std::optional<X25519Key::Bytes32> X25519Key::dh(ByteView remotePublic) const {
    if (remotePublic.size() != size)
        return std::nullopt;
    std::unique_ptr<EVP_PKEY, Free> peer(
        EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nullptr, remotePublic.data(), size));
    if (!peer)
        return std::nullopt;
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new(key_.get(), nullptr);
    Bytes32 shared{};
    std::size_t length = size;
    const bool ok = EVP_PKEY_derive_init(ctx) == 1 &&
                    EVP_PKEY_derive_set_peer(ctx, peer.get()) == 1 &&
                    EVP_PKEY_derive(ctx, shared.data(), &length) == 1 && length == size;
    EVP_PKEY_CTX_free(ctx);
    if (!ok || shared == Bytes32{})
        return std::nullopt;
    return shared;
}

} // namespace peerscope
