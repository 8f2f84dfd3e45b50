// PeerScope's circuit relay service between two real js-libp2p 3.x peers
// (tests/interop/relay-peer.mjs, @libp2p/circuit-relay-v2's own client): js B reserves on our
// relay by listening on <relay>/p2p-circuit, js A dials <relay>/p2p-circuit/p2p/<B>. Ping and
// identify run over the circuit, and the data limit (go's and js's 128 KiB) ends it, which
// both js ends see as their relayed connection closing.
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/nat/relay_service.h"
#include "engine/net/host.h"
#include "interop/js_peer.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <memory>

using namespace peerscope;
using namespace std::chrono_literals;

class TestRelayInterop final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    std::unique_ptr<Host> relayHost_;
    std::unique_ptr<RelayService> relay_;
    QString relayAddr_; // with /p2p/<relay>
    std::unique_ptr<test::JsPeer> a_, b_;
    QStringList circuitsClosed_; // the relay's relay_circuit_closed details

    static bool connectedTo(test::JsPeer& js, const QString& peer) {
        const QJsonArray connections =
            js.request({{"cmd", "connections"}}).value("connections").toArray();
        for (const QJsonValue& c : connections)
            if (c.toObject().value("peerId").toString() == peer)
                return true;
        return false;
    }

    static bool isCircuitClose(const QJsonObject& event, const QString& peer) {
        return event.value("event").toString() == QLatin1String("connection:close") &&
               event.value("peerId").toString() == peer &&
               event.value("remoteAddr").toString().contains(QLatin1String("/p2p-circuit"));
    }
    static bool sawCircuitClose(const test::JsPeer& js, const QString& peer) {
        for (const QJsonObject& event : js.events())
            if (isCircuitClose(event, peer))
                return true;
        return false;
    }

    void startJs(std::unique_ptr<test::JsPeer>& js, QStringList args) {
        js = std::make_unique<test::JsPeer>();
        js->setScript(QStringLiteral("relay-peer.mjs"));
        QVERIFY2(js->start(args, 30000), qPrintable(js->diagnostics()));
    }

