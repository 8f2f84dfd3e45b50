#pragma once

#include "engine/core/clock.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "engine/core/relay_client_config.h"
#include "engine/core/result.h"
#include "engine/nat/relay_selector.h"
#include "engine/protocol/circuit_relay_messages.h"
#include "engine/protocol/hop_client_exchange.h"

#include <QObject>
#include <QTimer>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace peerscope {

class Connection;
class ConnectionPool;
class EventLog;
class Host;
class PingProber;
class Stream;

// Where we stand with one relay's reservation.
enum class ReservationState { None, Reserving, Reserved, Refused, Expired, Failed };
const char* reservationStateName(ReservationState state); // "none", "reserving", ...

// What the relay manager knows of one relay, for snapshots, the API and tests.
struct RelayInfo {
    PeerId peer;
    Multiaddr addr; // the address we know it by (static: as given), without /p2p/
    RelaySelector::Source source = RelaySelector::Source::Static;
    bool preferred = false;
    bool inUse = false; // chosen by the selector: we hold (or are making) a reservation
    bool connected = false;
    ReservationState state = ReservationState::None;
    std::uint64_t reservedUntil = 0;     // unix seconds, while Reserved
    std::string detail;                  // why refused or failed
    std::optional<RelayLimit> limit;     // what each circuit through it may carry
    std::vector<Multiaddr> circuitAddrs; // ours through this relay, while Reserved
    std::deque<double> rttHistoryMs;     // the last probes' round trips, oldest first
    std::uint64_t probesUnanswered = 0;
};

// The client side of circuit relay v2: keeps reservations on the best relays and says which
// /p2p-circuit addresses we can be reached at.
//
// Relays come from the config (static: kept connected by the pool and protected from
// trimming) or from identify (connected peers that list the hop protocol). Every relay is
// pinged over our connection to it every probe interval; the RelaySelector decides which to
// hold, by round trip, the user's preference and the switching rules. A reservation is made
// on a hop stream (HopClientExchange), refreshed 5 minutes before it ends (js-libp2p's
// margin; half its life when that is shorter), made again when the relay's connection comes
// back, and given up when the relay refuses or is gone. A switch is make-before-break: the
// new relay's reservation is made and its address advertised before the old one is let go;
// then our relayed connections through the old relay are dialled again through the new one
// and the old ones drained by the pool (closed once their streams have ended).
class RelayManager final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RelayManager)

public:
    static constexpr std::chrono::seconds defaultProbeInterval{5};
    static constexpr std::chrono::minutes refreshMargin{5};
    // A relay that refused us is not asked again for this long.
    static constexpr std::chrono::minutes refusalBackoff{5};
    static constexpr std::chrono::seconds requestTimeout{10};
    static constexpr std::size_t rttHistorySize = 60;

    using UnixClock = std::function<std::uint64_t()>; // wall-clock seconds, for expiries
    RelayManager(Host& host, ConnectionPool& pool, EventLog& events, RelayClientConfig config,
                 UnixClock unixNow = {}, QObject* parent = nullptr);
    ~RelayManager() override;

    // Static relays added or removed as the list changes; new thresholds apply at once.
    void setConfig(const RelayClientConfig& config);
    const RelayClientConfig& config() const { return config_; }

    // A static relay by its address (which must end in /p2p/<relay id>); errors name the bad
    // part. Adding a known relay makes it static.
    Result<PeerId> addRelay(const Multiaddr& addr);
    bool removeRelay(const PeerId& relay);
    // "Use this relay": held whenever reachable, ahead of automatic choice. False if unknown.
    bool prefer(const PeerId& relay);
    void clearPreference();
    // Makes (or refreshes) the reservation now. False if the relay is unknown.
    bool reserveNow(const PeerId& relay);

    // True while we hold a reservation there: such a relay may bring us connections.
    bool hasReservation(const PeerId& relay) const;
    std::vector<RelayInfo> relays() const;
    std::optional<RelayInfo> relay(const PeerId& peer) const;
    bool knows(const PeerId& peer) const { return relays_.count(peer) > 0; }
    // Ours, through every relay we hold a reservation on.
    std::vector<Multiaddr> circuitAddrs() const;

    // How often each relay is pinged (and how long a probe may wait); tests shorten it.
    void setProbeInterval(std::chrono::milliseconds interval);

    // Runs the schedule (probes, refreshes, expiries, choices); a 1 s timer calls it, tests
    // may call it after moving the clock.
    void tick();

Q_SIGNALS:
    void circuitAddrsChanged();
    // "reserved", "refused", "expired", "switched", ... with the relay and why.
    void relayEvent(const QString& kind, const peerscope::PeerId& relay, const QString& detail);

private:
    struct Relay;
    Relay* find(const PeerId& peer);
    Relay& ensure(const PeerId& peer, RelaySelector::Source source);
    void onConnectionOpened(const PeerId& peer);
    void onConnectionClosed(const PeerId& peer);
    void onPeerIdentified(const PeerId& peer);
    void updateUsable(Relay& relay);
    void probe(Relay& relay);
    void reserve(Relay& relay);
    void onReserved(Relay& relay, const HopClientExchange::Reserved& reserved);
    void onReservationFailed(Relay& relay, ReservationState state, const std::string& why);
    void release(Relay& relay, const std::string& why);
    void finishSwitch(const PeerId& from, const Relay& to, const std::string& reason);
    void moveCircuits(const PeerId& from, const Relay& to);
    std::optional<Multiaddr> circuitVia(const Relay& relay, const Connection& connection) const;
    void apply(const std::vector<RelaySelector::Change>& changes);
    void setState(Relay& relay, ReservationState state, std::string detail);
    void emitEvent(const char* kind, const PeerId& relay, const std::string& detail);
    void decide();
    std::uint64_t unixNow() const;
    MonoTime now() const;

    Host& host_;
    ConnectionPool& pool_;
    EventLog& events_;
    RelayClientConfig config_;
    UnixClock unixNow_;
    RelaySelector selector_;
    std::map<PeerId, std::unique_ptr<Relay>> relays_;
    // Make-before-break: the relay to let go of once the one taken in its place is reserved,
    // and why the switch was made.
    struct PendingSwitch {
        PeerId from;
        std::string reason;
    };
    std::map<PeerId, PendingSwitch> releaseWhenReserved_;
    std::chrono::milliseconds probeInterval_{defaultProbeInterval};
    QTimer timer_;
};

} // namespace peerscope
