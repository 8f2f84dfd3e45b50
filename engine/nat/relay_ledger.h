#pragma once

#include "engine/core/clock.h"
#include "engine/core/peer_id.h"
#include "engine/core/relay_service_config.h"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace peerscope {

// Why the relay service said no; the name is the `reason` label of its refusal counter.
enum class RelayRefusal {
    None,
    Reservations,      // max_reservations reached
    ReservationsPerIp, // max_reservations_per_ip reached for the requester's address
    NoReservation,     // CONNECT to a peer that holds no reservation
    Circuits,          // max_circuits reached
    CircuitsPerPeer,   // max_circuits_per_peer reached for the source or the destination
};
const char* relayRefusalName(RelayRefusal refusal); // "reservations", ...

// The relay service's books, without any I/O: who holds a reservation until when and from which
// address, how many circuits are open and between whom, and whether one more is allowed. Time
// is passed in (the service reads its injected clock), so expiry is deterministic in tests.
class RelayLedger final {
public:
    explicit RelayLedger(RelayServiceConfig config);

    // New limits apply to what is asked from now on; what was granted stays until it ends.
    void setConfig(RelayServiceConfig config);
    const RelayServiceConfig& config() const { return config_; }

    // A RESERVE from `peer`, connected from `ipKey` (ipScopeKey() of its address). Granted: the
    // reservation lasts until `now` + reservation TTL (a refresh moves it), written to `expires`.
    RelayRefusal reserve(const PeerId& peer, const std::string& ipKey, MonoTime now,
                         MonoTime* expires);
    bool hasReservation(const PeerId& peer, MonoTime now) const;
    std::optional<MonoTime> reservationExpiry(const PeerId& peer) const;
    // The peer's connection to us is gone: its reservation goes with it (go-libp2p does the
    // same; the peer reserves again when it reconnects).
    void dropReservation(const PeerId& peer);
    // Removes and returns the reservations that ended at or before `now`.
    std::vector<PeerId> expire(MonoTime now);
    std::size_t reservationCount() const { return reservations_.size(); }
    int reservationsAt(const std::string& ipKey) const;

    // A CONNECT from `source` to `destination`. Granted: the circuit counts until closeCircuit().
    RelayRefusal openCircuit(const PeerId& source, const PeerId& destination, MonoTime now);
    void closeCircuit(const PeerId& source, const PeerId& destination);
    std::size_t circuitCount() const { return circuits_; }
    int circuitsOf(const PeerId& peer) const;

    // A circuit's limit: the configured one, or none (0, 0) when either end is trusted.
    struct CircuitLimit {
        std::chrono::seconds duration{0}; // 0: none
        std::uint64_t dataBytes = 0;      // each way; 0: none
    };
    CircuitLimit limitFor(const PeerId& source, const PeerId& destination) const;

private:
    struct Reservation {
        std::string ipKey;
        MonoTime expires{0};
    };
    bool isTrusted(const PeerId& peer) const;
    // Reservations still running at `now`, at one address or (null) in all.
    int liveReservations(MonoTime now, const std::string* ipKey) const;
    void rebuildTrusted();

    RelayServiceConfig config_;
    std::set<PeerId> trusted_;
    std::map<PeerId, Reservation> reservations_;
    std::map<std::string, int> reservationsByIp_;
    std::map<PeerId, int> circuitsByPeer_;
    std::size_t circuits_ = 0;
};

} // namespace peerscope
