#pragma once

#include "engine/core/bytes.h"
#include "engine/core/keys.h"
#include "engine/core/peer_id.h"
#include "engine/protocol/noise_transport.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace peerscope {

class EphemeralKeyPool;
class NoiseStaticKey;
class VerifiedSignatureCache;

// libp2p Noise handshake (libp2p/specs noise/README.md), sans-I/O:
// Noise_XX_25519_ChaChaPoly_SHA256, empty prologue, each handshake message framed with a
// 2-byte big-endian length. The payload is a NoiseHandshakePayload protobuf: the libp2p
// identity key and its signature over "noise-libp2p-static-key:" + the Noise static key, plus
// NoiseExtensions.stream_muxers for muxer negotiation inside the handshake
// (connections/inlined-muxer-negotiation.md).
//
//   initiator: -> e            (msg 1, empty payload)
//   responder: <- e, ee, s, es (msg 2, responder payload)
//   initiator: -> s, se        (msg 3, initiator payload)
class NoiseHandshake final {
public:
    enum class Role { Initiator, Responder };
    enum class State { InProgress, Complete, Failed };

    struct Options {
        Role role = Role::Initiator;
        // Muxers offered in NoiseExtensions, in order of preference; empty = no extension.
        std::vector<std::string> muxers;
        // If set, the handshake fails unless the remote proves this identity:
        // "peer id mismatch: expected X, got Y".
        std::optional<PeerId> expectedRemote;
        // The node's static key, signed by the same identity; null = a fresh one for this
        // handshake alone.
        std::shared_ptr<const NoiseStaticKey> staticKey;
        // Signatures already verified (shared by a node's handshakes); null = verify every one.
        std::shared_ptr<VerifiedSignatureCache> verifiedSignatures;
        // Where the ephemeral key comes from (one made ahead of time); null = made here.
        std::shared_ptr<EphemeralKeyPool> ephemeralKeys;
    };

    NoiseHandshake(const PrivateKey& identity, Options options);
    ~NoiseHandshake();
    NoiseHandshake(const NoiseHandshake&) = delete;
    NoiseHandshake& operator=(const NoiseHandshake&) = delete;

    // Initiator: queues message 1. Responder: does nothing.
    void start();
    // Consumes wire bytes (2-byte framed handshake messages).
    void feed(ByteView bytes);
    Bytes takeOutput();

    State state() const;
    const std::string& error() const; // valid in Failed

    // Valid in Complete:
    const PeerId& remotePeer() const;
    const PublicKey& remoteIdentityKey() const;
    // The muxer chosen inside the handshake: the first of the initiator's list that the
    // responder also lists; empty if either side offered none or nothing matched.
    const std::string& negotiatedMuxer() const;
    // Transport cipher states; call once.
    std::unique_ptr<NoiseTransport> takeTransport();
    // Wire bytes received after the final handshake message (already transport frames).
    Bytes takeRemainder();

private:
    struct State_;
    std::unique_ptr<State_> d_;
};

} // namespace peerscope
