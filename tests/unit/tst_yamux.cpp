#include "engine/protocol/yamux_frame.h"
#include "engine/protocol/yamux_session.h"

#include <QtTest>
#include <chrono>
#include <map>
#include <string>
#include <vector>

// Failure messages show byte vectors as hex.
namespace QTest {
template <> inline char* toString(const peerscope::Bytes& bytes) {
    return qstrdup(peerscope::toHex(bytes).c_str());
}
} // namespace QTest

using namespace peerscope;
using namespace std::chrono_literals;
using Role = YamuxSession::Role;

namespace {

Bytes hex(std::string_view text) {
    std::string clean;
    for (char c : text)
        if (c != ' ')
            clean.push_back(c);
    return fromHex(clean);
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& part : parts)
        append(out, part);
    return out;
}

// Distinct, position-dependent content so misrouted or reordered bytes show up.
Bytes pattern(std::size_t size, std::uint32_t seed) {
    Bytes out(size);
    std::uint32_t x = seed * 2654435761u + 1;
    for (auto& b : out) {
        x = x * 1103515245u + 12345u;
        b = static_cast<std::uint8_t>(x >> 24);
    }
    return out;
}

// The test's own header decoder, independent of yamux_frame.cpp.
struct Header {
    std::uint8_t version, type;
    std::uint16_t flags;
    std::uint32_t id, length;
};

std::uint32_t be32(const std::uint8_t* p) {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           p[3];
}

// Splits a buffer of whole frames into headers (Data payloads skipped). Returns false on a
// trailing partial frame.
bool headers(ByteView bytes, std::vector<Header>& out) {
    std::size_t pos = 0;
    while (pos < bytes.size()) {
        if (bytes.size() - pos < 12)
            return false;
        const std::uint8_t* p = bytes.data() + pos;
        Header h{p[0], p[1], static_cast<std::uint16_t>((p[2] << 8) | p[3]), be32(p + 4),
                 be32(p + 8)};
        pos += 12;
        if (h.type == 0) {
            if (bytes.size() - pos < h.length)
                return false;
            pos += h.length;
        }
        out.push_back(h);
    }
    return true;
}

// One end of a link: a session plus everything it reported.
struct Side {
    explicit Side(Role role, YamuxConfig config = {}) : s(role, config) {}

    YamuxSession s;
    bool autoConsume = true;
    std::map<std::uint32_t, Bytes> received;
    std::vector<std::uint32_t> opened, accepted, finished, resets, closed, writable, rejected;
    std::vector<yamux::Pong> pongs;
    std::vector<std::uint32_t> goAways;
    std::vector<std::string> log;                    // event order, Data without its bytes
    std::map<std::uint32_t, std::size_t> unconsumed; // without autoConsume

    void consumeAll(MonoTime now) {
        for (auto& [id, count] : unconsumed)
            s.consumed(id, count, now);
        unconsumed.clear();
    }

    void drain(MonoTime now) {
        for (auto& event : s.takeEvents()) {
            if (auto* e = std::get_if<yamux::StreamOpened>(&event)) {
                opened.push_back(e->id);
                log.push_back("open " + std::to_string(e->id));
            } else if (auto* e = std::get_if<yamux::StreamAccepted>(&event)) {
                accepted.push_back(e->id);
                log.push_back("accepted " + std::to_string(e->id));
            } else if (auto* e = std::get_if<yamux::Data>(&event)) {
                append(received[e->id], e->bytes);
                log.push_back("data " + std::to_string(e->id));
                if (autoConsume)
                    s.consumed(e->id, e->bytes.size(), now);
                else
                    unconsumed[e->id] += e->bytes.size();
            } else if (auto* e = std::get_if<yamux::RemoteClosed>(&event)) {
                finished.push_back(e->id);
                log.push_back("fin " + std::to_string(e->id));
            } else if (auto* e = std::get_if<yamux::StreamReset>(&event)) {
                resets.push_back(e->id);
                log.push_back("reset " + std::to_string(e->id));
            } else if (auto* e = std::get_if<yamux::StreamClosed>(&event)) {
                closed.push_back(e->id);
                log.push_back("closed " + std::to_string(e->id));
            } else if (auto* e = std::get_if<yamux::Writable>(&event)) {
                writable.push_back(e->id);
                log.push_back("writable " + std::to_string(e->id));
            } else if (auto* e = std::get_if<yamux::Pong>(&event)) {
                pongs.push_back(*e);
            } else if (auto* e = std::get_if<yamux::GoAway>(&event)) {
                goAways.push_back(e->code);
            } else if (auto* e = std::get_if<yamux::InboundRejected>(&event)) {
                rejected.push_back(e->id);
                log.push_back("rejected " + std::to_string(e->id));
            }
        }
    }
};

// Flow-control bookkeeping for one direction, from the frames on the wire.
struct Audit {
    std::map<std::uint32_t, std::uint64_t> granted; // deltas delivered to the sender
    std::map<std::uint32_t, std::uint64_t> sent;    // Data bytes the sender put on the wire
    int violations = 0;
    int dataFrames = 0;
    int updates = 0; // WindowUpdates with a non-zero delta
    std::uint32_t maxData = 0;
    std::uint32_t maxDelta = 0;
    bool malformed = false;
};

// A client and a server joined back to back, with a hand-driven clock.
struct Link {
    explicit Link(YamuxConfig config = {})
        : client(Role::Client, config), server(Role::Server, config) {}

    Side client, server;
    MonoTime now{0};
    MonoTime step{1ms};
    Audit up, down; // client->server data, server->client data

    // Data frames count against the sender's direction; WindowUpdates grant the other one.
    static void inspect(ByteView bytes, Audit& asSender, Audit& asReceiver) {
        std::vector<Header> hs;
        if (!headers(bytes, hs))
            asSender.malformed = true;
        for (const Header& h : hs) {
            if (h.type == 0) {
                ++asSender.dataFrames;
                asSender.maxData = std::max(asSender.maxData, h.length);
                auto& sent = asSender.sent[h.id];
                sent += h.length;
                if (sent > yamux::specInitialWindow + asSender.granted[h.id])
                    ++asSender.violations;
            } else if (h.type == 1 && (h.flags & yamux::flag::rst) == 0 && h.length > 0) {
                ++asReceiver.updates;
                asReceiver.maxDelta = std::max(asReceiver.maxDelta, h.length);
                asReceiver.granted[h.id] += h.length;
            }
        }
    }

