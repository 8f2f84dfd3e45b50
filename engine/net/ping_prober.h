#pragma once

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/protocol/ping_exchange.h"

#include <QObject>
#include <functional>
#include <optional>
#include <string>

namespace peerscope {

class Connection;
class Host;
struct PeerRecord;
class Stream;

// Probes one connection with the libp2p ping protocol over one long-lived stream, as the ping
// spec allows: a probe is one 32-byte round trip, a write and a read, not a stream open,
// negotiation and close. A timed-out or broken stream is reset (a late echo would be taken
// for the next one) and the next probe opens a new stream. The prober keeps no timer: whoever
// probes decides when the wait is over (the health monitor checks every deadline on its own
// tick) and calls giveUp(), so a probe costs no timer registration.
class PingProber final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PingProber)

public:
    PingProber(Host& host, Connection* connection, QObject* parent = nullptr);
    ~PingProber() override;

    using Callback = std::function<void(Result<MonoTime>)>;
    // One probe at a time; `done` runs once, with the RTT or why there was none.
    void probe(Callback done);
    // Ends the probe under way with `why` (its deadline passed); the stream is reset, since a
    // late echo would otherwise answer the next probe.
    void giveUp(const std::string& why);
    bool busy() const { return static_cast<bool>(done_); }

private:
    void send();
    void onData();
    void finish(Result<MonoTime> result);
    void dropStream();

    Host& host_;
    // Raw pointers, cleared when their object goes (destroyed(), and the stream's closed()): a
    // QPointer would read its separate refcount block on every probe.
    Connection* connection_;
    Stream* stream_ = nullptr;
    PeerRecord* record_ = nullptr; // the peer's, valid while connection_ is open
    std::optional<PingExchange> exchange_;
    Callback done_;
};

} // namespace peerscope
