#pragma once

#include "engine/core/bytes.h"
#include "engine/core/result.h"

#include <optional>
#include <string>
#include <vector>

namespace peerscope {

inline constexpr const char* identifyProtocolId = "/ipfs/id/1.0.0";
inline constexpr const char* identifyPushProtocolId = "/ipfs/id/push/1.0.0";

// One identify message (libp2p/specs identify). Addresses stay in binary multiaddr form here;
// the caller converts them. Push messages may leave fields out: absent means "unchanged".
struct IdentifyMessage {
    std::optional<std::string> protocolVersion;
    std::optional<std::string> agentVersion;
    std::optional<Bytes> publicKey; // libp2p PublicKey protobuf
    std::vector<Bytes> listenAddrs;
    std::optional<Bytes> observedAddr;
    std::vector<std::string> protocols;
    std::optional<Bytes> signedPeerRecord;

    // Protobuf (no length prefix).
    Bytes encode() const;
    static Result<IdentifyMessage> decode(ByteView protobuf);
};

} // namespace peerscope