    bool round() {
        Bytes fromClient, fromServer;
        client.s.takeOutput(fromClient);
        server.s.takeOutput(fromServer);
        if (fromClient.empty() && fromServer.empty())
            return false;
        inspect(fromClient, up, down);
        inspect(fromServer, down, up);
        now += step;
        server.s.feed(fromClient, now);
        server.drain(now);
        client.s.feed(fromServer, now);
        client.drain(now);
        return true;
    }

    bool settle(int maxRounds = 100000) {
        client.drain(now);
        server.drain(now);
        for (int i = 0; i < maxRounds; ++i)
            if (!round())
                return true;
        return false;
    }
};

Bytes output(YamuxSession& s) {
    Bytes out;
    s.takeOutput(out);
    return out;
}

const Bytes goAwayProtocolError = hex("00 03 0000 00000000 00000001");

} // namespace

class TestYamux final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void headerCodecVectors();
    void sessionWireBytes();
    void openStreamsBothWays();
    void hundredConcurrentStreams();
    void streamsSharingALookupSlot();
    void largeTransferBothWays();
    void windowGrowsWhenConsumedPromptly();
    void windowStaysWhenConsumedSlowly();
    void rttRefreshedWhenPathSlowsDown();
    void queuedBytesFlushAfterUpdate();
    void windowUpdateIsDelta();
    void halfCloseClientFirst();
    void halfCloseServerFirst();
    void finFollowsQueuedData();
    void resetDropsQueuedData();
    void remoteResetReleasesStream();
    void pingAnsweredWithSameValue();
    void pongRttUsesSuppliedTimes();
    void goAwayStopsOpenStream();
    void inboundLimitAnswersRst();
    void protocolErrors_data();
    void protocolErrors();
    void dataWithinWindowIsAccepted();
    void dataForUnknownStreamIgnored();
    void synOnDataFrameWithPayload();
    void splitAtEveryByteBoundary();
    void takeOutputAppends();
    void recycledBufferIsReused();
    void outputRoomHoldsDataRoundRobin();
    void closeReadDropsWithoutCredit();
    void growthGateKeepsWindow();
};

void TestYamux::headerCodecVectors() {
    std::uint8_t buf[12];
    yamux::encodeHeader({0, 1, yamux::flag::syn, 1, 0}, buf);
    QCOMPARE(Bytes(buf, buf + 12), hex("00 01 0001 00000001 00000000"));

    yamux::encodeHeader({0, 0, yamux::flag::ack | yamux::flag::fin, 0x01020304, 0x00040000}, buf);
    QCOMPARE(Bytes(buf, buf + 12), hex("00 00 0006 01020304 00040000"));

    Bytes out = {0xaa};
    yamux::appendHeader(out, yamux::FrameType::Ping, yamux::flag::ack, 0, 0xdeadbeef);
    QCOMPARE(out, hex("aa 00 02 0002 00000000 deadbeef"));

    const Bytes raw = hex("00 01 8008 fffffffe 80000001");
    const auto h = yamux::decodeHeader(raw.data());
    QCOMPARE(h.version, std::uint8_t{0});
    QCOMPARE(h.type, std::uint8_t{1});
    QCOMPARE(h.flags, std::uint16_t{0x8008});
    QCOMPARE(h.streamId, 0xfffffffeu);
    QCOMPARE(h.length, 0x80000001u);
    QVERIFY(h.has(yamux::flag::rst));
    QVERIFY(!h.has(yamux::flag::syn));
}

void TestYamux::sessionWireBytes() {
    YamuxSession client(Role::Client);
    QCOMPARE(client.openStream(), 1u);
    QCOMPARE(output(client), hex("00 01 0001 00000001 00000000")); // WindowUpdate+SYN, delta 0
    client.write(1, toBytes("hi"));
    QCOMPARE(output(client), hex("00 00 0000 00000001 00000002 6869"));
    client.closeWrite(1);
    QCOMPARE(output(client), hex("00 01 0004 00000001 00000000")); // WindowUpdate+FIN
    QCOMPARE(client.openStream(), 3u);
    client.reset(3);
    QCOMPARE(output(client), hex("00 01 0001 00000003 00000000 00 01 0008 00000003 00000000"));
    client.ping(0x01020304, 0ms);
    QCOMPARE(output(client), hex("00 02 0001 00000000 01020304"));
    client.goAway();
    QCOMPARE(output(client), hex("00 03 0000 00000000 00000000"));

    YamuxSession server(Role::Server);
    server.feed(hex("00 01 0001 00000001 00000000"), 0ms);
    QCOMPARE(output(server), hex("00 01 0002 00000001 00000000")); // WindowUpdate+ACK
    QCOMPARE(server.openStream(), 2u);
    QCOMPARE(server.openStream(), 4u);

    // A larger configured window is announced in the SYN's delta.
    YamuxSession big(Role::Client, YamuxConfig{1024 * 1024, 16 * 1024 * 1024, 512, 256 * 1024});
    QCOMPARE(big.openStream(), 1u);
    QCOMPARE(output(big), hex("00 01 0001 00000001 000c0000"));
    QCOMPARE(big.receiveWindow(1), 1024u * 1024u);
}

void TestYamux::openStreamsBothWays() {
    Link l;
    const auto c = l.client.s.openStream();
    const auto s = l.server.s.openStream();
    QCOMPARE(c % 2, 1u);
    QCOMPARE(s % 2, 0u);
    l.client.s.write(c, toBytes("from client"));
    l.server.s.write(s, toBytes("from server"));
    QVERIFY(l.settle());
    QCOMPARE(l.server.opened, std::vector<std::uint32_t>{c});
    QCOMPARE(l.client.opened, std::vector<std::uint32_t>{s});
    QCOMPARE(l.client.accepted, std::vector<std::uint32_t>{c});
    QCOMPARE(l.server.accepted, std::vector<std::uint32_t>{s});
    QCOMPARE(l.server.received[c], toBytes("from client"));
    QCOMPARE(l.client.received[s], toBytes("from server"));
    // Replies on the accepted streams.
    l.server.s.write(c, toBytes("reply to client"));
    l.client.s.write(s, toBytes("reply to server"));
    QVERIFY(l.settle());
    QCOMPARE(l.client.received[c], toBytes("reply to client"));
    QCOMPARE(l.server.received[s], toBytes("reply to server"));
    QCOMPARE(l.client.s.streamCount(), 2u);
    QCOMPARE(l.server.s.streamCount(), 2u);
    QCOMPARE(l.client.s.inboundStreamCount(), 1u);
    QCOMPARE(l.server.s.inboundStreamCount(), 1u);
    QVERIFY(!l.client.s.failed());
    QVERIFY(!l.server.s.failed());
}

