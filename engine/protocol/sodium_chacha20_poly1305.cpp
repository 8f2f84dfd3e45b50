#include "engine/protocol/sodium_chacha20_poly1305.h"

#include <algorithm>
#include <sodium.h>
#include <stdexcept>

namespace peerscope {

namespace {

static_assert(SodiumChaCha20Poly1305::keySize == crypto_aead_chacha20poly1305_ietf_KEYBYTES);
static_assert(SodiumChaCha20Poly1305::nonceSize == crypto_aead_chacha20poly1305_ietf_NPUBBYTES);
static_assert(SodiumChaCha20Poly1305::tagSize == crypto_aead_chacha20poly1305_ietf_ABYTES);

// sodium_init() picks the SIMD implementations; a function-local static runs it once, even
// when several threads make their first cipher at the same time.
void initialiseSodium() {
    static const bool ready = sodium_init() >= 0;
    if (!ready)
        throw std::runtime_error("cannot initialise libsodium");
}

// libsodium declares its message pointers nonnull even for zero lengths; an empty span's data()
// may be null.
const std::uint8_t* nonNull(ByteView bytes) {
    static const std::uint8_t none = 0;
    return bytes.data() ? bytes.data() : &none;
}

} // namespace

SodiumChaCha20Poly1305::SodiumChaCha20Poly1305(const std::uint8_t* key) {
    initialiseSodium();
    std::copy_n(key, keySize, key_.begin());
}

SodiumChaCha20Poly1305::~SodiumChaCha20Poly1305() {
    sodium_memzero(key_.data(), key_.size());
}

void SodiumChaCha20Poly1305::seal(const Nonce& nonce, ByteView aad, ByteView plaintext,
                                  std::uint8_t* out, std::uint8_t* tag) const {
    std::uint8_t none = 0;
    crypto_aead_chacha20poly1305_ietf_encrypt_detached(
        out ? out : &none, tag, nullptr, nonNull(plaintext), plaintext.size(), aad.data(),
        aad.size(), nullptr, nonce.data(), key_.data());
}

bool SodiumChaCha20Poly1305::open(const Nonce& nonce, ByteView aad, ByteView ciphertext,
                                  const std::uint8_t* tag, std::uint8_t* out) const {
    return crypto_aead_chacha20poly1305_ietf_decrypt_detached(
               out, nullptr, nonNull(ciphertext), ciphertext.size(), tag, aad.data(), aad.size(),
               nonce.data(), key_.data()) == 0;
}

} // namespace peerscope
