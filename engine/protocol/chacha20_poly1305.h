#pragma once

#include "engine/core/bytes.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace peerscope {

// The ChaCha20-Poly1305 AEAD of RFC 8439, in portable C++ with the key held in the object.
//
// Why a second implementation next to OpenSSL's: Noise sends many tiny frames (a health probe is
// a 44-byte frame each way), and through OpenSSL 3's EVP layer each one costs about 0.7 µs of
// per-call overhead (re-initialising the nonce, the tag control call, the provider dispatch),
// several times the cipher work itself. This one does a 44-byte frame in about 0.25 µs. It has
// no SIMD, so bulk frames stay with OpenSSL (see NoiseTransport::ownCipherLimit).
//
// Constant time: ChaCha20 is add-rotate-xor, Poly1305 uses 64x64->128-bit multiplies and
// branch-free carries, and open() compares tags without an early exit.
class ChaCha20Poly1305 final {
public:
    static constexpr std::size_t keySize = 32;
    static constexpr std::size_t nonceSize = 12;
    static constexpr std::size_t tagSize = 16;
    using Nonce = std::array<std::uint8_t, nonceSize>;

    explicit ChaCha20Poly1305(const std::uint8_t* key); // keySize bytes
    ~ChaCha20Poly1305();                                // wipes the key
    ChaCha20Poly1305(const ChaCha20Poly1305&) = delete;
    ChaCha20Poly1305& operator=(const ChaCha20Poly1305&) = delete;

    // Encrypts `plaintext` into `out` (plaintext.size() bytes; may be the same memory) and writes
    // the tag to `tag`.
    void seal(const Nonce& nonce, ByteView aad, ByteView plaintext, std::uint8_t* out,
              std::uint8_t* tag) const;
    // Checks `tag` over `aad` and `ciphertext`, then decrypts into `out` (ciphertext.size()
    // bytes). False, with `out` untouched, when the tag does not match.
    bool open(const Nonce& nonce, ByteView aad, ByteView ciphertext, const std::uint8_t* tag,
              std::uint8_t* out) const;

private:
    std::array<std::uint32_t, 8> key_;
};

} // namespace peerscope