void TestYamux::hundredConcurrentStreams() {
    Link l;
    std::map<std::uint32_t, Bytes> toServer, toClient;
    for (std::uint32_t i = 0; i < 100; ++i) {
        // Half opened by each side; sizes cross the window for some.
        Side& opener = i % 2 ? l.server : l.client;
        const auto id = opener.s.openStream();
        QVERIFY(id != 0);
        const Bytes a = pattern(1000 + i * 5000, i);
        const Bytes b = pattern(700 + i * 3000, i + 1000);
        opener.s.write(id, a);
        (i % 2 ? toClient : toServer)[id] = a;
        (i % 2 ? toServer : toClient)[id] = b;
    }
    // The acceptors answer once they see the streams.
    QVERIFY(l.settle());
    QCOMPARE(l.server.opened.size(), 50u);
    QCOMPARE(l.client.opened.size(), 50u);
    for (auto id : l.server.opened)
        l.server.s.write(id, toClient[id]);
    for (auto id : l.client.opened)
        l.client.s.write(id, toServer[id]);
    QVERIFY(l.settle());
    QCOMPARE(l.server.received, toServer);
    QCOMPARE(l.client.received, toClient);
    QCOMPARE(l.up.violations, 0);
    QCOMPARE(l.down.violations, 0);
    QVERIFY(!l.up.malformed && !l.down.malformed);
}

void TestYamux::streamsSharingALookupSlot() {
    // The session remembers recently found streams in a few slots by id; 1, 9 and 17 share
    // one. Interleaved writes must still reach their own streams, and a released stream must
    // not be found through a stale slot.
    Link l;
    std::vector<std::uint32_t> ids;
    for (int i = 0; i < 9; ++i)
        ids.push_back(l.client.s.openStream());
    QCOMPARE(ids.front(), 1u);
    QCOMPARE(ids.back(), 17u);
    QVERIFY(l.settle());
    std::map<std::uint32_t, Bytes> expected;
    for (int round = 0; round < 3; ++round)
        for (std::uint32_t id : {1u, 9u, 17u, 9u}) {
            const Bytes part = pattern(100 + id, id * 10 + static_cast<std::uint32_t>(round));
            l.client.s.write(id, part);
            append(expected[id], part);
        }
    QVERIFY(l.settle());
    for (std::uint32_t id : {1u, 9u, 17u})
        QCOMPARE(l.server.received[id], expected[id]);

    l.client.s.reset(9);
    QVERIFY(l.settle());
    QCOMPARE(l.server.resets, std::vector<std::uint32_t>{9});
    QCOMPARE(l.client.s.sendWindow(9), 0u);
    l.client.s.write(9, toBytes("after reset")); // ignored: the stream is gone
    l.client.s.write(17, toBytes("still open"));
    QVERIFY(l.settle());
    QCOMPARE(l.server.received[9], expected[9]);
    append(expected[17], toBytes("still open"));
    QCOMPARE(l.server.received[17], expected[17]);

    // Released by the remote, after the slot last held it.
    QVERIFY(l.client.s.sendWindow(1) > 0);
    l.server.s.reset(1);
    QVERIFY(l.settle());
    QCOMPARE(l.client.resets, std::vector<std::uint32_t>{1});
    QCOMPARE(l.client.s.sendWindow(1), 0u);
    QCOMPARE(l.client.s.queuedBytes(1), 0u);
    QCOMPARE(l.client.s.streamCount(), 7u);
    QVERIFY(!l.client.s.failed() && !l.server.s.failed());
}

void TestYamux::largeTransferBothWays() {
    Link l;
    l.step = 50ms; // no window growth: exercise many updates at 256 KiB
    const auto id = l.client.s.openStream();
    const Bytes up = pattern(8 << 20, 1);
    const Bytes down = pattern(8 << 20, 2);
    l.client.s.write(id, up);
    QCOMPARE(l.client.s.queuedBytes(id), up.size() - 256 * 1024);
    QVERIFY(l.settle());
    l.server.s.write(id, down);
    QVERIFY(l.settle());
    QCOMPARE(l.server.received[id].size(), up.size());
    QVERIFY(l.server.received[id] == up);
    QVERIFY(l.client.received[id] == down);
    QCOMPARE(l.client.s.queuedBytes(id), 0u);
    QCOMPARE(l.server.s.queuedBytes(id), 0u);
    QCOMPARE(l.up.violations, 0);
    QCOMPARE(l.down.violations, 0);
    QVERIFY(!l.up.malformed && !l.down.malformed);
    // 8 MiB through a 256 KiB window, credited every half window: at least 8 MiB / 256 KiB.
    QVERIFY2(l.up.updates >= 32, qPrintable(QString::number(l.up.updates)));
    QVERIFY2(l.down.updates >= 32, qPrintable(QString::number(l.down.updates)));
    QVERIFY(l.up.maxData <= 256 * 1024);
    QCOMPARE(l.server.s.receiveWindow(id), 256u * 1024u);

    // A smaller maxFrameData splits frames.
    YamuxConfig small;
    small.maxFrameData = 16 * 1024;
    Link m(small);
    const auto id2 = m.client.s.openStream();
    m.client.s.write(id2, pattern(1 << 20, 3));
    QVERIFY(m.settle());
    QVERIFY(m.server.received[id2] == pattern(1 << 20, 3));
    QCOMPARE(m.up.maxData, 16u * 1024u);
    QVERIFY(m.up.dataFrames >= 64);
    QCOMPARE(m.up.violations, 0);
}

void TestYamux::windowGrowsWhenConsumedPromptly() {
    Link l;
    l.step = 1ms;
    l.server.s.ping(42, l.now);
    QVERIFY(l.settle());
    QCOMPARE(l.server.pongs.size(), 1u);
    QCOMPARE(l.server.s.rtt(), MonoTime(2ms));

    const auto id = l.client.s.openStream();
    const Bytes data = pattern(8 << 20, 7);
    l.client.s.write(id, data);
    QVERIFY(l.settle());
    QVERIFY(l.server.received[id] == data);
    QVERIFY2(l.server.s.receiveWindow(id) >= 2u * 1024 * 1024,
             qPrintable(QString::number(l.server.s.receiveWindow(id))));
    QVERIFY(l.server.s.receiveWindow(id) <= YamuxConfig{}.maxWindow);
    QVERIFY(l.up.maxDelta > 256u * 1024); // the growth travels in the delta
    QCOMPARE(l.up.violations, 0);
    QVERIFY(l.up.maxData <= 256 * 1024);
    // The client could put more than the initial window in flight.
    QVERIFY(l.client.s.sendWindow(id) > 256u * 1024);

    // Growth stops at maxWindow.
    YamuxConfig capped;
    capped.maxWindow = 512 * 1024;
    Link m(capped);
    m.server.s.setRtt(10ms);
    const auto id2 = m.client.s.openStream();
    m.client.s.write(id2, data);
    QVERIFY(m.settle());
    QCOMPARE(m.server.s.receiveWindow(id2), 512u * 1024u);
    QCOMPARE(m.up.violations, 0);
}

