// ResourceManager: limits per scope, release on destruction, conversion, refusal counters,
// entries dropped when unused, IP scope keys; ResourceRefusalLog's rate-limited lines.
#include "engine/core/keys.h"
#include "engine/resources/resource_manager.h"
#include "engine/resources/resource_refusal_log.h"

#include <QTest>
#include <vector>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {
using S = ResourceScope;
using R = Resource;

PeerId newPeer() {
    return PeerId::fromPublicKey(PrivateKey::generateEd25519().publicKey());
}

ResourceLimits small() {
    ResourceLimits limits;
    limits.systemPendingHandshakes = 5;
    limits.ipPendingHandshakes = 2;
    limits.systemInboundConnections = 4;
    limits.systemOutboundConnections = 4;
    limits.ipInboundConnections = 3;
    limits.peerConnections = 2;
    limits.systemInboundStreams = 6;
    limits.peerInboundStreams = 4;
    limits.connectionInboundStreams = 3;
    limits.protocolInboundStreams = 2;
    return limits;
}
} // namespace

class TestResourceManager final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void ipScopeKeys() {
        QCOMPARE(ipScopeKey("127.0.0.1").value(), std::string("127.0.0.1"));
        QCOMPARE(ipScopeKey("203.0.113.9").value(), std::string("203.0.113.9"));
        QCOMPARE(ipScopeKey("::ffff:127.0.0.1").value(), std::string("127.0.0.1"));
        QCOMPARE(ipScopeKey("2001:db8:1:2:aaaa:bbbb:cccc:dddd").value(),
                 std::string("2001:db8:1:2::/64"));
        QCOMPARE(ipScopeKey("2001:db8:1:2::1").value(), std::string("2001:db8:1:2::/64"));
        QCOMPARE(ipScopeKey("2001:db8:1:3::1").value(), std::string("2001:db8:1:3::/64"));
        QCOMPARE(ipScopeKey("::1").value(), std::string("::/64"));
        QVERIFY(!ipScopeKey("").has_value());
        QVERIFY(!ipScopeKey("example.org").has_value());
        QVERIFY(!ipScopeKey("1.2.3.4.5").has_value());
    }

    void limitsPerScope() {
        ResourceManager manager(small());
        std::vector<ResourceReservation> held;
        // Per IP: 2 pending handshakes from one address, a third is refused by the IP scope.
        for (int i = 0; i < 2; ++i)
            held.push_back(manager.reserve(R::PendingHandshakes, {"10.0.0.1"}));
        QVERIFY(held[0] && held[1]);
        ResourceRefusal refusal;
        QVERIFY(!manager.reserve(R::PendingHandshakes, {"10.0.0.1"}, &refusal));
        QCOMPARE(refusal.scope, S::SourceIp);
        QCOMPARE(refusal.resource, R::PendingHandshakes);
        QCOMPARE(refusal.limit, 2u);
        QCOMPARE(refusal.key, std::string("10.0.0.1"));
        // Other addresses still fit, up to the system's 5.
        for (const char* ip : {"10.0.0.2", "10.0.0.3", "10.0.0.4"})
            held.push_back(manager.reserve(R::PendingHandshakes, {ip}));
        QCOMPARE(manager.systemUse(R::PendingHandshakes), 5u);
        QVERIFY(!manager.reserve(R::PendingHandshakes, {"10.0.0.5"}, &refusal));
        QCOMPARE(refusal.scope, S::System);
        QCOMPARE(refusal.limit, 5u);
        QCOMPARE(manager.refused(S::SourceIp, R::PendingHandshakes), 1u);
        QCOMPARE(manager.refused(S::System, R::PendingHandshakes), 1u);
        // A refusal takes nothing.
        QCOMPARE(manager.ipUse("10.0.0.1", R::PendingHandshakes), 2u);
        QCOMPARE(manager.ipUse("10.0.0.5", R::PendingHandshakes), 0u);
        QCOMPARE(manager.entryCount(S::SourceIp), 4u);
    }

    void peerConnectionsCountBothDirections() {
        ResourceManager manager(small());
        const PeerId peer = newPeer();
        ResourceReservation in = manager.reserve(R::InboundConnections, {{}, &peer});
        ResourceReservation out = manager.reserve(R::OutboundConnections, {{}, &peer});
        QVERIFY(in && out);
        ResourceRefusal refusal;
        QVERIFY(!manager.reserve(R::OutboundConnections, {{}, &peer}, &refusal));
        QCOMPARE(refusal.scope, S::Peer);
        QCOMPARE(refusal.limit, 2u);
        QCOMPARE(refusal.key, peer.toBase58());
        QCOMPARE(manager.limit(S::Peer, R::InboundConnections), std::optional<std::uint32_t>(2));
        QCOMPARE(manager.limit(S::Connection, R::OutboundStreams), std::nullopt);
        out.release();
        QVERIFY(!out);
        QVERIFY(manager.reserve(R::InboundConnections, {{}, &peer}));
    }

    void streamsPerConnectionPeerProtocolAndSystem() {
        ResourceManager manager(small());
        const PeerId peer = newPeer();
        std::vector<ResourceReservation> held;
        for (int i = 0; i < 3; ++i)
            held.push_back(manager.reserve(R::InboundStreams, {{}, &peer, 1}));
        ResourceRefusal refusal;
        QVERIFY(!manager.reserve(R::InboundStreams, {{}, &peer, 1}, &refusal));
        QCOMPARE(refusal.scope, S::Connection);
        QCOMPARE(refusal.key, std::string("connection 1"));
        held.push_back(manager.reserve(R::InboundStreams, {{}, &peer, 2}));
        QVERIFY(held.back());
        QVERIFY(!manager.reserve(R::InboundStreams, {{}, &peer, 2}, &refusal));
        QCOMPARE(refusal.scope, S::Peer); // 4 per peer over both connections
        // Another peer fills the system's 6.
        const PeerId other = newPeer();
        held.push_back(manager.reserve(R::InboundStreams, {{}, &other, 3}));
        held.push_back(manager.reserve(R::InboundStreams, {{}, &other, 3}));
        QVERIFY(!manager.reserve(R::InboundStreams, {{}, &other, 3}, &refusal));
        QCOMPARE(refusal.scope, S::System);
        // Outbound streams have no per-connection limit, only the peer's.
        for (int i = 0; i < 512; ++i)
            held.push_back(manager.reserve(R::OutboundStreams, {{}, &other, 3}));
        QVERIFY(held.back());
        QVERIFY(!manager.reserve(R::OutboundStreams, {{}, &other, 3}, &refusal));
        QCOMPARE(refusal.scope, S::Peer);
        QCOMPARE(refusal.limit, 512u);
        QCOMPARE(manager.connectionUse(3, R::OutboundStreams), 512u);
    }

    void protocolScopeByConversion() {
        ResourceManager manager(small());
        const PeerId peer = newPeer();
        std::vector<ResourceReservation> streams;
        for (std::uint64_t c = 1; c <= 3; ++c)
            streams.push_back(manager.reserve(R::InboundStreams, {{}, &peer, c}));
        // Negotiated: the same stream also counts in the peer's protocol scope.
        const ResourceScopes ping{{}, &peer, 1, "/ipfs/ping/1.0.0"};
        QVERIFY(manager.convert(streams[0], R::InboundStreams, ping));
        QVERIFY(manager.convert(streams[1], R::InboundStreams, {{}, &peer, 2, "/ipfs/ping/1.0.0"}));
        QCOMPARE(manager.peerUse(peer, R::InboundStreams), 3u); // not counted twice
        QCOMPARE(manager.connectionUse(1, R::InboundStreams), 1u);
        QCOMPARE(manager.protocolUse(peer, "/ipfs/ping/1.0.0", R::InboundStreams), 2u);
        ResourceRefusal refusal;
        QVERIFY(!manager.convert(streams[2], R::InboundStreams, {{}, &peer, 3, "/ipfs/ping/1.0.0"},
                                 &refusal));
        QCOMPARE(refusal.scope, S::Protocol);
        QCOMPARE(refusal.key, peer.toBase58() + " /ipfs/ping/1.0.0");
        QVERIFY(streams[2]); // a refused conversion leaves the reservation as it was
        QCOMPARE(manager.connectionUse(3, R::InboundStreams), 1u);
        QVERIFY(manager.convert(streams[2], R::InboundStreams, {{}, &peer, 3, "/other/1"}));
        QCOMPARE(manager.entryCount(S::Protocol), 2u);
    }

    void handshakeBecomesConnection() {
        ResourceManager manager(small());
        const PeerId peer = newPeer();
        ResourceReservation r = manager.reserve(R::PendingHandshakes, {"10.0.0.1"});
        QVERIFY(manager.convert(r, R::InboundConnections, {"10.0.0.1", &peer}));
        QCOMPARE(r.resource(), R::InboundConnections);
        QCOMPARE(manager.systemUse(R::PendingHandshakes), 0u);
        QCOMPARE(manager.ipUse("10.0.0.1", R::PendingHandshakes), 0u);
        QCOMPARE(manager.systemUse(R::InboundConnections), 1u);
        QCOMPARE(manager.ipUse("10.0.0.1", R::InboundConnections), 1u);
        QCOMPARE(manager.peerUse(peer, R::InboundConnections), 1u);
        // The peer's third connection: refused, and its handshake is still held.
        ResourceReservation second = manager.reserve(R::InboundConnections, {"10.0.0.1", &peer});
        ResourceReservation third = manager.reserve(R::PendingHandshakes, {"10.0.0.1"});
        QVERIFY(!manager.convert(third, R::InboundConnections, {"10.0.0.1", &peer}));
        QCOMPARE(manager.refused(S::Peer, R::InboundConnections), 1u);
        QCOMPARE(manager.systemUse(R::PendingHandshakes), 1u);
        third = {};
        QCOMPARE(manager.systemUse(R::PendingHandshakes), 0u);
        // Converting within a full scope: what the reservation held there is given back.
        QVERIFY(manager.convert(second, R::InboundConnections, {"10.0.0.1", &peer}));
        QCOMPARE(manager.peerUse(peer, R::InboundConnections), 2u);
    }

    void releasedOnDestructionAndMove() {
        ResourceManager manager(small());
        {
            ResourceReservation a = manager.reserve(R::PendingHandshakes, {"10.0.0.1"});
            ResourceReservation b = std::move(a);
            QVERIFY(!a);
            QVERIFY(b);
            QCOMPARE(manager.systemUse(R::PendingHandshakes), 1u);
            ResourceReservation c = manager.reserve(R::PendingHandshakes, {"10.0.0.2"});
            c = std::move(b); // c's own is released, b's moves in
            QCOMPARE(manager.systemUse(R::PendingHandshakes), 1u);
            QCOMPARE(manager.ipUse("10.0.0.2", R::PendingHandshakes), 0u);
            QCOMPARE(manager.ipUse("10.0.0.1", R::PendingHandshakes), 1u);
        }
        QCOMPARE(manager.systemUse(R::PendingHandshakes), 0u);
        for (S scope : {S::System, S::SourceIp, S::Peer, S::Connection, S::Protocol})
            QCOMPARE(manager.entryCount(scope), 0u);
    }

    void entriesDroppedUnderAFloodOfSources() {
        ResourceManager manager;
        for (int i = 0; i < 10000; ++i) {
            const std::string ip =
                "10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256);
            ResourceReservation r = manager.reserve(R::PendingHandshakes, {ip});
            QVERIFY(r);
        }
        QCOMPARE(manager.entryCount(S::SourceIp), 0u);
        QCOMPARE(manager.entryCount(S::System), 0u);
    }

    void ipv6SlashSixtyFourIsOneScope() {
        ResourceManager manager(small());
        const std::string a = *ipScopeKey("2001:db8:0:1::a");
        const std::string b = *ipScopeKey("2001:db8:0:1:ffff::b");
        const std::string c = *ipScopeKey("2001:db8:0:2::a");
        ResourceReservation ra = manager.reserve(R::PendingHandshakes, {a});
        ResourceReservation rb = manager.reserve(R::PendingHandshakes, {b});
        QVERIFY(ra && rb);
        QVERIFY(!manager.reserve(R::PendingHandshakes, {a}));
        QVERIFY(manager.reserve(R::PendingHandshakes, {c}));
        QCOMPARE(manager.ipUse("2001:db8:0:1::/64", R::PendingHandshakes), 2u);
    }

    void loweredLimitKeepsUseRefusesNew() {
        ResourceManager manager(small());
        std::vector<ResourceReservation> held;
        for (int i = 0; i < 4; ++i)
            held.push_back(manager.reserve(R::InboundConnections, {}));
        ResourceLimits lower = small();
        lower.systemInboundConnections = 2;
        manager.setLimits(lower);
        QCOMPARE(manager.systemUse(R::InboundConnections), 4u);
        QVERIFY(!manager.reserve(R::InboundConnections, {}));
        held.resize(1);
        QVERIFY(manager.reserve(R::InboundConnections, {}));
    }

    void bytesBufferedAccountsGrowAndShrink() {
        ResourceLimits limits;
        limits.systemBufferedBytes = 1000;
        limits.peerBufferedBytes = 600;
        limits.connectionBufferedBytes = 400;
        limits.streamBufferedBytes = 300;
        ResourceManager manager(limits);
        const PeerId peer = newPeer();
        QCOMPARE(manager.limit(S::Stream, R::BytesBuffered), std::optional<std::uint32_t>(300));
        ResourceReservation first = manager.account(R::BytesBuffered, {{}, &peer, 1});
        ResourceReservation second = manager.account(R::BytesBuffered, {{}, &peer, 2});
        QVERIFY(first);
        QCOMPARE(first.amount(), std::uint64_t(0));
        first.setAmount(350);
        second.setAmount(100);
        QCOMPARE(manager.connectionUse(1, R::BytesBuffered), std::uint64_t(350));
        QCOMPARE(manager.peerUse(peer, R::BytesBuffered), std::uint64_t(450));
        QCOMPARE(manager.systemUse(R::BytesBuffered), std::uint64_t(450));
        // 50 more fit connection 1 (400), 51 do not: refused in the connection scope.
        QVERIFY(manager.allows(R::BytesBuffered, {{}, &peer, 1}, 50));
        ResourceRefusal refusal;
        QVERIFY(!manager.allows(R::BytesBuffered, {{}, &peer, 1}, 51, &refusal));
        QCOMPARE(refusal.scope, S::Connection);
        QCOMPARE(refusal.resource, R::BytesBuffered);
        QCOMPARE(refusal.limit, 400u);
        QCOMPARE(manager.refused(S::Connection, R::BytesBuffered), std::uint64_t(1));
        // Connection 2 has room of its own, but the peer's 600 are nearly used.
        QVERIFY(!manager.allows(R::BytesBuffered, {{}, &peer, 2}, 200, &refusal));
        QCOMPARE(refusal.scope, S::Peer);
        // An account at zero keeps its entries, even when a unit reservation there goes.
        first.setAmount(0);
        {
            ResourceReservation stream = manager.reserve(R::InboundStreams, {{}, &peer, 1});
            QVERIFY(stream);
        }
        first.setAmount(20);
        QCOMPARE(manager.connectionUse(1, R::BytesBuffered), std::uint64_t(20));
        manager.countRefusal(S::Stream, R::BytesBuffered, {{}, &peer, 1, {}, 5}, &refusal);
        QCOMPARE(refusal.key, std::string("stream 5 of connection 1"));
        QCOMPARE(manager.refused(S::Stream, R::BytesBuffered), std::uint64_t(1));
        QCOMPARE(std::string(resourceScopeName(S::Stream)), std::string("stream"));
        QCOMPARE(std::string(resourceName(R::BytesBuffered)), std::string("bytes_buffered"));
        // Released, nothing is left.
        first.release();
        second = ResourceReservation();
        QCOMPARE(manager.systemUse(R::BytesBuffered), std::uint64_t(0));
        QCOMPARE(manager.entryCount(S::System), std::size_t(0));
        QCOMPARE(manager.entryCount(S::Peer), std::size_t(0));
        QCOMPARE(manager.entryCount(S::Connection), std::size_t(0));
        QCOMPARE(ResourceRefusalLog::describe(refusal, 1),
                 std::string("resource limit: 1 request to buffer more bytes refused on stream 5 "
                             "of connection 1 (per-stream limit 300)"));
    }

    void refusalLogIsRateLimited() {
        ResourceRefusalLog log(10s);
        ResourceRefusal refusal{S::SourceIp, R::InboundConnections, 16, "127.0.0.1"};
        QCOMPARE(log.note(refusal, 0s).value(),
                 std::string("resource limit: 1 inbound connection refused from 127.0.0.1 "
                             "(per-IP limit 16)"));
        for (int i = 0; i < 37; ++i)
            QVERIFY(!log.note(refusal, 1s + i * 100ms));
        // Another (scope, resource) has its own interval.
        ResourceRefusal system{S::System, R::PendingHandshakes, 64, {}};
        QCOMPARE(log.note(system, 2s).value(),
                 std::string("resource limit: 1 pending handshake refused (system limit 64)"));
        QVERIFY(log.takeDue(9999ms).empty());
        const std::vector<std::string> due = log.takeDue(10s);
        QCOMPARE(due, std::vector<std::string>{"resource limit: 37 inbound connections refused "
                                               "from 127.0.0.1 (per-IP limit 16)"});
        QVERIFY(log.takeDue(30s).empty());
        QVERIFY(!log.note(refusal, 15s)); // 5 s after the last line
        QCOMPARE(log.note(refusal, 20s).value(),
                 std::string("resource limit: 2 inbound connections refused from 127.0.0.1 "
                             "(per-IP limit 16)"));
        ResourceRefusal stream{S::Connection, R::InboundStreams, 256, "connection 7"};
        QCOMPARE(log.note(stream, 0s).value(),
                 std::string("resource limit: 1 inbound stream refused on connection 7 "
                             "(per-connection limit 256)"));
    }
};

QTEST_GUILESS_MAIN(TestResourceManager)
#include "tst_resource_manager.moc"
