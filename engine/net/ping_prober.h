#pragma once

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/protocol/ping_exchange.h"

#include <QObject>
#include <QPointer>
#include <QTimer>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

namespace peerscope {

class Connection;
class Host;
class Stream;

// Probes one connection with the libp2p ping protocol over one long-lived stream, as the ping
// spec allows: a probe is one 32-byte round trip, a write and a read, not a stream open,
// negotiation and close. A timed-out or broken stream is reset (a late echo would be taken
// for the next one) and the next probe opens a new stream.
class PingProber final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PingProber)

public:
    PingProber(Host& host, Connection* connection, QObject* parent = nullptr);
    ~PingProber() override;

    using Callback = std::function<void(Result<MonoTime>)>;
    // One probe at a time; `done` runs once, with the RTT or why there was none.
    void probe(std::chrono::milliseconds timeout, Callback done);
    bool busy() const { return static_cast<bool>(done_); }

private:
    void send();
    void onData();
    void finish(Result<MonoTime> result);
    void dropStream();

    Host& host_;
    QPointer<Connection> connection_;
    QPointer<Stream> stream_;
    std::optional<PingExchange> exchange_;
    QTimer timer_;
    std::chrono::milliseconds timeout_{0};
    Callback done_;
};

} // namespace peerscope
