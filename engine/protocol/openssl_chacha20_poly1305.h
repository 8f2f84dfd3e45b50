#pragma once

#include "engine/core/bytes.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <openssl/types.h>

namespace peerscope {

// ChaCha20-Poly1305 (RFC 8439, the IETF variant Noise uses) through OpenSSL's EVP interface.
// One cipher context, keyed once: a call only sets the nonce and direction, so nothing is
// allocated or keyed per frame.
class OpenSslChaCha20Poly1305 final {
public:
    static constexpr std::size_t keySize = 32;
    static constexpr std::size_t nonceSize = 12;
    static constexpr std::size_t tagSize = 16;
    using Nonce = std::array<std::uint8_t, nonceSize>;

    explicit OpenSslChaCha20Poly1305(const std::uint8_t* key); // keySize bytes
    ~OpenSslChaCha20Poly1305();                                // wipes the key schedule
    OpenSslChaCha20Poly1305(const OpenSslChaCha20Poly1305&) = delete;
    OpenSslChaCha20Poly1305& operator=(const OpenSslChaCha20Poly1305&) = delete;

    // Encrypts `plaintext` into `out` (plaintext.size() bytes; may be the same memory) and writes
    // the tag to `tag`.
    void seal(const Nonce& nonce, ByteView aad, ByteView plaintext, std::uint8_t* out,
              std::uint8_t* tag);
    // Decrypts `ciphertext` into `out` (ciphertext.size() bytes) and checks `tag` over `aad` and
    // `ciphertext`. False when the tag does not match; `out` is then zeroed, so no forged
    // plaintext is left behind.
    [[nodiscard]] bool open(const Nonce& nonce, ByteView aad, ByteView ciphertext,
                            const std::uint8_t* tag, std::uint8_t* out);

private:
    struct FreeContext {
        void operator()(EVP_CIPHER_CTX* ctx) const;
    };
    std::unique_ptr<EVP_CIPHER_CTX, FreeContext> ctx_;
};

} // namespace peerscope
