#include "engine/protocol/chacha20_poly1305.h"

#include "engine/protocol/little_endian.h"
#include "engine/protocol/poly1305.h"

#include <cstring>
#include <openssl/crypto.h>

namespace peerscope {

namespace {

constexpr std::uint32_t rotl(std::uint32_t v, int bits) {
    return v << bits | v >> (32 - bits);
}

constexpr void quarterRound(std::uint32_t& a, std::uint32_t& b, std::uint32_t& c,
                            std::uint32_t& d) {
    a += b, d ^= a, d = rotl(d, 16);
    c += d, b ^= c, b = rotl(b, 12);
    a += b, d ^= a, d = rotl(d, 8);
    c += d, b ^= c, b = rotl(b, 7);
}

// RFC 8439 2.3: one 64-byte keystream block.
void chachaBlock(const std::array<std::uint32_t, 8>& key, std::uint32_t counter,
                 const std::uint32_t nonce[3], std::uint8_t out[64]) {
    const std::uint32_t input[16] = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574, // constant
                                     key[0],     key[1],     key[2],     key[3],
                                     key[4],     key[5],     key[6],     key[7],
                                     counter,    nonce[0],   nonce[1],   nonce[2]};
    std::uint32_t x[16];
    std::memcpy(x, input, sizeof x);
    for (int doubleRound = 0; doubleRound < 10; ++doubleRound) {
        quarterRound(x[0], x[4], x[8], x[12]); // columns
        quarterRound(x[1], x[5], x[9], x[13]);
        quarterRound(x[2], x[6], x[10], x[14]);
        quarterRound(x[3], x[7], x[11], x[15]);
        quarterRound(x[0], x[5], x[10], x[15]); // diagonals
        quarterRound(x[1], x[6], x[11], x[12]);
        quarterRound(x[2], x[7], x[8], x[13]);
        quarterRound(x[3], x[4], x[9], x[14]);
    }
    for (int i = 0; i < 16; ++i)
        littleEndian::store32(out + 4 * i, x[i] + input[i]);
}

// RFC 8439 2.4: XOR with the keystream from block `counter` on.
void chachaXor(const std::array<std::uint32_t, 8>& key, std::uint32_t counter,
               const std::uint32_t nonce[3], const std::uint8_t* in, std::uint8_t* out,
               std::size_t length) {
    std::uint8_t stream[64];
    while (length > 0) {
        chachaBlock(key, counter++, nonce, stream);
        const std::size_t n = length < 64 ? length : 64;
        for (std::size_t i = 0; i < n; ++i)
            out[i] = in[i] ^ stream[i];
        in += n;
        out += n;
        length -= n;
    }
    OPENSSL_cleanse(stream, sizeof stream);
}

// RFC 8439 2.8: the tag over aad | pad16 | ciphertext | pad16 | le64(aad) | le64(ciphertext),
// keyed by the first half of keystream block 0.
void computeTag(const std::array<std::uint32_t, 8>& key, const std::uint32_t nonce[3], ByteView aad,
                const std::uint8_t* ciphertext, std::size_t length, std::uint8_t tag[16]) {
    std::uint8_t block0[64];
    chachaBlock(key, 0, nonce, block0);
    Poly1305 mac(block0);
    OPENSSL_cleanse(block0, sizeof block0);
    mac.updatePadded(aad);
    mac.updatePadded(ByteView(ciphertext, length));
    std::uint8_t lengths[16];
    littleEndian::store64(lengths, aad.size());
    littleEndian::store64(lengths + 8, length);
    mac.updatePadded(lengths);
    mac.finish(tag);
}

void nonceWords(const ChaCha20Poly1305::Nonce& nonce, std::uint32_t words[3]) {
    for (int i = 0; i < 3; ++i)
        words[i] = littleEndian::load32(nonce.data() + 4 * i);
}

} // namespace

ChaCha20Poly1305::ChaCha20Poly1305(const std::uint8_t* key) {
    for (std::size_t i = 0; i < key_.size(); ++i)
        key_[i] = littleEndian::load32(key + 4 * i);
}

ChaCha20Poly1305::~ChaCha20Poly1305() {
    OPENSSL_cleanse(key_.data(), sizeof key_);
}

void ChaCha20Poly1305::seal(const Nonce& nonce, ByteView aad, ByteView plaintext, std::uint8_t* out,
                            std::uint8_t* tag) const {
    std::uint32_t words[3];
    nonceWords(nonce, words);
    chachaXor(key_, 1, words, plaintext.data(), out, plaintext.size());
    computeTag(key_, words, aad, out, plaintext.size(), tag);
}

bool ChaCha20Poly1305::open(const Nonce& nonce, ByteView aad, ByteView ciphertext,
                            const std::uint8_t* tag, std::uint8_t* out) const {
    std::uint32_t words[3];
    nonceWords(nonce, words);
    std::uint8_t expected[tagSize];
    computeTag(key_, words, aad, ciphertext.data(), ciphertext.size(), expected);
    if (CRYPTO_memcmp(expected, tag, tagSize) != 0)
        return false;
    chachaXor(key_, 1, words, ciphertext.data(), out, ciphertext.size());
    return true;
}

} // namespace peerscope