void TestYamux::windowStaysWhenConsumedSlowly() {
    // RTT 2 ms, but the reader takes 100 ms to consume what arrived: the reader, not the
    // window, is the bottleneck.
    Link l;
    l.step = 1ms;
    l.server.s.ping(1, l.now);
    QVERIFY(l.settle());
    QCOMPARE(l.server.s.rtt(), MonoTime(2ms));
    l.server.autoConsume = false;
    const auto id = l.client.s.openStream();
    l.client.s.write(id, pattern(4 << 20, 1));
    for (int i = 0; i < 1000 && l.server.received[id].size() < std::size_t{4 << 20}; ++i) {
        QVERIFY(l.settle());
        l.now += 100ms;
        l.server.consumeAll(l.now);
    }
    QCOMPARE(l.server.received[id].size(), std::size_t{4 << 20});
    QVERIFY(l.up.updates >= 15); // 4 MiB through a 256 KiB window
    QCOMPARE(l.server.s.receiveWindow(id), 256u * 1024u);
    QCOMPARE(l.up.maxDelta, 256u * 1024u);

    // No RTT known: no growth either.
    Link m;
    const auto id2 = m.client.s.openStream();
    m.client.s.write(id2, pattern(4 << 20, 1));
    QVERIFY(m.settle());
    QCOMPARE(m.server.s.receiveWindow(id2), 256u * 1024u);
}

void TestYamux::rttRefreshedWhenPathSlowsDown() {
    // The RTT is measured on an idle path (2 ms); then the path gets ten times slower, as a
    // circuit's does once the relay and both connections under it queue data. Judged against
    // the old sample the window would look turned over too slowly to grow; the session measures
    // again (its own ping, not reported) and grows the window for the RTT the path has now.
    Link l;
    l.step = 1ms;
    l.server.s.ping(42, l.now);
    QVERIFY(l.settle());
    QCOMPARE(l.server.s.rtt(), MonoTime(2ms));
    l.step = 10ms;
    l.now += 1s; // the sample ages
    const auto id = l.client.s.openStream();
    const Bytes data = pattern(8 << 20, 5);
    l.client.s.write(id, data);
    QVERIFY(l.settle());
    QVERIFY(l.server.received[id] == data);
    QCOMPARE(l.server.s.rtt(), MonoTime(20ms));
    QCOMPARE(l.server.pongs.size(), 1u); // only the application's ping is reported
    QVERIFY2(l.server.s.receiveWindow(id) >= 2u * 1024 * 1024,
             qPrintable(QString::number(l.server.s.receiveWindow(id))));
    QCOMPARE(l.up.violations, 0);

    // A reader that is slow on a fast path keeps its window: the fresh sample says so too.
    Link m;
    m.step = 1ms;
    m.server.s.ping(1, m.now);
    QVERIFY(m.settle());
    m.server.autoConsume = false;
    const auto id2 = m.client.s.openStream();
    m.client.s.write(id2, pattern(4 << 20, 1));
    for (int i = 0; i < 1000 && m.server.received[id2].size() < std::size_t{4 << 20}; ++i) {
        QVERIFY(m.settle());
        m.now += 200ms; // every update finds the sample old: each one measures again
        m.server.consumeAll(m.now);
    }
    QCOMPARE(m.server.received[id2].size(), std::size_t{4 << 20});
    QCOMPARE(m.server.s.rtt(), MonoTime(2ms));
    QCOMPARE(m.server.s.receiveWindow(id2), 256u * 1024u);
    QCOMPARE(m.server.pongs.size(), 1u);
}

void TestYamux::queuedBytesFlushAfterUpdate() {
    Link l;
    l.server.autoConsume = false;
    const auto id = l.client.s.openStream();
    const Bytes data = pattern(1 << 20, 9);
    l.client.s.write(id, data);
    QCOMPARE(l.client.s.queuedBytes(id), std::size_t{(1 << 20) - 256 * 1024});
    QCOMPARE(l.client.s.sendWindow(id), 0u);
    l.client.s.write(id, toBytes("tail")); // queued behind, never sent ahead
    QVERIFY(l.settle());
    QCOMPARE(l.server.received[id].size(), std::size_t{256 * 1024});
    QCOMPARE(l.client.s.queuedBytes(id), std::size_t{(1 << 20) - 256 * 1024 + 4});
    QVERIFY(l.client.writable.empty());
    QCOMPARE(l.up.updates, 0);

    // Consuming less than half the window sends nothing.
    l.server.s.consumed(id, 128 * 1024 - 1, l.now);
    QVERIFY(!l.server.s.hasOutput());
    // Reaching half sends the update; the client flushes exactly that much.
    l.server.s.consumed(id, 1, l.now);
    QVERIFY(l.server.s.hasOutput());
    QVERIFY(l.settle());
    QCOMPARE(l.up.updates, 1);
    QCOMPARE(l.server.received[id].size(), std::size_t{384 * 1024});
    QVERIFY(l.client.writable.empty());

    // Consume everything as it arrives: the queue drains and Writable fires once.
    l.server.autoConsume = true;
    l.server.s.consumed(id, 256 * 1024, l.now);
    QVERIFY(l.settle());
    Bytes expected = data;
    append(expected, toBytes("tail"));
    QVERIFY(l.server.received[id] == expected);
    QCOMPARE(l.client.s.queuedBytes(id), 0u);
    QCOMPARE(l.client.writable, std::vector<std::uint32_t>{id});
    QCOMPARE(l.up.violations, 0);

    // consumed() never credits more than was delivered.
    Link m;
    m.server.autoConsume = false;
    const auto id2 = m.client.s.openStream();
    m.client.s.write(id2, pattern(1000, 1));
    QVERIFY(m.settle());
    m.server.s.consumed(id2, 1 << 30, m.now);
    QVERIFY(!m.server.s.hasOutput());
}

