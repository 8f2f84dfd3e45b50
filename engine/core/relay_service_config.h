#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace peerscope {

// What our circuit relay v2 service (the hop side) grants. Off by default: relaying costs us
// bandwidth and buffers for strangers. Defaults follow go-libp2p's relay (reservation TTL 1 h,
// 128 reservations and 8 per IP, circuits of 2 min and 128 KiB each way, 16 circuits per peer);
// go has no total for circuits, rust-libp2p allows 16 in all: 256 lets every reservation hold
// two. A peer holds one reservation at most, as in go and js: reserving again refreshes it.
struct RelayServiceConfig {
    bool enabled = false;
    std::chrono::seconds reservationTtl{3600};
    int maxReservations = 128;
    int maxReservationsPerIp = 8;
    int maxCircuits = 256;
    int maxCircuitsPerPeer = 16; // a peer's circuits as source and as destination
    std::chrono::seconds circuitDuration{120};
    std::uint64_t circuitDataBytes = 128 * 1024; // each way
    // Peer IDs (base58) whose circuits have no duration or data limit.
    std::vector<std::string> trustedPeers;

    bool operator==(const RelayServiceConfig&) const = default;
};

} // namespace peerscope
