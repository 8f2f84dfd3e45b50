// libFuzzer target for circuit relay v2: the hop and stop frame decoders and all four
// exchanges fed hostile bytes. The first input byte picks the chunk size the exchanges are fed
// in; the rest is the stream. Nothing may crash, hit UB or grow without bound; decoded
// messages re-encode to themselves; an exchange decides the same in chunks as in one piece.
#include "engine/core/varint.h"
#include "engine/protocol/hop_client_exchange.h"
#include "engine/protocol/hop_server_exchange.h"
#include "engine/protocol/stop_client_exchange.h"
#include "engine/protocol/stop_server_exchange.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

using namespace peerscope;

namespace {

constexpr std::uint64_t now = 1'800'000'000;

void check(bool condition) {
    if (!condition)
        __builtin_trap();
}

// Skipped-address counts do not survive re-encoding (the addresses are gone).
void forgetSkipped(std::optional<RelayPeerInfo>& peer) {
    if (peer)
        peer->skippedAddrs = 0;
}

void checkHopDecoder(ByteView stream) {
    RelayFrame<RelayHopMessage> frame = decodeHopFrame(stream);
    if (frame.status == RelayFrameStatus::Incomplete) {
        check(frame.consumed == 0);
        check(stream.size() <= circuitRelayMaxMessageSize + varint::maxLength);
        return;
    }
    if (frame.status != RelayFrameStatus::Message) {
        check(!frame.error.empty());
        return;
    }
    check(frame.consumed > 0 && frame.consumed <= stream.size());
    RelayHopMessage& message = frame.message;
    forgetSkipped(message.peer);
    if (message.reservation)
        message.reservation->skippedAddrs = 0;
    const Bytes encoded = message.encodeFrame();
    // Unknown fields, repeated fields and padded varints are dropped: never larger.
    check(encoded.size() <= frame.consumed);
    RelayFrame<RelayHopMessage> again = decodeHopFrame(encoded);
    check(again.status == RelayFrameStatus::Message);
    check(again.consumed == encoded.size());
    check(again.message == message);
}

void checkStopDecoder(ByteView stream) {
    RelayFrame<RelayStopMessage> frame = decodeStopFrame(stream);
    if (frame.status == RelayFrameStatus::Incomplete) {
        check(frame.consumed == 0);
        return;
    }
    if (frame.status != RelayFrameStatus::Message)
        return;
    check(frame.consumed > 0 && frame.consumed <= stream.size());
    RelayStopMessage& message = frame.message;
    forgetSkipped(message.peer);
    const Bytes encoded = message.encodeFrame();
    check(encoded.size() <= frame.consumed);
    RelayFrame<RelayStopMessage> again = decodeStopFrame(encoded);
    check(again.status == RelayFrameStatus::Message);
    check(again.message == message);
}

// Feeds the stream in chunks; returns the index of the one outcome (or -1) and everything
// handed over as leftover.
template <typename Exchange>
std::pair<int, Bytes> run(Exchange& exchange, ByteView stream, std::size_t chunk) {
    int outcome = -1;
    Bytes leftover;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
        auto result = exchange.feed(stream.subspan(at, std::min(chunk, stream.size() - at)));
        if (result) {
            check(outcome == -1); // the outcome comes once
            outcome = static_cast<int>(result->index());
        }
        append(leftover, exchange.takeLeftover());
    }
    check(leftover.size() <= stream.size());
    if (outcome == -1)
        check(leftover.empty());
    return {outcome, leftover};
}

template <typename Make> void checkExchange(Make make, ByteView stream, std::size_t chunk) {
    auto whole = make();
    auto inChunks = make();
    const auto a = run(whole, stream, stream.empty() ? 1 : stream.size());
    const auto b = run(inChunks, stream, chunk);
    check(a == b);
}

struct Keys {
    PeerId self =
        PeerId::fromPublicKey(PrivateKey::fromEd25519Seed(Bytes(32, 0x02)).value().publicKey());
    PeerId relay =
        PeerId::fromPublicKey(PrivateKey::fromEd25519Seed(Bytes(32, 0x01)).value().publicKey());
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    static const Keys keys;
    const std::size_t chunk = 1 + data[0] % 64;
    const ByteView stream(data + 1, size - 1);

    checkHopDecoder(stream);
    checkStopDecoder(stream);

    checkExchange([] { return HopServerExchange(); }, stream, chunk);
    checkExchange([] { return StopServerExchange(); }, stream, chunk);
    checkExchange(
        [&] {
            HopClientExchange client(keys.self, keys.relay);
            (void)client.reserve(now);
            return client;
        },
        stream, chunk);
    checkExchange(
        [&] {
            HopClientExchange client(keys.self, keys.relay);
            (void)client.connect(keys.relay);
            return client;
        },
        stream, chunk);
    checkExchange(
        [&] {
            StopClientExchange client;
            (void)client.connect(RelayPeerInfo{keys.self, {}, 0}, RelayLimit{120, 1 << 17});
            return client;
        },
        stream, chunk);
    return 0;
}
