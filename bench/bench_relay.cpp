// Relayed single-stream throughput against direct, in the same run (target: relayed at least
// 50 % of direct). Three processes on loopback: this one (A, the perf client), B (`peerscope
// --headless --serve-perf --relay R`, which reserves on R) and R (`peerscope --headless
// --relay-service`, with A among its trusted peers, so the circuit has no limit). A measures
// perf download and upload to B directly, then over a circuit through R (hop CONNECT, then
// Noise and yamux over the relayed stream); R copies every byte between two yamux streams of
// two Noise connections, so it decrypts and encrypts everything once more.
//   build/release/bench/bench_relay [MiB]
#include "bench_peer_process.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/nat/relay_transport.h"
#include "engine/net/connection.h"
#include "engine/net/epoll_event_dispatcher.h"
#include "engine/net/host.h"
#include "engine/net/perf_service.h"
#include "event_waiter.h"
#include "js_baseline.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QThread>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <unistd.h>

using namespace peerscope;

namespace {

Connection* dial(Host& host, const QString& addr, QString* error) {
    Connection* connection = nullptr;
    bench::EventWaiter dialled;
    host.dial(Multiaddr::parse(addr.toStdString()).value(), [&](Result<Connection*> result) {
        if (result)
            connection = *result;
        else
            *error = QString::fromStdString(result.errorMessage());
        dialled.finish();
    });
    if (!dialled.wait(15000) && error->isEmpty())
        *error = QStringLiteral("dial timed out");
    return connection;
}

// User plus system CPU seconds a process has used so far (/proc/<pid>/stat), 0 if unknown.
double cpuSeconds(qint64 pid) {
    std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    std::getline(file, stat);
    // The fields after the command name, which is in parentheses and may hold spaces.
    const std::size_t close = stat.rfind(')');
    if (close == std::string::npos)
        return 0;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i)
        if (i == 14 || i == 15) // utime, stime
            ticks += std::stod(field);
    return ticks / double(sysconf(_SC_CLK_TCK));
}

// CPU seconds of each of the three processes (this one, the relay, the target) and the wall
// time over a measurement.
struct CpuUse {
    double self = 0, relay = 0, target = 0, wall = 0;
};

CpuUse cpuNow(qint64 relayPid, qint64 targetPid, const QElapsedTimer& clock) {
    return {cpuSeconds(getpid()), cpuSeconds(relayPid), cpuSeconds(targetPid),
            double(clock.nsecsElapsed()) / 1e9};
}