void TestYamux::windowUpdateIsDelta() {
    YamuxSession client(Role::Client);
    const auto id = client.openStream();
    output(client);
    QCOMPARE(client.sendWindow(id), 256u * 1024u);
    client.feed(hex("00 01 0002 00000001 000003e8"), 0ms); // ACK, delta 1000
    QCOMPARE(client.sendWindow(id), 256u * 1024u + 1000u);
    client.feed(hex("00 01 0000 00000001 000003e8"), 0ms);
    QCOMPARE(client.sendWindow(id), 256u * 1024u + 2000u);
    // A hostile peer cannot wrap the window around.
    client.feed(hex("00 01 0000 00000001 ffffffff"), 0ms);
    client.feed(hex("00 01 0000 00000001 ffffffff"), 0ms);
    QCOMPARE(client.sendWindow(id), 0xffffffffu);
    QVERIFY(!client.failed());
    bool accepted = false;
    for (auto& e : client.takeEvents())
        accepted |= std::holds_alternative<yamux::StreamAccepted>(e);
    QVERIFY(accepted);
}

void TestYamux::halfCloseClientFirst() {
    Link l;
    const auto id = l.client.s.openStream();
    l.client.s.write(id, toBytes("request"));
    l.client.s.closeWrite(id);
    l.client.s.write(id, toBytes("ignored after FIN"));
    QVERIFY(l.settle());
    QCOMPARE(l.server.received[id], toBytes("request"));
    QCOMPARE(l.server.finished, std::vector<std::uint32_t>{id});
    QVERIFY(l.server.closed.empty());
    QVERIFY(l.client.closed.empty());
    // The other direction still works.
    l.server.s.write(id, toBytes("response"));
    QVERIFY(l.settle());
    QCOMPARE(l.client.received[id], toBytes("response"));
    QCOMPARE(l.server.s.streamCount(), 1u);
    l.server.s.closeWrite(id);
    QVERIFY(l.settle());
    QCOMPARE(l.client.finished, std::vector<std::uint32_t>{id});
    QCOMPARE(l.client.closed, std::vector<std::uint32_t>{id});
    QCOMPARE(l.server.closed, std::vector<std::uint32_t>{id});
    QCOMPARE(l.client.s.streamCount(), 0u);
    QCOMPARE(l.server.s.streamCount(), 0u);
    QCOMPARE(l.server.s.inboundStreamCount(), 0u);
}

void TestYamux::halfCloseServerFirst() {
    Link l;
    const auto id = l.client.s.openStream();
    QVERIFY(l.settle());
    l.server.s.write(id, toBytes("push"));
    l.server.s.closeWrite(id);
    QVERIFY(l.settle());
    QCOMPARE(l.client.received[id], toBytes("push"));
    QCOMPARE(l.client.finished, std::vector<std::uint32_t>{id});
    QCOMPARE(l.client.log.back(), "fin " + std::to_string(id)); // FIN after the data
    l.client.s.write(id, toBytes("still writing"));
    QVERIFY(l.settle());
    QCOMPARE(l.server.received[id], toBytes("still writing"));
    QVERIFY(l.client.closed.empty());
    l.client.s.closeWrite(id);
    QVERIFY(l.settle());
    QCOMPARE(l.server.finished, std::vector<std::uint32_t>{id});
    QCOMPARE(l.client.closed, std::vector<std::uint32_t>{id});
    QCOMPARE(l.server.closed, std::vector<std::uint32_t>{id});
    QCOMPARE(l.server.s.streamCount(), 0u);
}

void TestYamux::finFollowsQueuedData() {
    Link l;
    l.server.autoConsume = false;
    const auto id = l.client.s.openStream();
    const Bytes data = pattern(300 * 1024, 4);
    l.client.s.write(id, data);
    l.client.s.closeWrite(id);
    QVERIFY(l.settle());
    QVERIFY(l.server.finished.empty()); // FIN waits behind the queued bytes
    QCOMPARE(l.server.received[id].size(), std::size_t{256 * 1024});
    l.server.s.consumed(id, 256 * 1024, l.now);
    Bytes wire;
    QVERIFY(l.round()); // server update out
    l.client.s.takeOutput(wire);
    std::vector<Header> hs;
    QVERIFY(headers(wire, hs));
    QCOMPARE(hs.size(), 2u);
    QCOMPARE(hs[0].type, std::uint8_t{0});
    QCOMPARE(hs[0].flags, std::uint16_t{0});
    QCOMPARE(hs[0].length, std::uint32_t{300 * 1024 - 256 * 1024});
    // The FIN follows in a WindowUpdate of its own (js-libp2p drops a Data frame's payload
    // when the frame carries FIN).
    QCOMPARE(hs[1].type, std::uint8_t{1});
    QCOMPARE(hs[1].flags, yamux::flag::fin);
    QCOMPARE(hs[1].length, 0u);
    l.server.s.feed(wire, l.now);
    l.server.drain(l.now);
    QVERIFY(l.server.received[id] == data);
    QCOMPARE(l.server.finished, std::vector<std::uint32_t>{id});
    QVERIFY(l.client.writable.empty()); // closed for writing: nothing to announce
}

void TestYamux::resetDropsQueuedData() {
    Link l;
    l.server.autoConsume = false;
    const auto id = l.client.s.openStream();
    l.client.s.write(id, pattern(1 << 20, 5));
    QVERIFY(l.settle());
    QVERIFY(l.client.s.queuedBytes(id) > 0);
    l.client.s.reset(id);
    QCOMPARE(l.client.s.queuedBytes(id), 0u);
    QCOMPARE(l.client.s.streamCount(), 0u);
    l.client.drain(l.now);
    QCOMPARE(l.client.closed, std::vector<std::uint32_t>{id});
    Bytes wire;
    l.client.s.takeOutput(wire);
    QCOMPARE(wire, hex("00 01 0008 00000001 00000000")); // only the RST, no queued data
    l.server.s.feed(wire, l.now);
    l.server.drain(l.now);
    QCOMPARE(l.server.resets, std::vector<std::uint32_t>{id});
    QCOMPARE(l.server.closed, std::vector<std::uint32_t>{id});
    QCOMPARE(l.server.s.streamCount(), 0u);
    QCOMPARE(l.server.received[id].size(), std::size_t{256 * 1024});
    // Late frames for the released stream are ignored on both sides.
    l.server.s.consumed(id, 256 * 1024, l.now);
    l.server.s.write(id, toBytes("late"));
    QVERIFY(!l.server.s.hasOutput());
    l.client.s.feed(hex("00 00 0000 00000001 00000004 6c617465 00 01 0000 00000001 00010000"),
                    l.now);
    l.client.drain(l.now);
    QVERIFY(l.client.received.empty());
    QVERIFY(!l.client.s.failed());
    QVERIFY(!l.client.s.hasOutput());
}

