// A relay switch as a user makes it ("use this relay"), on our own stack end to end: relays R1
// and R2 run the relay service, B holds reservations on both, A holds one on one of them and
// has a relayed connection to B through it. After A switches to the other relay:
// - A's new circuit address reaches a peer watching A (identify push) within a second;
// - A's relayed connection to B is dialled again through the new relay and the old one is
//   drained: the user stream open on it keeps working, new streams go the new way, and the
//   old connection closes once that stream has ended;
// - the pool keeps B at its new address.
#include "engine/core/circuit_addr.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/health/event_log.h"
#include "engine/nat/relay_manager.h"
#include "engine/nat/relay_service.h"
#include "engine/nat/relay_transport.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/stream.h"
#include "engine/pool/connection_pool.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QTest>
#include <memory>
#include <optional>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {

constexpr const char* echoProtocol = "/peerscope/test/echo/1.0.0";
constexpr int kTimeoutMs = 15000;

// A peer with what EngineCore gives it for relaying: pool, relay manager, relay transport.
struct RelayClient {
    std::unique_ptr<Host> host;
    std::unique_ptr<ConnectionPool> pool;
    EventLog events;
    std::unique_ptr<RelayManager> manager;
    std::unique_ptr<RelayTransport> transport;
    std::vector<QString> poolEvents;

    RelayClient(const Clock& clock, ConnectionConfig connection) {
        host = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock);
        pool = std::make_unique<ConnectionPool>(*host, connection, RetryConfig{}, 1);
        transport = std::make_unique<RelayTransport>(*host);
        transport->setAcceptPolicy(
            [this](const PeerId& relay) { return manager && manager->hasReservation(relay); });
        QObject::connect(
            pool.get(), &ConnectionPool::poolEvent, pool.get(),
            [this](const QString& kind, const PeerId&, quint64, const QString& detail) {
                poolEvents.push_back(kind);
                qInfo("pool event %s: %s", qPrintable(kind), qPrintable(detail));
            });
    }

    void startManager(RelayClientConfig config) {
        config.automaticRelays = false;
        manager = std::make_unique<RelayManager>(*host, *pool, events, config);
        manager->setProbeInterval(200ms);
    }

    std::vector<PeerId> reservedOn() const {
        std::vector<PeerId> out;
        for (const RelayInfo& info : manager->relays())
            if (info.state == ReservationState::Reserved)
                out.push_back(info.peer);
        return out;
    }

    ~RelayClient() {
        manager.reset();
        transport.reset();
        pool.reset();
        host.reset();
    }
};

bool listsCircuitVia(const std::vector<Multiaddr>& addrs, const PeerId& relay) {
    return std::any_of(addrs.begin(), addrs.end(), [&](const Multiaddr& addr) {
        Result<CircuitAddr> circuit = CircuitAddr::parse(addr);
        return circuit && circuit->relay == relay;
    });
}

} // namespace

class TestRelaySwitch final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    std::unique_ptr<Host> r1_, r2_, watcher_;
    std::unique_ptr<RelayService> service1_, service2_;
    std::unique_ptr<RelayClient> a_, b_;
    Multiaddr r1Addr_, r2Addr_;

    Multiaddr relayAddr(const Host& relay) const {
        return (&relay == r1_.get() ? r1Addr_ : r2Addr_).withPeerId(relay.peerId());
    }

