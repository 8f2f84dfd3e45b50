// libFuzzer target for AutoNAT v2: the dial-request and dial-back decoders, both exchanges and
// the dial-back listener and sender fed hostile bytes. The first input byte picks the chunk size
// the exchanges are fed in; the rest is the stream. Nothing may crash, hit UB or grow without
// bound; decoded messages re-encode to themselves; an exchange decides and writes the same in
// chunks as in one piece; the server never dials another IP than the requester's unpaid.
#include "engine/core/varint.h"
#include "engine/protocol/autonat_addr.h"
#include "engine/protocol/autonat_v2_client.h"
#include "engine/protocol/autonat_v2_dial_back_listener.h"
#include "engine/protocol/autonat_v2_dial_back_sender.h"
#include "engine/protocol/autonat_v2_server.h"

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
    const AutonatFrame<AutonatV2Message> frame = decodeAutonatV2Frame(stream);
    if (frame.status == AutonatFrameStatus::Incomplete) {
        check(frame.consumed == 0);
        check(stream.size() <= autonatV2MaxMessageSize + varint::maxLength);
        return;
    }
    if (frame.status == AutonatFrameStatus::Malformed) {
        check(!frame.error.empty());
        return;
    }
    check(frame.consumed > 0 && frame.consumed <= stream.size());
    if (const auto* data = std::get_if<AutonatV2DialDataResponse>(&frame.message))
        check(data->data.size() <= autonatV2MaxDialDataChunk);
    const Bytes encoded = encodeAutonatV2Frame(frame.message);
    check(encoded.size() <= frame.consumed);
    const AutonatFrame<AutonatV2Message> again = decodeAutonatV2Frame(encoded);
    check(again.status == AutonatFrameStatus::Message);
    check(again.consumed == encoded.size());
    check(again.message == frame.message);
}

void checkDialBackDecoders(ByteView stream) {
    const AutonatFrame<AutonatV2DialBack> back = decodeAutonatV2DialBackFrame(stream);
    if (back.status == AutonatFrameStatus::Message) {
        const auto again = decodeAutonatV2DialBackFrame(encodeAutonatV2Frame(back.message));
        check(again.status == AutonatFrameStatus::Message && again.message == back.message);
    }
    const auto response = decodeAutonatV2DialBackResponseFrame(stream);
    if (response.status == AutonatFrameStatus::Incomplete)
        check(response.consumed == 0);
}

// Feeds the stream in chunks; returns the index of the one result (or -1; the sender's
// status as a number) and all the exchange wrote.
template <typename Exchange, typename Inspect>
std::pair<int, Bytes> run(Exchange& exchange, ByteView stream, std::size_t chunk, Inspect inspect) {
    int index = -1;
    Bytes written;
    for (std::size_t at = 0; at < stream.size(); at += chunk) {
        auto result = exchange.feed(stream.subspan(at, std::min(chunk, stream.size() - at)));
        if (result) {
            check(index == -1); // the result comes once
            if constexpr (requires { result->index(); })
                index = static_cast<int>(result->index());
            else
                index = static_cast<int>(*result); // the dial-back sender's dial status
            inspect(exchange, *result);
        }
        if constexpr (requires { exchange.takeOutput(); })
            append(written, exchange.takeOutput());
    }
    check(exchange.finished() == (index != -1));
    return {index, written};
}

struct Fixture {
    Multiaddr observed = Multiaddr::parse("/ip4/1.2.3.4/tcp/50000").value();
    std::vector<Multiaddr> addrs{Multiaddr::parse("/ip4/1.2.3.4/tcp/4001").value(),
                                 Multiaddr::parse("/ip4/5.6.7.8/udp/4001/quic-v1").value()};
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
    checkDialBackDecoders(stream);

    auto canDial = [](const Multiaddr&) { return true; };
    auto inspectServer = [&](const AutonatV2Server& server, const AutonatV2Server::Step& step) {
        if (const auto* dial = std::get_if<AutonatV2Server::Dial>(&step)) {
            check(dial->addrIdx < autonatV2MaxRequestAddrs);
            // The amplification guard: another IP only once the dial data is in.
            if (!autonatSameIp(dial->addr, fixture.observed))
                check(server.dialDataReceived() >= autonatV2MinDialDataBytes);
        }
    };
    AutonatV2Server serverWhole(fixture.observed, canDial);
    AutonatV2Server serverChunked(fixture.observed, canDial);
    check(run(serverWhole, stream, whole, inspectServer) ==
          run(serverChunked, stream, chunk, inspectServer));

    auto inspectClient = [&](const AutonatV2Client&, const AutonatV2Client::Outcome& outcome) {
        if (const auto* tested = std::get_if<AutonatV2Client::Tested>(&outcome)) {
            check(tested->addrIdx < fixture.addrs.size());
            // No dial-back was handed over, so no OK may be believed.
            check(tested->dialStatus != AutonatV2DialStatus::Ok);
        }
    };
    AutonatV2Client clientWhole(fixture.addrs, 7);
    AutonatV2Client clientChunked(fixture.addrs, 7);
    (void)clientWhole.request();
    (void)clientChunked.request();
    const auto clientRun = run(clientWhole, stream, whole, inspectClient);
    check(clientRun == run(clientChunked, stream, chunk, inspectClient));
    check(clientRun.second.size() <=
          autonatV2MaxDialDataBytes +
              (autonatV2MaxDialDataBytes / autonatV2MaxDialDataChunk + 1) * 8);

    auto ignore = [](const AutonatV2DialBackListener&, const AutonatV2DialBackListener::Outcome&) {
    };
    AutonatV2DialBackListener listenerWhole;
    AutonatV2DialBackListener listenerChunked;
    check(run(listenerWhole, stream, whole, ignore) == run(listenerChunked, stream, chunk, ignore));

    auto inspectSender = [](const AutonatV2DialBackSender& sender, AutonatV2DialStatus status) {
        check(status == AutonatV2DialStatus::Ok || status == AutonatV2DialStatus::DialBackError);
        check((status == AutonatV2DialStatus::Ok) == sender.error().empty());
    };
    AutonatV2DialBackSender senderWhole(7);
    AutonatV2DialBackSender senderChunked(7);
    check(run(senderWhole, stream, whole, inspectSender) ==
          run(senderChunked, stream, chunk, inspectSender));
    return 0;
}