void TestYamux::remoteResetReleasesStream() {
    Link l;
    l.server.autoConsume = false;
    const auto id = l.client.s.openStream();
    l.client.s.write(id, pattern(512 * 1024, 1));
    QVERIFY(l.settle());
    l.server.s.reset(id);
    QVERIFY(l.settle());
    QCOMPARE(l.client.resets, std::vector<std::uint32_t>{id});
    QCOMPARE(l.client.closed, std::vector<std::uint32_t>{id});
    QCOMPARE(l.client.s.queuedBytes(id), 0u);
    QCOMPARE(l.client.s.streamCount(), 0u);
    QCOMPARE(l.server.s.streamCount(), 0u);
    QVERIFY(!l.client.s.failed() && !l.server.s.failed());
}

void TestYamux::pingAnsweredWithSameValue() {
    YamuxSession server(Role::Server);
    server.feed(hex("00 02 0001 00000000 12345678"), 5ms);
    QCOMPARE(output(server), hex("00 02 0002 00000000 12345678"));
    YamuxSession client(Role::Client);
    client.feed(hex("00 02 0001 00000000 ffffffff 00 02 0001 00000000 00000000"), 5ms);
    QCOMPARE(output(client), hex("00 02 0002 00000000 ffffffff 00 02 0002 00000000 00000000"));
    QVERIFY(client.takeEvents().empty());
}

void TestYamux::pongRttUsesSuppliedTimes() {
    YamuxSession client(Role::Client);
    client.ping(7, 100ms);
    client.ping(8, 110ms);
    QCOMPARE(output(client), hex("00 02 0001 00000000 00000007 00 02 0001 00000000 00000008"));
    client.feed(hex("00 02 0002 00000000 00000009"), 120ms); // unsolicited: ignored
    QVERIFY(client.takeEvents().empty());
    client.feed(hex("00 02 0002 00000000 00000008 00 02 0002 00000000 00000007"), 130ms);
    auto events = client.takeEvents();
    QCOMPARE(events.size(), 2u);
    const auto& p8 = std::get<yamux::Pong>(events[0]);
    const auto& p7 = std::get<yamux::Pong>(events[1]);
    QCOMPARE(p8.opaque, 8u);
    QCOMPARE(p8.rtt, MonoTime(20ms));
    QCOMPARE(p7.opaque, 7u);
    QCOMPARE(p7.rtt, MonoTime(30ms));
    QCOMPARE(client.rtt(), MonoTime(30ms));
    // A duplicate answer is not a second Pong.
    client.feed(hex("00 02 0002 00000000 00000007"), 140ms);
    QVERIFY(client.takeEvents().empty());
    QVERIFY(!client.hasOutput());
}

void TestYamux::goAwayStopsOpenStream() {
    Link l;
    const auto before = l.server.s.openStream();
    QVERIFY(before != 0);
    QVERIFY(l.settle());
    l.client.s.goAway();
    QCOMPARE(l.client.s.openStream(), 0u);
    QVERIFY(l.settle());
    QCOMPARE(l.server.goAways, std::vector<std::uint32_t>{0});
    QVERIFY(l.server.s.remoteWentAway());
    QCOMPARE(l.server.s.openStream(), 0u);
    QVERIFY(!l.server.s.failed());
    // The client refuses new streams after its GoAway, and the existing one still works.
    QCOMPARE(l.client.opened, std::vector<std::uint32_t>{before});
    l.client.s.feed(hex("00 01 0001 00000004 00000000"), l.now);
    QCOMPARE(output(l.client.s), hex("00 01 0008 00000004 00000000"));
    l.client.drain(l.now);
    QCOMPARE(l.client.rejected, std::vector<std::uint32_t>{4});
    l.server.s.write(before, toBytes("still here"));
    QVERIFY(l.settle());
    QCOMPARE(l.client.received[before], toBytes("still here"));
    // A repeated GoAway is not reported twice.
    l.server.s.feed(hex("00 03 0000 00000000 00000002"), l.now);
    QVERIFY(l.server.s.takeEvents().empty());
}

void TestYamux::inboundLimitAnswersRst() {
    YamuxConfig config;
    config.maxInboundStreams = 2;
    Link l(config);
    const auto a = l.client.s.openStream();
    const auto b = l.client.s.openStream();
    const auto c = l.client.s.openStream();
    Bytes wire;
    l.client.s.takeOutput(wire);
    l.server.s.feed(wire, l.now);
    QCOMPARE(output(l.server.s),
             cat({hex("00 01 0002 00000001 00000000"), hex("00 01 0002 00000003 00000000"),
                  hex("00 01 0008 00000005 00000000")}));
    l.server.drain(l.now);
    QCOMPARE(l.server.opened, (std::vector<std::uint32_t>{a, b}));
    QCOMPARE(l.server.rejected, std::vector<std::uint32_t>{c});
    QCOMPARE(l.server.s.inboundStreamCount(), 2u);
    l.client.s.feed(hex("00 01 0002 00000001 00000000 00 01 0002 00000003 00000000 "
                        "00 01 0008 00000005 00000000"),
                    l.now);
    l.client.drain(l.now);
    QCOMPARE(l.client.resets, std::vector<std::uint32_t>{c});
    QCOMPARE(l.client.s.streamCount(), 2u);
    // Once one closes, a new one fits.
    l.client.s.reset(a);
    QVERIFY(l.settle());
    QCOMPARE(l.server.s.inboundStreamCount(), 1u);
    const auto d = l.client.s.openStream();
    QVERIFY(l.settle());
    QCOMPARE(l.server.opened.back(), d);
    QCOMPARE(l.server.rejected.size(), 1u);
    QVERIFY(!l.server.s.failed());
}

void TestYamux::protocolErrors_data() {
    QTest::addColumn<bool>("client");
    QTest::addColumn<Bytes>("input");
    QTest::newRow("bad version") << false << hex("01 01 0001 00000001 00000000");
    QTest::newRow("unknown type") << false << hex("00 04 0000 00000000 00000000");
    QTest::newRow("SYN with server parity to server")
        << false << hex("00 01 0001 00000002 00000000");
    QTest::newRow("SYN with client parity to client")
        << true << hex("00 00 0001 00000001 00000000");
    QTest::newRow("SYN on stream 0") << false << hex("00 01 0001 00000000 00000000");
    QTest::newRow("SYN reuses live id")
        << false << hex("00 01 0001 00000001 00000000 00 01 0001 00000001 00000000");
    QTest::newRow("data beyond window in one frame")
        << false << hex("00 01 0001 00000001 00000000 00 00 0000 00000001 00040001");
    Bytes twoFrames = hex("00 01 0001 00000001 00000000 00 00 0000 00000001 00030000");
    append(twoFrames, Bytes(0x30000, 0xab));
    append(twoFrames, hex("00 00 0000 00000001 00010001"));
    QTest::newRow("data beyond window over two frames") << false << twoFrames;
}

