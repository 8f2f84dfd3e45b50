// Differential: the project's ChaCha20-Poly1305 against OpenSSL's (the two NoiseTransport uses,
// by frame length) on arbitrary keys, nonces, associated data and messages. Any difference in
// ciphertext or tag, a tag that fails to open in either, or a forged one that opens, aborts.
#include "engine/protocol/chacha20_poly1305.h"
#include "engine/protocol/openssl_chacha20_poly1305.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>

using namespace peerscope;

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
    OpenSslChaCha20Poly1305 openssl(key);
    Bytes theirs(plaintext.size() + 16);
    openssl.seal(nonce, aad, plaintext, theirs.data(), theirs.data() + plaintext.size());
    if (ours != theirs)
        std::abort();

    // Both ciphers must open the sealed frame back to the plaintext and refuse it with one
    // flipped bit, chosen by the input.
    const ByteView ciphertext(ours.data(), plaintext.size());
    Bytes forged = ours;
    forged[data[0] % forged.size()] ^= std::uint8_t(1u << (data[1] % 8));
    Bytes opened(plaintext.size());
    auto opensOnlyTheRealFrame = [&](auto& aead) {
        return aead.open(nonce, aad, ciphertext, ours.data() + plaintext.size(), opened.data()) &&
               std::equal(opened.begin(), opened.end(), plaintext.begin()) &&
               !aead.open(nonce, aad, ByteView(forged.data(), plaintext.size()),
                          forged.data() + plaintext.size(), opened.data());
    };
    if (!opensOnlyTheRealFrame(cipher) || !opensOnlyTheRealFrame(openssl))
        std::abort();
    return 0;
}
