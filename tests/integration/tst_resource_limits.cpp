// The resource manager in a real Host on loopback TCP: pending handshakes per source IP,
// inbound streams per connection, connections per peer. Each over-limit thing is refused
// early, counted, and leaves everything within the limits working.
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "engine/core/clock.h"
#include "engine/core/config_file.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/ping_service.h"
#include "engine/net/stream.h"
#include "support/loopback_engine.h"

#include <QHostAddress>
#include <QPointer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <memory>
#include <optional>
#include <vector>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {

constexpr const char* countedProtocol = "/peerscope/test/counted/1.0.0";

Multiaddr loopback() {
    return Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value();
}

} // namespace

class TestResourceLimits final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;

    Connection* dial(Host& from, const Multiaddr& to) {
        std::optional<Result<Connection*>> result;
        from.dial(to, [&](Result<Connection*> r) { result = std::move(r); });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 10000) || !*result)
            return nullptr;
        return result->value();
    }

    static std::unique_ptr<Host> listening(HostOptions options, const Clock& clock,
                                           Multiaddr* addr) {
        auto host = std::make_unique<Host>(PrivateKey::generateEd25519(), options, clock);
        *addr = host->listen(loopback()).value().withPeerId(host->peerId());
        return host;
    }

private Q_SLOTS:
    // Sockets that connect and send nothing hold a handshake each: past the per-IP limit the
    // node closes them unread, while a host from another address still dials and pings.
    void stalledHandshakesOverThePerIpLimitAreClosedAtOnce() {
        HostOptions options;
        options.resources.ipPendingHandshakes = 4;
        Multiaddr nodeAddr;
        std::unique_ptr<Host> node = listening(options, clock_, &nodeAddr);
        const auto endpoint = nodeAddr.tcpEndpoint().value();

        // From 127.0.0.2 (all of 127/8 is this machine), so the dialling host below, from
        // 127.0.0.1, is another source IP.
        constexpr int stalled = 10;
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        for (int i = 0; i < stalled; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            QVERIFY(socket->bind(QHostAddress(QStringLiteral("127.0.0.2")), 0));
            socket->connectToHost(QString::fromStdString(endpoint.host), endpoint.port);
            sockets.push_back(std::move(socket));
        }
        auto closedCount = [&] {
            int closed = 0;
            for (const auto& socket : sockets)
                closed += socket->state() == QAbstractSocket::UnconnectedState ? 1 : 0;
            return closed;
        };
        QTRY_COMPARE_WITH_TIMEOUT(closedCount(), stalled - 4, 5000);
        const ResourceManager& resources = node->resources();
        QCOMPARE(resources.refused(ResourceScope::SourceIp, Resource::PendingHandshakes), 6u);
        QCOMPARE(resources.refused(ResourceScope::System, Resource::PendingHandshakes), 0u);
        QCOMPARE(resources.ipUse("127.0.0.2", Resource::PendingHandshakes), 4u);
        QCOMPARE(resources.systemUse(Resource::PendingHandshakes), 4u);

        Host client(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        QVERIFY(dial(client, nodeAddr));
        std::optional<Result<std::vector<MonoTime>>> pinged;
        client.pingService().ping(node->peerId(), 3, 5000ms,
                                  [&](Result<std::vector<MonoTime>> r) { pinged = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(pinged.has_value(), 10000);
        QVERIFY2(*pinged, pinged->ok() ? "" : pinged->errorMessage().c_str());
        QCOMPARE((*pinged)->size(), std::size_t(3));
        // The four within the limit are still waiting for their handshakes.
        QCOMPARE(closedCount(), stalled - 4);
        QCOMPARE(resources.systemUse(Resource::InboundConnections), 1u);

        sockets.clear();
        QTRY_COMPARE_WITH_TIMEOUT(resources.systemUse(Resource::PendingHandshakes), 0u, 5000);
        QCOMPARE(resources.entryCount(ResourceScope::SourceIp), 1u); // 127.0.0.1's connection
    }

    // Stalled handshakes from many addresses, each within its per-IP limit, fill every
    // node-wide slot. A newcomer then evicts the one silent longest, but only once it has been
    // silent past the stalled age (on the node's clock): a handshake under way is never cut.
    void stalledHandshakesMakeRoomForANewcomer() {
        HostOptions options;
        options.resources.systemPendingHandshakes = 4;
        ManualClock clock;
        Multiaddr nodeAddr;
        std::unique_ptr<Host> node = listening(options, clock, &nodeAddr);
        const auto endpoint = nodeAddr.tcpEndpoint().value();
        const ResourceManager& resources = node->resources();

        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        for (int i = 0; i < 4; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            QVERIFY(socket->bind(QHostAddress(QStringLiteral("127.0.0.%1").arg(2 + i)), 0));
            socket->connectToHost(QString::fromStdString(endpoint.host), endpoint.port);
            sockets.push_back(std::move(socket));
        }
        QTRY_COMPARE_WITH_TIMEOUT(resources.systemUse(Resource::PendingHandshakes), 4u, 5000);
        const auto evicted = [&] {
            const auto& failures = node->counters().handshakeFailures;
            const auto it = failures.find("evicted");
            return it == failures.end() ? std::uint64_t{0} : it->second;
        };

        // Silent for less than the stalled age: nobody is evicted and the newcomer is refused.
        clock.advance(100ms);
        Host early(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        QVERIFY(!dial(early, nodeAddr));
        QCOMPARE(evicted(), 0u);
        QVERIFY(resources.refused(ResourceScope::System, Resource::PendingHandshakes) >= 1u);

        // Long silent: the newcomer gets a slot, dials and pings; one stalled socket is closed.
        clock.advance(1s);
        Host client(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        QVERIFY(dial(client, nodeAddr));
        QCOMPARE(evicted(), 1u);
        std::optional<Result<std::vector<MonoTime>>> pinged;
        client.pingService().ping(node->peerId(), 2, 5000ms,
                                  [&](Result<std::vector<MonoTime>> r) { pinged = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(pinged.has_value(), 10000);
        QVERIFY2(*pinged, pinged->ok() ? "" : pinged->errorMessage().c_str());
        const auto closedCount = [&] {
            int closed = 0;
            for (const auto& socket : sockets)
                closed += socket->state() == QAbstractSocket::UnconnectedState ? 1 : 0;
            return closed;
        };
        QTRY_COMPARE_WITH_TIMEOUT(closedCount(), 1, 5000);
        QCOMPARE(resources.systemUse(Resource::PendingHandshakes), 3u);
        sockets.clear();
        QTRY_COMPARE_WITH_TIMEOUT(resources.systemUse(Resource::PendingHandshakes), 0u, 5000);
    }

    // Streams past the per-connection limit are reset before any handler runs; the
    // connection and its other streams carry on.
    void inboundStreamsOverThePerConnectionLimitAreReset() {
        HostOptions options;
        options.resources.connectionInboundStreams = 5;
        Multiaddr nodeAddr;
        std::unique_ptr<Host> node = listening(options, clock_, &nodeAddr);
        int handled = 0;
        node->setStreamHandler(countedProtocol, [&](Stream* stream) {
            ++handled;
            QObject::connect(stream, &Stream::readyRead, stream,
                             [stream] { stream->write(stream->readAll()); });
        });
        Host client(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        Connection* connection = dial(client, nodeAddr);
        QVERIFY(connection);
        // Identify's streams come and go first; count only ours.
        QTRY_VERIFY_WITH_TIMEOUT(client.peerRecord(node->peerId()) &&
                                     client.peerRecord(node->peerId())->identified,
                                 5000);
        const std::uint64_t nodeSide = node->connections().front()->id();
        QTRY_COMPARE_WITH_TIMEOUT(
            node->resources().connectionUse(nodeSide, Resource::InboundStreams), 0u, 5000);

        constexpr int opened = 8;
        std::vector<QPointer<Stream>> streams;
        int failed = 0;
        for (int i = 0; i < opened; ++i)
            connection->openStream({countedProtocol}, [&](Result<Stream*> stream) {
                if (stream)
                    streams.push_back(*stream);
                else
                    ++failed;
            });
        QTRY_COMPARE_WITH_TIMEOUT(int(streams.size()) + failed, opened, 5000);
        QCOMPARE(int(streams.size()), 5);
        QCOMPARE(failed, 3);
        QCOMPARE(handled, 5);
        QCOMPARE(node->resources().refused(ResourceScope::Connection, Resource::InboundStreams),
                 3u);
        QCOMPARE(node->resources().connectionUse(nodeSide, Resource::InboundStreams), 5u);

        // The admitted streams still echo, and a closed one makes room for a new one.
        QVERIFY(connection->isOpen());
        Bytes echoed;
        Stream* first = streams.front();
        QObject::connect(first, &Stream::readyRead, first,
                         [&] { append(echoed, first->readAll()); });
        first->write(Bytes{1, 2, 3});
        QTRY_COMPARE_WITH_TIMEOUT(echoed, (Bytes{1, 2, 3}), 5000);
        streams.back()->reset();
        QTRY_COMPARE_WITH_TIMEOUT(
            node->resources().connectionUse(nodeSide, Resource::InboundStreams), 4u, 5000);
        std::optional<bool> again;
        connection->openStream({countedProtocol},
                               [&](Result<Stream*> stream) { again = stream.ok(); });
        QTRY_VERIFY_WITH_TIMEOUT(again.has_value(), 5000);
        QVERIFY(*again);
        QCOMPARE(handled, 6);
        QCOMPARE(node->resources().refused(ResourceScope::Connection, Resource::InboundStreams),
                 3u);
    }

    // The ninth connection from one peer is refused once its handshake names the peer; the
    // eight before it stay open.
    void ninthConnectionFromOnePeerIsRefused() {
        Multiaddr nodeAddr;
        std::unique_ptr<Host> node = listening(HostOptions{}, clock_, &nodeAddr);
        HostOptions generous; // the dialling side lets itself open more than 8
        generous.resources.peerConnections = 16;
        Host client(PrivateKey::generateEd25519(), generous, clock_);
        for (int i = 0; i < 8; ++i)
            QVERIFY(dial(client, nodeAddr));
        QTRY_COMPARE_WITH_TIMEOUT(node->connectionsTo(client.peerId()).size(), std::size_t(8),
                                  5000);
        dial(client, nodeAddr); // its handshake completes on our side; the node then refuses
        QTRY_COMPARE_WITH_TIMEOUT(
            node->resources().refused(ResourceScope::Peer, Resource::InboundConnections), 1u, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(client.connectionsTo(node->peerId()).size(), std::size_t(8),
                                  5000);
        QTest::qWait(200);
        QCOMPARE(node->connectionsTo(client.peerId()).size(), std::size_t(8));
        QCOMPARE(client.connectionsTo(node->peerId()).size(), std::size_t(8));
        QCOMPARE(node->resources().peerUse(client.peerId(), Resource::InboundConnections), 8u);
        QCOMPARE(node->resources().systemUse(Resource::PendingHandshakes), 0u);
        QCOMPARE(node->counters().connectionsOpened, 8u);
    }

    // The engine takes its limits from the config, changes them live, logs the first refusal
    // of a burst at once and shows the counts in its snapshot.
    void engineLogsRefusalsAndAppliesLimitsLive() {
        QTemporaryDir dir;
        EngineConfig config;
        config.resources.ipPendingHandshakes = 2;
        QVERIFY(ConfigFile(dir.filePath(QStringLiteral("config.json"))).save(config));
        Engine engine(test::loopbackOptions(dir));
        QVERIFY(engine.start());
        const auto endpoint =
            Multiaddr::parse(test::loopbackAddr(engine).toStdString())->tcpEndpoint().value();
        QList<EventSnapshot> logged;
        QObject::connect(engine.client(), &EngineClient::eventsAppended, this,
                         [&](const QList<EventSnapshot>& events) {
                             for (const EventSnapshot& event : events)
                                 if (event.kind == QLatin1String("resource_limit"))
                                     logged << event;
                         });
        std::vector<std::unique_ptr<QTcpSocket>> sockets;
        auto stall = [&](int count) {
            for (int i = 0; i < count; ++i) {
                sockets.push_back(std::make_unique<QTcpSocket>());
                sockets.back()->connectToHost(QString::fromStdString(endpoint.host), endpoint.port);
            }
        };
        auto refused = [&] {
            for (const ResourceRefusedSnapshot& r : engine.client()->snapshot().resources.refused)
                if (r.scope == QLatin1String("ip") &&
                    r.resource == QLatin1String("pending_handshakes"))
                    return r.count;
            return quint64(0);
        };
        stall(5);
        QTRY_COMPARE_WITH_TIMEOUT(refused(), quint64(3), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(logged.size(), 1, 5000);
        QCOMPARE(logged.front().detail,
                 QStringLiteral("resource limit: 1 pending handshake refused from 127.0.0.1 "
                                "(per-IP limit 2)"));
        const ResourceUseSnapshot pending = engine.client()->snapshot().resources.system.front();
        QCOMPARE(pending.resource, QStringLiteral("pending_handshakes"));
        QCOMPARE(pending.inUse, quint64(2));
        QCOMPARE(pending.limit, quint64(64));

        config.resources.ipPendingHandshakes = 4;
        std::optional<QString> applied;
        engine.client()->applyConfig(config, false, this,
                                     [&](const QString& error) { applied = error; });
        QTRY_VERIFY_WITH_TIMEOUT(applied.has_value(), 5000);
        QCOMPARE(*applied, QString());
        stall(2); // two more fit now
        QTest::qWait(300);
        QCOMPARE(refused(), quint64(3));
        QTRY_COMPARE_WITH_TIMEOUT(engine.client()->snapshot().resources.system.front().inUse,
                                  quint64(4), 5000);
        QCOMPARE(logged.size(), 1); // the other two wait for the 10 s interval
    }
};

QTEST_GUILESS_MAIN(TestResourceLimits)
#include "tst_resource_limits.moc"
