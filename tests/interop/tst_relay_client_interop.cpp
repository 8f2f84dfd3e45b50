// Our relay client against js-libp2p's relay server (@libp2p/circuit-relay-v2's
// circuitRelayServer, in tests/interop/relay-peer.mjs --serve-relay): PeerScope B reserves on
// the js relay with its RelayManager (the voucher js signs verifies), advertises the circuit
// address, and takes circuits through its RelayTransport; a js peer and a PeerScope peer each
// reach B through the js relay, with ping and identify over the circuit; js's data limit
// (128 KiB each way) ends a circuit, and both ends see it.
#include "engine/core/circuit_addr.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/health/event_log.h"
#include "engine/nat/relay_manager.h"
#include "engine/nat/relay_transport.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/ping_service.h"
#include "engine/net/stream.h"
#include "engine/pool/connection_pool.h"
#include "interop/js_peer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QPointer>
#include <QTest>
#include <memory>
#include <optional>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {
constexpr const char* sinkProtocol = "/peerscope/sink/1.0.0"; // relay-peer.mjs's
}

class TestRelayClientInterop final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    std::unique_ptr<test::JsPeer> relay_, jsA_;
    std::unique_ptr<Host> b_, a_;
    std::unique_ptr<ConnectionPool> poolB_;
    EventLog eventsB_;
    std::unique_ptr<RelayManager> managerB_;
    std::unique_ptr<RelayTransport> transportB_, transportA_;
    std::uint64_t sunk_ = 0;

    void startJs(std::unique_ptr<test::JsPeer>& js, QStringList args) {
        js = std::make_unique<test::JsPeer>();
        js->setScript(QStringLiteral("relay-peer.mjs"));
        QVERIFY2(js->start(args, 30000), qPrintable(js->diagnostics()));
    }

    // B's circuit address through the js relay, once reserved.
    QString reserveB() {
        RelayClientConfig config;
        config.relays = {relay_->addrs().first().toStdString()};
        config.automaticRelays = false;
        managerB_ = std::make_unique<RelayManager>(*b_, *poolB_, eventsB_, config);
        if (!QTest::qWaitFor([&] { return !managerB_->circuitAddrs().empty(); }, 15000))
            return {};
        return QString::fromStdString(
            managerB_->circuitAddrs().front().withPeerId(b_->peerId()).toString());
    }

    // Destroys in dependency order: what uses a Host before the Host.
    void tearDown() {
        managerB_.reset();
        transportA_.reset();
        transportB_.reset();
        poolB_.reset();
        a_.reset();
        b_.reset();
        jsA_.reset();
        relay_.reset();
    }

