// Many libp2p nodes in one process, for benchmarks that need a crowd of peers: N Hosts, each
// with its own identity, listening on loopback. Prints "peer <multiaddr>/p2p/<id>" per node,
// then "ready", and runs until terminated.
//   build/release/bench/bench_peer_farm N
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/net/epoll_event_dispatcher.h"
#include "engine/net/host.h"

#include <QCoreApplication>
#include <cstdio>
#include <memory>
#include <vector>

using namespace peerscope;

int main(int argc, char** argv) {
    // As the engine thread does: epoll, not Qt's poll() over every socket on each wakeup.
    if (qEnvironmentVariable("PEERSCOPE_EVENT_DISPATCHER") != "qt")
        QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    const int count = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1000;
    SteadyClock clock;
    std::vector<std::unique_ptr<Host>> hosts;
    hosts.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        auto host = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock);
        Result<Multiaddr> bound = host->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value());
        if (!bound) {
            std::fprintf(stderr, "node %d: %s\n", i, bound.errorMessage().c_str());
            return 1;
        }
        std::printf("peer %s\n", bound->withPeerId(host->peerId()).toString().c_str());
        hosts.push_back(std::move(host));
    }
    std::printf("ready\n");
    std::fflush(stdout);
    return app.exec();
}
