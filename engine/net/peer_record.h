#pragma once

#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"

#include <optional>
#include <string>
#include <vector>

namespace peerscope {

// What the host knows about one peer, mostly from identify.
struct PeerRecord {
    PeerId id;
    std::optional<PublicKey> publicKey;
    std::string agentVersion;
    std::string protocolVersion;
    std::vector<std::string> protocols;
    std::vector<Multiaddr> listenAddrs;
    std::optional<Multiaddr> observedAddr; // how the peer sees us
    bool identified = false;
    std::optional<MonoTime> lastPingRtt;
};

} // namespace peerscope
