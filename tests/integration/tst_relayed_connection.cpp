// A relayed connection end to end on our own stack: relay R runs the relay service, B holds a
// reservation on R through its RelayManager and takes circuits through its RelayTransport, A
// dials B's /p2p-circuit address. The circuit is a first-class connection at both ends (ping,
// identify, streams, the relay named in its Info), B's circuit address reaches A through
// identify, the circuit's data limit ends it at both ends, and circuits are refused from a
// relay B holds no reservation on.
#include "engine/core/circuit_addr.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/health/event_log.h"
#include "engine/nat/relay_manager.h"
#include "engine/nat/relay_service.h"
#include "engine/nat/relay_transport.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/ping_service.h"
#include "engine/net/stream.h"
#include "engine/pool/connection_pool.h"
#include "engine/protocol/circuit_relay_messages.h"

#include <QTest>
#include <memory>
#include <optional>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {
constexpr const char* echoProtocol = "/peerscope/test/echo/1.0.0";
}

class TestRelayedConnection final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    std::unique_ptr<Host> r_, a_, b_;
    std::unique_ptr<RelayService> service_;
    std::unique_ptr<ConnectionPool> poolB_;
    EventLog eventsB_;
    std::unique_ptr<RelayManager> managerB_;
    std::unique_ptr<RelayTransport> transportA_, transportB_;
    Multiaddr rAddr_;

    void startRelay(RelayServiceConfig config) {
        config.enabled = true;
        service_ = std::make_unique<RelayService>(*r_, config, RelayService::Options{});
    }

    // B reserves on R and advertises the circuit address.
    Multiaddr reserveB() {
        RelayClientConfig config;
        config.relays = {rAddr_.withPeerId(r_->peerId()).toString()};
        config.automaticRelays = false;
        managerB_ = std::make_unique<RelayManager>(*b_, *poolB_, eventsB_, config);
        managerB_->setProbeInterval(200ms);
        if (!QTest::qWaitFor([&] { return !managerB_->circuitAddrs().empty(); }, 10000))
            return {};
        return managerB_->circuitAddrs().front().withPeerId(b_->peerId());
    }

    Connection* dial(Host& from, const Multiaddr& addr, std::string* error = nullptr) {
        std::optional<Result<Connection*>> result;
        from.dial(addr, [&](Result<Connection*> r) { result = std::move(r); });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 15000))
            return nullptr;
        if (!*result) {
            if (error)
                *error = result->errorMessage();
            return nullptr;
        }
        return result->value();
    }

