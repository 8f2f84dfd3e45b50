// Single-stream throughput over one connection with the perf protocol, PeerScope -> PeerScope
// (separate process), beside raw loopback TCP (iperf3) and js-libp2p -> js-libp2p measured in
// the same run, with the ratios that are the targets: at least 4x js-libp2p and at least 45 %
// of raw TCP, each for the slower of our two directions.
//   build/release/bench/bench_throughput [MiB]
#include "bench_peer_process.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/net/connection.h"
#include "engine/net/epoll_event_dispatcher.h"
#include "engine/net/host.h"
#include "engine/net/perf_service.h"
#include "event_waiter.h"
#include "js_baseline.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QThread>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <optional>

using namespace peerscope;

namespace {

// Raw TCP on loopback, one stream, 5 seconds; GB/s or a negative value if iperf3 is missing.
double iperf3GBps() {
    const QString iperf = QStandardPaths::findExecutable("iperf3");
    if (iperf.isEmpty())
        return -1;
    QProcess server;
    server.start(iperf, {"-s", "-1", "-B", "127.0.0.1", "-p", "15201"});
    if (!server.waitForStarted(3000))
        return -1;
    QThread::msleep(300);
    QProcess client;
    client.start(iperf, {"-c", "127.0.0.1", "-p", "15201", "-t", "5", "-J"});
    client.waitForFinished(20000);
    server.waitForFinished(5000);
    QJsonObject result = QJsonDocument::fromJson(client.readAllStandardOutput()).object();
    double bitsPerSecond =
        result["end"].toObject()["sum_received"].toObject()["bits_per_second"].toDouble();
    return bitsPerSecond / 8 / 1e9;
}

} // namespace

int main(int argc, char** argv) {
    // As the engine thread does: epoll, not Qt's poll() over every socket on each wakeup.
    if (qEnvironmentVariable("PEERSCOPE_EVENT_DISPATCHER") != "qt")
        QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    const std::uint64_t mebibytes = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1024;
    SteadyClock clock;
    Host host(PrivateKey::generateEd25519(), HostOptions{}, clock);
    bench::PeerProcess peer;
    QString error;
    if (!peer.start(QCoreApplication::applicationDirPath() + "/../app/peerscope", &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    Connection* connection = nullptr;
    bench::EventWaiter dialled;
    host.dial(Multiaddr::parse(peer.listenAddr().toStdString()).value(),
              [&](Result<Connection*> result) {
                  if (result)
                      connection = *result;
                  dialled.finish();
              });
    if (!dialled.wait(10000) || !connection) {
        std::fprintf(stderr, "dial failed\n");
        return 1;
    }
    const std::uint64_t bytes = mebibytes * 1024 * 1024;
    auto run = [&](std::uint64_t up, std::uint64_t down) -> std::optional<PerfResult> {
        std::optional<Result<PerfResult>> result;
        bench::EventWaiter finished;
        host.perfService().run(connection, up, down, [&](Result<PerfResult> r) {
            result = std::move(r);
            finished.finish();
        });
        if (!finished.wait(600000) || !*result) {
            std::fprintf(stderr, "perf failed: %s\n",
                         result ? result->errorMessage().c_str() : "timeout");
            return std::nullopt;
        }
        return result->value();
    };
    run(64 << 20, 64 << 20); // warm up: window growth, allocator
    std::optional<PerfResult> download = run(0, bytes);
    std::optional<PerfResult> upload = run(bytes, 0);
    if (!download || !upload)
        return 1;
    std::printf("perf download (peer sends)   %6.0f MiB in %.3f s = %.2f GB/s\n", double(mebibytes),
                download->seconds, double(bytes) / download->seconds / 1e9);
    std::printf("perf upload (we send)        %6.0f MiB in %.3f s = %.2f GB/s\n", double(mebibytes),
                upload->seconds, double(bytes) / upload->seconds / 1e9);
    const double ours =
        std::min(double(bytes) / download->seconds, double(bytes) / upload->seconds) / 1e9;
    double raw = iperf3GBps();
    if (raw > 0)
        std::printf("raw loopback TCP (iperf3)    %.2f GB/s\n", raw);
    else
        std::printf("raw loopback TCP (iperf3)    not measured (iperf3 missing)\n");
    const std::optional<bench::JsBaseline> js = bench::runJsBaseline(5, bytes, 1, &error);
    if (js)
        std::printf("js-libp2p -> js-libp2p       download %.2f GB/s, upload %.2f GB/s "
                    "(bench/js/baseline.mjs, same run)\n",
                    js->downloadGBps, js->uploadGBps);
    else
        std::fprintf(stderr, "%s\n", qPrintable(error));
    // The targets are ratios against baselines taken now, on this VM as it is now; ours is
    // the slower of our two directions.
    if (js)
        std::printf(
            "peerscope / js-libp2p: %s\n",
            qPrintable(bench::ratioVerdict(ours / std::min(js->downloadGBps, js->uploadGBps), 4)));
    if (raw > 0)
        std::printf("peerscope / raw TCP: %s\n",
                    qPrintable(bench::ratioVerdict(100 * ours / raw, 45, " %")));
    return js && raw > 0 ? 0 : 1;
}
