// Arbitrary bytes as Noise handshake messages (to a responder, and to an initiator that has
// sent message 1) and as transport frames. Must never crash, leak or hit undefined behaviour.
#include "engine/core/keys.h"
#include "engine/protocol/noise_handshake.h"
#include "engine/protocol/noise_transport.h"

#include <cstddef>
#include <cstdint>

using namespace peerscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const PrivateKey key = PrivateKey::generateEd25519();
    if (size == 0)
        return 0;
    // The first byte picks the feed chunk size, so splits are explored too.
    const std::size_t chunk = std::size_t(data[0]) * 16 + 1;
    const ByteView input(data + 1, size - 1);
    auto feedInChunks = [&](auto&& feed) {
        for (std::size_t offset = 0; offset < input.size(); offset += chunk)
            feed(input.subspan(offset, std::min(chunk, input.size() - offset)));
    };

    NoiseHandshake::Options responderOptions;
    responderOptions.role = NoiseHandshake::Role::Responder;
    responderOptions.muxers = {"/yamux/1.0.0"};
    NoiseHandshake responder(key, responderOptions);
    feedInChunks([&](ByteView part) { responder.feed(part); });
    (void)responder.takeOutput();

    NoiseHandshake::Options initiatorOptions;
    initiatorOptions.role = NoiseHandshake::Role::Initiator;
    NoiseHandshake initiator(key, initiatorOptions);
    initiator.start();
    (void)initiator.takeOutput();
    feedInChunks([&](ByteView part) { initiator.feed(part); });

    const Bytes fixedKey(32, 0x11);
    NoiseTransport transport(fixedKey, fixedKey);
    Bytes plaintext;
    feedInChunks([&](ByteView part) { (void)transport.decrypt(part, plaintext); });
    return 0;
}
