#pragma once

#include "engine/core/bytes.h"

#include <array>
#include <cstdint>
#include <memory>
#include <optional>

typedef struct evp_pkey_st EVP_PKEY;

namespace peerscope {

// An X25519 key pair (OpenSSL) for Noise: the per-handshake ephemeral key and the node's
// static key.
class X25519Key final {
public:
    static constexpr std::size_t size = 32;
    using Bytes32 = std::array<std::uint8_t, size>;

    static X25519Key generate();

    const Bytes32& publicKey() const { return publicKey_; }
    // The shared secret with `remotePublic`; nullopt for a malformed key or a low-order point
    // (an all-zero result).
    std::optional<Bytes32> dh(ByteView remotePublic) const;

private:
    struct Free {
        void operator()(EVP_PKEY* key) const;
    };
    std::unique_ptr<EVP_PKEY, Free> key_;
    Bytes32 publicKey_{};
};

} // namespace peerscope
