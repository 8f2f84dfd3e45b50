// Connection setup time: TCP connect + upgrade (mss, Noise XX, yamux) + the first ping round
// trip, median of 100 fresh connections on loopback, PeerScope -> PeerScope (separate process)
// and PeerScope -> js-libp2p; then js-libp2p -> js-libp2p in the same run and the ratio that
// is the target (PeerScope at least 15 times faster).
//   build/release/bench/bench_connection_setup [count]
#include "bench_peer_process.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/net/connection.h"
#include "engine/net/epoll_event_dispatcher.h"
#include "engine/net/host.h"
#include "engine/net/ping_service.h"
#include "event_waiter.h"
#include "interop/js_peer.h"
#include "js_baseline.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {

// Returns the sorted setup times in milliseconds. `hostFor(i)` gives the dialling host of
// round i: the same one (repeat connections, as the pool makes) or a fresh identity each time
// (first contact: neither side has verified the other's signature before).
std::vector<double> measure(const std::function<Host&(int)>& hostFor, const Multiaddr& target,
                            int count) {
    std::vector<double> samples;
    for (int i = 0; i < count; ++i) {
        Host& host = hostFor(i);
        QElapsedTimer timer;
        timer.start();
        bool ok = false;
        qint64 elapsedNs = 0;
        Connection* connection = nullptr;
        bench::EventWaiter waiter;
        host.dial(target, [&](Result<Connection*> dialled) {
            if (!dialled) {
                std::fprintf(stderr, "dial failed: %s\n", dialled.errorMessage().c_str());
                waiter.finish();
                return;
            }
            connection = *dialled;
            host.pingService().ping(connection, 1, 5000ms, [&](Result<std::vector<MonoTime>> rtts) {
                elapsedNs = timer.nsecsElapsed();
                ok = rtts.ok();
                waiter.finish();
            });
        });
        if (!waiter.wait(20000) || !ok)
            break;
        samples.push_back(static_cast<double>(elapsedNs) / 1e6);
        bench::EventWaiter closed;
        QObject::connect(
            &host, &Host::connectionClosed, &host, [&] { closed.finish(); },
            Qt::SingleShotConnection);
        connection->close(QStringLiteral("benchmark"));
        closed.wait(5000);
    }
    std::sort(samples.begin(), samples.end());
    return samples;
}

// Prints the samples' spread; returns the median (0 when every round failed).
double report(const char* name, const std::vector<double>& samples, int wanted) {
    if (samples.empty()) {
        std::printf("%-28s failed\n", name);
        return 0;
    }
    auto at = [&](double q) { return samples[static_cast<std::size_t>(q * (samples.size() - 1))]; };
    std::printf("%-28s n=%zu/%d median %.3f ms  p10 %.3f ms  p90 %.3f ms  max %.3f ms\n", name,
                samples.size(), wanted, at(0.5), at(0.1), at(0.9), samples.back());
    return at(0.5);
}

} // namespace

int main(int argc, char** argv) {
    // As the engine thread does: epoll, not Qt's poll() over every socket on each wakeup.
    if (qEnvironmentVariable("PEERSCOPE_EVENT_DISPATCHER") != "qt")
        QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    const int count = argc > 1 ? std::max(1, std::atoi(argv[1])) : 100;
    SteadyClock clock;
    Host host(PrivateKey::generateEd25519(), HostOptions{}, clock);
    auto sameHost = [&](int) -> Host& { return host; };
    std::unique_ptr<Host> fresh;
    auto freshHost = [&](int) -> Host& {
        HostOptions options;
        options.verifiedSignatureCacheSize = 0;
        fresh.reset(); // closes the previous round's host first
        fresh = std::make_unique<Host>(PrivateKey::generateEd25519(), options, clock);
        return *fresh;
    };

    bench::PeerProcess peer;
    QString error;
    const QString binary = QCoreApplication::applicationDirPath() + "/../app/peerscope";
    if (!peer.start(binary, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    const Multiaddr peerAddr = Multiaddr::parse(peer.listenAddr().toStdString()).value();
    const double ours = report("peerscope -> peerscope", measure(sameHost, peerAddr, count), count);
    report("  first contact (cold)", measure(freshHost, peerAddr, count), count);
    fresh.reset();

    test::JsPeer js;
    if (!js.start({}, 30000)) {
        std::fprintf(stderr, "js peer did not start:\n%s\n", qPrintable(js.diagnostics()));
        return 1;
    }
    report("peerscope -> js-libp2p",
           measure(sameHost, Multiaddr::parse(js.addrs().first().toStdString()).value(), count),
           count);

    // The target is a ratio against js-libp2p measured now, on this VM as it is now.
    const std::optional<bench::JsBaseline> baseline =
        bench::runJsBaseline(count, 1 << 20, 1, &error);
    if (!baseline || ours <= 0) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 1;
    }
    std::printf("%-28s median %.3f ms (bench/js/baseline.mjs, same run)\n",
                "js-libp2p -> js-libp2p", baseline->setupMedianMs);
    std::printf("setup, js-libp2p / peerscope: %s\n",
                qPrintable(bench::ratioVerdict(baseline->setupMedianMs / ours, 15)));
    return 0;
}
