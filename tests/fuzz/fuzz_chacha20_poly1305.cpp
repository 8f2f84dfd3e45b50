// Differential: the project's ChaCha20-Poly1305 against OpenSSL's on arbitrary keys, nonces,
// associated data and messages. Any difference in ciphertext or tag, a tag that fails to open,
// or a forged one that opens, aborts.
#include "engine/protocol/chacha20_poly1305.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <openssl/evp.h>

using namespace peerscope;

namespace {

Bytes opensslSeal(const std::uint8_t* key, const std::uint8_t* nonce, ByteView aad,
                  ByteView plaintext) {
    Bytes out(plaintext.size() + 16);
    EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
    int n = 0;
    EVP_EncryptInit_ex(ctx, EVP_chacha20_poly1305(), nullptr, key, nonce);
    if (!aad.empty())
        EVP_EncryptUpdate(ctx, nullptr, &n, aad.data(), int(aad.size()));
    EVP_EncryptUpdate(ctx, out.data(), &n, plaintext.data(), int(plaintext.size()));
    EVP_EncryptFinal_ex(ctx, out.data() + n, &n);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, 16, out.data() + plaintext.size());
    EVP_CIPHER_CTX_free(ctx);
    return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    // key (32) | nonce (12) | aad length (1) | aad | plaintext
    if (size < 45)
        return 0;
    const std::uint8_t* key = data;
    ChaCha20Poly1305::Nonce nonce{};
    std::copy_n(data + 32, nonce.size(), nonce.begin());
    const std::size_t aadLength = std::min<std::size_t>(data[44], size - 45);
    const ByteView aad(data + 45, aadLength);
    const ByteView plaintext(data + 45 + aadLength, size - 45 - aadLength);

    const ChaCha20Poly1305 cipher(key);
    Bytes ours(plaintext.size() + 16);
    cipher.seal(nonce, aad, plaintext, ours.data(), ours.data() + plaintext.size());
    if (ours != opensslSeal(key, nonce.data(), aad, plaintext))
        std::abort();

    const ByteView ciphertext(ours.data(), plaintext.size());
    Bytes opened(plaintext.size());
    if (!cipher.open(nonce, aad, ciphertext, ours.data() + plaintext.size(), opened.data()) ||
        !std::equal(opened.begin(), opened.end(), plaintext.begin()))
        std::abort();
    // One flipped bit, chosen by the input, must be refused.
    Bytes forged = ours;
    forged[data[0] % forged.size()] ^= std::uint8_t(1u << (data[1] % 8));
    if (cipher.open(nonce, aad, ByteView(forged.data(), plaintext.size()),
                    forged.data() + plaintext.size(), opened.data()))
        std::abort();
    return 0;
}
