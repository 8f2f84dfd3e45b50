// Connection pool and health monitoring, measured on loopback:
//   failover   time from a connection's reset by the peer to the next stream succeeding on
//              another connection of the same peer (median of 100; target under 10 ms)
//   silent     time from a peer frozen with SIGSTOP to its connection marked failed, with
//              health_check_interval 1 s and the default ping_timeout 5 s (target: within
//              ping_timeout + one interval)
//   scale      1,000 peers x 3 connections (bench_peer_farm in its own process), probes every
//              1 s: this process's CPU share of one core and its memory per connection; and,
//              the same round trips with no engine (socket_floor.h): what the kernel alone
//              costs on this machine now; the target is monitored CPU / that floor <= 2.0
//   build/release/bench/bench_pool [peers] [failover|silent|scale]
#include "bench_peer_process.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/health/event_log.h"
#include "engine/health/health_monitor.h"
#include "engine/net/connection.h"
#include "engine/net/epoll_event_dispatcher.h"
#include "engine/net/host.h"
#include "engine/pool/connection_pool.h"
#include "event_waiter.h"
#include "process_memory.h"
#include "socket_floor.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QProcess>
#include <QTest>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <sys/resource.h>

using namespace peerscope;

namespace {

double cpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
           double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

double kernelCpuSeconds() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_stime.tv_sec) + double(usage.ru_stime.tv_usec) / 1e6;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values.empty() ? 0 : values[values.size() / 2];
}

bool waitFor(const std::function<bool()>& done, int ms) {
    return QTest::qWaitFor(done, ms);
}

void failover() {
    SteadyClock clock;
    Host a(PrivateKey::generateEd25519(), HostOptions{}, clock);
    Host b(PrivateKey::generateEd25519(), HostOptions{}, clock);
    const Multiaddr addr = b.listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value()).value();
    ConnectionConfig config;
    config.minConnectionsPerPeer = 3;
    RetryConfig retry;
    retry.initialDelay = RetryConfig::Seconds(0.01);
    ConnectionPool pool(a, config, retry, 1);
    bool dialled = false;
    pool.dialPeer(addr.withPeerId(b.peerId()), [&](auto) { dialled = true; });
    waitFor([&] { return dialled; }, 10000);
    std::vector<double> samples;
    int misses = 0, unanswered = 0;
    for (int round = 0; round < 100; ++round) {
        // Both ends see all three (A counts a connection a moment before B has read Noise msg 3).
        if (!waitFor(
                [&] {
                    return pool.connections(b.peerId()).size() == 3 &&
                           b.connectionsTo(a.peerId()).size() == 3;
                },
                10000))
            break;
        // B resets the connection round robin will hand out next; A asks for a stream at once.
        Connection* next = pool.connection(b.peerId());
        std::vector<Connection*> mine = pool.connections(b.peerId());
        // pool.connection() advanced the cursor; the one after `next` is picked next.
        std::sort(mine.begin(), mine.end(),
                  [](Connection* x, Connection* y) { return x->id() < y->id(); });
        auto it = std::find(mine.begin(), mine.end(), next);
        Connection* victim = (it + 1 == mine.end()) ? mine.front() : *(it + 1);
        for (Connection* theirs : b.connectionsTo(a.peerId()))
            if (theirs->info().remoteAddr == victim->info().localAddr)
                theirs->close(QStringLiteral("bench: reset"));
        const std::uint64_t victimId = victim->id(); // the object goes away; ids are not reused
        QElapsedTimer timer;
        timer.start();
        bool ok = false;
        qint64 elapsedNs = 0;
        // Waits in the event loop: QTest::qWaitFor sleeps 10 ms between checks.
        bench::EventWaiter waiter;
        pool.newStream(b.peerId(), {"/ipfs/ping/1.0.0"}, [&](Result<Stream*> stream) {
            elapsedNs = timer.nsecsElapsed();
            ok = stream.ok() && (*stream)->connection()->id() != victimId;
            if (stream)
                (*stream)->reset();
            waiter.finish();
        });
        const bool answered = waiter.wait(5000);
        if (ok)
            samples.push_back(double(elapsedNs) / 1e6);
        else
            ++misses;
        if (!answered)
            ++unanswered;
    }
    std::printf("failover: reset to next stream on another connection: median %.3f ms, max %.3f "
                "ms (n=%zu, %llu stream opens moved on)\n",
                median(samples),
                samples.empty() ? 0.0 : *std::max_element(samples.begin(), samples.end()),
                samples.size(), static_cast<unsigned long long>(pool.counters().streamRetries));
    if (misses > 0)
        std::printf("failover: %d rounds without a stream on another connection (%d unanswered)\n",
                    misses, unanswered);
}

