// What our relay service costs per reservation and per circuit: RSS and CPU of a relay process
// (`peerscope --headless --relay-service`) at idle, then holding N reservations (1,000), then
// also carrying M active circuits (200) with light traffic. The clients live in this process:
// N Hosts, each its own identity and its own TCP connection to the relay, speaking the hop and
// stop protocols directly (HopClientExchange, StopServerExchange). Client i < M opens a circuit
// to client M + i; over each circuit the source writes a small message every interval and the
// target echoes it. The relay copies those bytes between two Noise+yamux connections whatever
// they are, so no Noise runs inside the circuits: the relay's work is the same.
//   build/release/bench/bench_relay_service [reservations] [circuits] [window s] [interval ms]
//                                           [message bytes]
#include "bench_peer_process.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/net/connection.h"
#include "engine/net/epoll_event_dispatcher.h"
#include "engine/net/host.h"
#include "engine/net/stream.h"
#include "engine/protocol/circuit_relay_messages.h"
#include "engine/protocol/hop_client_exchange.h"
#include "engine/protocol/stop_server_exchange.h"
#include "event_waiter.h"
#include "process_memory.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QLoggingCategory>
#include <QPointer>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

using namespace peerscope;

namespace {

// Time on a CPU of every thread of a process, in seconds: the scheduler's nanoseconds
// (/proc/<pid>/task/<tid>/schedstat), not utime + stime's 10 ms ticks, so a few seconds of a
// nearly idle relay still measure.
double cpuSeconds(qint64 pid) {
    const QString tasks = QStringLiteral("/proc/%1/task").arg(pid);
    double total = 0;
    for (const QString& tid : QDir(tasks).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile file(tasks + "/" + tid + "/schedstat");
        if (file.open(QIODevice::ReadOnly))
            total += file.readAll().split(' ').value(0).toDouble() / 1e9;
    }
    return total;
}

double rssKiB(qint64 pid) {
    const std::string path = "/proc/" + std::to_string(pid) + "/status";
    return bench::procKibFieldMiB(path.c_str(), "VmRSS:") * 1024;
}

// The relay's CPU over `ms` of wall time while this process's event loop runs (the clients'
// traffic), as % of one core.
double cpuPercentOver(qint64 pid, int ms) {
    QElapsedTimer wall;
    wall.start();
    const double before = cpuSeconds(pid);
    bench::EventWaiter().wait(ms);
    return 100 * (cpuSeconds(pid) - before) / (double(wall.nsecsElapsed()) / 1e9);
}

// One client peer of the relay.
struct Client {
    std::unique_ptr<Host> host;
    bool reserved = false;
    QPointer<Stream> circuit;      // the source's hop stream or the target's stop stream, once open
    std::uint64_t echoedBytes = 0; // a source's: bytes that came back over the circuit
};

// Runs `start(i, done)` for i in [0, count), at most `parallel` at once; waits until every one
// has called done() or `timeoutMs` passed. Returns how many finished. A done() that comes after
// the timeout only counts.
int runBounded(int count, int parallel, int timeoutMs,
               const std::function<void(int, std::function<void()>)>& start) {
    struct State {
        int next = 0;
        int finished = 0;
        bench::EventWaiter* all = nullptr; // null once we returned
        QObject* context = nullptr;
    };
    auto state = std::make_shared<State>();
    bench::EventWaiter all;
    QObject context; // cancels a pending launch when we return
    state->all = &all;
    state->context = &context;
    std::function<void()> launch;
    launch = [&] {
        while (state->all && state->next < count && state->next - state->finished < parallel) {
            const int i = state->next++;
            start(i, [state, &launch, count] {
                ++state->finished;
                if (!state->all)
                    return;
                if (state->finished == count)
                    state->all->finish();
                else
                    QTimer::singleShot(0, state->context, [&launch] { launch(); });
            });
        }
    };
    if (count == 0)
        return 0;
    launch();
    all.wait(timeoutMs);
    state->all = nullptr;
    return state->finished;
}

std::uint64_t unixNow() {
    return static_cast<std::uint64_t>(QDateTime::currentSecsSinceEpoch());
}

} // namespace