private Q_SLOTS:
    void init() {
        const Multiaddr any = Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value();
        r1_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        r2_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        watcher_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        r1Addr_ = r1_->listen(any).value();
        r2Addr_ = r2_->listen(any).value();
        RelayServiceConfig service;
        service.enabled = true;
        service1_ = std::make_unique<RelayService>(*r1_, service, RelayService::Options{});
        service2_ = std::make_unique<RelayService>(*r2_, service, RelayService::Options{});

        ConnectionConfig connection;
        connection.minConnectionsPerPeer = 1;
        connection.maxConnectionsPerPeer = 1; // the replacement must fit beside the old one
        a_ = std::make_unique<RelayClient>(clock_, connection);
        connection.maxConnectionsPerPeer = 2; // B takes the new connection beside the old
        b_ = std::make_unique<RelayClient>(clock_, connection);
        QVERIFY(a_->host->listen(any).ok());
        b_->host->setStreamHandler(echoProtocol, [](Stream* stream) {
            connect(stream, &Stream::readyRead, stream,
                    [stream] { stream->write(stream->readAll()); });
            connect(stream, &Stream::remoteClosed, stream, [stream] { stream->closeWrite(); });
        });

        RelayClientConfig both;
        both.relays = {relayAddr(*r1_).toString(), relayAddr(*r2_).toString()};
        both.reservations = 2;
        b_->startManager(both);
        RelayClientConfig one = both;
        one.reservations = 1;
        a_->startManager(one);
    }

    void cleanup() {
        a_.reset();
        b_.reset();
        service1_.reset();
        service2_.reset();
        watcher_.reset();
        r1_.reset();
        r2_.reset();
    }

    void switchMovesTheAddressAndTheConnectionsWithoutCuttingAStream() {
        QTRY_COMPARE_WITH_TIMEOUT(b_->reservedOn().size(), std::size_t(2), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(a_->reservedOn().size(), std::size_t(1), kTimeoutMs);
        const PeerId from = a_->reservedOn().front();
        const PeerId to = from == r1_->peerId() ? r2_->peerId() : r1_->peerId();
        const Host& fromRelay = from == r1_->peerId() ? *r1_ : *r2_;

        // A peer that watches A's addresses, directly connected.
        std::optional<Result<Connection*>> watching;
        watcher_->dial(a_->host->listenAddrs().front().withPeerId(a_->host->peerId()),
                       [&](Result<Connection*> r) { watching = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(watching && watching->ok(), kTimeoutMs);
        auto watchedAddrs = [&] {
            const PeerRecord* record = watcher_->peerRecord(a_->host->peerId());
            return record ? record->listenAddrs : std::vector<Multiaddr>{};
        };
        QTRY_VERIFY_WITH_TIMEOUT(listsCircuitVia(watchedAddrs(), from), kTimeoutMs);

        // A reaches B through its relay, with the pool, and opens a stream.
        const Multiaddr viaFrom =
            CircuitAddr{relayAddr(fromRelay).withoutPeerId(), from, b_->host->peerId()}
                .toMultiaddr();
        std::optional<Result<std::vector<Connection*>>> dialled;
        a_->pool->dialPeer(viaFrom, [&](Result<std::vector<Connection*>> r) { dialled = r; });
        QTRY_VERIFY_WITH_TIMEOUT(dialled.has_value(), kTimeoutMs);
        QVERIFY2(dialled->ok(), dialled->ok() ? "" : dialled->errorMessage().c_str());
        QCOMPARE(dialled->value().size(), std::size_t(1));
        QPointer<Connection> old = dialled->value().front();
        QCOMPARE(old->info().relay, std::optional<PeerId>(from));
        std::optional<Result<Stream*>> opened;
        a_->pool->newStream(b_->host->peerId(), {echoProtocol},
                            [&](Result<Stream*> r) { opened = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(opened.has_value(), kTimeoutMs);
        QVERIFY(opened->ok());
        QPointer<Stream> stream = opened->value();
        QCOMPARE(stream->connection(), old.data());
        Bytes echoed;
        connect(stream, &Stream::readyRead, this, [&] { append(echoed, stream->readAll()); });
        const Bytes before = toBytes("before the switch");
        stream->write(ByteView(before.data(), before.size()));
        QTRY_COMPARE_WITH_TIMEOUT(echoed, before, kTimeoutMs);

        // "Use this relay".
        QVERIFY(!listsCircuitVia(watchedAddrs(), to));
        QElapsedTimer sinceSwitch;
        sinceSwitch.start();
        QVERIFY(a_->manager->prefer(to));
        QTRY_VERIFY_WITH_TIMEOUT(listsCircuitVia(watchedAddrs(), to), kTimeoutMs);
        const qint64 advertisedMs = sinceSwitch.elapsed();
        qInfo("new circuit address at the watching peer %lld ms after the switch", advertisedMs);
        QVERIFY2(advertisedMs < 1000, qPrintable(QString::number(advertisedMs)));
        QTRY_VERIFY_WITH_TIMEOUT(!listsCircuitVia(watchedAddrs(), from), kTimeoutMs);

        // The connection to B is dialled again through the new relay; the old one drains.
        auto throughNewRelay = [&]() -> Connection* {
            for (Connection* c : a_->host->connectionsTo(b_->host->peerId()))
                if (c->isOpen() && c->info().relay == to)
                    return c;
            return nullptr;
        };
        QTRY_VERIFY_WITH_TIMEOUT(throughNewRelay() != nullptr, kTimeoutMs);
        QVERIFY(old && old->isOpen());
        QVERIFY(a_->pool->isDraining(old->id()));
        QVERIFY(std::find(a_->poolEvents.begin(), a_->poolEvents.end(),
                          QStringLiteral("replaced")) != a_->poolEvents.end());

        // The stream on the old connection still works...
        echoed.clear();
        const Bytes after = toBytes("after the switch, same stream");
        stream->write(ByteView(after.data(), after.size()));
        QTRY_COMPARE_WITH_TIMEOUT(echoed, after, kTimeoutMs);
        // ...while new streams take the new way.
        std::optional<Result<Stream*>> second;
        a_->pool->newStream(b_->host->peerId(), {echoProtocol},
                            [&](Result<Stream*> r) { second = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(second.has_value(), kTimeoutMs);
        QVERIFY(second->ok());
        QCOMPARE(second->value()->connection()->info().relay, std::optional<PeerId>(to));
        second->value()->reset();

        // Once the user's stream ends, the old connection goes; B stays reached the new way.
        stream->closeWrite();
        QTRY_VERIFY_WITH_TIMEOUT(!old || !old->isOpen(), kTimeoutMs);
        QCOMPARE(a_->host->connectionsTo(b_->host->peerId()).size(), std::size_t(1));
        QPointer<Connection> replacement = throughNewRelay();
        QVERIFY(replacement);
        // The pool keeps B at its new address: a closed connection is redialled through `to`.
        replacement->close(QStringLiteral("test: redial"));
        QTRY_VERIFY_WITH_TIMEOUT(throughNewRelay() != nullptr, kTimeoutMs);
    }

    void aConnectionThatCannotMoveStaysWhereItIs() {
        QTRY_COMPARE_WITH_TIMEOUT(b_->reservedOn().size(), std::size_t(2), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(a_->reservedOn().size(), std::size_t(1), kTimeoutMs);
        const PeerId from = a_->reservedOn().front();
        const PeerId to = from == r1_->peerId() ? r2_->peerId() : r1_->peerId();
        const Host& fromRelay = from == r1_->peerId() ? *r1_ : *r2_;
        // B takes no circuits through the relay A is about to switch to.
        b_->transport->setAcceptPolicy([from](const PeerId& relay) { return relay == from; });
        const Multiaddr viaFrom =
            CircuitAddr{relayAddr(fromRelay).withoutPeerId(), from, b_->host->peerId()}
                .toMultiaddr();
        std::optional<Result<std::vector<Connection*>>> dialled;
        a_->pool->dialPeer(viaFrom, [&](Result<std::vector<Connection*>> r) { dialled = r; });
        QTRY_VERIFY_WITH_TIMEOUT(dialled.has_value() && dialled->ok(), kTimeoutMs);
        QPointer<Connection> old = dialled->value().front();

        QVERIFY(a_->manager->prefer(to));
        QTRY_VERIFY_WITH_TIMEOUT(std::find(a_->poolEvents.begin(), a_->poolEvents.end(),
                                           QStringLiteral("replace_failed")) !=
                                     a_->poolEvents.end(),
                                 kTimeoutMs);
        QVERIFY(old && old->isOpen());
        QVERIFY(!a_->pool->isDraining(old->id())); // still the one new streams use
        QCOMPARE(a_->host->connectionsTo(b_->host->peerId()).size(), std::size_t(1));
    }
};

QTEST_GUILESS_MAIN(TestRelaySwitch)
#include "tst_relay_switch.moc"
