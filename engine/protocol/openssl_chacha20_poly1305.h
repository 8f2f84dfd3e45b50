#pragma once

#include "engine/core/bytes.h"
#include "engine/protocol/chacha20_poly1305.h"

#include <memory>
#include <openssl/types.h>

namespace peerscope {

// ChaCha20-Poly1305 through OpenSSL's EVP interface, with the same calls as ChaCha20Poly1305:
// OpenSSL's vectorised code is several times faster on long messages, but each call costs about
// 0.7 µs of set-up, so NoiseTransport uses this one only for long frames. One cipher context,
// keyed once; each call sets its nonce and direction.
class OpenSslChaCha20Poly1305 final {
public:
    using Nonce = ChaCha20Poly1305::Nonce;
    static constexpr std::size_t tagSize = ChaCha20Poly1305::tagSize;

    explicit OpenSslChaCha20Poly1305(const std::uint8_t* key); // ChaCha20Poly1305::keySize bytes
    ~OpenSslChaCha20Poly1305();
    OpenSslChaCha20Poly1305(const OpenSslChaCha20Poly1305&) = delete;
    OpenSslChaCha20Poly1305& operator=(const OpenSslChaCha20Poly1305&) = delete;

    void seal(const Nonce& nonce, ByteView aad, ByteView plaintext, std::uint8_t* out,
              std::uint8_t* tag);
    // Unlike ChaCha20Poly1305::open, `out` may have been written when this returns false.
    bool open(const Nonce& nonce, ByteView aad, ByteView ciphertext, const std::uint8_t* tag,
              std::uint8_t* out);

private:
    struct FreeContext {
        void operator()(EVP_CIPHER_CTX* ctx) const;
    };
    std::unique_ptr<EVP_CIPHER_CTX, FreeContext> ctx_;
};

} // namespace peerscope
