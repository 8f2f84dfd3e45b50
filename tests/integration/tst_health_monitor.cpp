// Health monitoring against a real PeerScope process on loopback: frozen with SIGSTOP its
// connections go degraded then failed within the configured checks; once it resumes,
// replacements are dialled and the events record it all.
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/health/event_log.h"
#include "engine/health/health_monitor.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/pool/connection_pool.h"

#include <QElapsedTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <map>
#include <memory>

using namespace peerscope;

namespace {

constexpr int kTimeoutMs = 15000;

// A headless PeerScope child; SIGCONT and kill on destruction, so a failed check never leaves
// a frozen process behind.
class PeerProcess {
public:
    ~PeerProcess() {
        if (process_.state() == QProcess::NotRunning)
            return;
        ::kill(static_cast<pid_t>(process_.processId()), SIGCONT);
        process_.terminate();
        if (!process_.waitForFinished(3000)) {
            process_.kill();
            process_.waitForFinished(3000);
        }
    }

    bool start(const QString& dataDir) {
        process_.setProgram(QStringLiteral(PEERSCOPE_BINARY_DIR "/app/peerscope"));
        process_.setArguments({"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api", "off",
                               "--data-dir", dataDir, "--config", dataDir + "/config.json"});
        process_.start();
        if (!process_.waitForStarted(5000))
            return false;
        static const QRegularExpression line(
            QStringLiteral("^listening (/ip4/127\\.0\\.0\\.1/\\S+)$"),
            QRegularExpression::MultilineOption);
        QByteArray out;
        return QTest::qWaitFor(
                   [&] {
                       out += process_.readAllStandardOutput();
                       const QRegularExpressionMatch match = line.match(QString::fromUtf8(out));
                       if (match.hasMatch())
                           addr_ = match.captured(1);
                       return !addr_.isEmpty() || process_.state() == QProcess::NotRunning;
                   },
                   10000) &&
               !addr_.isEmpty();
    }

    void signal(int number) { ::kill(static_cast<pid_t>(process_.processId()), number); }
    const QString& addr() const { return addr_; }

private:
    QProcess process_;
    QString addr_;
};

bool hasEvent(const EventLog& log, const QString& kind, std::uint64_t connectionId = 0) {
    for (const LifecycleEvent& event : log.since(0, 100000))
        if (event.kind == kind && (connectionId == 0 || event.connectionId == connectionId))
            return true;
    return false;
}

} // namespace

class TestHealthMonitor final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void frozenPeerDegradesFailsAndIsReplacedOnResume() {
        QTemporaryDir dir;
        PeerProcess peer;
        QVERIFY(peer.start(dir.path()));

        SteadyClock clock;
        Host host(PrivateKey::generateEd25519(), HostOptions{}, clock);
        ConnectionConfig config;
        config.maxConnectionsPerPeer = 2;
        config.minConnectionsPerPeer = 2;
        config.enableHealthMonitoring = true;
        config.healthCheckInterval = ConnectionConfig::Seconds(0.2);
        config.pingTimeout = ConnectionConfig::Seconds(0.3);
        config.adaptiveTimeouts = false;
        config.unhealthyChecksBeforeReplace = 3;
        config.connectionTimeout = ConnectionConfig::Seconds(10);
        RetryConfig retry;
        retry.initialDelay = RetryConfig::Seconds(0.05);
        EventLog events;
        ConnectionPool pool(host, config, retry, 7);
        HealthMonitor monitor(host, pool, events, config);
        QObject::connect(
            &pool, &ConnectionPool::poolEvent, &pool,
            [&](const QString& kind, const PeerId& p, quint64 id, const QString& detail) {
                events.append(kind, QString::fromStdString(p.toBase58()), id, detail);
            });

        const Multiaddr addr = Multiaddr::parse(peer.addr().toStdString()).value();
        const PeerId peerId = addr.peerId().value();
        std::optional<Result<std::vector<Connection*>>> dialled;
        pool.dialPeer(addr, [&](Result<std::vector<Connection*>> r) { dialled = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(dialled.has_value(), kTimeoutMs);
        QVERIFY2(dialled->ok(), dialled->ok() ? "" : dialled->errorMessage().c_str());
        QCOMPARE((*dialled)->size(), std::size_t(2));
        std::vector<std::uint64_t> original;
        for (Connection* c : **dialled)
            original.push_back(c->id());

        // Healthy first: a few answered probes on each connection.
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(original.begin(), original.end(),
                                             [&](std::uint64_t id) {
                                                 const ConnectionHealth* h = monitor.health(id);
                                                 return h && h->probes().count() >= 2;
                                             }),
                                 kTimeoutMs);
        for (std::uint64_t id : original)
            QCOMPARE(monitor.health(id)->state(), HealthState::Healthy);

        // Freeze the peer: pings time out; 3 checks in a row below threshold mean failed.
        QElapsedTimer frozenFor;
        peer.signal(SIGSTOP);
        frozenFor.start();
        QTRY_VERIFY_WITH_TIMEOUT(
            std::all_of(original.begin(), original.end(),
                        [&](std::uint64_t id) { return hasEvent(events, "failed", id); }),
            kTimeoutMs);
        const qint64 toFailedMs = frozenFor.elapsed();
        for (std::uint64_t id : original)
            QVERIFY(hasEvent(events, "degraded", id));
        // Three checks at 0.2 s, each waiting 0.3 s: about 0.9-1.3 s, far below 5 s.
        QVERIFY2(toFailedMs < 5000, qPrintable(QString::number(toFailedMs)));
        qInfo("frozen peer: connections failed after %lld ms", toFailedMs);
        QCOMPARE(pool.counters().replacements, 0u); // nothing can be dialled while it sleeps

        // Wake it: the replacement dials finish and the failed connections are closed.
        QTest::qWait(500);
        peer.signal(SIGCONT);
        QTRY_VERIFY_WITH_TIMEOUT(hasEvent(events, "replaced"), kTimeoutMs);
        QVERIFY(pool.counters().replacements >= 1u);
        // A replaced connection is closed even though the health monitor's ping stream is
        // still open on it (it is housekeeping, not the user's streams); one that recovered
        // before its replacement came up stays, healthy.
        QTRY_VERIFY_WITH_TIMEOUT(std::all_of(original.begin(), original.end(),
                                             [&](std::uint64_t id) {
                                                 if (host.connectionById(id) == nullptr)
                                                     return true;
                                                 const ConnectionHealth* h = monitor.health(id);
                                                 return h && h->state() == HealthState::Healthy;
                                             }),
                                 kTimeoutMs);
        for (std::uint64_t id : original)
            if (hasEvent(events, "replaced", id))
                QTRY_VERIFY_WITH_TIMEOUT(host.connectionById(id) == nullptr, kTimeoutMs);
        // The peer is back at its minimum with healthy connections.
        QTRY_VERIFY_WITH_TIMEOUT(pool.connections(peerId).size() >= 2u, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                int healthy = 0;
                for (Connection* c : pool.connections(peerId))
                    if (const ConnectionHealth* h = monitor.health(c->id());
                        h && h->state() == HealthState::Healthy && h->probes().count() > 0 &&
                        h->probes().consecutiveFailures() == 0)
                        ++healthy;
                return healthy >= 2;
            }(),
            kTimeoutMs);
        QVERIFY(hasEvent(events, "opened"));
    }
};

QTEST_GUILESS_MAIN(TestHealthMonitor)
#include "tst_health_monitor.moc"
