// The connection pool over real Hosts on loopback TCP in one process: several connections per
// peer, a transfer that survives losing one of them, refilling to the minimum, retries that give
// up, limits, and trimming that keeps protected peers and the healthiest connections.
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/perf_service.h"
#include "engine/net/stream.h"
#include "engine/pool/connection_pool.h"
#include "engine/protocol/ping_exchange.h"

#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>
#include <map>
#include <memory>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {

constexpr int kTimeoutMs = 10000;

// Serves perf: the transfer tests pull data from it.
HostOptions servingPerf() {
    HostOptions options;
    options.servePerf = true;
    return options;
}

struct Node {
    explicit Node(const Clock& clock)
        : host(std::make_unique<Host>(PrivateKey::generateEd25519(), servingPerf(), clock)) {
        addr = host->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()).value();
    }
    Multiaddr dialAddr() const { return addr.withPeerId(host->peerId()); }
    std::unique_ptr<Host> host;
    Multiaddr addr;
};

ConnectionConfig fastConfig() {
    ConnectionConfig config;
    config.connectionTimeout = ConnectionConfig::Seconds(5);
    config.gracePeriod = ConnectionConfig::Seconds(0);
    return config;
}

RetryConfig fastRetry() {
    RetryConfig retry;
    retry.initialDelay = RetryConfig::Seconds(0.01);
    retry.maxDelay = RetryConfig::Seconds(0.05);
    return retry;
}

// Opens the pool's connections to `node` and waits for them.
std::vector<Connection*> dialAll(ConnectionPool& pool, const Node& node) {
    std::optional<Result<std::vector<Connection*>>> result;
    pool.dialPeer(node.dialAddr(),
                  [&](Result<std::vector<Connection*>> r) { result = std::move(r); });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, kTimeoutMs) || !*result)
        return {};
    return **result;
}

} // namespace

