#pragma once

#include "engine/core/bytes.h"

#include <array>
#include <cstddef>
#include <cstdint>

namespace peerscope {

// ChaCha20-Poly1305 (RFC 8439, the IETF variant Noise uses) from libsodium. libsodium takes the
// key with every call and has no per-call set-up, so a 44-byte ping frame costs little more
// than the cipher itself; its ChaCha20 and Poly1305 are vectorised (picked at sodium_init()).
class SodiumChaCha20Poly1305 final {
public:
    static constexpr std::size_t keySize = 32;
    static constexpr std::size_t nonceSize = 12;
    static constexpr std::size_t tagSize = 16;
    using Nonce = std::array<std::uint8_t, nonceSize>;

    explicit SodiumChaCha20Poly1305(const std::uint8_t* key); // keySize bytes
    ~SodiumChaCha20Poly1305();                                // wipes the key
    SodiumChaCha20Poly1305(const SodiumChaCha20Poly1305&) = delete;
    SodiumChaCha20Poly1305& operator=(const SodiumChaCha20Poly1305&) = delete;

    // Encrypts `plaintext` into `out` (plaintext.size() bytes; may be the same memory) and writes
    // the tag to `tag`.
    void seal(const Nonce& nonce, ByteView aad, ByteView plaintext, std::uint8_t* out,
              std::uint8_t* tag) const;
    // Checks `tag` over `aad` and `ciphertext` before decrypting into `out` (ciphertext.size()
    // bytes). False when the tag does not match; `out` is then zeroed.
    [[nodiscard]] bool open(const Nonce& nonce, ByteView aad, ByteView ciphertext,
                            const std::uint8_t* tag, std::uint8_t* out) const;

private:
    std::array<std::uint8_t, keySize> key_;
};

} // namespace peerscope
