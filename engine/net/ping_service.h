#pragma once

#include "engine/core/clock.h"
#include "engine/core/peer_id.h"
#include "engine/core/result.h"

#include <QObject>
#include <chrono>
#include <functional>
#include <vector>

namespace peerscope {

class Connection;
class Host;
class Stream;

// The libp2p ping protocol (/ipfs/ping/1.0.0): echoes inbound pings and measures round trips.
// Several pings go over one stream, one after another, as js-libp2p and go-libp2p do.
class PingService final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PingService)

public:
    explicit PingService(Host& host);
    ~PingService() override;

    using PingCallback = std::function<void(Result<std::vector<MonoTime>>)>;
    // `count` round trips on one connection; each must finish within `timeout`.
    void ping(Connection* connection, int count, std::chrono::milliseconds timeout,
              PingCallback done);
    // On the peer's first open connection.
    void ping(const PeerId& peer, int count, std::chrono::milliseconds timeout, PingCallback done);

private:
    void serve(Stream* stream);

    Host& host_;
};

} // namespace peerscope
