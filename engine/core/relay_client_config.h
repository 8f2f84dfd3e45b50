#pragma once

#include <string>
#include <vector>

namespace peerscope {

// How we use relays (circuit relay v2, client side): where we hold reservations so that
// peers that cannot dial us directly can reach us through a relay.
struct RelayClientConfig {
    // Static relays: multiaddrs ending in /p2p/<relay id>. `--relay` adds to them.
    std::vector<std::string> relays;
    // Connected peers whose identify lists the hop protocol are candidates too.
    bool automaticRelays = true;
    // Relays to hold a reservation on at once (js-libp2p and go-libp2p hold 2 to 4).
    int reservations = 2;
    // Automatic switch: the relay in use answers slower than this for that many consecutive
    // probes (the LANrage seed's 200 ms), and another is clearly better.
    double relaySwitchRttMs = 200;
    int relaySwitchProbes = 3;

    bool operator==(const RelayClientConfig&) const = default;
};

} // namespace peerscope
