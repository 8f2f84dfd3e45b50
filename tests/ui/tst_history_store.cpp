#include "ui/charts/history_store.h"

#include <QDateTime>
#include <QTest>

using namespace peerscope;

namespace {

using Resolution = SeriesHistory::Resolution;

const qint64 kBaseMs = QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
constexpr qint64 kTickMs = 250;

QString peerIdFor(int n) {
    return QStringLiteral("12D3KooWHistoryPeer%1").arg(n, 4, 10, QChar('0'));
}

ConnectionSnapshot makeConnection(quint64 id, int peer, double rateIn, double rateOut,
                                  std::optional<double> rtt = std::nullopt, double jitter = 0) {
    ConnectionSnapshot connection;
    connection.id = id;
    connection.peerId = peerIdFor(peer);
    connection.direction = QStringLiteral("outbound");
    connection.remoteAddr = QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(40000 + id);
    connection.rateIn.perSecond[0] = rateIn;
    connection.rateOut.perSecond[0] = rateOut;
    connection.rttSmoothedMs = rtt;
    connection.jitterMs = jitter;
    return connection;
}

PeerSnapshot makePeer(int n, const QList<ConnectionSnapshot>& connections) {
    PeerSnapshot peer;
    peer.peerId = peerIdFor(n);
    peer.connections = connections;
    return peer;
}

NodeSnapshot makeSnapshot(qint64 atMs, const QList<PeerSnapshot>& peers, quint64 bytesIn = 0,
                          quint64 bytesOut = 0) {
    NodeSnapshot snapshot;
    snapshot.takenAt = QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC);
    snapshot.peers = peers;
    snapshot.counters.bytesIn = bytesIn;
    snapshot.counters.bytesOut = bytesOut;
    return snapshot;
}

} // namespace

class TestHistoryStore final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void globalRatesFromTotalDeltas() {
        HistoryStore store;
        QCOMPARE(store.latestMs(), qint64(-1));
        // 250 bytes in and 1000 bytes out per 250 ms tick: 1000 B/s and 4000 B/s.
        for (int tick = 0; tick <= 8; ++tick)
            store.apply(makeSnapshot(kBaseMs + tick * kTickMs, {}, 5000 + 250 * tick, 1000 * tick));
        QCOMPARE(store.latestMs(), kBaseMs + 8 * kTickMs);

        // The first snapshot has no previous one: no sample at 0 ms, so the first second
        // holds three samples (250, 500, 750 ms), the second four; 2000 ms is still filling.
        QCOMPARE(*store.globalIn().lastSampleMs(), kBaseMs + 8 * kTickMs);
        QCOMPARE(store.globalIn().size(Resolution::OneSecond), std::size_t(2));
        for (std::size_t i = 0; i < 2; ++i) {
            QCOMPARE(store.globalIn().at(Resolution::OneSecond, i).value, 1000.0);
            QCOMPARE(store.globalOut().at(Resolution::OneSecond, i).value, 4000.0);
        }
        QCOMPARE(store.globalIn().pending(Resolution::OneSecond)->value, 1000.0);
        QCOMPARE(store.globalIn().pending(Resolution::ThirtySeconds)->value, 1000.0);

        // Totals going down (another engine) and a clock step back give no sample.
        store.apply(makeSnapshot(kBaseMs + 9 * kTickMs, {}, 10, 10));
        store.apply(makeSnapshot(kBaseMs + 8 * kTickMs, {}, 20, 20));
        QCOMPARE(store.globalIn().pending(Resolution::OneSecond)->value, 1000.0);
        QCOMPARE(*store.globalIn().lastSampleMs(), kBaseMs + 8 * kTickMs);
        // A faster second after that is measured from the new totals.
        store.apply(makeSnapshot(kBaseMs + 12 * kTickMs, {}, 20 + 8000, 20));
        QCOMPARE(*store.globalIn().lastSampleMs(), kBaseMs + 12 * kTickMs);
        QCOMPARE(store.globalIn().size(Resolution::OneSecond), std::size_t(3));
        QCOMPARE(store.globalIn().pending(Resolution::OneSecond)->value, 8000.0);

