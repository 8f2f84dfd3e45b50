// The engine's snapshots carry the same QString instances from one to the next for the text
// that did not change (so the GUI compares pointers and frees reference counts), make a field
// anew when it did change, and forget connections and peers once they are gone. The last case
// checks the same through two real engines on loopback.
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "engine/api/snapshot_text_cache.h"
#include "engine/core/keys.h"
#include "support/loopback_engine.h"

#include <QDateTime>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <optional>

using namespace peerscope;

namespace {

constexpr int kTimeoutMs = 10000;

PeerId newPeerId() {
    return PeerId::fromPublicKey(PrivateKey::generateEd25519().publicKey());
}

Multiaddr addr(const char* text) {
    return Multiaddr::parse(text).value();
}

Connection::Info infoOf(const PeerId& peer, const char* remote, Direction direction) {
    Connection::Info info;
    info.remotePeer = peer;
    info.remoteAddr = addr(remote);
    info.localAddr = addr("/ip4/127.0.0.1/tcp/4001");
    info.direction = direction;
    info.muxer = "/yamux/1.0.0";
    return info;
}

PeerRecord recordOf(const PeerId& peer) {
    PeerRecord record;
    record.id = peer;
    record.agentVersion = "peerscope/0.1.0";
    record.protocolVersion = "ipfs/0.1.0";
    record.protocols = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0"};
    record.listenAddrs = {addr("/ip4/127.0.0.1/tcp/4002")};
    record.identified = true;
    return record;
}

// The same character data, not just equal text.
bool sameData(const QString& a, const QString& b) {
    return !a.isEmpty() && a == b && a.constData() == b.constData();
}

} // namespace

class TestSnapshotTextCache final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void connectionTextIsSharedAcrossSnapshots() {
        SnapshotTextCache cache;
        const PeerId peer = newPeerId();
        const Connection::Info info = infoOf(peer, "/ip4/10.0.0.2/tcp/5000", Direction::Inbound);
        std::map<std::string, ProtocolBytes> bytes{{"/ipfs/ping/1.0.0", {10, 20}}};

        ConnectionSnapshot first, second;
        cache.beginSnapshot();
        cache.fillConnection(first, 7, info, bytes);
        cache.endSnapshot();
        bytes["/ipfs/ping/1.0.0"] = {30, 40};
        cache.beginSnapshot();
        cache.fillConnection(second, 7, info, bytes);
        cache.endSnapshot();

