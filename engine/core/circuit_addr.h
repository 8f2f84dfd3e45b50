#pragma once

#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "engine/core/result.h"

#include <optional>
#include <string>

namespace peerscope {

// A circuit relay v2 address: `<relay transport>/p2p/<relay>/p2p-circuit[/p2p/<target>]`.
// Dialling one reaches the target through the relay; without a target it is where a peer
// that reserved on the relay can be reached (what we advertise once we hold a reservation).
// The relay's transport part may be empty (`/p2p/<relay>/p2p-circuit/...`) when we are
// already connected to the relay. Relay chains (two /p2p-circuit) are refused: v2 has no hops
// beyond one.
struct CircuitAddr {
    Multiaddr relayAddr; // without /p2p/<relay>; may be empty
    PeerId relay;
    std::optional<PeerId> target;

    // Errors name the bad part, e.g. "/p2p-circuit must follow /p2p/<relay id>" or
    // "after /p2p-circuit only /p2p/<target id> may follow, got /ip4/1.2.3.4".
    static Result<CircuitAddr> parse(const Multiaddr& addr);
    static bool isCircuit(const Multiaddr& addr);

    // The relay with its /p2p/ id (what to dial to reach it).
    Multiaddr relayWithId() const;
    Multiaddr toMultiaddr() const;

    friend bool operator==(const CircuitAddr&, const CircuitAddr&) = default;
};

// Why `addr` cannot name a relay to reserve on, as words that follow the address ("has no
// /p2p/<relay id>"), or empty when it can. A relay is reached directly (not through
// /p2p-circuit), at ip4, ip6 or dns then tcp, and named by /p2p/<relay id>; `idAlone` also
// takes /p2p/<relay id> by itself (a relay we may already be connected to).
std::string relayAddrProblem(const Multiaddr& addr, bool idAlone);

} // namespace peerscope
