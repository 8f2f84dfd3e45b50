// The EngineClient facade as the GUI uses it: config round trips with the engine's own
// validation, events delivered on the tick and by query, protect and probe-now, dial backoff
// visible as events. Real engines on loopback.
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "support/event_collector.h"
#include "support/loopback_engine.h"

#include <QFile>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

constexpr int kTimeoutMs = 10000;

bool hasEvent(const QList<EventSnapshot>& events, const QString& kind, const QString& peer = {}) {
    for (const EventSnapshot& event : events)
        if (event.kind == kind && (peer.isEmpty() || event.peerId == peer))
            return true;
    return false;
}

} // namespace

class TestEngineClient final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() {
        dirA_ = std::make_unique<QTemporaryDir>();
        dirB_ = std::make_unique<QTemporaryDir>();
        a_ = std::make_unique<Engine>(test::loopbackOptions(*dirA_));
        b_ = std::make_unique<Engine>(test::loopbackOptions(*dirB_));
        QVERIFY(a_->start().ok());
        QVERIFY(b_->start().ok());
    }

    void cleanup() {
        a_.reset();
        b_.reset();
    }

    void snapshotCarriesTheRunningConfig() {
        QTRY_VERIFY_WITH_TIMEOUT(!a_->client()->snapshot().configPath.isEmpty(), kTimeoutMs);
        QCOMPARE(a_->client()->config(), EngineConfig{});
        QCOMPARE(a_->client()->snapshot().configPath,
                 dirA_->filePath(QStringLiteral("config.json")));
    }

    void applyConfigValidatesAppliesAndPersists() {
        EngineClient* client = a_->client();
        EngineConfig bad;
        bad.connection.minConnectionsPerPeer = 4;
        bad.retry.backoffMultiplier = 0.5;
        QString error = QStringLiteral("not called");
        client->applyConfig(bad, true, this, [&](const QString& e) { error = e; });
        QTRY_VERIFY_WITH_TIMEOUT(error != QLatin1String("not called"), kTimeoutMs);
        QVERIFY2(error.contains(QLatin1String(
                     "min_connections_per_peer (4) exceeds max_connections_per_peer (3)")),
                 qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("backoff_multiplier")), qPrintable(error));
        QCOMPARE(client->config(), EngineConfig{}); // nothing half-applied
        QVERIFY(!QFile::exists(dirA_->filePath(QStringLiteral("config.json"))));

        EngineConfig good;
        good.connection.maxConnectionsPerPeer = 5;
        good.connection.loadBalancingStrategy = LoadBalancingStrategy::LeastLoaded;
        error = QStringLiteral("not called");
        client->applyConfig(good, true, this, [&](const QString& e) { error = e; });
        QTRY_VERIFY_WITH_TIMEOUT(error != QLatin1String("not called"), kTimeoutMs);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        // Published at once, not a tick later.
        QTRY_COMPARE_WITH_TIMEOUT(client->config(), good, kTimeoutMs);
        QFile saved(dirA_->filePath(QStringLiteral("config.json")));
        QVERIFY(saved.open(QIODevice::ReadOnly));
        QVERIFY(saved.readAll().contains("least_loaded"));
    }

    void eventsArriveOnTheTickAndByQuery() {
        test::EventCollector appended(a_->client());
        const QString peerB = b_->client()->snapshot().peerId;
        bool dialled = false;
        a_->client()->dial(b_->announcedAddrs().value(0), this, [&](const DialOutcome& outcome) {
            QVERIFY2(outcome.ok, qPrintable(outcome.error));
            dialled = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(dialled, kTimeoutMs);
        a_->client()->setProtected(peerB, true);
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(appended.events(), QStringLiteral("protected"), peerB),
                                 kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(a_->client()->snapshot().peers.value(0).isProtected, kTimeoutMs);

        // Sequence numbers increase without gaps across ticks.
        const QList<EventSnapshot> events = appended.events();
        for (int i = 1; i < events.size(); ++i)
            QCOMPARE(events[i].seq, events[i - 1].seq + 1);

        QList<EventSnapshot> queried;
        bool answered = false;
        a_->client()->events(0, this, [&](const QList<EventSnapshot>& all) {
            queried = all;
            answered = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(answered, kTimeoutMs);
        QVERIFY(hasEvent(queried, QStringLiteral("protected"), peerB));
        QCOMPARE(queried.first().seq, quint64(1));

        // A later query starts after the given seq.
        answered = false;
        const quint64 last = queried.last().seq;
        a_->client()->events(last, this, [&](const QList<EventSnapshot>& after) {
            queried = after;
            answered = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(answered, kTimeoutMs);
        for (const EventSnapshot& event : queried)
            QVERIFY(event.seq > last);
    }

    void probeNowPingsTheConnection() {
        bool dialled = false;
        quint64 connectionId = 0;
        a_->client()->dial(b_->announcedAddrs().value(0), this, [&](const DialOutcome& outcome) {
            dialled = outcome.ok;
            connectionId = outcome.connection.id;
        });
        QTRY_VERIFY_WITH_TIMEOUT(dialled, kTimeoutMs);
        a_->client()->probeNow(connectionId);
        auto probes = [&] {
            for (const PeerSnapshot& peer : a_->client()->snapshot().peers)
                for (const ConnectionSnapshot& connection : peer.connections)
                    if (connection.id == connectionId)
                        return connection.probes;
            return quint64(0);
        };
        QTRY_VERIFY_WITH_TIMEOUT(probes() >= 1, kTimeoutMs);
    }

    void bytesAreCountedByProtocol() {
        bool dialled = false;
        quint64 connectionId = 0;
        a_->client()->dial(test::loopbackAddr(*b_), this, [&](const DialOutcome& outcome) {
            dialled = outcome.ok;
            connectionId = outcome.connection.id;
        });
        QTRY_VERIFY_WITH_TIMEOUT(dialled, kTimeoutMs);
        bool pinged = false;
        a_->client()->ping(b_->client()->snapshot().peerId, 3, this,
                           [&](const PingOutcome& outcome) { pinged = outcome.ok; });
        QTRY_VERIFY_WITH_TIMEOUT(pinged, kTimeoutMs);
        // The pings went over one of the connections: three 32-byte payloads each way.
        auto pingBytes = [&] {
            ProtocolBytesSnapshot sum;
            for (const PeerSnapshot& peer : a_->client()->snapshot().peers)
                for (const ConnectionSnapshot& connection : peer.connections)
                    for (const ProtocolBytesSnapshot& bytes : connection.protocolBytes)
                        if (bytes.protocol == QLatin1String("/ipfs/ping/1.0.0")) {
                            sum.bytesIn += bytes.bytesIn;
                            sum.bytesOut += bytes.bytesOut;
                        }
            return sum;
        };
        QTRY_COMPARE_WITH_TIMEOUT(pingBytes().bytesOut, quint64(96), kTimeoutMs);
        QCOMPARE(pingBytes().bytesIn, quint64(96));
        // Identify ran both ways on the dialled connection: the peer's record came in.
        auto identifyIn = [&] {
            for (const PeerSnapshot& peer : a_->client()->snapshot().peers)
                for (const ConnectionSnapshot& connection : peer.connections)
                    if (connection.id == connectionId)
                        for (const ProtocolBytesSnapshot& bytes : connection.protocolBytes)
                            if (bytes.protocol == QLatin1String("/ipfs/id/1.0.0"))
                                return bytes.bytesIn;
            return quint64(0);
        };
        QTRY_VERIFY_WITH_TIMEOUT(identifyIn() > 0, kTimeoutMs);
    }

    void dialRetriesShowTheirBackoff() {
        // A port that refuses: listen, learn the port, close.
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        const quint16 port = server.serverPort();
        server.close();
        EngineConfig fast;
        fast.retry.maxRetries = 2;
        fast.retry.initialDelay = std::chrono::duration<double>(0.02);
        fast.retry.jitterFactor = 0;
        QString error = QStringLiteral("not called");
        a_->client()->applyConfig(fast, false, this, [&](const QString& e) { error = e; });
        QTRY_VERIFY_WITH_TIMEOUT(error.isEmpty(), kTimeoutMs);

        test::EventCollector appended(a_->client());
        const QString peerB = b_->client()->snapshot().peerId;
        DialOutcome outcome;
        bool done = false;
        a_->client()->dial(QStringLiteral("/ip4/127.0.0.1/tcp/%1/p2p/%2").arg(port).arg(peerB),
                           this, [&](const DialOutcome& o) {
                               outcome = o;
                               done = true;
                           });
        QTRY_VERIFY_WITH_TIMEOUT(done, kTimeoutMs);
        QVERIFY(!outcome.ok);
        QVERIFY2(outcome.error.contains(QLatin1String("3 attempts")), qPrintable(outcome.error));
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(appended.events(), QStringLiteral("retry"), peerB),
                                 kTimeoutMs);
        QStringList backoffs;
        for (const EventSnapshot& event : appended.events())
            if (event.kind == QLatin1String("backoff") && event.peerId == peerB)
                backoffs << event.detail;
        // Not yet connected: one chain proves the address first, retried twice.
        QVERIFY2(backoffs.contains(QStringLiteral("retrying in 20 ms (attempt 2 of 3)")),
                 qPrintable(backoffs.join(QLatin1Char('|'))));
        QVERIFY2(backoffs.contains(QStringLiteral("retrying in 40 ms (attempt 3 of 3)")),
                 qPrintable(backoffs.join(QLatin1Char('|'))));
    }

private:
    std::unique_ptr<QTemporaryDir> dirA_, dirB_;
    std::unique_ptr<Engine> a_, b_;
};

QTEST_GUILESS_MAIN(TestEngineClient)
#include "tst_engine_client.moc"