void silentPeer() {
    const QString binary = QCoreApplication::applicationDirPath() + "/../app/peerscope";
    for (int run = 0; run < 3; ++run) {
        bench::PeerProcess peer;
        QString error;
        if (!peer.start(binary, &error)) {
            std::fprintf(stderr, "%s\n", qPrintable(error));
            return;
        }
        SteadyClock clock;
        Host host(PrivateKey::generateEd25519(), HostOptions{}, clock);
        ConnectionConfig config;
        config.enableHealthMonitoring = true;
        config.healthCheckInterval = ConnectionConfig::Seconds(1);
        config.maxConnectionsPerPeer = 1;
        EventLog events;
        ConnectionPool pool(host, config, RetryConfig{}, 1);
        HealthMonitor monitor(host, pool, events, config);
        bool dialled = false;
        pool.dialPeer(Multiaddr::parse(peer.listenAddr().toStdString()).value(),
                      [&](auto) { dialled = true; });
        waitFor([&] { return dialled && !pool.connections().empty(); }, 10000);
        const std::uint64_t id = pool.connections().front()->id();
        // A few good probes first, so the RTT estimator has samples.
        waitFor([&] { return monitor.health(id) && monitor.health(id)->probes().count() >= 3; },
                10000);
        ::kill(static_cast<pid_t>(peer.pid()), SIGSTOP);
        QElapsedTimer timer;
        timer.start();
        const bool failed = waitFor(
            [&] {
                return monitor.health(id) && monitor.health(id)->state() == HealthState::Failed;
            },
            20000);
        const double seconds = double(timer.elapsed()) / 1000.0;
        ::kill(static_cast<pid_t>(peer.pid()), SIGCONT);
        std::printf(
            "silent: SIGSTOP to failed: %s %.2f s (interval 1 s, ping_timeout 5 s, adaptive "
            "RTO %.0f ms; target <= 6 s)\n",
            failed ? "" : "NOT FAILED after", seconds,
            std::chrono::duration<double, std::milli>(monitor.health(id)->rtt().rto()).count());
    }
}

