// libFuzzer target for AutoNAT v1: the frame decoder and both exchanges fed hostile bytes. The
// first input byte picks the chunk size the exchanges are fed in; the rest is the stream.
// Nothing may crash, hit UB or grow without bound; decoded messages re-encode to themselves; an
// exchange decides the same in chunks as in one piece; the server never lets an address off
// the observed IP through.
#include "engine/core/keys.h"
#include "engine/core/varint.h"
#include "engine/protocol/autonat_addr.h"
#include "engine/protocol/autonat_v1_client.h"
#include "engine/protocol/autonat_v1_server.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>

using namespace peerscope;

namespace {

void check(bool condition) {
    if (!condition)
        __builtin_trap();
}

void checkDecoder(ByteView stream) {
    AutonatFrame<AutonatV1Message> frame = decodeAutonatV1Frame(stream);
    if (frame.status == AutonatFrameStatus::Incomplete) {
        check(frame.consumed == 0);
        check(stream.size() <= autonatV1MaxMessageSize + varint::maxLength);
        return;
    }
    if (frame.status == AutonatFrameStatus::Malformed) {
        check(!frame.error.empty());
        return;
    }
    check(frame.consumed > 0 && frame.consumed <= stream.size());
    // Skipped addresses do not survive re-encoding (they are gone).
    if (auto* dial = std::get_if<AutonatV1Dial>(&frame.message))
        dial->skippedAddrs = 0;
    const Bytes encoded = encodeAutonatV1Frame(frame.message);
    // Unknown fields, the other type's submessage and padded varints are dropped.
    check(encoded.size() <= frame.consumed);
    const AutonatFrame<AutonatV1Message> again = decodeAutonatV1Frame(encoded);
    check(again.status == AutonatFrameStatus::Message);
    check(again.consumed == encoded.size());
    check(again.message == frame.message);
}

// Feeds the stream in chunks; returns the index of the one result (or -1).
template <typename Exchange, typename Inspect>
int run(Exchange& exchange, ByteView stream, std::size_t chunk, Inspect inspect) {
    int index = -1;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
        auto result = exchange.feed(stream.subspan(at, std::min(chunk, stream.size() - at)));
        if (result) {
            check(index == -1); // the result comes once
            index = static_cast<int>(result->index());
            inspect(*result);
        }
    }
    check(exchange.finished() == (index != -1));
    return index;
}

struct Fixture {
    PeerId self =
        PeerId::fromPublicKey(PrivateKey::fromEd25519Seed(Bytes(32, 0x02)).value().publicKey());
    Multiaddr observed = Multiaddr::parse("/ip4/1.2.3.4/tcp/50000").value();
};

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    static const Fixture fixture;
    const std::size_t chunk = 1 + data[0] % 64;
    const ByteView stream(data + 1, size - 1);
    const std::size_t whole = stream.empty() ? 1 : stream.size();

    checkDecoder(stream);

    auto inspectServer = [&](const AutonatV1Server::Request& request) {
        if (const auto* dial = std::get_if<AutonatV1Server::DialBack>(&request)) {
            check(!dial->addrs.empty() && dial->addrs.size() <= autonatV1MaxDialAddrs);
            for (const Multiaddr& addr : dial->addrs)
                check(autonatSameIp(addr, fixture.observed) && !autonatIsRelayed(addr));
        } else {
            const auto& answer = std::get<AutonatV1Server::Answer>(request);
            check(decodeAutonatV1Frame(answer.response).status == AutonatFrameStatus::Message);
        }
    };
    AutonatV1Server serverWhole(fixture.self, fixture.observed);
    AutonatV1Server serverChunked(fixture.self, fixture.observed);
    check(run(serverWhole, stream, whole, inspectServer) ==
          run(serverChunked, stream, chunk, inspectServer));

    auto ignore = [](const AutonatV1Client::Outcome&) {};
    const std::vector<Multiaddr> addrs{fixture.observed};
    AutonatV1Client clientWhole(fixture.self, addrs);
    AutonatV1Client clientChunked(fixture.self, addrs);
    (void)clientWhole.request();
    (void)clientChunked.request();
    check(run(clientWhole, stream, whole, ignore) == run(clientChunked, stream, chunk, ignore));
    return 0;
}