private Q_SLOTS:
    void init() {
        relayHost_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        Result<Multiaddr> bound =
            relayHost_->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value());
        QVERIFY(bound.ok());
        relayAddr_ = QString::fromStdString(bound->withPeerId(relayHost_->peerId()).toString());
        RelayServiceConfig config; // go's and js's limits: 2 min, 128 KiB each way
        config.enabled = true;
        relay_ = std::make_unique<RelayService>(*relayHost_, config, RelayService::Options{});
        circuitsClosed_.clear();
        connect(relay_.get(), &RelayService::relayEvent, this,
                [this](const QString& kind, const PeerId&, const QString& detail) {
                    if (kind == QLatin1String("relay_circuit_closed"))
                        circuitsClosed_ << detail;
                });
    }

    void cleanup() {
        for (auto* js : {a_.get(), b_.get()})
            if (QTest::currentTestFailed() && js) {
                qWarning("js peer diagnostics:\n%s", qPrintable(js->diagnostics()));
                for (const QJsonObject& event : js->events())
                    qWarning("event %s",
                             QJsonDocument(event).toJson(QJsonDocument::Compact).constData());
            }
        a_.reset();
        b_.reset();
        relay_.reset();
        relayHost_.reset();
    }

    void jsPeersTalkThroughOurRelayUntilTheDataLimit() {
        // B listens on our relay: js reserves before it says it is ready.
        startJs(b_, {"--agent", "js-b", "--relay", relayAddr_});
        QTRY_COMPARE_WITH_TIMEOUT(relay_->reservationCount(), std::size_t(1), 10000);
        QCOMPARE(relay_->counters().reservationsGranted, std::uint64_t(1));
        // js built its relayed address from our reservation's addrs.
        const QString circuitAddr = relayAddr_ + "/p2p-circuit/p2p/" + b_->peerId();
        QVERIFY2(b_->addrs().contains(circuitAddr), qPrintable(b_->addrs().join(' ')));

        startJs(a_, {"--agent", "js-a"});
        const QJsonObject dialed = a_->request({{"cmd", "dial"}, {"addr", circuitAddr}}, 15000);
        QVERIFY2(dialed.value("ok").toBool(), qPrintable(dialed.value("error").toString()));
        QCOMPARE(dialed.value("peerId").toString(), b_->peerId());
        QVERIFY(dialed.value("remoteAddr").toString().contains("/p2p-circuit"));
        QVERIFY(dialed.value("limited").toBool()); // our Limit reached js
        // js may open another circuit of its own accord while only limited ones exist.
        QVERIFY(relay_->circuitCount() >= 1);

        // Ping and identify, both ways, over the circuit (the only A-B connection).
        const QJsonObject pinged = a_->request({{"cmd", "ping"}, {"peer", b_->peerId()}});
        QVERIFY2(pinged.value("ok").toBool(), qPrintable(pinged.value("error").toString()));
        const QJsonObject bAtA = a_->request({{"cmd", "peerInfo"}, {"peer", b_->peerId()}});
        QVERIFY2(bAtA.value("ok").toBool(), qPrintable(bAtA.value("error").toString()));
        QCOMPARE(bAtA.value("agentVersion").toString(), QStringLiteral("js-b"));
        const QJsonObject aAtB = b_->request({{"cmd", "peerInfo"}, {"peer", a_->peerId()}});
        QVERIFY2(aAtB.value("ok").toBool(), qPrintable(aAtB.value("error").toString()));
        QCOMPARE(aAtB.value("agentVersion").toString(), QStringLiteral("js-a"));
        const QJsonArray connections =
            a_->request({{"cmd", "connections"}}).value("connections").toArray();
        int toB = 0;
        for (const QJsonValue& c : connections)
            if (c.toObject().value("peerId").toString() == b_->peerId()) {
                ++toB;
                QVERIFY(c.toObject().value("remoteAddr").toString().contains("/p2p-circuit"));
            }
        QVERIFY(toB >= 1);
        QVERIFY(relay_->bytesToDestination() > 0 && relay_->bytesToSource() > 0);

        // 256 KiB from A: the relay passes 128 KiB each way at most, then resets both ends.
        const QJsonObject sent =
            a_->request({{"cmd", "send"}, {"peer", b_->peerId()}, {"bytes", 256 * 1024}}, 20000);
        QVERIFY2(sent.value("ok").toBool(), qPrintable(sent.value("error").toString()));
        QTRY_COMPARE_WITH_TIMEOUT(relay_->counters().circuitsClosed.count("data_limit"),
                                  std::size_t(1), 10000);
        QCOMPARE(relay_->counters().circuitsClosed.at("data_limit"), std::uint64_t(1));
        QVERIFY2(circuitsClosed_.filter("data_limit, 131072 bytes there").size() == 1,
                 qPrintable(circuitsClosed_.join('\n')));
        // Both js ends see their relayed connection go.
        QTRY_VERIFY_WITH_TIMEOUT(sawCircuitClose(*a_, b_->peerId()), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(sawCircuitClose(*b_, a_->peerId()), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!connectedTo(*a_, b_->peerId()), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!connectedTo(*b_, a_->peerId()), 10000);
        QTRY_COMPARE(relay_->circuitCount(), std::size_t(0));
        const QJsonObject received = b_->request({{"cmd", "received"}});
        QVERIFY(received.value("received").toInteger() < 128 * 1024);
        QVERIFY(received.value("received").toInteger() > 64 * 1024);
        qInfo("%llu circuits; relayed %llu bytes A->B, %llu B->A; B's sink took %lld of 256 KiB; "
              "A: %s",
              static_cast<unsigned long long>(relay_->counters().circuitsOpened),
              static_cast<unsigned long long>(relay_->bytesToDestination()),
              static_cast<unsigned long long>(relay_->bytesToSource()),
              static_cast<long long>(received.value("received").toInteger()),
              qPrintable(sent.value("error").toString(QStringLiteral("no error"))));

        // B's reservation outlives the circuit: A can come through again.
        QCOMPARE(relay_->reservationCount(), std::size_t(1));
        const std::uint64_t opened = relay_->counters().circuitsOpened;
        const QJsonObject again = a_->request({{"cmd", "dial"}, {"addr", circuitAddr}}, 15000);
        QVERIFY2(again.value("ok").toBool(), qPrintable(again.value("error").toString()));
        const QJsonObject pingedAgain = a_->request({{"cmd", "ping"}, {"peer", b_->peerId()}});
        QVERIFY2(pingedAgain.value("ok").toBool(),
                 qPrintable(pingedAgain.value("error").toString()));
        QVERIFY(relay_->counters().circuitsOpened > opened);
    }

    void aPeerWithoutReservationCannotBeReached() {
        startJs(b_, {"--agent", "js-b"}); // not listening on the relay
        startJs(a_, {"--agent", "js-a"});
        const QString circuitAddr = relayAddr_ + "/p2p-circuit/p2p/" + b_->peerId();
        const QJsonObject dialed = a_->request({{"cmd", "dial"}, {"addr", circuitAddr}}, 15000);
        QVERIFY(!dialed.value("ok").toBool());
        QVERIFY2(dialed.value("error").toString().contains("NO_RESERVATION"),
                 qPrintable(dialed.value("error").toString()));
        QCOMPARE(relay_->counters().refused.at("no_reservation"), std::uint64_t(1));
    }
};

QTEST_GUILESS_MAIN(TestRelayInterop)
#include "tst_relay_interop.moc"
