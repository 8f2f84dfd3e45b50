#pragma once

#include "engine/core/bytes.h"
#include "engine/core/keys.h"
#include "engine/core/peer_id.h"
#include "engine/core/result.h"

#include <string_view>

namespace peerscope {

// A libp2p signed envelope (libp2p/specs RFC 0002): a payload, its type, the signer's public
// key and a signature over the uvarint-length-prefixed domain, payload type and payload. The
// domain is never sent; the reader names the one it expects, so an envelope signed for one
// purpose cannot be replayed for another.
struct OpenedEnvelope {
    PublicKey signer;
    PeerId signerId;
    Bytes payloadType;
    Bytes payload;
};

class SignedEnvelope final {
public:
    // Envelopes are small records; a larger one is refused before parsing.
    static constexpr std::size_t maxSize = 64 * 1024;

    // The envelope protobuf. Fails only for an empty domain, which the RFC does not allow.
    static Result<Bytes> seal(const PrivateKey& key, std::string_view domain, ByteView payloadType,
                              ByteView payload);
    // Checks the structure, the key and the signature for expectedDomain; what the payload
    // means (its type, who signed it) is the caller's to check.
    static Result<OpenedEnvelope> open(ByteView envelope, std::string_view expectedDomain);

    // The bytes the signature covers.
    static Bytes signedData(std::string_view domain, ByteView payloadType, ByteView payload);
};

} // namespace peerscope