        QCOMPARE(first.peerId, QString::fromStdString(peer.toBase58()));
        QCOMPARE(first.direction, QStringLiteral("inbound"));
        QCOMPARE(first.remoteAddr, QStringLiteral("/ip4/10.0.0.2/tcp/5000"));
        QCOMPARE(first.localAddr, QStringLiteral("/ip4/127.0.0.1/tcp/4001"));
        QCOMPARE(first.muxer, QStringLiteral("/yamux/1.0.0"));
        QVERIFY(sameData(first.peerId, second.peerId));
        QVERIFY(sameData(first.direction, second.direction));
        QVERIFY(sameData(first.remoteAddr, second.remoteAddr));
        QVERIFY(sameData(first.localAddr, second.localAddr));
        QVERIFY(sameData(first.muxer, second.muxer));
        // The counts are the new ones; the protocol's name is the one made before.
        QCOMPARE(second.protocolBytes.size(), 1);
        QCOMPARE(second.protocolBytes.at(0).bytesIn, 30u);
        QCOMPARE(second.protocolBytes.at(0).bytesOut, 40u);
        QVERIFY(sameData(first.protocolBytes.at(0).protocol, second.protocolBytes.at(0).protocol));
        // The snapshot keeps its strings when the cache lets go of them.
        cache.beginSnapshot();
        cache.endSnapshot();
        QCOMPARE(second.remoteAddr, QStringLiteral("/ip4/10.0.0.2/tcp/5000"));
    }

    void aNewProtocolKeepsTheOtherNamesInOrder() {
        SnapshotTextCache cache;
        const Connection::Info info =
            infoOf(newPeerId(), "/ip4/10.0.0.2/tcp/5000", Direction::Outbound);
        std::map<std::string, ProtocolBytes> bytes{{"/b", {1, 1}}, {"/d", {2, 2}}};
        ConnectionSnapshot first, second;
        cache.fillConnection(first, 1, info, bytes);
        bytes["/a"] = {3, 3}; // sorts first: every name after it moves
        cache.fillConnection(second, 1, info, bytes);
        QCOMPARE(second.protocolBytes.size(), 3);
        QCOMPARE(second.protocolBytes.at(0).protocol, QStringLiteral("/a"));
        QCOMPARE(second.protocolBytes.at(1).protocol, QStringLiteral("/b"));
        QCOMPARE(second.protocolBytes.at(2).protocol, QStringLiteral("/d"));
        QCOMPARE(second.protocolBytes.at(0).bytesIn, 3u);
        QCOMPARE(second.protocolBytes.at(2).bytesIn, 2u);
    }

    void connectionsOfOnePeerShareItsId() {
        SnapshotTextCache cache;
        const PeerId peer = newPeerId();
        ConnectionSnapshot a, b;
        PeerSnapshot p;
        cache.beginSnapshot();
        cache.fillPeer(p, peer, recordOf(peer));
        cache.fillConnection(a, 1, infoOf(peer, "/ip4/10.0.0.2/tcp/1", Direction::Inbound), {});
        cache.fillConnection(b, 2, infoOf(peer, "/ip4/10.0.0.2/tcp/2", Direction::Outbound), {});
        cache.endSnapshot();
        QVERIFY(sameData(p.peerId, a.peerId));
        QVERIFY(sameData(p.peerId, b.peerId));
        QCOMPARE(a.direction, QStringLiteral("inbound"));
        QCOMPARE(b.direction, QStringLiteral("outbound"));
        QCOMPARE(cache.connectionCount(), 2u);
        QCOMPARE(cache.peerCount(), 1u);
    }

    void peerTextIsSharedUntilIdentifyChangesIt() {
        SnapshotTextCache cache;
        const PeerId peer = newPeerId();
        PeerRecord record = recordOf(peer);
        PeerSnapshot first, second, third;
        cache.fillPeer(first, peer, record);
        cache.fillPeer(second, peer, record);
        QCOMPARE(first.agentVersion, QStringLiteral("peerscope/0.1.0"));
        QCOMPARE(first.protocolVersion, QStringLiteral("ipfs/0.1.0"));
        QCOMPARE(first.protocols, QStringList({QStringLiteral("/ipfs/id/1.0.0"),
                                               QStringLiteral("/ipfs/ping/1.0.0")}));
        QCOMPARE(first.listenAddrs, QStringList{QStringLiteral("/ip4/127.0.0.1/tcp/4002")});
        QVERIFY(sameData(first.peerId, second.peerId));
        QVERIFY(sameData(first.agentVersion, second.agentVersion));
        QVERIFY(sameData(first.protocolVersion, second.protocolVersion));
        // The lists themselves are shared: QList == is then a pointer comparison.
        QCOMPARE(first.protocols.constData(), second.protocols.constData());
        QCOMPARE(first.listenAddrs.constData(), second.listenAddrs.constData());

        // An identify push: the changed fields are new, the rest stay shared.
        record.agentVersion = "peerscope/0.2.0";
        record.protocols.push_back("/perf/1.0.0");
        cache.fillPeer(third, peer, record);
        QCOMPARE(third.agentVersion, QStringLiteral("peerscope/0.2.0"));
        QCOMPARE(third.protocols.size(), 3);
        QCOMPARE(third.protocols.last(), QStringLiteral("/perf/1.0.0"));
        QVERIFY(sameData(first.protocolVersion, third.protocolVersion));
        QCOMPARE(first.listenAddrs.constData(), third.listenAddrs.constData());
        record.listenAddrs.push_back(addr("/ip4/10.0.0.9/tcp/4002"));
        PeerSnapshot fourth;
        cache.fillPeer(fourth, peer, record);
        QCOMPARE(fourth.listenAddrs.size(), 2);
        QCOMPARE(fourth.listenAddrs.last(), QStringLiteral("/ip4/10.0.0.9/tcp/4002"));
    }

    void goneConnectionsAndPeersAreDropped() {
        SnapshotTextCache cache;
        const PeerId kept = newPeerId();
        const PeerId gone = newPeerId();
        const auto snapshot = [&](bool withGone) {
            ConnectionSnapshot c;
            PeerSnapshot p;
            cache.beginSnapshot();
            cache.fillPeer(p, kept, recordOf(kept));
            cache.fillConnection(c, 1, infoOf(kept, "/ip4/10.0.0.2/tcp/1", Direction::Inbound), {});
            if (withGone) {
                cache.fillPeer(p, gone, recordOf(gone));
                cache.fillConnection(c, 2, infoOf(gone, "/ip4/10.0.0.3/tcp/1", Direction::Inbound),
                                     {});
                cache.fillConnection(c, 3, infoOf(gone, "/ip4/10.0.0.3/tcp/2", Direction::Inbound),
                                     {});
            }
            cache.endSnapshot();
        };
        snapshot(true);
        QCOMPARE(cache.connectionCount(), 3u);
        QCOMPARE(cache.peerCount(), 2u);
        snapshot(false);
        QCOMPARE(cache.connectionCount(), 1u);
        QCOMPARE(cache.peerCount(), 1u);
        // Many connections coming and going: the cache holds only the open one.
        for (int i = 0; i < 100; ++i) {
            ConnectionSnapshot c;
            cache.beginSnapshot();
            cache.fillConnection(c, 1, infoOf(kept, "/ip4/10.0.0.2/tcp/1", Direction::Inbound), {});
            cache.fillConnection(
                c, 100 + i, infoOf(newPeerId(), "/ip4/10.0.0.4/tcp/1", Direction::Outbound), {});
            cache.endSnapshot();
        }
        snapshot(false);
        QCOMPARE(cache.connectionCount(), 1u);
        QCOMPARE(cache.peerCount(), 1u);
    }

    void fixedNamesMatchTheEngines() {
        for (HealthState state : {HealthState::Healthy, HealthState::Degraded, HealthState::Failed})
            QCOMPARE(SnapshotTextCache::healthStateText(state),
                     QString::fromLatin1(healthStateName(state)));
        for (Direction direction : {Direction::Inbound, Direction::Outbound})
            QCOMPARE(SnapshotTextCache::directionText(direction),
                     QString::fromLatin1(directionName(direction)));
    }

    // Two engines on loopback: consecutive snapshots of a connection share their text, and a
    // connection closed and dialled again is in the next snapshots with its own.
    void engineSnapshotsShareTextBetweenTicks() {
        QTemporaryDir dirA, dirB;
        Engine a(test::loopbackOptions(dirA));
        Engine b(test::loopbackOptions(dirB));
        QVERIFY(a.start().ok());
        QVERIFY(b.start().ok());
        a.client()->setSnapshotInterval(20);
        a.client()->dial(test::loopbackAddr(b), this, [](const DialOutcome&) {});
        const auto identifiedPeer = [&]() -> std::optional<PeerSnapshot> {
            for (const PeerSnapshot& peer : a.client()->snapshot().peers)
                if (peer.identified && !peer.connections.isEmpty() && !peer.agentVersion.isEmpty())
                    return peer;
            return std::nullopt;
        };
        QTRY_VERIFY_WITH_TIMEOUT(identifiedPeer().has_value(), kTimeoutMs);
        const PeerSnapshot first = *identifiedPeer();
        const QDateTime firstAt = a.client()->snapshot().takenAt;
        QTRY_VERIFY_WITH_TIMEOUT(a.client()->snapshot().takenAt > firstAt, kTimeoutMs);
        const std::optional<PeerSnapshot> second = identifiedPeer();
        QVERIFY(second.has_value());
        QVERIFY(sameData(first.peerId, second->peerId));
        QVERIFY(sameData(first.agentVersion, second->agentVersion));
        QVERIFY(!first.protocols.isEmpty());
        QCOMPARE(first.protocols.constData(), second->protocols.constData());
        const ConnectionSnapshot& c1 = first.connections.first();
        const auto same = std::find_if(second->connections.cbegin(), second->connections.cend(),
                                       [&](const ConnectionSnapshot& c) { return c.id == c1.id; });
        QVERIFY(same != second->connections.cend());
        QVERIFY(sameData(c1.peerId, same->peerId));
        QVERIFY(sameData(c1.peerId, first.peerId));
        QVERIFY(sameData(c1.remoteAddr, same->remoteAddr));
        QVERIFY(sameData(c1.localAddr, same->localAddr));
        QVERIFY(sameData(c1.muxer, same->muxer));
        QCOMPARE(c1.direction, QStringLiteral("outbound"));

        // Closed: it leaves the snapshots; dialled again, the new connection has the same
        // text, not the same instances.
        a.client()->disconnectPeer(first.peerId);
        QTRY_VERIFY_WITH_TIMEOUT(!identifiedPeer().has_value(), kTimeoutMs);
        a.client()->dial(test::loopbackAddr(b), this, [](const DialOutcome&) {});
        QTRY_VERIFY_WITH_TIMEOUT(identifiedPeer().has_value(), kTimeoutMs);
        const PeerSnapshot again = *identifiedPeer();
        QCOMPARE(again.peerId, first.peerId);
        QVERIFY(again.peerId.constData() != first.peerId.constData());
        QCOMPARE(again.connections.first().muxer, c1.muxer);
        QVERIFY(again.connections.first().id != c1.id);
    }
};

QTEST_GUILESS_MAIN(TestSnapshotTextCache)
#include "tst_snapshot_text_cache.moc"
