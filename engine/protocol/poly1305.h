#pragma once

#include "engine/core/bytes.h"

#include <cstddef>
#include <cstdint>

namespace peerscope {

// The Poly1305 one-time authenticator of RFC 8439 2.5, for ChaCha20Poly1305. The accumulator
// and r are three limbs of 44, 44 and 42 bits, so every product fits a 128-bit integer and
// carries are shifts and masks: no branch or table depends on the key or the message.
class Poly1305 final {
public:
    static constexpr std::size_t keySize = 32;
    static constexpr std::size_t tagSize = 16;

    explicit Poly1305(const std::uint8_t* key); // keySize bytes: r, then s
    ~Poly1305();                                // wipes the key and the accumulator
    Poly1305(const Poly1305&) = delete;
    Poly1305& operator=(const Poly1305&) = delete;

    // Absorbs `data` zero-padded to a multiple of 16 bytes: the AEAD construction's pad16().
    void updatePadded(ByteView data);
    // Absorbs the last part of a plain MAC's message: whole blocks, then the rest with the
    // RFC's 0x01 byte after it. Nothing may be absorbed after it.
    void updateLast(ByteView data);
    // Writes the tag (tagSize bytes).
    void finish(std::uint8_t* tag);

private:
    // Whole 16-byte blocks, each with 2^128 added (`highBit` 0 for the RFC's short last block,
    // which carries its own 0x01 byte instead).
    void blocks(const std::uint8_t* data, std::size_t length, std::uint64_t highBit);

    std::uint64_t r0_, r1_, r2_; // r, clamped
    std::uint64_t s1_, s2_;      // r1 and r2 times 5 << 2, for the products that wrap past 2^130
    std::uint64_t h0_ = 0, h1_ = 0, h2_ = 0;
    std::uint64_t pad0_, pad1_; // s
};

} // namespace peerscope
