// The lab's userspace link proxy on loopback, between real engines: a ping through a 30 ms
// link takes at least 60 ms, a 1 MB/s cap paces a perf transfer, settings change live, and a
// target that is missing or goes away closes both sides cleanly.
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/lab/link_proxy.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/perf_service.h"
#include "support/loopback_engine.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>
#include <algorithm>
#include <functional>
#include <memory>
#include <optional>

using namespace peerscope;

namespace {

constexpr int kTimeoutMs = 15000;
// Loopback and the engines add well under a millisecond, but this machine is shared: leave
// room for scheduling delays on top of the configured link delay.
constexpr double kMarginMs = 60;

// Waits in a real event loop: the proxy lives on this thread, and QTest::qWaitFor sleeps
// 10 ms between rounds of events, which would add up to 10 ms to every hop through it.
bool waitFor(const std::function<bool()>& done, int timeoutMs = kTimeoutMs) {
    if (done())
        return true;
    QEventLoop loop;
    QTimer poll;
    QElapsedTimer elapsed;
    elapsed.start();
    QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
        if (done() || elapsed.elapsed() > timeoutMs)
            loop.quit();
    });
    poll.start(1);
    loop.exec();
    return done();
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

} // namespace

class TestLinkProxy final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    std::unique_ptr<QTemporaryDir> dirA_, dirB_;
    std::unique_ptr<Engine> a_, b_;
    std::unique_ptr<LinkProxy> proxy_;
    QString peerB_;

    // B's address as reached through the proxy.
    QString viaProxy() const {
        return QStringLiteral("/ip4/127.0.0.1/tcp/%1/p2p/%2").arg(proxy_->listenPort()).arg(peerB_);
    }

    // Dials B through the proxy from engine A; true once connected.
    bool dialThroughProxy() {
        std::optional<DialOutcome> outcome;
        a_->client()->dial(viaProxy(), this, [&](const DialOutcome& o) { outcome = o; });
        if (!waitFor([&] { return outcome.has_value(); }, kTimeoutMs))
            return false;
        if (!outcome->ok)
            qWarning("dial failed: %s", qPrintable(outcome->error));
        return outcome->ok;
    }

    std::vector<double> pingB(int count) {
        std::optional<PingOutcome> outcome;
        a_->client()->ping(peerB_, count, this, [&](const PingOutcome& o) { outcome = o; });
        if (!waitFor([&] { return outcome.has_value(); }, kTimeoutMs) || !outcome->ok) {
            qWarning("ping failed: %s", outcome ? qPrintable(outcome->error) : "timed out");
            return {};
        }
        return outcome->rttsMs;
    }

    // A Host on the test thread connected to B through the proxy (no pool: one connection).
    Connection* hostDialThroughProxy(Host& host) {
        std::optional<Result<Connection*>> dialled;
        host.dial(Multiaddr::parse(viaProxy().toStdString()).value(),
                  [&](Result<Connection*> r) { dialled = std::move(r); });
        if (!waitFor([&] { return dialled.has_value(); }, kTimeoutMs) || !dialled->ok())
            return nullptr;
        return **dialled;
    }