void scale(int peers) {
    QProcess farm;
    farm.start(QCoreApplication::applicationDirPath() + "/bench_peer_farm",
               {QString::number(peers)});
    QByteArray out;
    if (!waitFor(
            [&] {
                out += farm.readAllStandardOutput();
                return out.contains("ready\n") || farm.state() == QProcess::NotRunning;
            },
            120000) ||
        !out.contains("ready\n")) {
        std::fprintf(stderr, "peer farm did not start: %s\n",
                     farm.readAllStandardError().constData());
        return;
    }
    std::vector<Multiaddr> addrs;
    for (const QByteArray& line : out.split('\n'))
        if (line.startsWith("peer "))
            addrs.push_back(Multiaddr::parse(line.mid(5).toStdString()).value());

    SteadyClock clock;
    HostOptions options; // the node's hard caps sized for the crowd, like the pool's below
    options.resources.systemPendingHandshakes = 1000;
    options.resources.systemOutboundConnections = 10000;
    options.resources.systemOutboundStreams = 100000;
    Host host(PrivateKey::generateEd25519(), options, clock);
    ConnectionConfig config;
    config.maxConnections = 10000;
    config.maxOutboundConnections = 10000;
    config.highWater = 9000;
    config.lowWater = 8000;
    config.healthCheckInterval = ConnectionConfig::Seconds(1);
    EventLog events;
    ConnectionPool pool(host, config, RetryConfig{}, 1);
    HealthMonitor monitor(host, pool, events, config);
    const double rssBefore = bench::rssMiB();
    // Dial in waves of 50 peers, so the listen backlogs are never flooded.
    std::size_t done = 0;
    for (std::size_t i = 0; i < addrs.size(); i += 50) {
        const std::size_t end = std::min(addrs.size(), i + 50);
        for (std::size_t j = i; j < end; ++j)
            pool.dialPeer(addrs[j], [&](auto) { ++done; });
        waitFor([&] { return done >= end; }, 60000);
    }
    const std::size_t connections = pool.connections().size();
    const double rssConnected = bench::rssMiB();

    double lastKernelShare = 0;
    auto measure = [&](bool monitoring, int seconds) {
        config.enableHealthMonitoring = monitoring;
        monitor.setConfig(config);
        pool.setConfig(config, RetryConfig{});
        // Plain event loop waits: QTest::qWait would poll every 10 ms and bill it to us.
        bench::EventWaiter().wait(1500); // settle into the schedule
        const double cpu0 = cpuSeconds();
        const double kernel0 = kernelCpuSeconds();
        QElapsedTimer wall;
        wall.start();
        bench::EventWaiter().wait(seconds * 1000);
        const double elapsed = double(wall.elapsed()) / 1000.0;
        lastKernelShare = (kernelCpuSeconds() - kernel0) / elapsed * 100.0;
        return (cpuSeconds() - cpu0) / elapsed * 100.0;
    };
    const double idleCpu = measure(false, 10);
    const double monitoredCpu = measure(true, 30);
    const double monitoredKernel = lastKernelShare;
    const double rssMonitored = bench::rssMiB();
    std::uint64_t probes = 0;
    for (Connection* c : pool.connections())
        if (const ConnectionHealth* h = monitor.health(c->id()))
            probes += h->probesSent();
    std::printf("scale: %zu peers x %d = %zu connections; probes every 1 s\n", addrs.size(),
                config.maxConnectionsPerPeer, connections);
    std::printf("scale: CPU of one core: %.1f%% monitored (%.1f%% of it in the kernel), %.1f%% "
                "idle without monitoring\n",
                monitoredCpu, monitoredKernel, idleCpu);
    std::printf("scale: memory: %.1f KiB per connection (RSS %.0f -> %.0f MiB), monitoring adds "
                "%.2f KiB per connection\n",
                (rssConnected - rssBefore) * 1024.0 / double(std::max<std::size_t>(1, connections)),
                rssBefore, rssConnected,
                (rssMonitored - rssConnected) * 1024.0 /
                    double(std::max<std::size_t>(1, connections)));
    std::printf("scale: %llu probes sent\n", static_cast<unsigned long long>(probes));
    farm.terminate();
    farm.waitForFinished(5000);
    // One probe on the wire: a Noise frame (2-byte length, 16-byte tag) around a yamux data
    // frame (12-byte header) with the 32-byte ping.
    const bench::SocketFloor floor =
        bench::measureSocketFloor(int(connections), 10, 2 + 12 + 32 + 16);
    std::printf("scale: the same %.0f round trips a second with no engine (epoll, send, recv "
                "only): %.1f%% of one core (%.1f%% in the kernel)\n",
                floor.roundTripsPerSecond, floor.cpuPercent, floor.kernelPercent);
    // The target is a ratio to the floor measured now: these VMs differ by 2x and drift.
    const double ratio = floor.cpuPercent > 0 ? monitoredCpu / floor.cpuPercent : 0;
    std::printf("scale: monitored engine CPU / no-engine floor: %.2f (target at most 2.0): %s\n",
                ratio, ratio > 0 && ratio <= 2.0 ? "met" : "NOT met");
}

} // namespace

int main(int argc, char** argv) {
    // As the engine thread does: epoll, not Qt's poll() over every socket on each wakeup.
    if (qEnvironmentVariable("PEERSCOPE_EVENT_DISPATCHER") != "qt")
        QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    const int peers = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1000;
    const QString only = argc > 2 ? QString::fromLatin1(argv[2]) : QString();
    if (only.isEmpty() || only == QLatin1String("failover"))
        failover();
    if (only.isEmpty() || only == QLatin1String("silent"))
        silentPeer();
    if (only.isEmpty() || only == QLatin1String("scale"))
        scale(peers);
    return 0;
}