        // A snapshot without a time is ignored.
        store.apply(NodeSnapshot{});
        QCOMPARE(store.latestMs(), kBaseMs + 12 * kTickMs);
    }

    void perConnectionAndPerPeerSeries() {
        HistoryStore store;
        for (int tick = 0; tick < 8; ++tick) {
            const qint64 at = kBaseMs + tick * kTickMs;
            // Peer 1: two connections, one with RTTs; peer 2 is only known, no connection.
            store.apply(
                makeSnapshot(at, {makePeer(1, {makeConnection(1, 1, 100, 10, 20.0 + tick, 2),
                                               makeConnection(2, 1, 300, 30)}),
                                  makePeer(2, {})}));
        }
        QCOMPARE(store.connectionCount(), 2);
        QCOMPARE(store.peerCount(), 1);
        QVERIFY(store.peer(peerIdFor(2)) == nullptr);
        QVERIFY(store.connection(99) == nullptr);

        const HistoryStore::ConnectionHistory* first = store.connection(1);
        QVERIFY(first != nullptr);
        QCOMPARE(first->peerId, peerIdFor(1));
        QCOMPARE(first->closedAtMs, qint64(-1));
        QCOMPARE(first->rateIn.size(Resolution::OneSecond), std::size_t(1));
        QCOMPARE(first->rateIn.at(Resolution::OneSecond, 0).value, 100.0);
        QCOMPARE(first->rateOut.at(Resolution::OneSecond, 0).value, 10.0);
        // RTTs 20, 21, 22, 23 in the first second.
        QCOMPARE(first->rttMs.at(Resolution::OneSecond, 0).value, 21.5);
        QCOMPARE(first->jitterMs.at(Resolution::OneSecond, 0).value, 2.0);

        // No RTT measured: no RTT or jitter sample, rates all the same.
        const HistoryStore::ConnectionHistory* second = store.connection(2);
        QVERIFY(second != nullptr);
        QVERIFY(second->rttMs.isEmpty());
        QVERIFY(second->jitterMs.isEmpty());
        QCOMPARE(second->rateIn.pending(Resolution::OneSecond)->value, 300.0);

        // The peer's series is the sum of its connections.
        const HistoryStore::PeerHistory* peer = store.peer(peerIdFor(1));
        QVERIFY(peer != nullptr);
        QCOMPARE(peer->rateIn.at(Resolution::OneSecond, 0).value, 400.0);
        QCOMPARE(peer->rateOut.at(Resolution::OneSecond, 0).value, 40.0);
    }

    void closedConnectionsAreDroppedAfterRetention() {
        const qint64 retentionMs = 5 * 60 * 1000;
        HistoryStore store(retentionMs);
        QCOMPARE(store.closedRetentionMs(), retentionMs);
        qint64 at = kBaseMs;
        const auto both = [](int tick) {
            return QList<PeerSnapshot>{
                makePeer(1, {makeConnection(1, 1, 10, 10, 5.0), makeConnection(2, 1, 10, 10)}),
                makePeer(2, {makeConnection(3, 2, 10 + tick, 10)})};
        };
        for (int tick = 0; tick < 40; ++tick, at += kTickMs)
            store.apply(makeSnapshot(at, both(tick)));
        QCOMPARE(store.connectionCount(), 3);
        QCOMPARE(store.closedConnectionCount(), 0);
        QCOMPARE(store.peerCount(), 2);

        // Connection 2 closes and peer 2 disconnects.
        const QList<PeerSnapshot> remaining{makePeer(1, {makeConnection(1, 1, 10, 10, 5.0)}),
                                            makePeer(2, {})};
        const qint64 closedAt = at;
        store.apply(makeSnapshot(at, remaining));
        QCOMPARE(store.connectionCount(), 3); // still readable
        QCOMPARE(store.closedConnectionCount(), 2);
        QCOMPARE(store.connection(2)->closedAtMs, closedAt);
        QCOMPARE(store.connection(3)->closedAtMs, closedAt);
        QCOMPARE(store.peer(peerIdFor(2))->closedAtMs, closedAt);
        QCOMPARE(store.connection(1)->closedAtMs, qint64(-1));
        const std::size_t closedPoints = store.connection(2)->rateIn.pointCount();

        // Kept, unchanged, until the retention has passed, then gone.
        for (at = closedAt + 1000; at < closedAt + retentionMs; at += 1000)
            store.apply(makeSnapshot(at, remaining));
        QCOMPARE(store.connectionCount(), 3);
        QCOMPARE(store.connection(2)->rateIn.pointCount(), closedPoints);
        store.apply(makeSnapshot(closedAt + retentionMs, remaining));
        QCOMPARE(store.connectionCount(), 1);
        QCOMPARE(store.closedConnectionCount(), 0);
        QVERIFY(store.connection(2) == nullptr);
        QVERIFY(store.connection(3) == nullptr);
        QVERIFY(store.peer(peerIdFor(2)) == nullptr);
        QVERIFY(store.connection(1) != nullptr);
        QCOMPARE(store.peerCount(), 1);
    }

    void reconnectingPeerKeepsItsHistory() {
        HistoryStore store(60'000);
        store.apply(makeSnapshot(kBaseMs, {makePeer(1, {makeConnection(1, 1, 50, 5)})}));
        store.apply(makeSnapshot(kBaseMs + 1000, {makePeer(1, {makeConnection(1, 1, 50, 5)})}));
        store.apply(makeSnapshot(kBaseMs + 2000, {}));
        QCOMPARE(store.peer(peerIdFor(1))->closedAtMs, kBaseMs + 2000);
        // Back within the retention on a new connection: one continuous peer series.
        store.apply(makeSnapshot(kBaseMs + 30'000, {makePeer(1, {makeConnection(7, 1, 70, 7)})}));
        const HistoryStore::PeerHistory* peer = store.peer(peerIdFor(1));
        QVERIFY(peer != nullptr);
        QCOMPARE(peer->closedAtMs, qint64(-1));
        QCOMPARE(peer->rateIn.size(Resolution::OneSecond), std::size_t(2));
        QCOMPARE(peer->rateIn.pending(Resolution::OneSecond)->value, 70.0);
        QCOMPARE(store.connection(1)->closedAtMs, kBaseMs + 2000);
        store.apply(makeSnapshot(kBaseMs + 62'000, {makePeer(1, {makeConnection(7, 1, 70, 7)})}));
        QVERIFY(store.connection(1) == nullptr);
        QVERIFY(store.peer(peerIdFor(1)) != nullptr);
    }

    void memoryIsBoundedByOpenConnections() {
        HistoryStore store;
        QList<PeerSnapshot> peers;
        for (int n = 0; n < 20; ++n)
            peers << makePeer(n, {makeConnection(quint64(3 * n + 1), n, 1, 1, 1.0, 0.1),
                                  makeConnection(quint64(3 * n + 2), n, 1, 1, 1.0, 0.1),
                                  makeConnection(quint64(3 * n + 3), n, 1, 1, 1.0, 0.1)});
        // Two hours at one snapshot a second fills every ring.
        qint64 at = kBaseMs;
        for (int s = 0; s <= 2 * 3600; ++s, at += 1000)
            store.apply(makeSnapshot(at, peers, quint64(s) * 100, quint64(s) * 100));
        const std::size_t perSeries = 60 + 120 + 120;
        // 60 connections x 4 series, 20 peers x 2, global x 2.
        QCOMPARE(store.pointCount(), perSeries * (60 * 4 + 20 * 2 + 2));
        const std::size_t full = store.memoryBytes();
        QVERIFY(full >= store.pointCount() * 8);
        // Points at 8 bytes each plus a small fixed cost per series (282 of them).
        QVERIFY2(full < store.pointCount() * 8 + 282 * 512, qPrintable(QString::number(full)));

        for (int s = 0; s < 600; ++s, at += 1000)
            store.apply(makeSnapshot(at, peers, 1'000'000 + quint64(s), 1'000'000));
        QCOMPARE(store.memoryBytes(), full);

        store.clear();
        QCOMPARE(store.connectionCount(), 0);
        QCOMPARE(store.peerCount(), 0);
        QCOMPARE(store.pointCount(), std::size_t(0));
        QCOMPARE(store.latestMs(), qint64(-1));
    }
};

QTEST_GUILESS_MAIN(TestHistoryStore)
#include "tst_history_store.moc"
