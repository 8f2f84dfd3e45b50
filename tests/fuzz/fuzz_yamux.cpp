// libFuzzer target for YamuxSession: hostile bytes fed as frames, interleaved with API calls
// and with a well-behaved peer session, must never crash, leak, hit UB or grow without bound.
#include "engine/protocol/yamux_session.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

using namespace peerscope;

namespace {

// Reads the fuzzer input as a little command stream; runs out gracefully.
class Input final {
public:
    Input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool done() const { return pos_ >= size_; }
    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    std::uint32_t u32() {
        std::uint32_t v = 0;
        for (int i = 0; i < 4; ++i)
            v = (v << 8) | byte();
        return v;
    }
    ByteView take(std::size_t n) {
        n = std::min(n, size_ - pos_);
        ByteView view(data_ + pos_, n);
        pos_ += n;
        return view;
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

void check(bool condition) {
    if (!condition)
        __builtin_trap();
}

// Drops events but checks what they say is sane; remembers stream ids for later commands.
void drain(YamuxSession& s, std::vector<std::uint32_t>& ids, std::uint32_t maxInbound) {
    for (auto& event : s.takeEvents()) {
        if (auto* e = std::get_if<yamux::StreamOpened>(&event)) {
            if (ids.size() < 64)
                ids.push_back(e->id);
        } else if (auto* e = std::get_if<yamux::Data>(&event)) {
            check(!e->bytes.empty());
            check(e->bytes.size() <= 16u * 1024 * 1024);
        }
    }
    check(s.inboundStreamCount() <= maxInbound);
    check(s.inboundStreamCount() <= s.streamCount());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Input in(data, size);
    const std::uint8_t setup = in.byte();
    YamuxConfig config;
    config.maxInboundStreams = 1 + (setup & 7);
    config.maxFrameData = (setup & 8) ? 1024 : 256 * 1024;
    config.maxWindow = (setup & 16) ? 1024 * 1024 : 16 * 1024 * 1024;
    const auto role = (setup & 32) ? YamuxSession::Role::Server : YamuxSession::Role::Client;
    const auto peerRole = role == YamuxSession::Role::Client ? YamuxSession::Role::Server
                                                             : YamuxSession::Role::Client;
    YamuxSession s(role, config);
    YamuxSession peer(peerRole, config);

    if (setup & 64) {
        // Raw mode: everything left is one frame stream, fed in one go, then in pieces.
        const ByteView rest = in.take(size);
        s.feed(rest, MonoTime{1});
        Bytes out;
        s.takeOutput(out);
        std::vector<std::uint32_t> ids;
        drain(s, ids, config.maxInboundStreams);
        YamuxSession split(role, config);
        for (std::size_t i = 0; i < rest.size(); i += 7)
            split.feed(rest.subspan(i, std::min<std::size_t>(7, rest.size() - i)), MonoTime{1});
        Bytes splitOut;
        split.takeOutput(splitOut);
        check(split.failed() == s.failed());
        check(splitOut == out); // chunking never changes what the session answers
        return 0;
    }

    std::vector<std::uint32_t> ids{1, 2, 3};
    std::vector<std::uint32_t> peerIds;
    MonoTime now{0};
    std::size_t written = 0;
    const Bytes payload(64 * 1024, 0x5a);
    Bytes wire;
    auto pick = [&](std::vector<std::uint32_t>& from) {
        const std::uint8_t b = in.byte();
        return from.empty() || b >= 200 ? std::uint32_t{b} : from[b % from.size()];
    };

    while (!in.done()) {
        const std::uint8_t op = in.byte();
        now += MonoTime{std::int64_t{op} * 100'000};
        switch (op % 12) {
        case 0: // hostile bytes straight into the session
            s.feed(in.take(in.byte()), now);
            break;
        case 1:
            if (const auto id = s.openStream(); id != 0 && ids.size() < 64)
                ids.push_back(id);
            break;
        case 2: {
            const std::size_t n = std::size_t{in.byte()} * 256;
            if (written + n <= 8u * 1024 * 1024) { // bounds the queued bytes
                written += n;
                s.write(pick(ids), ByteView(payload).first(std::min(n, payload.size())));
            }
            break;
        }
        case 3:
            s.consumed(pick(ids), std::size_t{in.byte()} << (in.byte() % 24), now);
            break;
        case 4:
            s.closeWrite(pick(ids));
            break;
        case 5:
            s.reset(pick(ids));
            break;
        case 6:
            s.ping(in.u32(), now);
            break;
        case 7:
            s.goAway(in.byte());
            break;
        case 8: { // a well-behaved peer: shuttle both ways, it consumes what it gets
            wire.clear();
            s.takeOutput(wire);
            peer.feed(wire, now);
            for (auto& event : peer.takeEvents()) {
                if (auto* e = std::get_if<yamux::Data>(&event))
                    peer.consumed(e->id, e->bytes.size(), now);
                else if (auto* o = std::get_if<yamux::StreamOpened>(&event);
                         o != nullptr && peerIds.size() < 64)
                    peerIds.push_back(o->id);
            }
            wire.clear();
            peer.takeOutput(wire);
            s.feed(wire, now);
            break;
        }
        case 9:
            if (const auto id = peer.openStream(); id != 0 && peerIds.size() < 64)
                peerIds.push_back(id);
            break;
        case 10: {
            const std::size_t n = std::size_t{in.byte()} * 256;
            if (written + n <= 8u * 1024 * 1024) {
                written += n;
                peer.write(pick(peerIds), ByteView(payload).first(std::min(n, payload.size())));
            }
            break;
        }
        case 11:
            s.setRtt(MonoTime{std::int64_t{in.byte()} * 1'000'000});
            (void)s.queuedBytes(pick(ids));
            (void)s.sendWindow(pick(ids));
            (void)s.receiveWindow(pick(ids));
            break;
        }
        drain(s, ids, config.maxInboundStreams);
        // Output is taken as an I/O layer would; after failure nothing new may appear.
        wire.clear();
        if (op & 0x80) {
            s.takeOutput(wire);
            check(!s.hasOutput());
        }
        if (s.failed()) {
            check(!s.error().empty());
            check(s.openStream() == 0);
        }
    }
    return 0;
}