// Download then upload of `bytes`; GB/s of each, or nothing.
std::optional<std::pair<double, double>> perf(Host& host, Connection* connection,
                                              std::uint64_t bytes) {
    auto run = [&](std::uint64_t up, std::uint64_t down) -> std::optional<PerfResult> {
        std::optional<Result<PerfResult>> result;
        bench::EventWaiter finished;
        host.perfService().run(connection, up, down, [&](Result<PerfResult> r) {
            result = std::move(r);
            finished.finish();
        });
        if (!finished.wait(600000) || !result || !*result) {
            std::fprintf(stderr, "perf failed: %s\n",
                         result ? result->errorMessage().c_str() : "timeout");
            return std::nullopt;
        }
        return result->value();
    };
    run(32 << 20, 32 << 20); // warm up: window growth, allocator
    const std::optional<PerfResult> down = run(0, bytes);
    const std::optional<PerfResult> up = run(bytes, 0);
    if (!down || !up)
        return std::nullopt;
    return std::pair{double(bytes) / down->seconds / 1e9, double(bytes) / up->seconds / 1e9};
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariable("PEERSCOPE_EVENT_DISPATCHER") != "qt")
        QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    const std::uint64_t mebibytes = argc > 1 ? std::max(1, std::atoi(argv[1])) : 512;
    const std::uint64_t bytes = mebibytes * 1024 * 1024;
    SteadyClock clock;
    HostOptions options;
    options.servePerf = true;
    Host host(PrivateKey::generateEd25519(), options, clock);
    RelayTransport transport(host); // dials /p2p-circuit addresses for the host
    const QString binary = QCoreApplication::applicationDirPath() + "/../app/peerscope";

    QString error;
    bench::PeerProcess relay;
    const QByteArray relayConfig =
        QByteArray(R"({"relay_service":{"enabled":true,"trusted_peers":[")") +
        QByteArray::fromStdString(host.peerId().toBase58()) + R"("]}})";
    if (!relay.start(binary, &error, {}, relayConfig)) {
        std::fprintf(stderr, "relay: %s\n", qPrintable(error));
        return 1;
    }
    bench::PeerProcess target;
    if (!target.start(binary, &error, {"--relay", relay.listenAddr()},
                      R"({"relay_client":{"automatic_relays":false}})")) {
        std::fprintf(stderr, "target: %s\n", qPrintable(error));
        return 1;
    }
    const QString targetId = target.listenAddr().section(QStringLiteral("/p2p/"), 1);

    Connection* direct = dial(host, target.listenAddr(), &error);
    if (!direct) {
        std::fprintf(stderr, "direct dial: %s\n", qPrintable(error));
        return 1;
    }
    // The target reserves on the relay shortly after it starts: try until it has.
    const QString circuit = relay.listenAddr() + "/p2p-circuit/p2p/" + targetId;
    Connection* relayed = nullptr;
    QElapsedTimer waited;
    waited.start();
    while (!relayed && waited.elapsed() < 20000) {
        error.clear();
        relayed = dial(host, circuit, &error);
        if (!relayed)
            bench::EventWaiter().wait(200);
    }
    if (!relayed) {
        std::fprintf(stderr, "relayed dial %s: %s\n", qPrintable(circuit), qPrintable(error));
        return 1;
    }
    std::printf("relayed connection through %s\n", relayed->info().relay->toBase58().c_str());

    QElapsedTimer wall;
    wall.start();
    const CpuUse beforeDirect = cpuNow(relay.pid(), target.pid(), wall);
    const auto directRate = perf(host, direct, bytes);
    const CpuUse afterDirect = cpuNow(relay.pid(), target.pid(), wall);
    const auto relayedRate = perf(host, relayed, bytes);
    const CpuUse afterRelayed = cpuNow(relay.pid(), target.pid(), wall);
    if (!directRate || !relayedRate)
        return 1;
    std::printf("direct   %6.0f MiB: download %.2f GB/s, upload %.2f GB/s\n", double(mebibytes),
                directRate->first, directRate->second);
    std::printf("relayed  %6.0f MiB: download %.2f GB/s, upload %.2f GB/s (unlimited circuit)\n",
                double(mebibytes), relayedRate->first, relayedRate->second);
    // Where the CPU went: a relayed byte is encrypted and decrypted three times where a direct
    // one is once (by the relay, and by each end for its connection to the relay as well as
    // for the circuit's own), and crosses two TCP connections. With the cores busy the ratio
    // is bounded by what a byte costs, not by waiting.
    const double transferred = 2.0 * double(bytes) + 2.0 * (32 << 20); // down, up, warm-up
    auto perGiB = [&](const CpuUse& from, const CpuUse& to) {
        return (to.self - from.self + to.relay - from.relay + to.target - from.target) /
               (transferred / (1 << 30));
    };
    auto printCpu = [&](const char* name, const CpuUse& from, const CpuUse& to) {
        const double self = to.self - from.self, relayCpu = to.relay - from.relay,
                     targetCpu = to.target - from.target, seconds = to.wall - from.wall;
        std::printf("%s CPU: this %.2f s, relay %.2f s, target %.2f s over %.2f s wall: "
                    "%.2f cores busy, %.2f CPU-s per GiB\n",
                    name, self, relayCpu, targetCpu, seconds,
                    (self + relayCpu + targetCpu) / seconds,
                    (self + relayCpu + targetCpu) / (transferred / (1 << 30)));
    };
    printCpu("direct  ", beforeDirect, afterDirect);
    printCpu("relayed ", afterDirect, afterRelayed);
    const double costRatio = perGiB(afterDirect, afterRelayed) / perGiB(beforeDirect, afterDirect);
    std::printf("a relayed byte costs %.2fx the CPU of a direct one: with as many cores busy as "
                "direct had (%d here), relayed / direct comes to %.0f %%\n",
                costRatio, QThread::idealThreadCount(), 100 / costRatio);
    // The slower direction of each, measured now: the VM's speed cancels out.
    const double ratio = std::min(relayedRate->first, relayedRate->second) /
                         std::min(directRate->first, directRate->second);
    std::printf("relayed / direct: %s\n", qPrintable(bench::ratioVerdict(100 * ratio, 50, " %")));
    return 0;
}
