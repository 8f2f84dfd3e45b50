// PeerScope against real js-libp2p 3.x peers (tests/interop/peer.mjs, started per test):
// dialling both ways, ping, identify fields both ways, and 8 MiB each way with the perf
// protocol, with the muxer chosen inside Noise and with multistream-select.
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/perf_service.h"
#include "engine/net/ping_service.h"
#include "interop/js_peer.h"

#include <QJsonArray>
#include <QTest>
#include <memory>
#include <optional>

using namespace peerscope;
using namespace std::chrono_literals;

class TestJsInterop final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    std::unique_ptr<Host> host_;
    std::unique_ptr<test::JsPeer> js_;
    Multiaddr listenAddr_;

    void startBoth(bool muxerInNoise) {
        HostOptions options;
        options.muxerInNoise = muxerInNoise;
        options.servePerf = true; // the js peer measures us with perf
        host_ = std::make_unique<Host>(PrivateKey::generateEd25519(), options, clock_);
        Result<Multiaddr> bound = host_->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value());
        QVERIFY(bound.ok());
        listenAddr_ = bound->withPeerId(host_->peerId());
        js_ = std::make_unique<test::JsPeer>();
        QStringList args{QStringLiteral("--agent"), QStringLiteral("js-libp2p-interop")};
        if (!muxerInNoise)
            args << QStringLiteral("--no-muxer-in-noise");
        QVERIFY2(js_->start(args, 30000), qPrintable(js_->diagnostics()));
    }

    Connection* dialJs() {
        std::optional<Result<Connection*>> result;
        host_->dial(Multiaddr::parse(js_->addrs().first().toStdString()).value(),
                    [&](Result<Connection*> r) { result = std::move(r); });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 15000))
            return nullptr;
        if (!*result) {
            qWarning("dial js failed: %s", result->errorMessage().c_str());
            return nullptr;
        }
        return result->value();
    }

    static QStringList strings(const QJsonValue& value) {
        QStringList out;
        for (const QJsonValue& item : value.toArray())
            out << item.toString();
        return out;
    }

private Q_SLOTS:
    void init() {
        QFETCH_GLOBAL(bool, muxerInNoise);
        startBoth(muxerInNoise);
    }

    void initTestCase_data() {
        QTest::addColumn<bool>("muxerInNoise");
        QTest::newRow("muxer-in-noise") << true;
        QTest::newRow("muxer-via-mss") << false;
    }

    void cleanup() {
        if (QTest::currentTestFailed() && js_)
            qWarning("js peer diagnostics:\n%s", qPrintable(js_->diagnostics()));
        js_.reset();
        host_.reset();
    }

    void jsDialsPeerScopeAndPings() {
        QJsonObject dialed = js_->request(
            {{"cmd", "dial"}, {"addr", QString::fromStdString(listenAddr_.toString())}}, 15000);
        QVERIFY2(dialed.value("ok").toBool(), qPrintable(dialed.value("error").toString()));
        QCOMPARE(dialed.value("peerId").toString(),
                 QString::fromStdString(host_->peerId().toBase58()));
        QTRY_COMPARE_WITH_TIMEOUT(host_->connections().size(), std::size_t(1), 5000);
        QCOMPARE(host_->connections().front()->info().direction, Direction::Inbound);

        QJsonObject pinged =
            js_->request({{"cmd", "ping"},
                          {"peer", QString::fromStdString(host_->peerId().toBase58())},
                          {"count", 3}},
                         15000);
        QVERIFY2(pinged.value("ok").toBool(), qPrintable(pinged.value("error").toString()));
        QCOMPARE(pinged.value("rtts").toArray().size(), 3);
    }

    void peerScopeDialsJsAndPings() {
        Connection* connection = dialJs();
        QVERIFY(connection);
        QCOMPARE(QString::fromStdString(connection->remotePeer().toBase58()), js_->peerId());
        QFETCH_GLOBAL(bool, muxerInNoise);
        QCOMPARE(connection->info().muxerInHandshake, muxerInNoise);
        std::optional<Result<std::vector<MonoTime>>> rtts;
        host_->pingService().ping(connection, 5, 5000ms, [&](auto r) { rtts = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(rtts.has_value(), 10000);
        QVERIFY2(rtts->ok(), rtts->ok() ? "" : rtts->errorMessage().c_str());
        QCOMPARE(rtts->value().size(), std::size_t(5));
    }

    void identifyFieldsBothWays() {
        Connection* connection = dialJs();
        QVERIFY(connection);
        // We read js's identify.
        const PeerId jsPeer = connection->remotePeer();
        QTRY_VERIFY_WITH_TIMEOUT(host_->peerRecord(jsPeer) && host_->peerRecord(jsPeer)->identified,
                                 10000);
        const PeerRecord* record = host_->peerRecord(jsPeer);
        QCOMPARE(QString::fromStdString(record->agentVersion), QStringLiteral("js-libp2p-interop"));
        auto has = [&](const char* protocol) {
            return std::find(record->protocols.begin(), record->protocols.end(),
                             std::string(protocol)) != record->protocols.end();
        };
        QVERIFY(has("/ipfs/ping/1.0.0"));
        QVERIFY(has("/ipfs/id/1.0.0"));
        QVERIFY(has("/perf/1.0.0"));
        QVERIFY(!record->listenAddrs.empty());

        // js read ours.
        QJsonObject info;
        QVERIFY(QTest::qWaitFor(
            [&] {
                info = js_->request({{"cmd", "peerInfo"},
                                     {"peer", QString::fromStdString(host_->peerId().toBase58())}},
                                    5000);
                return info.value("ok").toBool() &&
                       info.value("agentVersion").toString().startsWith("peerscope/");
            },
            10000));
        QStringList protocols = strings(info.value("protocols"));
        QVERIFY2(protocols.contains("/ipfs/ping/1.0.0"), qPrintable(protocols.join(',')));
        QVERIFY(protocols.contains("/ipfs/id/1.0.0"));
        QVERIFY(protocols.contains("/ipfs/id/push/1.0.0"));
        QVERIFY(protocols.contains("/perf/1.0.0"));
        QCOMPARE(info.value("protocolVersion").toString(), QStringLiteral("ipfs/0.1.0"));
        QVERIFY(strings(info.value("addrs"))
                    .join(' ')
                    .contains(QString::number(listenAddr_.tcpEndpoint()->port)));
    }

    void eightMebibytesEachWayFromPeerScope() {
        Connection* connection = dialJs();
        QVERIFY(connection);
        constexpr std::uint64_t size = 8 * 1024 * 1024;
        std::optional<Result<PerfResult>> result;
        host_->perfService().run(connection, size, size, [&](auto r) { result = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 60000);
        QVERIFY2(result->ok(), result->ok() ? "" : result->errorMessage().c_str());
        QCOMPARE((*result)->uploaded, size);
        QCOMPARE((*result)->downloaded, size);
    }

    void eightMebibytesEachWayFromJs() {
        constexpr qint64 size = 8 * 1024 * 1024;
        QJsonObject perf = js_->request({{"cmd", "perf"},
                                         {"addr", QString::fromStdString(listenAddr_.toString())},
                                         {"upload", size},
                                         {"download", size}},
                                        60000);
        QVERIFY2(perf.value("ok").toBool(), qPrintable(perf.value("error").toString()));
        QCOMPARE(perf.value("uploadBytes").toInteger(), size);
        QCOMPARE(perf.value("downloadBytes").toInteger(), size);
    }
};

QTEST_GUILESS_MAIN(TestJsInterop)
#include "tst_js_interop.moc"