private Q_SLOTS:
    void init() {
        dirA_ = std::make_unique<QTemporaryDir>();
        dirB_ = std::make_unique<QTemporaryDir>();
        a_ = std::make_unique<Engine>(test::loopbackOptions(*dirA_));
        EngineOptions optionsB = test::loopbackOptions(*dirB_);
        optionsB.servePerf = true; // the rate tests pull data from B
        b_ = std::make_unique<Engine>(optionsB);
        QVERIFY(a_->start().ok());
        QVERIFY(b_->start().ok());
        peerB_ = b_->client()->snapshot().peerId;
        const Multiaddr addrB =
            Multiaddr::parse(b_->announcedAddrs().value(0).toStdString()).value();
        proxy_ = std::make_unique<LinkProxy>(QHostAddress::LocalHost, addrB.tcpEndpoint()->port,
                                             LinkSettings{30, 0, 0, 0}, clock_, 99);
        QVERIFY(proxy_->listen().ok());
        QVERIFY(proxy_->listenPort() > 0);
    }

    void cleanup() {
        a_.reset();
        b_.reset();
        proxy_.reset();
    }

    void pingGainsTwiceTheDelay() {
        QVERIFY(dialThroughProxy());
        const std::vector<double> rtts = pingB(5);
        QCOMPARE(rtts.size(), std::size_t(5));
        for (double rtt : rtts)
            QVERIFY2(rtt >= 60, qPrintable(QString::number(rtt)));
        QVERIFY2(median(rtts) < 60 + kMarginMs, qPrintable(QString::number(median(rtts))));
        qInfo("30 ms link: ping median %.1f ms", median(rtts));
        const LinkProxyCounters counters = proxy_->counters();
        QVERIFY(counters.connectionsAccepted >= 1);
        QVERIFY(counters.bytesUp > 0 && counters.bytesDown > 0);
        QCOMPARE(counters.targetFailures, 0u);
        QVERIFY(proxy_->openConnections() >= 1);
    }

    void settingsChangeLive() {
        QVERIFY(dialThroughProxy());
        QVERIFY(median(pingB(3)) >= 60);

        proxy_->setSettings(LinkSettings{80, 0, 0, 0});
        QCOMPARE(proxy_->settings().delayMs, 80.0);
        const std::vector<double> slow = pingB(3);
        QCOMPARE(slow.size(), std::size_t(3));
        for (double rtt : slow)
            QVERIFY2(rtt >= 160, qPrintable(QString::number(rtt)));
        QVERIFY(median(slow) < 160 + kMarginMs);

        proxy_->setSettings(LinkSettings{});
        const std::vector<double> fast = pingB(3);
        QCOMPARE(fast.size(), std::size_t(3));
        QVERIFY2(median(fast) < 30, qPrintable(QString::number(median(fast))));
    }

    void rateCapPacesAPerfTransfer() {
        proxy_->setSettings(LinkSettings{0, 0, 0, 1'000'000});
        Host host(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        Connection* connection = hostDialThroughProxy(host);
        QVERIFY(connection != nullptr);

        constexpr std::uint64_t upload = 1'000'000, download = 500'000;
        std::optional<Result<PerfResult>> result;
        host.perfService().run(connection, upload, download,
                               [&](Result<PerfResult> r) { result = std::move(r); });
        QVERIFY(waitFor([&] { return result.has_value(); }));
        QVERIFY2(result->ok(), result->ok() ? "" : result->errorMessage().c_str());
        QCOMPARE((*result)->uploaded, upload);
        QCOMPARE((*result)->downloaded, download);
        // 1.5 MB through 1 MB/s, one direction after the other: at least 1.5 s (framing and
        // encryption only add bytes).
        const double seconds = (*result)->seconds;
        qInfo("1.5 MB over a 1 MB/s link: %.2f s", seconds);
        QVERIFY2(seconds >= 1.5, qPrintable(QString::number(seconds)));
        QVERIFY2(seconds < 6, qPrintable(QString::number(seconds)));
        QVERIFY(proxy_->counters().bytesUp >= upload);
        QVERIFY(proxy_->counters().bytesDown >= download);
    }

    void lossHoldsBytesWithoutLosingThem() {
        proxy_->setSettings(LinkSettings{5, 0, 100, 0}); // every piece waits the 200 ms penalty
        Host host(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        Connection* connection = hostDialThroughProxy(host);
        QVERIFY(connection != nullptr);
        std::optional<Result<PerfResult>> result;
        host.perfService().run(connection, 100'000, 100'000,
                               [&](Result<PerfResult> r) { result = std::move(r); });
        QVERIFY(waitFor([&] { return result.has_value(); }));
        QVERIFY2(result->ok(), result->ok() ? "" : result->errorMessage().c_str());
        QCOMPARE((*result)->downloaded, 100'000u);
        QVERIFY((*result)->seconds >= 0.4); // at least one held piece each way
        QVERIFY(proxy_->counters().piecesHeldForLoss > 0);
    }

    void backPressureBoundsWhatTheProxyHolds() {
        // A raw sink and a raw sender: no yamux window to slow the sender, only the proxy.
        QTcpServer sink;
        QVERIFY(sink.listen(QHostAddress::LocalHost, 0));
        QByteArray received;
        QTcpSocket* served = nullptr;
        connect(&sink, &QTcpServer::newConnection, this, [&] {
            served = sink.nextPendingConnection();
            connect(served, &QTcpSocket::readyRead, this, [&] { received += served->readAll(); });
        });
        LinkProxy proxy(QHostAddress::LocalHost, sink.serverPort(),
                        LinkSettings{20, 0, 0, 20'000'000}, clock_);
        QVERIFY(proxy.listen().ok());
        QTcpSocket sender;
        sender.connectToHost(QHostAddress::LocalHost, proxy.listenPort());
        QVERIFY(waitFor([&] { return sender.state() == QAbstractSocket::ConnectedState; }));

        constexpr int total = 12 * 1024 * 1024;
        QByteArray payload(total, Qt::Uninitialized);
        for (int i = 0; i < total; ++i)
            payload[i] = static_cast<char>((i * 7 + i / 4096) & 0xff);
        QElapsedTimer elapsed;
        elapsed.start();
        sender.write(payload);
        std::size_t mostQueued = 0;
        QVERIFY(waitFor([&] {
            mostQueued = std::max(mostQueued, proxy.queuedBytes());
            return received.size() >= total;
        }));
        qInfo("12 MiB at 20 MB/s: %.2f s, at most %zu bytes queued in the proxy",
              elapsed.nsecsElapsed() / 1e9, mostQueued);
        QVERIFY(received == payload); // every byte, in order
        QVERIFY(mostQueued > 0);
        QVERIFY2(mostQueued <= LinkProxy::backPressureBytes,
                 qPrintable(QString::number(mostQueued)));
        QVERIFY(elapsed.nsecsElapsed() / 1e9 >= total / 20e6);
        QCOMPARE(proxy.counters().bytesUp, std::uint64_t(total));

        // The sender leaves: the proxy closes the sink's side too.
        sender.disconnectFromHost();
        QVERIFY(waitFor([&] { return served->state() == QAbstractSocket::UnconnectedState; }));
        QVERIFY(waitFor([&] { return proxy.openConnections() == 0; }));
    }

    void missingTargetIsRefusedCleanly() {
        // A port that was just free: nothing listens there.
        QTcpServer placeholder;
        QVERIFY(placeholder.listen(QHostAddress::LocalHost, 0));
        const quint16 deadPort = placeholder.serverPort();
        placeholder.close();
        LinkProxy proxy(QHostAddress::LocalHost, deadPort, LinkSettings{10, 0, 0, 0}, clock_);
        QVERIFY(proxy.listen().ok());
        QSignalSpy failed(&proxy, &LinkProxy::targetFailed);

        Host host(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        std::optional<Result<Connection*>> dialled;
        host.dial(Multiaddr::fromTcpEndpoint("127.0.0.1", proxy.listenPort()),
                  [&](Result<Connection*> r) { dialled = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(dialled.has_value(), kTimeoutMs);
        QVERIFY(!dialled->ok());
        QTRY_VERIFY_WITH_TIMEOUT(failed.count() >= 1, kTimeoutMs);
        QVERIFY2(failed.first().at(0).toString().contains(QString::number(deadPort)),
                 qPrintable(failed.first().at(0).toString()));
        QCOMPARE(proxy.counters().targetFailures, 1u);
        QTRY_COMPARE_WITH_TIMEOUT(proxy.openConnections(), 0, kTimeoutMs);
    }

    void eitherSideEndingClosesBoth() {
        Host host(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        // The dialling side closes: the proxy closes its connection to B.
        Connection* first = hostDialThroughProxy(host);
        QVERIFY(first != nullptr);
        QTRY_COMPARE_WITH_TIMEOUT(b_->client()->snapshot().peers.size(), 1, kTimeoutMs);
        first->close(QStringLiteral("test closes"));
        QTRY_COMPARE_WITH_TIMEOUT(proxy_->openConnections(), 0, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(b_->client()->snapshot().peers.value(0).connections.isEmpty(),
                                 kTimeoutMs);

        // The target goes away: the dialling side sees its connection close.
        Connection* second = hostDialThroughProxy(host);
        QVERIFY(second != nullptr);
        QSignalSpy closed(&host, &Host::connectionClosed);
        b_.reset();
        QTRY_VERIFY_WITH_TIMEOUT(closed.count() >= 1, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(host.connections().empty(), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(proxy_->openConnections(), 0, kTimeoutMs);
    }

    void closeAllDropsEveryConnection() {
        QVERIFY(dialThroughProxy());
        QVERIFY(proxy_->openConnections() >= 1);
        proxy_->closeAll();
        QCOMPARE(proxy_->openConnections(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const PeerSnapshot& peer : b_->client()->snapshot().peers)
                    if (!peer.connections.isEmpty())
                        return false;
                return true;
            }(),
            kTimeoutMs);
    }
};

QTEST_GUILESS_MAIN(TestLinkProxy)
#include "tst_link_proxy.moc"
