#pragma once

#include "engine/core/bytes.h"
#include "engine/core/clock.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "engine/core/relay_service_config.h"
#include "engine/nat/circuit_bridge.h"
#include "engine/nat/relay_ledger.h"
#include "engine/protocol/circuit_relay_messages.h"

#include <QObject>
#include <QString>
#include <QTimer>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace peerscope {

class Host;
class Stream;

// What the relay service did over its life (monotonic), for /metrics and the snapshot.
struct RelayServiceCounters {
    std::uint64_t reservationsGranted = 0; // refreshes too
    std::uint64_t reservationsExpired = 0; // ended by their TTL
    std::uint64_t circuitsOpened = 0;
    std::map<std::string, std::uint64_t> circuitsClosed; // by CircuitBridge::outcomeName()
    std::uint64_t bytesToDestination = 0;                // circuits already closed
    std::uint64_t bytesToSource = 0;
    std::map<std::string, std::uint64_t> refused; // by relayStatusKey(): "no_reservation", ...
    std::uint64_t eventsSuppressed = 0;           // event-log lines left out past the rate limit
};

// "reservation_refused", "resource_limit_exceeded", ...: a status as a metric label.
std::string relayStatusKey(RelayStatus status);

// The hop side of circuit relay v2 (libp2p/specs relay/circuit-v2.md): serves
// /libp2p/circuit/relay/0.2.0/hop while enabled, grants reservations from RelayLedger's books
// and joins a CONNECT's hop stream to a stop stream it opens to the target over the target's
// existing connection (like go-libp2p, the relay never dials a target), with a CircuitBridge.
//
// Bounded: a hop stream has requestTimeout to send its request and a CONNECT stopTimeout for
// the target's answer; at most maxPendingRequests hop streams wait at once; every circuit has
// the ledger's limits. A reservation ends with its TTL or the peer's last connection to us.
class RelayService final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RelayService)

public:
    struct Options {
        std::chrono::milliseconds requestTimeout{10000};
        // The target's STATUS on the stop stream, from the moment we open it (go: 1 min).
        std::chrono::milliseconds stopTimeout{10000};
        // How often reservations are swept and circuit deadlines checked; the times themselves
        // come from the Host's clock.
        std::chrono::milliseconds tickInterval{1000};
        std::size_t maxPendingRequests = 256;
        // Wall-clock unix seconds for a reservation's `expire` and its voucher (default: the
        // system clock).
        std::function<std::uint64_t()> unixNow;
        // The addresses a reservation advertises, without /p2p/ (default: the host's listen
        // addresses that are not wildcards).
        std::function<std::vector<Multiaddr>()> addrs;
        // Told when a peer gains (true) or loses (false) its reservation: its connection to
        // us must stay open meanwhile, not be closed as idle or trimmed (go-libp2p tags such
        // connections in its connection manager for the same reason).
        std::function<void(const PeerId&, bool)> keepConnected;
    };

    RelayService(Host& host, RelayServiceConfig config, Options options, QObject* parent = nullptr);
    ~RelayService() override;

    // New limits apply to new requests; `enabled` starts or stops the service. Stopping ends
    // every circuit and reservation.
    void setConfig(RelayServiceConfig config);
    const RelayServiceConfig& config() const { return ledger_.config(); }
    bool isEnabled() const { return enabled_; }

    std::size_t reservationCount() const { return ledger_.reservationCount(); }
    std::size_t circuitCount() const { return bridges_.size(); }
    std::size_t pendingRequestCount() const { return sessions_.size(); }
    const RelayServiceCounters& counters() const { return counters_; }
    // Bytes relayed both ways, closed circuits and running ones.
    std::uint64_t bytesToDestination() const;
    std::uint64_t bytesToSource() const;
    const RelayLedger& ledger() const { return ledger_; }

    // What the timer does; tests with a manual clock may call it.
    void tick();

Q_SIGNALS:
    // For the event log: "relay_reservation_granted", "relay_reservation_refused",
    // "relay_reservation_expired", "relay_reservation_ended", "relay_circuit_opened",
    // "relay_circuit_refused", "relay_circuit_closed".
    void relayEvent(const QString& kind, const peerscope::PeerId& peer, const QString& detail);

private:
    struct Session; // one hop stream, from its request to its answer (and the stop exchange)

    void start();
    void stop();
    void keepConnected(const PeerId& peer, bool keep);
    void acceptHop(Stream* stream);
    void readRequest(Session& session);
    void handleReserve(Session& session);
    void handleConnect(Session& session, const RelayPeerInfo& target);
    void stopStreamOpened(std::uint64_t sessionId, Stream* stop);
    void readStopResponse(Session& session);
    void bridge(Session& session);
    // Answers the hop stream with `status`, closes it and forgets the session.
    void refuse(Session& session, RelayStatus status, const QString& why);
    void endSession(std::uint64_t id);
    // Resets the session's stop stream, if any, without hearing of it.
    void dropStop(Session& session);
    void peerDisconnected(const PeerId& peer);
    std::optional<RelayLimit> limitMessage(const RelayLedger::CircuitLimit& limit) const;
    std::vector<Multiaddr> advertisedAddrs() const;
    // What peers can make happen at will (reservations, circuits, refusals): logged at most 50
    // per 10 s, so a busy or hostile peer cannot wash the event log out; all are counted.
    void peerEvent(const QString& kind, const PeerId& peer, const QString& detail);

    Host& host_;
    Options options_;
    RelayLedger ledger_;
    bool enabled_ = false;
    QTimer timer_;
    std::uint64_t nextSessionId_ = 1;
    std::map<std::uint64_t, std::unique_ptr<Session>> sessions_;
    struct Circuit {
        PeerId source;
        PeerId destination;
    };
    std::map<CircuitBridge*, Circuit> bridges_;
    RelayServiceCounters counters_;
    std::optional<MonoTime> peerEventWindowStart_;
    int peerEventsInWindow_ = 0;
    QMetaObject::Connection disconnectWatch_;
};

} // namespace peerscope