class TestConnectionPool final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void dialOpensConfiguredCountToOnePeer() {
        SteadyClock clock;
        Node a(clock), b(clock);
        ConnectionPool pool(*a.host, fastConfig(), fastRetry(), 1);
        const std::vector<Connection*> connections = dialAll(pool, b);
        QCOMPARE(connections.size(), std::size_t(3));
        QCOMPARE(pool.connections(b.host->peerId()).size(), std::size_t(3));
        QCOMPARE(pool.connectionsMap().size(), std::size_t(1));
        QTRY_COMPARE_WITH_TIMEOUT(b.host->connectionsTo(a.host->peerId()).size(), std::size_t(3),
                                  kTimeoutMs);
        // Dialling again adds nothing: the peer is at max_connections_per_peer.
        QCOMPARE(dialAll(pool, b).size(), std::size_t(3));
        QCOMPARE(a.host->counters().dialsSucceeded, 3u);
        QVERIFY(pool.isWanted(b.host->peerId()));
    }

    void roundRobinSpreadsStreamsOverConnections() {
        SteadyClock clock;
        Node a(clock), b(clock);
        ConnectionPool pool(*a.host, fastConfig(), fastRetry(), 1);
        QCOMPARE(dialAll(pool, b).size(), std::size_t(3));
        std::map<std::uint64_t, int> perConnection;
        for (int i = 0; i < 6; ++i) {
            Connection* picked = pool.connection(b.host->peerId());
            QVERIFY(picked);
            ++perConnection[picked->id()];
        }
        QCOMPARE(perConnection.size(), std::size_t(3));
        for (const auto& [id, count] : perConnection)
            QCOMPARE(count, 2);
    }

    void transferSurvivesLosingOneOfThreeAndPoolRefills() {
        SteadyClock clock;
        Node a(clock), b(clock);
        ConnectionConfig config = fastConfig();
        config.minConnectionsPerPeer = 3;
        ConnectionPool pool(*a.host, config, fastRetry(), 1);
        QCOMPARE(dialAll(pool, b).size(), std::size_t(3));

        // 24 chunks of 1 MiB, each on its own perf stream chosen by the pool; a chunk whose
        // connection dies under it is sent again (as an application would).
        const PeerId peer = b.host->peerId();
        constexpr int chunks = 24;
        int done = 0, resent = 0, inFlight = 0, next = 0;
        std::set<std::uint64_t> usedConnections;
        std::function<void(int)> send = [&](int chunk) {
            ++inFlight;
            Connection* connection = pool.connection(peer);
            QVERIFY(connection);
            usedConnections.insert(connection->id());
            a.host->perfService().run(connection, 1 << 20, 0, [&, chunk](Result<PerfResult> r) {
                --inFlight;
                if (r) {
                    ++done;
                } else {
                    ++resent;
                    send(chunk);
                }
            });
        };
        for (; next < 6; ++next)
            send(next);
        // Once a few chunks are through, B drops one of its three connections.
        QVERIFY(QTest::qWaitFor([&] { return done >= 2; }, kTimeoutMs));
        std::vector<Connection*> onB = b.host->connectionsTo(a.host->peerId());
        QCOMPARE(onB.size(), std::size_t(3));
        onB.front()->close(QStringLiteral("test drops a connection"));
        for (; next < chunks; ++next)
            send(next);
        QVERIFY2(QTest::qWaitFor([&] { return done == chunks && inFlight == 0; }, kTimeoutMs * 3),
                 qPrintable(QStringLiteral("%1 of %2 done").arg(done).arg(chunks)));
        QVERIFY(usedConnections.size() >= 3);
        // The pool dials a replacement: back to min_connections_per_peer.
        QTRY_COMPARE_WITH_TIMEOUT(pool.connections(peer).size(), std::size_t(3), kTimeoutMs);
        QCOMPARE(a.host->counters().connectionsClosed, 1u);
        QVERIFY(a.host->counters().dialsSucceeded >= 4u);
        qInfo("chunks resent after the connection loss: %d", resent);
    }

    void streamOpenMovesToTheNextConnection() {
        SteadyClock clock;
        Node a(clock), b(clock);
        ConnectionPool pool(*a.host, fastConfig(), fastRetry(), 1);
        QCOMPARE(dialAll(pool, b).size(), std::size_t(3));
        // B drops the connection round robin will pick first (A's lowest id). A has not read
        // the news yet when it asks for a stream, so the open fails there and must move on.
        std::vector<Connection*> mine = pool.connections(b.host->peerId());
        Connection* first =
            *std::min_element(mine.begin(), mine.end(),
                              [](Connection* x, Connection* y) { return x->id() < y->id(); });
        for (Connection* theirs : b.host->connectionsTo(a.host->peerId()))
            if (theirs->info().remoteAddr == first->info().localAddr)
                theirs->close(QStringLiteral("test drops it"));
        QVERIFY(first->isOpen());
        std::optional<Result<Stream*>> opened;
        pool.newStream(b.host->peerId(), {"/ipfs/ping/1.0.0"},
                       [&](Result<Stream*> r) { opened = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(opened.has_value(), kTimeoutMs);
        QVERIFY2(opened->ok(), opened->ok() ? "" : opened->errorMessage().c_str());
        QVERIFY((**opened)->connection() != first);
        QCOMPARE(pool.counters().streamRetries, 1u);
    }

    void retriesGiveUpAfterMaxRetries() {
        SteadyClock clock;
        Node a(clock);
        // A port nobody listens on: bind, note the port, close.
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 port = probe.serverPort();
        probe.close();
        RetryConfig retry = fastRetry();
        retry.maxRetries = 2;
        ConnectionPool pool(*a.host, fastConfig(), retry, 1);
        QSignalSpy events(&pool, &ConnectionPool::poolEvent);
        const PeerId nobody = PeerId::fromPublicKey(PrivateKey::generateEd25519().publicKey());
        std::optional<Result<std::vector<Connection*>>> result;
        pool.dialPeer(Multiaddr::fromTcpEndpoint("127.0.0.1", port).withPeerId(nobody),
                      [&](Result<std::vector<Connection*>> r) { result = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), kTimeoutMs);
        QVERIFY(!*result);
        QVERIFY2(result->errorMessage().find("(3 attempts)") != std::string::npos,
                 result->errorMessage().c_str());
        QCOMPARE(pool.counters().dialsFailed, 3u);
        QCOMPARE(pool.counters().retries, 2u);
        int retryEvents = 0;
        for (const QList<QVariant>& event : events)
            retryEvents += event.at(0).toString() == QLatin1String("retry") ? 1 : 0;
        QCOMPARE(retryEvents, 2);
        QVERIFY(!pool.isWanted(nobody)); // never reached: not kept
    }

    void perPeerLimitClosesTheExtraInbound() {
        SteadyClock clock;
        Node a(clock), b(clock);
        ConnectionConfig limited = fastConfig();
        limited.maxConnectionsPerPeer = 2;
        ConnectionPool poolB(*b.host, limited, fastRetry(), 2);      // B accepts at most 2 from A
        ConnectionPool poolA(*a.host, fastConfig(), fastRetry(), 1); // A wants 3
        dialAll(poolA, b);
        QTRY_COMPARE_WITH_TIMEOUT(b.host->connectionsTo(a.host->peerId()).size(), std::size_t(2),
                                  kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(poolB.counters().refusedOverLimit >= 1u, kTimeoutMs);
    }

    void trimmingKeepsProtectedPeersAndHealthiestConnections() {
        SteadyClock clock;
        Node a(clock), b1(clock), b2(clock), b3(clock);
        ConnectionConfig config = fastConfig();
        config.maxConnectionsPerPeer = 2;
        config.minConnectionsPerPeer = 0;
        config.highWater = 100; // no trimming while we set up
        config.lowWater = 3;
        ConnectionPool pool(*a.host, config, fastRetry(), 1);
        for (Node* node : {&b1, &b2, &b3})
            QCOMPARE(dialAll(pool, *node).size(), std::size_t(2));
        QCOMPARE(pool.connections().size(), std::size_t(6));

        // Scores by connection id: the higher the id, the healthier.
        pool.setHealthLookup([](std::uint64_t id) {
            ConnectionHealthView view;
            view.score = 0.1 * static_cast<double>(id);
            return std::optional<ConnectionHealthView>(view);
        });
        pool.setProtected(b1.host->peerId(), true);
        config.highWater = 4;
        pool.setConfig(config, fastRetry());
        QCOMPARE(pool.trim(), 3); // 6 -> 3
        QTRY_COMPARE_WITH_TIMEOUT(pool.connections().size(), std::size_t(3), kTimeoutMs);
        // b1 (protected) keeps both; of the other four, the healthiest (highest id) survives.
        QCOMPARE(pool.connections(b1.host->peerId()).size(), std::size_t(2));
        std::uint64_t highestOther = 0;
        for (Node* node : {&b2, &b3})
            for (Connection* c : a.host->connectionsTo(node->host->peerId()))
                highestOther = std::max(highestOther, c->id());
        std::vector<Connection*> left = pool.connections();
        QVERIFY(std::any_of(left.begin(), left.end(),
                            [&](Connection* c) { return c->id() == highestOther; }));
        QCOMPARE(pool.counters().trimmed, 3u);
    }

    void disconnectStopsKeepingThePeer() {
        SteadyClock clock;
        Node a(clock), b(clock);
        ConnectionPool pool(*a.host, fastConfig(), fastRetry(), 1);
        QCOMPARE(dialAll(pool, b).size(), std::size_t(3));
        pool.disconnectPeer(b.host->peerId(), QStringLiteral("user"));
        QTRY_VERIFY_WITH_TIMEOUT(pool.connections(b.host->peerId()).empty(), kTimeoutMs);
        QVERIFY(!pool.isWanted(b.host->peerId()));
        // Nothing comes back on its own.
        QTest::qWait(300);
        QVERIFY(pool.connections(b.host->peerId()).empty());
    }

    // idle_timeout closes connections without user streams, down to the peer's minimum; the
    // health monitor's ping stream is housekeeping and does not keep a connection open.
    void idleConnectionsCloseUnlessAUserStreamIsOpen() {
        SteadyClock clock;
        Node a(clock), b(clock);
        ConnectionConfig config = fastConfig();
        config.idleTimeout = ConnectionConfig::Seconds(1);
        ConnectionPool pool(*a.host, config, fastRetry(), 1);
        QSignalSpy poolEvents(&pool, &ConnectionPool::poolEvent);
        const std::vector<Connection*> connections = dialAll(pool, b);
        QCOMPARE(connections.size(), std::size_t(3));
        std::vector<QPointer<Connection>> held(connections.begin(), connections.end());
        // Each connection starts with identify both ways; let those streams finish, so the
        // counts below see only the streams this test opens.
        for (const QPointer<Connection>& connection : held)
            QTRY_COMPARE_WITH_TIMEOUT(connection->streamCount(), std::size_t(0), kTimeoutMs);
        QPointer<Stream> user, housekeeping;
        held[0]->openStream({pingProtocolId}, [&](Result<Stream*> s) {
            if (s)
                user = *s;
        });
        held[1]->openStream({pingProtocolId}, [&](Result<Stream*> s) {
            if (s) {
                housekeeping = *s;
                housekeeping->markHousekeeping();
            }
        });
        QTRY_VERIFY_WITH_TIMEOUT(user && housekeeping, kTimeoutMs);
        QCOMPARE(held[0]->activeStreamCount(), std::size_t(1));
        QCOMPARE(held[1]->activeStreamCount(), std::size_t(0));
        QCOMPARE(held[1]->streamCount(), std::size_t(1));

        QTRY_VERIFY_WITH_TIMEOUT(!held[1] || !held[1]->isOpen(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(!held[2] || !held[2]->isOpen(), kTimeoutMs);
        QVERIFY(held[0] && held[0]->isOpen());
        int idleEvents = 0;
        for (const QList<QVariant>& event : poolEvents)
            idleEvents += event.at(0).toString() == QLatin1String("idle");
        QCOMPARE(idleEvents, 2);
        // Once its user stream is gone, the last one stays too: the peer's minimum is 1.
        user->reset();
        QTest::qWait(2500);
        QCOMPARE(pool.connections(b.host->peerId()).size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestConnectionPool)
#include "tst_connection_pool.moc"