void TestYamux::protocolErrors() {
    QFETCH(bool, client);
    QFETCH(Bytes, input);
    YamuxSession s(client ? Role::Client : Role::Server);
    s.feed(input, 1ms);
    QVERIFY(s.failed());
    QVERIFY(!s.error().empty());
    const Bytes out = output(s);
    QVERIFY(out.size() >= 12);
    QCOMPARE(Bytes(out.end() - 12, out.end()), goAwayProtocolError);
    QCOMPARE(s.openStream(), 0u);
    // Nothing more is read or written.
    s.feed(hex("00 02 0001 00000000 00000001"), 2ms);
    s.ping(1, 2ms);
    s.goAway();
    QVERIFY(!s.hasOutput());
}

void TestYamux::dataWithinWindowIsAccepted() {
    // Exactly the window in two frames: fine (the boundary case of the error above).
    YamuxSession s(Role::Server);
    Bytes input = hex("00 01 0001 00000001 00000000 00 00 0000 00000001 00030000");
    append(input, Bytes(0x30000, 0xab));
    append(input, hex("00 00 0000 00000001 00010000"));
    append(input, Bytes(0x10000, 0xcd));
    s.feed(input, 1ms);
    QVERIFY(!s.failed());
    std::size_t got = 0;
    for (auto& e : s.takeEvents())
        if (auto* d = std::get_if<yamux::Data>(&e))
            got += d->bytes.size();
    QCOMPARE(got, std::size_t{256 * 1024});
}

void TestYamux::dataForUnknownStreamIgnored() {
    YamuxSession s(Role::Server);
    // Data for a never-opened stream (payload skipped), then a ping that must still parse.
    s.feed(hex("00 00 0000 00000063 00000005 0102030405 00 01 0000 00000065 00001000"
               "00 02 0001 00000000 0000abcd"),
           1ms);
    QVERIFY(!s.failed());
    QVERIFY(s.takeEvents().empty());
    QCOMPARE(output(s), hex("00 02 0002 00000000 0000abcd"));
}

void TestYamux::synOnDataFrameWithPayload() {
    YamuxSession s(Role::Server);
    s.feed(hex("00 00 0005 00000001 00000003 616263"), 1ms); // Data+SYN+FIN "abc"
    auto events = s.takeEvents();
    QCOMPARE(events.size(), 3u);
    QCOMPARE(std::get<yamux::StreamOpened>(events[0]).id, 1u);
    QCOMPARE(std::get<yamux::Data>(events[1]).bytes, toBytes("abc"));
    QCOMPARE(std::get<yamux::RemoteClosed>(events[2]).id, 1u);
    QCOMPARE(output(s), hex("00 01 0002 00000001 00000000"));
    QCOMPARE(s.streamCount(), 1u);
}

void TestYamux::splitAtEveryByteBoundary() {
    // A varied client->server byte stream: SYNs, data, ping, half-close, reset, unknown
    // stream data, window update, GoAway.
    YamuxSession client(Role::Client);
    const auto a = client.openStream();
    const auto b = client.openStream();
    client.write(a, pattern(300, 1));
    client.write(b, pattern(17, 2));
    client.ping(99, 0ms);
    client.write(a, pattern(1, 3));
    client.closeWrite(a);
    client.reset(b);
    Bytes stream = output(client);
    append(stream, hex("00 00 0000 00000101 00000003 aabbcc"));
    append(stream, hex("00 01 0000 00000001 00001000"));
    append(stream, hex("00 03 0000 00000000 00000000"));

    auto run = [&](const std::vector<std::size_t>& cuts, std::vector<std::string>& log,
                   Bytes& out) {
        YamuxSession server(Role::Server);
        std::size_t from = 0;
        log.clear();
        auto drain = [&] {
            for (auto& e : server.takeEvents()) {
                std::string item;
                if (auto* d = std::get_if<yamux::Data>(&e)) {
                    item = "data " + std::to_string(d->id) + " " + toHex(d->bytes);
                    // Merge consecutive data for the same stream: chunking may differ.
                    const std::string prefix = "data " + std::to_string(d->id) + " ";
                    if (!log.empty() && log.back().rfind(prefix, 0) == 0) {
                        log.back() += toHex(d->bytes);
                        continue;
                    }
                } else {
                    item = std::to_string(e.index()) + " " +
                           std::visit(
                               [](const auto& v) {
                                   using T = std::decay_t<decltype(v)>;
                                   if constexpr (std::is_same_v<T, yamux::Pong>)
                                       return std::to_string(v.opaque);
                                   else if constexpr (std::is_same_v<T, yamux::GoAway>)
                                       return std::to_string(v.code);
                                   else if constexpr (std::is_same_v<T, yamux::Data>)
                                       return std::string();
                                   else
                                       return std::to_string(v.id);
                               },
                               e);
                }
                log.push_back(item);
            }
        };
        for (std::size_t cut : cuts) {
            server.feed(ByteView(stream).subspan(from, cut - from), 1ms);
            drain();
            from = cut;
        }
        server.feed(ByteView(stream).subspan(from), 1ms);
        drain();
        out.clear();
        server.takeOutput(out);
        return !server.failed();
    };

    std::vector<std::string> refLog, log;
    Bytes refOut, out;
    QVERIFY(run({}, refLog, refOut));
    QCOMPARE(refLog.size(), 9u); // open a, open b, data a, fin a, reset b, closed b, goaway...
    QVERIFY(!refOut.empty());
    for (std::size_t i = 0; i <= stream.size(); ++i) {
        QVERIFY(run({i}, log, out));
        QCOMPARE(log, refLog);
        QCOMPARE(out, refOut);
    }
    std::vector<std::size_t> everyByte;
    for (std::size_t i = 1; i < stream.size(); ++i)
        everyByte.push_back(i);
    QVERIFY(run(everyByte, log, out));
    QCOMPARE(log, refLog);
    QCOMPARE(out, refOut);
}

void TestYamux::takeOutputAppends() {
    YamuxSession client(Role::Client);
    client.openStream();
    Bytes out = {0x01, 0x02};
    client.takeOutput(out);
    QCOMPARE(out, hex("0102 00 01 0001 00000001 00000000"));
    QVERIFY(!client.hasOutput());
    client.takeOutput(out);
    QCOMPARE(out.size(), 14u);
}

