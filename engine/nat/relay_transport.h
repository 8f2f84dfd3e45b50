#pragma once

#include "engine/core/circuit_addr.h"
#include "engine/core/clock.h"
#include "engine/core/peer_id.h"
#include "engine/core/result.h"
#include "engine/protocol/circuit_relay_messages.h"

#include <QObject>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>

namespace peerscope {

class Connection;
class Host;
class Stream;

// Counters for /metrics and tests; monotonic.
struct RelayTransportCounters {
    std::uint64_t dialsSucceeded = 0;
    std::uint64_t dialsFailed = 0;
    std::uint64_t inboundAccepted = 0;
    std::uint64_t inboundRefused = 0; // a relay we hold no reservation on, or a bad request
};

// The circuit relay v2 transport: relayed connections in both directions, as first-class
// connections of the Host.
//
// Out: a /p2p-circuit address is dialled by asking the relay (hop CONNECT) on our connection to
// it (dialled first when needed); once it says OK the hop stream is the pipe, upgraded with
// Noise and yamux like a TCP socket. In: the relay announces a connection on the stop protocol;
// we take it only from relays we hold a reservation on (the accept policy) and upgrade the stop
// stream as the responder. Either way the connection's Info names the relay, and the circuit's
// limit (duration, data each way) is remembered with its start, so what remains can be shown.
class RelayTransport final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RelayTransport)

public:
    static constexpr std::chrono::seconds requestTimeout{10};

    explicit RelayTransport(Host& host, QObject* parent = nullptr);
    ~RelayTransport() override;

    // Which relays may bring us connections; by default none.
    void setAcceptPolicy(std::function<bool(const PeerId& relay)> policy) {
        acceptPolicy_ = std::move(policy);
    }

    using ConnectionCallback = std::function<void(Result<Connection*>)>;
    // `addr` must name the target (/p2p-circuit/p2p/<target>).
    void dial(const Multiaddr& addr, ConnectionCallback done);

    // The circuit limit of a relayed connection and when it started; none for a direct one or
    // a circuit without a limit.
    struct CircuitLimit {
        RelayLimit limit;
        MonoTime startedAt{0};
    };
    std::optional<CircuitLimit> limitOf(std::uint64_t connectionId) const;
    const RelayTransportCounters& counters() const { return counters_; }

Q_SIGNALS:
    // "circuit_opened" and "circuit_closed" for our relayed connections, with the relay and the
    // reason ("data limit reached (131072 bytes each way)", "duration limit reached (120 s)", or
    // the connection's own reason).
    void circuitEvent(const QString& kind, const peerscope::PeerId& peer, quint64 connectionId,
                      const QString& detail);

private:
    void dialThroughRelay(const CircuitAddr& circuit, ConnectionCallback done);
    void handleStop(Stream* stream);
    void upgrade(Stream* stream, Bytes early, bool initiator, const PeerId& remote,
                 const Multiaddr& remoteAddr, const PeerId& relay,
                 const std::optional<RelayLimit>& limit, ConnectionCallback done);

    Host& host_;
    std::function<bool(const PeerId&)> acceptPolicy_;
    void onClosed(Connection* connection, const QString& reason);

    std::map<std::uint64_t, CircuitLimit> limits_;
    RelayTransportCounters counters_;
};

} // namespace peerscope