int main(int argc, char** argv) {
    if (qEnvironmentVariable("PEERSCOPE_EVENT_DISPATCHER") != "qt")
        QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    std::setvbuf(stdout, nullptr, _IOLBF, 0); // each phase's line as it comes, piped too
    // A thousand Hosts each log their connection.
    QLoggingCategory::setFilterRules(
        QStringLiteral("peerscope.*.debug=false\npeerscope.*.info=false"));
    auto arg = [&](int i, int fallback) {
        return argc > i ? std::max(1, std::atoi(argv[i])) : fallback;
    };
    const int reservations = arg(1, 1000);
    const int circuits = std::min(arg(2, 200), reservations / 2);
    const int windowMs = arg(3, 10) * 1000;
    const int intervalMs = arg(4, 1000);
    const int messageBytes = arg(5, 64);
    SteadyClock clock;
    const QString binary = QCoreApplication::applicationDirPath() + "/../app/peerscope";

    // Defaults refuse a crowd from one address (8 reservations and 16 connections per IP, 8
    // handshakes per IP at once) and trim above 200 connections: raised so all of ours fit.
    const QByteArray n = QByteArray::number(reservations + 100);
    const QByteArray relayConfig =
        R"({"connection":{"max_connections":)" + n + R"(,"max_inbound_connections":)" + n +
        R"(,"high_water":)" + n + R"(,"low_water":)" + QByteArray::number(reservations) +
        R"(},"resources":{"system_inbound_connections":)" + n + R"(,"ip_inbound_connections":)" +
        n + R"(,"ip_pending_handshakes":64},"relay_service":{"enabled":true,"max_reservations":)" +
        n + R"(,"max_reservations_per_ip":)" + n + R"(,"max_circuits":)" +
        QByteArray::number(std::max(256, circuits + 56)) +
        R"(,"circuit_duration":3600,"circuit_data_bytes":67108864}})";
    QString error;
    bench::PeerProcess relay;
    if (!relay.start(binary, &error, {"--relay-service"}, relayConfig)) {
        std::fprintf(stderr, "relay: %s\n", qPrintable(error));
        return 1;
    }
    const qint64 pid = relay.pid();
    const Multiaddr relayAddr = Multiaddr::parse(relay.listenAddr().toStdString()).value();
    const PeerId relayId =
        PeerId::parse(relay.listenAddr().section("/p2p/", 1).toStdString()).value();
    QFile loadavg(QStringLiteral("/proc/loadavg"));
    loadavg.open(QIODevice::ReadOnly);
    std::printf("relay pid %lld, %s; machine load %s", static_cast<long long>(pid),
                qPrintable(relay.listenAddr()), loadavg.readAll().constData());

    // Idle.
    bench::EventWaiter().wait(2000);
    const double rssIdle = rssKiB(pid);
    const double cpuIdle = cpuPercentOver(pid, windowMs / 2);
    std::printf("idle:            RSS %8.1f MiB, CPU %5.2f %% of a core\n", rssIdle / 1024,
                cpuIdle);

    // N reservations, each from its own Host over its own connection. (The failure counts
    // outlive the clients: a Host ending a stream may still call back.)
    int reserveFailures = 0;
    int connectFailures = 0;
    std::vector<Client> clients(static_cast<std::size_t>(reservations));
    for (Client& client : clients)
        client.host = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock);
    QElapsedTimer phase;
    phase.start();
    double cpuBefore = cpuSeconds(pid);
    const int reserveRan =
        runBounded(reservations, 32, 120000, [&](int i, std::function<void()> done) {
            Client* client = &clients[std::size_t(i)];
            auto fail = [&reserveFailures, i, done](const std::string& why) {
                if (++reserveFailures <= 5)
                    std::fprintf(stderr, "client %d: %s\n", i, why.c_str());
                done();
            };
            client->host->dial(relayAddr, [client, relayId, done,
                                           fail](Result<Connection*> connection) {
                if (!connection)
                    return fail("dial: " + connection.errorMessage());
                client->host->openStream(
                    relayId, {circuitRelayHopProtocolId},
                    [client, relayId, done, fail](Result<Stream*> opened) {
                        if (!opened)
                            return fail("hop stream: " + opened.errorMessage());
                        QPointer<Stream> stream = opened.value();
                        auto exchange =
                            std::make_shared<HopClientExchange>(client->host->peerId(), relayId);
                        auto answered = std::make_shared<bool>(false);
                        auto handle = [client, stream, exchange, answered, done, fail] {
                            if (*answered || !stream)
                                return;
                            std::optional<HopClientExchange::Outcome> outcome =
                                exchange->feed(stream->readAll());
                            if (!outcome && !stream->isReadClosed() && !stream->isReset())
                                return;
                            *answered = true;
                            if (!outcome ||
                                !std::holds_alternative<HopClientExchange::Reserved>(*outcome))
                                return fail("RESERVE was not answered OK");
                            client->reserved = true;
                            stream->closeWrite();
                            done();
                        };
                        QObject::connect(stream, &Stream::readyRead, handle);
                        QObject::connect(stream, &Stream::remoteClosed, handle);
                        QObject::connect(stream, &Stream::wasReset, handle);
                        const Bytes request = exchange->reserve(unixNow());
                        stream->write(ByteView(request.data(), request.size()));
                    });
            });
        });
    const double reserveSeconds = double(phase.nsecsElapsed()) / 1e9;
    const double reserveCpu = cpuSeconds(pid) - cpuBefore;
    const int reserved = int(
        std::count_if(clients.begin(), clients.end(), [](const Client& c) { return c.reserved; }));
    std::printf("reserved %d of %d in %.1f s (%d did not finish); relay CPU %.2f ms per "
                "reservation set up\n",
                reserved, reservations, reserveSeconds, reservations - reserveRan,
                1000 * reserveCpu / std::max(1, reserved));
    if (reserved != reservations)
        return 1;
    bench::EventWaiter().wait(3000); // identify and the first ticks settle
    const double rssReserved = rssKiB(pid);
    const double cpuReserved = cpuPercentOver(pid, windowMs);
    std::printf("%4d reservations: RSS %8.1f MiB, CPU %5.2f %% of a core (idle, no traffic)\n",
                reservations, rssReserved / 1024, cpuReserved);

    // M circuits: source i to target M + i; targets accept the stop stream and echo.
    for (int t = circuits; t < 2 * circuits; ++t) {
        Client* target = &clients[std::size_t(t)];
        target->host->setStreamHandler(circuitRelayStopProtocolId, [target](Stream* s) {
            QPointer<Stream> stream = s;
            auto exchange = std::make_shared<StopServerExchange>();
            auto accepted = std::make_shared<bool>(false);
            auto handle = [target, stream, exchange, accepted] {
                if (!stream)
                    return;
                if (*accepted) { // echo
                    const Bytes bytes = stream->readAll();
                    stream->write(ByteView(bytes.data(), bytes.size()));
                    return;
                }
                std::optional<StopServerExchange::Request> request =
                    exchange->feed(stream->readAll());
                if (!request)
                    return;
                if (!std::holds_alternative<StopServerExchange::ConnectRequest>(*request)) {
                    stream->reset();
                    return;
                }
                *accepted = true;
                target->circuit = stream;
                const Bytes ok = StopServerExchange::accept();
                stream->write(ByteView(ok.data(), ok.size()));
                const Bytes early = exchange->takeLeftover();
                stream->write(ByteView(early.data(), early.size()));
            };
            QObject::connect(stream, &Stream::readyRead, handle);
            handle();
        });
    }
    phase.restart();
    cpuBefore = cpuSeconds(pid);
    runBounded(circuits, 32, 60000, [&](int i, std::function<void()> done) {
        Client* source = &clients[std::size_t(i)];
        const PeerId target = clients[std::size_t(circuits + i)].host->peerId();
        auto fail = [&connectFailures, i, done](const std::string& why) {
            if (++connectFailures <= 5)
                std::fprintf(stderr, "circuit %d: %s\n", i, why.c_str());
            done();
        };
        source->host->openStream(
            relayId, {circuitRelayHopProtocolId},
            [source, relayId, target, done, fail](Result<Stream*> opened) {
                if (!opened)
                    return fail("hop stream: " + opened.errorMessage());
                QPointer<Stream> stream = opened.value();
                auto exchange =
                    std::make_shared<HopClientExchange>(source->host->peerId(), relayId);
                auto answered = std::make_shared<bool>(false);
                auto handle = [source, stream, exchange, answered, done, fail] {
                    if (!stream)
                        return;
                    if (*answered) {
                        source->echoedBytes += stream->discardAll();
                        return;
                    }
                    std::optional<HopClientExchange::Outcome> outcome =
                        exchange->feed(stream->readAll());
                    if (!outcome && !stream->isReadClosed() && !stream->isReset())
                        return;
                    *answered = true;
                    if (!outcome || !std::holds_alternative<HopClientExchange::Connected>(*outcome))
                        return fail("CONNECT was not answered OK");
                    source->echoedBytes += exchange->takeLeftover().size();
                    source->circuit = stream;
                    done();
                };
                QObject::connect(stream, &Stream::readyRead, handle);
                QObject::connect(stream, &Stream::remoteClosed, handle);
                QObject::connect(stream, &Stream::wasReset, handle);
                const Bytes request = exchange->connect(target);
                stream->write(ByteView(request.data(), request.size()));
            });
    });
    const double connectSeconds = double(phase.nsecsElapsed()) / 1e9;
    const double connectCpu = cpuSeconds(pid) - cpuBefore;
    int open = 0;
    for (int i = 0; i < circuits; ++i)
        open += clients[std::size_t(i)].circuit && clients[std::size_t(circuits + i)].circuit;
    std::printf("circuits open %d of %d in %.1f s; relay CPU %.2f ms per circuit set up\n", open,
                circuits, connectSeconds, 1000 * connectCpu / std::max(1, open));
    if (open != circuits)
        return 1;

    // Light traffic: every source writes a message each interval, spread over the interval.
    const Bytes message(std::size_t(messageBytes), 0x5a);
    std::uint64_t sentBytes = 0;
    std::vector<std::unique_ptr<QTimer>> senders;
    for (int i = 0; i < circuits; ++i) {
        auto timer = std::make_unique<QTimer>();
        timer->setInterval(intervalMs);
        QObject::connect(timer.get(), &QTimer::timeout, [&, i] {
            if (QPointer<Stream>& stream = clients[std::size_t(i)].circuit) {
                stream->write(ByteView(message.data(), message.size()));
                sentBytes += message.size();
            }
        });
        QTimer::singleShot(intervalMs * i / circuits, timer.get(), qOverload<>(&QTimer::start));
        senders.push_back(std::move(timer));
    }
    bench::EventWaiter().wait(2000 + intervalMs); // every sender has started
    const double cpuActive = cpuPercentOver(pid, windowMs);
    const double rssActive = rssKiB(pid);
    senders.clear();
    auto echoed = [&] {
        std::uint64_t bytes = 0;
        for (int i = 0; i < circuits; ++i)
            bytes += clients[std::size_t(i)].echoedBytes;
        return bytes;
    };
    // The last echoes come back.
    for (int waited = 0; echoed() != sentBytes && waited < 5000; waited += 100)
        bench::EventWaiter().wait(100);
    const std::uint64_t echoedBytes = echoed();
    const double messagesPerSecond = 1000.0 * circuits / intervalMs;
    std::printf("%4d circuits:     RSS %8.1f MiB, CPU %5.2f %% of a core with %d B every %d ms "
                "each way per circuit (%.0f messages/s each way in all); echoed %llu of %llu B\n",
                circuits, rssActive / 1024, cpuActive, messageBytes, intervalMs, messagesPerSecond,
                static_cast<unsigned long long>(echoedBytes),
                static_cast<unsigned long long>(sentBytes));
    if (echoedBytes != sentBytes) {
        std::fprintf(stderr, "not every message came back over its circuit\n");
        return 1;
    }

    std::printf("\nper reservation: RSS %.1f KiB, CPU %.2f us per second idle (its connection "
                "included)\n",
                (rssReserved - rssIdle) / reservations,
                1e4 * std::max(0.0, cpuReserved - cpuIdle) / reservations);
    std::printf("per circuit:     RSS %.1f KiB, CPU %.3f %% of a core (%.1f us per second) at %.0f "
                "messages/s each way\n",
                (rssActive - rssReserved) / circuits,
                std::max(0.0, cpuActive - cpuReserved) / circuits,
                1e4 * std::max(0.0, cpuActive - cpuReserved) / circuits, 1000.0 / intervalMs);
    std::printf("%d active circuits: %.2f %% of a core above the reservations alone\n", circuits,
                cpuActive - cpuReserved);
    return 0;
}