private Q_SLOTS:
    void init() {
        tearDown(); // a failed init() gets no cleanup(): nothing of the last test may remain
        startJs(relay_, {"--agent", "js-relay", "--serve-relay"});
        if (QTest::currentTestFailed())
            return;
        b_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        a_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        poolB_ = std::make_unique<ConnectionPool>(*b_, ConnectionConfig{}, RetryConfig{}, 1);
        transportB_ = std::make_unique<RelayTransport>(*b_);
        transportB_->setAcceptPolicy(
            [this](const PeerId& relay) { return managerB_ && managerB_->hasReservation(relay); });
        transportA_ = std::make_unique<RelayTransport>(*a_);
        sunk_ = 0;
        b_->setStreamHandler(sinkProtocol, [this](Stream* stream) {
            connect(stream, &Stream::readyRead, stream,
                    [this, stream] { sunk_ += stream->discardAll(); });
            connect(stream, &Stream::remoteClosed, stream, [stream] { stream->closeWrite(); });
        });
    }

    void cleanup() {
        for (auto* js : {relay_.get(), jsA_.get()})
            if (QTest::currentTestFailed() && js)
                qWarning("js peer diagnostics:\n%s", qPrintable(js->diagnostics()));
        tearDown();
    }

    void reservesOnAJsRelay() {
        const QString circuit = reserveB();
        QVERIFY2(!circuit.isEmpty(), qPrintable(relay_->diagnostics()));
        const PeerId relayId = PeerId::parse(relay_->peerId().toStdString()).value();
        const std::optional<RelayInfo> info = managerB_->relay(relayId);
        QVERIFY(info);
        QCOMPARE(info->state, ReservationState::Reserved);
        QVERIFY2(info->detail.empty(), info->detail.c_str()); // js's voucher verified
        QVERIFY(info->limit && info->limit->dataBytes);
        QCOMPARE(*info->limit->dataBytes, std::uint64_t(128 * 1024));
        QVERIFY(circuit.contains(relay_->peerId() + "/p2p-circuit/p2p/"));
    }

    void jsAndPeerScopeReachUsThroughTheJsRelay() {
        const QString circuit = reserveB();
        QVERIFY(!circuit.isEmpty());

        // A js peer dials our circuit address.
        startJs(jsA_, {"--agent", "js-a"});
        if (QTest::currentTestFailed())
            return;
        const QJsonObject dialed = jsA_->request({{"cmd", "dial"}, {"addr", circuit}}, 15000);
        QVERIFY2(dialed.value("ok").toBool(), qPrintable(dialed.value("error").toString()));
        QCOMPARE(dialed.value("peerId").toString(),
                 QString::fromStdString(b_->peerId().toBase58()));
        QVERIFY(dialed.value("limited").toBool());
        const PeerId jsA = PeerId::parse(jsA_->peerId().toStdString()).value();
        QTRY_VERIFY_WITH_TIMEOUT(!b_->connectionsTo(jsA).empty(), 10000);
        Connection* fromJs = b_->connectionsTo(jsA).front();
        QVERIFY(fromJs->info().relay);
        QCOMPARE(fromJs->info().relay->toBase58(), relay_->peerId().toStdString());
        const QJsonObject pinged = jsA_->request(
            {{"cmd", "ping"}, {"peer", QString::fromStdString(b_->peerId().toBase58())}});
        QVERIFY2(pinged.value("ok").toBool(), qPrintable(pinged.value("error").toString()));
        const QJsonObject info = jsA_->request(
            {{"cmd", "peerInfo"}, {"peer", QString::fromStdString(b_->peerId().toBase58())}});
        QVERIFY2(info.value("agentVersion").toString().startsWith("peerscope/"),
                 qPrintable(info.value("agentVersion").toString()));
        QTRY_VERIFY_WITH_TIMEOUT(b_->peerRecord(jsA) && b_->peerRecord(jsA)->identified, 10000);
        QCOMPARE(b_->peerRecord(jsA)->agentVersion, std::string("js-a"));

        // A PeerScope peer does the same.
        std::optional<Result<Connection*>> result;
        a_->dial(Multiaddr::parse(circuit.toStdString()).value(),
                 [&](Result<Connection*> r) { result = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 15000);
        QVERIFY2(result->ok(), result->ok() ? "" : result->errorMessage().c_str());
        Connection* atA = result->value();
        QCOMPARE(atA->remotePeer(), b_->peerId());
        QCOMPARE(atA->info().relay->toBase58(), relay_->peerId().toStdString());
        std::optional<Result<std::vector<MonoTime>>> rtts;
        a_->pingService().ping(atA, 2, 5000ms,
                               [&](Result<std::vector<MonoTime>> r) { rtts = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(rtts.has_value(), 10000);
        QVERIFY2(rtts->ok(), rtts->ok() ? "" : rtts->errorMessage().c_str());
        QTRY_VERIFY_WITH_TIMEOUT(
            a_->peerRecord(b_->peerId()) && a_->peerRecord(b_->peerId())->identified, 10000);
        // js may open another circuit of its own accord while it has only limited ones.
        QVERIFY(transportB_->counters().inboundAccepted >= 2);

        // js's data limit: 256 KiB from js A; the relay passes 128 KiB, then resets both ends.
        QPointer<Connection> circuitAtB = fromJs;
        const QJsonObject sent =
            jsA_->request({{"cmd", "send"},
                           {"peer", QString::fromStdString(b_->peerId().toBase58())},
                           {"bytes", 256 * 1024}},
                          20000);
        QVERIFY2(sent.value("ok").toBool(), qPrintable(sent.value("error").toString()));
        QTRY_VERIFY_WITH_TIMEOUT(!circuitAtB || !circuitAtB->isOpen(), 15000);
        QVERIFY2(sunk_ <= 128 * 1024, QByteArray::number(quint64(sunk_)));
        bool jsSawClose = false;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const QJsonObject& event : jsA_->events())
                    if (event.value("event").toString() == QLatin1String("connection:close") &&
                        event.value("remoteAddr").toString().contains("/p2p-circuit"))
                        jsSawClose = true;
                return jsSawClose;
            }(),
            15000);
        // Our reservation and the connection to the relay live on.
        QVERIFY(managerB_->hasReservation(PeerId::parse(relay_->peerId().toStdString()).value()));
    }
};

QTEST_GUILESS_MAIN(TestRelayClientInterop)
#include "tst_relay_client_interop.moc"
