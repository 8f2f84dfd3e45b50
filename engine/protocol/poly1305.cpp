#include "engine/protocol/poly1305.h"

#include "engine/protocol/little_endian.h"

#include <cstring>
#include <openssl/crypto.h>

namespace peerscope {

namespace {
constexpr std::uint64_t mask44 = 0xfffffffffffULL;
constexpr std::uint64_t mask42 = 0x3ffffffffffULL;
constexpr std::uint64_t bit128 = std::uint64_t(1) << 40; // 2^128, in the top limb
} // namespace

Poly1305::Poly1305(const std::uint8_t* key) {
    const std::uint64_t t0 = littleEndian::load64(key);
    const std::uint64_t t1 = littleEndian::load64(key + 8);
    // r &= 0x0ffffffc0ffffffc0ffffffc0fffffff, split into limbs.
    r0_ = t0 & 0xffc0fffffffULL;
    r1_ = (t0 >> 44 | t1 << 20) & 0xfffffc0ffffULL;
    r2_ = (t1 >> 24) & 0x00ffffffc0fULL;
    // 2^130 = 5 (mod 2^130 - 5); the limb weights turn that into 5 << 2 for limbs 1 and 2.
    s1_ = r1_ * (5 << 2);
    s2_ = r2_ * (5 << 2);
    pad0_ = littleEndian::load64(key + 16);
    pad1_ = littleEndian::load64(key + 24);
}

Poly1305::~Poly1305() {
    OPENSSL_cleanse(this, sizeof *this);
}

void Poly1305::updatePadded(ByteView data) {
    const std::size_t whole = data.size() & ~std::size_t(15);
    blocks(data.data(), whole, bit128);
    if (whole < data.size()) {
        std::uint8_t last[16] = {};
        std::memcpy(last, data.data() + whole, data.size() - whole);
        blocks(last, 16, bit128);
    }
}

void Poly1305::updateLast(ByteView data) {
    const std::size_t whole = data.size() & ~std::size_t(15);
    blocks(data.data(), whole, bit128);
    if (whole < data.size()) {
        std::uint8_t last[16] = {};
        std::memcpy(last, data.data() + whole, data.size() - whole);
        last[data.size() - whole] = 1;
        blocks(last, 16, 0);
    }
}

void Poly1305::blocks(const std::uint8_t* data, std::size_t length, std::uint64_t highBit) {
    using U128 = unsigned __int128;
    while (length >= 16) {
        const std::uint64_t t0 = littleEndian::load64(data);
        const std::uint64_t t1 = littleEndian::load64(data + 8);
        h0_ += t0 & mask44;
        h1_ += (t0 >> 44 | t1 << 20) & mask44;
        h2_ += ((t1 >> 24) & mask42) | highBit;
        // h = h * r mod 2^130 - 5, only partly reduced.
        const U128 d0 = U128(h0_) * r0_ + U128(h1_) * s2_ + U128(h2_) * s1_;
        U128 d1 = U128(h0_) * r1_ + U128(h1_) * r0_ + U128(h2_) * s2_;
        U128 d2 = U128(h0_) * r2_ + U128(h1_) * r1_ + U128(h2_) * r0_;
        std::uint64_t carry = std::uint64_t(d0 >> 44);
        h0_ = std::uint64_t(d0) & mask44;
        d1 += carry;
        carry = std::uint64_t(d1 >> 44);
        h1_ = std::uint64_t(d1) & mask44;
        d2 += carry;
        carry = std::uint64_t(d2 >> 42);
        h2_ = std::uint64_t(d2) & mask42;
        h0_ += carry * 5;
        carry = h0_ >> 44;
        h0_ &= mask44;
        h1_ += carry;
        data += 16;
        length -= 16;
    }
}

void Poly1305::finish(std::uint8_t* tag) {
    // Carry fully; twice round, since the first wrap can carry again.
    std::uint64_t carry = 0;
    for (int round = 0; round < 2; ++round) {
        carry = h1_ >> 44;
        h1_ &= mask44;
        h2_ += carry;
        carry = h2_ >> 42;
        h2_ &= mask42;
        h0_ += carry * 5;
        carry = h0_ >> 44;
        h0_ &= mask44;
        h1_ += carry;
    }
    // g = h - p = h + 5 - 2^130. Keep g when that did not borrow (h >= p), with a mask, not a
    // branch.
    std::uint64_t g0 = h0_ + 5;
    carry = g0 >> 44;
    g0 &= mask44;
    std::uint64_t g1 = h1_ + carry;
    carry = g1 >> 44;
    g1 &= mask44;
    const std::uint64_t g2 = h2_ + carry - (std::uint64_t(1) << 42);
    const std::uint64_t takeG = (g2 >> 63) - 1; // all ones when g2 did not borrow
    h0_ = (h0_ & ~takeG) | (g0 & takeG);
    h1_ = (h1_ & ~takeG) | (g1 & takeG);
    h2_ = (h2_ & ~takeG) | (g2 & takeG);
    // tag = (h + s) mod 2^128
    h0_ += pad0_ & mask44;
    carry = h0_ >> 44;
    h0_ &= mask44;
    h1_ += ((pad0_ >> 44 | pad1_ << 20) & mask44) + carry;
    carry = h1_ >> 44;
    h1_ &= mask44;
    h2_ += ((pad1_ >> 24) & mask42) + carry;
    h2_ &= mask42;
    littleEndian::store64(tag, h0_ | h1_ << 44);
    littleEndian::store64(tag + 8, h1_ >> 20 | h2_ << 24);
}

} // namespace peerscope
