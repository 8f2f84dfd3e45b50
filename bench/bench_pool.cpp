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
//   rss        N connections (default 10,000; 3 per peer) to peers in 4 bench_peer_farm
//              processes: this process's RSS per connection over its RSS before dialling, with
//              monitoring off, then on (probes every 1 s); target at most 24 KiB for both.
//              Only when asked for by name; the number is connections, not peers.
//   build/release/bench/bench_pool [peers] [failover|silent|scale]
//   build/release/bench/bench_pool [connections] rss
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
#include <fstream>
#include <malloc.h>
#include <map>
#include <memory>
#include <string>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

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

// Starts bench_peer_farm with `peers` nodes; appends their addresses. The farm dies with this
// process (PR_SET_PDEATHSIG), even when the bench crashes or is killed.
bool startFarm(QProcess& farm, int peers, std::vector<Multiaddr>* addrs) {
    farm.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
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
        return false;
    }
    for (const QByteArray& line : out.split('\n'))
        if (line.startsWith("peer "))
            addrs->push_back(Multiaddr::parse(line.mid(5).toStdString()).value());
    return true;
}

void scale(int peers) {
    QProcess farm;
    std::vector<Multiaddr> addrs;
    if (!startFarm(farm, peers, &addrs))
        return;

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

// The soft limit on open files raised to the hard one; children started after this inherit it.
rlim_t raiseFileLimit() {
    rlimit limit{};
    getrlimit(RLIMIT_NOFILE, &limit);
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
    return limit.rlim_cur;
}

// Another process's soft limit on open files, from /proc/<pid>/limits (0 if unknown).
long fileLimitOf(qint64 pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/limits");
    std::string line;
    const std::string key = "Max open files";
    while (std::getline(file, line))
        if (line.rfind(key, 0) == 0)
            return std::stol(line.substr(key.size()));
    return 0;
}

// The kernel's memory for TCP sockets (buffers and queues) of every process, in MiB: it is not
// in any process's RSS.
double kernelTcpMiB() {
    std::ifstream file("/proc/net/sockstat");
    std::string word;
    while (file >> word)
        if (word == "mem") {
            double pages = 0;
            file >> pages;
            return pages * double(sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
        }
    return 0;
}

// Bytes malloc hands out now (arenas and mmapped chunks), and bytes it holds free in arenas.
std::pair<double, double> heapMiB() {
    const struct mallinfo2 info = mallinfo2();
    return {double(info.uordblks + info.hblkhd) / (1024.0 * 1024.0),
            double(info.fordblks) / (1024.0 * 1024.0)};
}

// `wanted` connections from this process to peers in several bench_peer_farm processes: this
// process's RSS per connection with monitoring off, then on (probes every 1 s).
void rss(int wanted) {
    constexpr int perPeer = 3; // the pool's default max_connections_per_peer
    constexpr double targetKiB = 24;
    const int peers = (wanted + perPeer - 1) / perPeer;
    const int farmCount = std::min(4, peers); // a farm has at least one node
    const int total = peers * perPeer;

    const rlim_t fileLimit = raiseFileLimit();
    if (fileLimit < rlim_t(total) + 256) {
        std::fprintf(stderr, "rss: open files limited to %llu here, %d connections need more\n",
                     static_cast<unsigned long long>(fileLimit), total);
        return;
    }
    int portLow = 0, portHigh = 0;
    std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> portLow >> portHigh;
    const int ports = portHigh - portLow + 1;
    std::printf("rss: ephemeral ports %d-%d (%d) for %d outbound loopback connections: %s\n",
                portLow, portHigh, ports, total, ports >= total ? "enough" : "NOT enough");
    if (ports < total)
        return;

    // Several processes: each farm keeps its listeners and accepted sockets under its own limit.
    std::vector<std::unique_ptr<QProcess>> farms;
    std::vector<Multiaddr> addrs;
    QElapsedTimer started;
    started.start();
    for (int i = 0; i < farmCount; ++i) {
        const int n = peers / farmCount + (i < peers % farmCount ? 1 : 0);
        farms.push_back(std::make_unique<QProcess>());
        if (!startFarm(*farms.back(), n, &addrs))
            return;
        const long childLimit = fileLimitOf(farms.back()->processId());
        if (childLimit < long(n) * (perPeer + 1) + 64) {
            std::fprintf(stderr, "rss: farm %d (%d peers) may open %ld files only\n", i, n,
                         childLimit);
            return;
        }
    }
    std::printf("rss: %d bench_peer_farm processes, %zu peers, started in %.1f s; open files: "
                "%llu here, %ld in each farm (soft limit raised to the hard one)\n",
                farmCount, addrs.size(), double(started.elapsed()) / 1000.0,
                static_cast<unsigned long long>(fileLimit),
                fileLimitOf(farms.front()->processId()));

    // The engine's defaults (200 outbound connections, 8,192 streams, a pool of 300) are for a
    // desktop node; this bench raises them to hold the crowd.
    SteadyClock clock;
    HostOptions options;
    options.resources.systemPendingHandshakes = 1000;
    options.resources.systemOutboundConnections = total;
    options.resources.systemInboundStreams = 4 * total;
    options.resources.systemOutboundStreams = 4 * total;
    Host host(PrivateKey::generateEd25519(), options, clock);
    ConnectionConfig config;
    config.maxConnectionsPerPeer = perPeer;
    config.maxConnections = total;
    config.maxOutboundConnections = total;
    config.highWater = total; // trimming starts above this: never here
    config.lowWater = total - 1;
    config.healthCheckInterval = ConnectionConfig::Seconds(1);
    config.enableHealthMonitoring = false;
    EventLog events;
    ConnectionPool pool(host, config, RetryConfig{}, 1);
    HealthMonitor monitor(host, pool, events, config);
    std::printf("rss: limits raised for this bench: resources system_outbound_connections %d, "
                "system_pending_handshakes %d, system streams %d each way; pool max_connections "
                "%d, high_water %d\n",
                options.resources.systemOutboundConnections,
                options.resources.systemPendingHandshakes, options.resources.systemOutboundStreams,
                config.maxConnections, config.highWater);

    bench::EventWaiter().wait(1000);
    const double rssBefore = bench::rssMiB();
    const auto [heapBefore, freeBefore] = heapMiB();
    const double kernelBefore = kernelTcpMiB();

    // Waves of 100 peers, so no listen backlog and no handshake limit is flooded.
    std::map<QString, int> closedBy; // reason -> connections; none is expected
    QObject::connect(&host, &Host::connectionClosed,
                     [&](quint64, const PeerId&, const QString& reason) { ++closedBy[reason]; });
    QElapsedTimer dialling;
    dialling.start();
    std::size_t done = 0, failed = 0;
    for (std::size_t i = 0; i < addrs.size(); i += 100) {
        const std::size_t end = std::min(addrs.size(), i + 100);
        for (std::size_t j = i; j < end; ++j)
            pool.dialPeer(addrs[j], [&](auto result) {
                ++done;
                if (!result)
                    ++failed;
            });
        if (!waitFor([&] { return done >= end; }, 60000))
            break;
    }
    waitFor([&] { return pool.connections().size() >= std::size_t(total); }, 10000);
    const double connectSeconds = double(dialling.elapsed()) / 1000.0;
    const std::size_t connected = pool.connections().size();
    std::printf("rss: %zu connections up (host: %zu; wanted %d = %d peers x %d) in %.1f s, %zu "
                "dials failed\n",
                connected, host.connectionCount(), total, peers, perPeer, connectSeconds, failed);
    if (connected < std::size_t(total))
        std::printf("rss: NOT all connections up\n");
    const double perConnection = 1024.0 / double(std::max<std::size_t>(1, connected));

    // Monitoring off: identify has run on every connection; nothing is probed.
    bench::EventWaiter().wait(5000);
    const double rssOff = bench::rssMiB();
    const auto [heapOff, freeOff] = heapMiB();
    const double kernelOff = kernelTcpMiB();

    // Monitoring on, as `scale` runs it: every connection probed every second, for long enough
    // that every one has its ping stream and a full set of samples.
    config.enableHealthMonitoring = true;
    monitor.setConfig(config);
    pool.setConfig(config, RetryConfig{});
    bench::EventWaiter().wait(15000);
    const double rssOn = bench::rssMiB();
    const auto [heapOn, freeOn] = heapMiB();
    std::uint64_t probes = 0;
    for (Connection* c : pool.connections())
        if (const ConnectionHealth* h = monitor.health(c->id()))
            probes += h->probesSent();
    const std::size_t stillConnected = pool.connections().size();

    const double offKiB = (rssOff - rssBefore) * perConnection;
    const double onKiB = (rssOn - rssBefore) * perConnection;
    std::printf("rss: RSS %.1f MiB before dialling, %.1f MiB connected (monitoring off, 5 s "
                "later), %.1f MiB monitored (probes every 1 s, 15 s later; %llu probes, %zu "
                "connections still up)\n",
                rssBefore, rssOff, rssOn, static_cast<unsigned long long>(probes), stillConnected);
    std::printf("rss: malloc in use %.1f -> %.1f -> %.1f MiB (%.1f / %.1f KiB per connection), "
                "free in its arenas %.1f -> %.1f -> %.1f MiB\n",
                heapBefore, heapOff, heapOn, (heapOff - heapBefore) * perConnection,
                (heapOn - heapBefore) * perConnection, freeBefore, freeOff, freeOn);
    std::printf("rss: kernel TCP buffers (/proc/net/sockstat mem: both ends, every process; "
                "kernel memory, in no process's RSS, so the figures below are user space): %.1f "
                "-> %.1f MiB\n",
                kernelBefore, kernelOff);
    std::printf("rss: user-space RSS per connection, monitoring off: %.1f KiB (target at most "
                "%.0f): %s\n",
                offKiB, targetKiB, offKiB <= targetKiB ? "met" : "NOT met");
    std::printf("rss: user-space RSS per connection, monitoring on:  %.1f KiB (target at most "
                "%.0f): %s\n",
                onKiB, targetKiB, onKiB <= targetKiB ? "met" : "NOT met");
    for (const auto& [reason, count] : closedBy)
        std::printf("rss: %d connections closed: %s\n", count, qPrintable(reason));
    for (auto& farm : farms)
        farm->terminate();
    for (auto& farm : farms)
        farm->waitForFinished(5000);
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
    // Not in the default run: it takes four processes and about a minute.
    if (only == QLatin1String("rss"))
        rss(argc > 1 ? std::max(1, std::atoi(argv[1])) : 10000);
    return 0;
}
