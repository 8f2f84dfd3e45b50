#pragma once

#include "engine/core/bytes.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/peer_id.h"
#include "engine/net/byte_pipe.h"

#include <QObject>
#include <QTimer>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

namespace peerscope {

class NoiseStaticKey;
class VerifiedSignatureCache;
class EphemeralKeyPool;

class MultistreamSelect;
class NoiseHandshake;
class NoiseTransport;

inline constexpr const char* noiseProtocolId = "/noise";
inline constexpr const char* yamuxProtocolId = "/yamux/1.0.0";

// Why an upgrade failed; used as the `reason` label of the handshake-failure metric.
enum class HandshakeFailure {
    SecurityNegotiation, // multistream-select for /noise failed (e.g. garbage bytes)
    Noise,               // bad Noise message, decryption or signature failure
    PeerIdMismatch,      // the remote proved a different identity than the one dialled
    MuxerNegotiation,    // no common muxer
    Timeout,
    Eof, // the remote closed the socket mid-handshake (e.g. a truncated handshake)
    // The node's pending handshakes were all taken and this one had stalled longest: it made
    // room for a newcomer (Host).
    Evicted,
};
const char* handshakeFailureName(HandshakeFailure failure);

// Turns a raw byte pipe (a TCP socket, a relayed stream) into a secured, multiplexed channel:
// multistream-select (/noise) -> Noise XX -> yamux (chosen inside Noise when both sides offer
// it, otherwise with multistream-select over the encrypted channel).
// The role is given by the caller, not derived from who opened the socket, so a simultaneous
// open (DCUtR) can assign it.
class Upgrader final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Upgrader)

public:
    enum class Role { Initiator, Responder };

    struct Options {
        Role role = Role::Initiator;
        std::optional<PeerId> expectedRemote;
        bool muxerInNoise = true; // offer /yamux/1.0.0 inside the Noise handshake
        std::shared_ptr<const NoiseStaticKey> noiseStaticKey;       // the node's; null = fresh
        std::shared_ptr<VerifiedSignatureCache> verifiedSignatures; // the node's; null = none
        std::shared_ptr<EphemeralKeyPool> ephemeralKeys;            // the node's; null = none
        std::chrono::milliseconds timeout{10000};
        const Clock* clock = nullptr; // for lastInputAt(); null: the steady clock
    };

    struct Upgraded {
        std::unique_ptr<BytePipe> pipe; // the caller takes it over
        std::unique_ptr<NoiseTransport> noise;
        PeerId remotePeer;
        std::string muxer;
        bool muxerInHandshake = false;
        bool yamuxClient = false;
        Bytes earlyPlaintext; // first muxer bytes that arrived with the handshake
    };

    // Owns the pipe until the upgrade succeeds (takeResult() hands it on); a failed upgrade
    // closes it.
    Upgrader(std::unique_ptr<BytePipe> pipe, const PrivateKey& identity, Options options,
             QObject* parent = nullptr);
    ~Upgrader() override;

    void start();
    Role role() const { return options_.role; }
    // Valid after succeeded(); moves the result out.
    Upgraded takeResult();
    // When the remote last sent us anything (or the upgrade started), on the clock given in
    // the options: a handshake that makes progress is waiting at most a round trip.
    MonoTime lastInputAt() const { return lastInputAt_; }
    // Ends the upgrade at once, as failed(Evicted).
    void evict();

Q_SIGNALS:
    void succeeded();
    void failed(peerscope::HandshakeFailure failure, const QString& message);

private:
    enum class Phase { SecurityNegotiation, Handshake, MuxerNegotiation, Done, Failed };

    void onReadable();
    void detachPipe();
    void advance(Bytes input);
    void createHandshake();
    void startHandshake(Bytes remainder);
    void finishHandshake();
    void handleMuxerNegotiation(Bytes plaintext);
    void succeed(Bytes earlyPlaintext);
    void fail(HandshakeFailure failure, const QString& message);
    void writeWire(const Bytes& bytes);
    void writeEncrypted(const Bytes& plaintext);

    std::unique_ptr<BytePipe> pipe_;
    const PrivateKey& identity_;
    Options options_;
    Phase phase_ = Phase::SecurityNegotiation;
    std::unique_ptr<MultistreamSelect> negotiation_;
    std::unique_ptr<NoiseHandshake> handshake_;
    Upgraded result_;
    QTimer timeout_;
    MonoTime lastInputAt_{0};
};

} // namespace peerscope
