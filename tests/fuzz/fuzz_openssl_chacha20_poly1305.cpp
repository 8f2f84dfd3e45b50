// The ChaCha20-Poly1305 NoiseTransport and NoiseHandshake use, on arbitrary keys, nonces,
// associated data and messages: a sealed message opens back to itself, and with one flipped bit
// (chosen by the input) it is refused and leaves zeros behind. One cipher object serves every
// call, as a connection's does.
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
    OpenSslChaCha20Poly1305 cipher(data);
    OpenSslChaCha20Poly1305::Nonce nonce{};
    std::copy_n(data + 32, nonce.size(), nonce.begin());
    const std::size_t aadLength = std::min<std::size_t>(data[44], size - 45);
    const ByteView aad(data + 45, aadLength);
    const ByteView plaintext(data + 45 + aadLength, size - 45 - aadLength);

    Bytes sealed(plaintext.size() + OpenSslChaCha20Poly1305::tagSize);
    cipher.seal(nonce, aad, plaintext, sealed.data(), sealed.data() + plaintext.size());
    Bytes opened(plaintext.size());
    if (!cipher.open(nonce, aad, ByteView(sealed.data(), plaintext.size()),
                     sealed.data() + plaintext.size(), opened.data()) ||
        !std::equal(opened.begin(), opened.end(), plaintext.begin()))
        std::abort();

    Bytes forged = sealed;
    forged[data[0] % forged.size()] ^= std::uint8_t(1u << (data[1] % 8));
    if (cipher.open(nonce, aad, ByteView(forged.data(), plaintext.size()),
                    forged.data() + plaintext.size(), opened.data()) ||
        std::any_of(opened.begin(), opened.end(), [](std::uint8_t b) { return b != 0; }))
        std::abort();
    return 0;
}