void TestYamux::recycledBufferIsReused() {
    YamuxSession client(Role::Client);
    YamuxSession server(Role::Server);
    const auto id = client.openStream();
    server.feed(output(client), MonoTime{0});
    server.takeEvents();
    client.feed(output(server), MonoTime{0});
    client.takeEvents();

    auto receiveOne = [&](std::uint8_t fill) {
        client.write(id, Bytes(1000, fill));
        server.feed(output(client), MonoTime{0});
        for (yamux::Event& event : server.takeEvents())
            if (auto* data = std::get_if<yamux::Data>(&event))
                return std::move(data->bytes);
        return Bytes{};
    };
    Bytes first = receiveOne(0x11);
    QCOMPARE(first, Bytes(1000, 0x11));
    first.reserve(64 * 1024);
    const std::uint8_t* storage = first.data();
    server.recycle(std::move(first));
    // The next Data event arrives in the recycled allocation, with only the new bytes in it.
    Bytes second = receiveOne(0x22);
    QCOMPARE(second, Bytes(1000, 0x22));
    QCOMPARE(second.data(), storage);
    QVERIFY(second.capacity() >= 64u * 1024);
    // Buffers too large to keep are dropped rather than pinned.
    server.recycle(Bytes(8 * 1024 * 1024));
    QCOMPARE(receiveOne(0x33).capacity() < 8u * 1024 * 1024, true);
}

void TestYamux::outputRoomHoldsDataRoundRobin() {
    YamuxConfig config;
    config.maxFrameData = 16 * 1024;
    YamuxSession client(Role::Client, config);
    const auto a = client.openStream();
    const auto b = client.openStream();
    output(client); // the SYNs
    client.setOutputRoom(0);
    const Bytes dataA = pattern(100 * 1024, 1);
    const Bytes dataB = pattern(100 * 1024, 2);
    client.write(a, dataA);
    client.write(b, dataB);
    // No room: nothing of the data goes out, all of it is held and counted.
    QVERIFY(!client.hasOutput());
    QCOMPARE(client.queuedBytes(a), dataA.size());
    QCOMPARE(client.queuedBytes(b), dataB.size());
    QCOMPARE(client.bufferedBytes(), dataA.size() + dataB.size());
    // Control frames are never held.
    client.ping(7, MonoTime{0});
    QCOMPARE(output(client), hex("00 02 0001 00000000 00000007"));

    // 64 KiB of room: four 16 KiB frames (the fourth passes the room by its header), taken in
    // turn from the two streams.
    client.setOutputRoom(64 * 1024);
    std::vector<Header> hs;
    QVERIFY(headers(output(client), hs));
    QCOMPARE(hs.size(), 4u);
    for (std::size_t i = 0; i < hs.size(); ++i) {
        QCOMPARE(hs[i].type, std::uint8_t(0));
        QCOMPARE(hs[i].id, i % 2 == 0 ? a : b);
        QCOMPARE(hs[i].length, 16u * 1024u);
    }
    QCOMPARE(client.outputRoom(), std::size_t(0));
    QCOMPARE(client.queuedBytes(a), dataA.size() - 32 * 1024);
    QCOMPARE(client.bufferedBytes(), dataA.size() + dataB.size() - 64 * 1024);
    QVERIFY(client.takeEvents().empty()); // still owed

    // Room again: everything goes, and each stream is told it may write.
    client.setOutputRoom(std::size_t(1) << 30);
    YamuxSession server(Role::Server, config);
    server.feed(cat({hex("00 01 0001 00000001 00000000"), hex("00 01 0001 00000003 00000000")}),
                MonoTime{0});
    std::map<std::uint32_t, Bytes> got;
    Bytes rest = output(client);
    server.feed(rest, MonoTime{0});
    for (auto& event : server.takeEvents())
        if (auto* d = std::get_if<yamux::Data>(&event))
            append(got[d->id], d->bytes);
    QCOMPARE(got[a].size(), dataA.size() - 32 * 1024);
    QVERIFY(Bytes(dataB.begin() + 32 * 1024, dataB.end()) == got[b]);
    std::vector<std::uint32_t> writable;
    for (auto& event : client.takeEvents())
        if (auto* w = std::get_if<yamux::Writable>(&event))
            writable.push_back(w->id);
    QCOMPARE(writable, (std::vector<std::uint32_t>{a, b}));
    QCOMPARE(client.bufferedBytes(), std::size_t(0));
    // With room, a write goes straight out.
    client.write(a, Bytes(10, 1));
    QCOMPARE(client.queuedBytes(a), std::size_t(0));
    QVERIFY(client.hasOutput());
}

void TestYamux::closeReadDropsWithoutCredit() {
    Link l;
    l.server.autoConsume = false;
    const auto id = l.client.s.openStream();
    l.client.s.write(id, Bytes(10, 1));
    QVERIFY(l.settle());
    QCOMPARE(l.server.received[id].size(), 10u);
    QCOMPARE(l.server.s.bufferedBytes(), std::size_t(10));
    l.server.s.closeRead(id);
    QCOMPARE(l.server.s.bufferedBytes(), std::size_t(0)); // the unread bytes are forgotten
    // More data is dropped and never credited: the window stops the writer.
    l.client.s.write(id, pattern(1024 * 1024, 3));
    QVERIFY(l.settle());
    QCOMPARE(l.server.received[id].size(), 10u);
    QCOMPARE(l.server.s.bufferedBytes(), std::size_t(0));
    QCOMPARE(l.client.s.queuedBytes(id), std::size_t(1024 * 1024 - (256 * 1024 - 10)));
    QCOMPARE(l.up.updates, 0); // no credit from the server
    // Once our side is closed too, the stream is released.
    l.server.s.closeWrite(id);
    QVERIFY(l.settle());
    QCOMPARE(l.server.closed, (std::vector<std::uint32_t>{id}));
    QCOMPARE(l.server.s.streamCount(), std::size_t(0));
}

void TestYamux::growthGateKeepsWindow() {
    Link l;
    l.step = 1ms;
    l.server.s.ping(42, l.now);
    QVERIFY(l.settle());
    std::vector<std::uint32_t> asked;
    l.server.s.setGrowthGate([&](std::uint32_t, std::uint32_t bytes) {
        asked.push_back(bytes);
        return false;
    });
    const auto id = l.client.s.openStream();
    const Bytes data = pattern(8 << 20, 7);
    l.client.s.write(id, data);
    QVERIFY(l.settle());
    QVERIFY(l.server.received[id] == data);
    QVERIFY(!asked.empty()); // it would have grown
    QCOMPARE(asked.front(), 256u * 1024u);
    QCOMPARE(l.server.s.receiveWindow(id), 256u * 1024u);
    QVERIFY(l.up.maxDelta <= 256u * 1024u);
    QCOMPARE(l.up.violations, 0);
}

QTEST_APPLESS_MAIN(TestYamux)
#include "tst_yamux.moc"