private Q_SLOTS:
    void init() {
        r_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        a_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        b_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        rAddr_ = r_->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()).value();
        QVERIFY(b_->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()).ok());
        poolB_ = std::make_unique<ConnectionPool>(*b_, ConnectionConfig{}, RetryConfig{}, 1);
        transportA_ = std::make_unique<RelayTransport>(*a_);
        transportB_ = std::make_unique<RelayTransport>(*b_);
        transportB_->setAcceptPolicy(
            [this](const PeerId& relay) { return managerB_ && managerB_->hasReservation(relay); });
        b_->setStreamHandler(echoProtocol, [](Stream* stream) {
            connect(stream, &Stream::readyRead, stream,
                    [stream] { stream->write(stream->readAll()); });
            connect(stream, &Stream::remoteClosed, stream, [stream] { stream->closeWrite(); });
        });
    }

    void cleanup() {
        managerB_.reset();
        transportA_.reset();
        transportB_.reset();
        service_.reset();
        poolB_.reset();
        a_.reset();
        b_.reset();
        r_.reset();
    }

    void aReachesBThroughTheRelay() {
        startRelay(RelayServiceConfig{});
        const Multiaddr circuit = reserveB();
        QVERIFY(!circuit.empty());
        QVERIFY(CircuitAddr::isCircuit(circuit));
        // B says so in identify: its circuit address is among its listen addresses.
        const std::vector<Multiaddr> advertised = b_->extraListenAddrs();
        QCOMPARE(advertised.size(), std::size_t(1));

        std::string error;
        Connection* atA = dial(*a_, circuit, &error);
        QVERIFY2(atA, error.c_str());
        QCOMPARE(atA->remotePeer(), b_->peerId());
        QCOMPARE(atA->info().relay, std::optional<PeerId>(r_->peerId()));
        QVERIFY(CircuitAddr::isCircuit(atA->info().remoteAddr));
        QTRY_VERIFY_WITH_TIMEOUT(!b_->connectionsTo(a_->peerId()).empty(), 5000);
        Connection* atB = b_->connectionsTo(a_->peerId()).front();
        QCOMPARE(atB->info().relay, std::optional<PeerId>(r_->peerId()));
        QCOMPARE(atB->info().direction, Direction::Inbound);
        QVERIFY(transportA_->limitOf(atA->id()).has_value()); // 2 min, 128 KiB by default
        QCOMPARE(*transportA_->limitOf(atA->id())->limit.dataBytes, std::uint64_t(128 * 1024));

        // Identify ran over the circuit: A knows B's addresses, the circuit one included.
        QTRY_VERIFY_WITH_TIMEOUT(
            a_->peerRecord(b_->peerId()) && a_->peerRecord(b_->peerId())->identified, 5000);
        const std::vector<Multiaddr>& listen = a_->peerRecord(b_->peerId())->listenAddrs;
        QVERIFY(std::find(listen.begin(), listen.end(), advertised.front()) != listen.end());

        // Ping and a stream over it.
        std::optional<Result<std::vector<MonoTime>>> rtts;
        a_->pingService().ping(atA, 3, 5000ms,
                               [&](Result<std::vector<MonoTime>> r) { rtts = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(rtts.has_value(), 10000);
        QVERIFY2(rtts->ok(), rtts->ok() ? "" : rtts->errorMessage().c_str());
        QCOMPARE(rtts->value().size(), std::size_t(3));
        std::optional<Result<Stream*>> opened;
        atA->openStream({echoProtocol}, [&](Result<Stream*> r) { opened = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(opened.has_value(), 5000);
        QVERIFY(opened->ok());
        Stream* stream = opened->value();
        Bytes echoed;
        connect(stream, &Stream::readyRead, this, [&] { append(echoed, stream->readAll()); });
        const Bytes hello = toBytes("hello through a relay");
        stream->write(ByteView(hello.data(), hello.size()));
        QTRY_COMPARE_WITH_TIMEOUT(echoed, hello, 5000);
        QCOMPARE(transportA_->counters().dialsSucceeded, std::uint64_t(1));
        QCOMPARE(transportB_->counters().inboundAccepted, std::uint64_t(1));
    }

    void dataLimitEndsTheCircuitAtBothEnds() {
        RelayServiceConfig config;
        config.circuitDataBytes = 64 * 1024;
        startRelay(config);
        const Multiaddr circuit = reserveB();
        QVERIFY(!circuit.empty());
        Connection* atA = dial(*a_, circuit);
        QVERIFY(atA);
        QTRY_VERIFY_WITH_TIMEOUT(!b_->connectionsTo(a_->peerId()).empty(), 5000);
        QStringList closedAtA;
        connect(transportA_.get(), &RelayTransport::circuitEvent, this,
                [&](const QString& kind, const PeerId&, quint64, const QString& detail) {
                    if (kind == QLatin1String("circuit_closed"))
                        closedAtA << detail;
                });
        QPointer<Connection> a = atA;
        QPointer<Connection> b = b_->connectionsTo(a_->peerId()).front();
        std::optional<Result<Stream*>> opened;
        atA->openStream({echoProtocol}, [&](Result<Stream*> r) { opened = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(opened.has_value() && opened->ok(), 5000);
        const Bytes big(256 * 1024, 0x42);
        opened->value()->write(ByteView(big.data(), big.size()));
        QTRY_VERIFY_WITH_TIMEOUT(!a || !a->isOpen(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!b || !b->isOpen(), 10000);
        // A says why: the circuit's data limit, not just a reset.
        QTRY_COMPARE_WITH_TIMEOUT(closedAtA.size(), 1, 5000);
        QVERIFY2(
            closedAtA.front().contains(QLatin1String("data limit reached (65536 bytes each way)")),
            qPrintable(closedAtA.front()));
        // The direct connections to the relay are untouched.
        QVERIFY(!a_->connectionsTo(r_->peerId()).empty());
        QVERIFY(!b_->connectionsTo(r_->peerId()).empty());
    }

    void circuitsFromAnUnchosenRelayAreRefused() {
        startRelay(RelayServiceConfig{});
        const Multiaddr circuit = reserveB();
        QVERIFY(!circuit.empty());
        // B stops accepting through R (as if it had let the reservation go).
        transportB_->setAcceptPolicy([](const PeerId&) { return false; });
        std::string error;
        QVERIFY(!dial(*a_, circuit, &error));
        QVERIFY2(error.find("CONNECTION_FAILED") != std::string::npos, error.c_str());
        QCOMPARE(transportB_->counters().inboundRefused, std::uint64_t(1));
        QVERIFY(b_->connectionsTo(a_->peerId()).empty());
    }

    void malformedStopMessagesAreAnsweredAndCloseThatStreamOnly() {
        // R, connected to B, sends B garbage on a stop stream, then an unexpected STATUS.
        startRelay(RelayServiceConfig{});
        QVERIFY(!reserveB().empty());
        Connection* bAtR = r_->connectionsTo(b_->peerId()).front();
        const std::uint64_t refusedBefore = transportB_->counters().inboundRefused;
        const struct {
            Bytes bytes;
            RelayStatus expected;
        } cases[] = {
            {Bytes{0x03, 0xff, 0xff, 0xff}, RelayStatus::MalformedMessage},
            {RelayStopMessage{RelayStopMessage::Type::Status, std::nullopt, std::nullopt,
                              RelayStatus::Ok}
                 .encodeFrame(),
             RelayStatus::UnexpectedMessage},
        };
        for (const auto& [bytes, expected] : cases) {
            std::optional<Result<Stream*>> opened;
            bAtR->openStream({circuitRelayStopProtocolId},
                             [&](Result<Stream*> r) { opened = std::move(r); });
            QTRY_VERIFY_WITH_TIMEOUT(opened.has_value(), 5000);
            QVERIFY(opened->ok());
            QPointer<Stream> stream = opened->value();
            Bytes answer;
            connect(stream, &Stream::readyRead, this, [&] { append(answer, stream->readAll()); });
            stream->write(ByteView(bytes.data(), bytes.size()));
            QTRY_VERIFY_WITH_TIMEOUT(!answer.empty() && (!stream || stream->isReadClosed()), 5000);
            const RelayFrame<RelayStopMessage> frame = decodeStopFrame(answer);
            QCOMPARE(frame.status, RelayFrameStatus::Message);
            QVERIFY(frame.message.status);
            QCOMPARE(*frame.message.status, expected);
        }
        QCOMPARE(transportB_->counters().inboundRefused, refusedBefore + 2);
        // The connection that carried them, and B's reservation, live on.
        QVERIFY(bAtR->isOpen());
        QVERIFY(managerB_->hasReservation(r_->peerId()));
    }

    void badCircuitAddressesAreNamed() {
        std::string error;
        QVERIFY(!dial(*a_,
                      Multiaddr::parse("/p2p/" + r_->peerId().toBase58() + "/p2p-circuit").value(),
                      &error));
        QVERIFY2(error.find("names no target") != std::string::npos, error.c_str());
        QVERIFY(!dial(*a_,
                      Multiaddr::parse("/p2p/" + r_->peerId().toBase58() + "/p2p-circuit/p2p/" +
                                       b_->peerId().toBase58())
                          .value(),
                      &error));
        QVERIFY2(error.find("not connected to the relay") != std::string::npos, error.c_str());
    }
};

QTEST_GUILESS_MAIN(TestRelayedConnection)
#include "tst_relayed_connection.moc"
