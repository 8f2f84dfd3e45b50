#include "engine/net/upgrader.h"

#include "engine/protocol/ephemeral_key_pool.h"
#include "engine/protocol/multistream_select.h"
#include "engine/protocol/noise_handshake.h"
#include "engine/protocol/noise_transport.h"

namespace peerscope {

namespace {
// What one wakeup reads at most: handshake messages are small, and a peer that sends more
// than this at once waits for the next turn of the event loop like everyone else.
constexpr std::size_t readChunk = 16 * 1024;
constexpr std::size_t maxReadPerWakeup = 64 * 1024;

MonoTime nowOn(const Clock* clock) {
    static const SteadyClock steady;
    return (clock ? clock : &steady)->now();
}
} // namespace

const char* handshakeFailureName(HandshakeFailure failure) {
    switch (failure) {
    case HandshakeFailure::SecurityNegotiation:
        return "security_negotiation";
    case HandshakeFailure::Noise:
        return "noise";
    case HandshakeFailure::PeerIdMismatch:
        return "peer_id_mismatch";
    case HandshakeFailure::MuxerNegotiation:
        return "muxer_negotiation";
    case HandshakeFailure::Timeout:
        return "timeout";
    case HandshakeFailure::Eof:
        return "eof";
    case HandshakeFailure::Evicted:
        return "evicted";
    }
    return "unknown";
}

Upgrader::Upgrader(std::unique_ptr<BytePipe> pipe, const PrivateKey& identity, Options options,
                   QObject* parent)
    : QObject(parent), pipe_(std::move(pipe)), identity_(identity), options_(std::move(options)) {
    timeout_.setSingleShot(true);
    connect(&timeout_, &QTimer::timeout, this, [this] {
        fail(HandshakeFailure::Timeout, QStringLiteral("upgrade timed out after %1 ms")
                                            .arg(static_cast<qlonglong>(options_.timeout.count())));
    });
}

Upgrader::~Upgrader() {
    detachPipe();
}

// Our handlers leave the pipe: it is handed on, closed or destroyed.
void Upgrader::detachPipe() {
    if (!pipe_)
        return;
    pipe_->disconnect(this);
    pipe_->setReadHandler({});
}

void Upgrader::start() {
    const bool initiator = options_.role == Role::Initiator;
    negotiation_ = std::make_unique<MultistreamSelect>(
        initiator ? MultistreamSelect::initiator({noiseProtocolId})
                  : MultistreamSelect::responder({noiseProtocolId}));
    pipe_->setReadHandler([this] { onReadable(); });
    connect(pipe_.get(), &BytePipe::failed, this, [this](const QString& reason) {
        fail(HandshakeFailure::Eof,
             QStringLiteral("connection closed during the upgrade (") + reason + u')');
    });
    timeout_.start(options_.timeout);
    lastInputAt_ = nowOn(options_.clock);
    negotiation_->start();
    writeWire(negotiation_->takeOutput());
    // /noise is our only proposal, so the initiator sends Noise message 1 right behind it
    // instead of waiting a round trip for the echo; if the answer is "na" the upgrade fails
    // either way.
    if (initiator)
        createHandshake();
    // Bytes the transport read before the pipe took over come first.
    const QByteArray early = pipe_->takeBuffered();
    if (!early.isEmpty() && phase_ != Phase::Failed) {
        lastInputAt_ = nowOn(options_.clock);
        advance(Bytes(early.begin(), early.end()));
    }
    if (phase_ != Phase::Failed && phase_ != Phase::Done)
        onReadable();
}

void Upgrader::createHandshake() {
    NoiseHandshake::Options noiseOptions;
    noiseOptions.role = options_.role == Role::Initiator ? NoiseHandshake::Role::Initiator
                                                         : NoiseHandshake::Role::Responder;
    if (options_.muxerInNoise)
        noiseOptions.muxers = {yamuxProtocolId};
    noiseOptions.expectedRemote = options_.expectedRemote;
    noiseOptions.staticKey = options_.noiseStaticKey;
    noiseOptions.verifiedSignatures = options_.verifiedSignatures;
    noiseOptions.ephemeralKeys = options_.ephemeralKeys;
    handshake_ = std::make_unique<NoiseHandshake>(identity_, std::move(noiseOptions));
    handshake_->start();
    writeWire(handshake_->takeOutput());
    // The next handshake's key is made once this one's messages are on their way.
    if (std::shared_ptr<EphemeralKeyPool> keys = options_.ephemeralKeys)
        QMetaObject::invokeMethod(
            this, [keys] { keys->refill(); }, Qt::QueuedConnection);
}

void Upgrader::evict() {
    fail(HandshakeFailure::Evicted,
         QStringLiteral("evicted: the node's pending handshakes were all taken and this one had "
                        "stalled longest"));
}

void Upgrader::onReadable() {
    Bytes chunk(readChunk);
    std::size_t handled = 0;
    // Up to the handshake's end: what follows belongs to the connection, which reads it from
    // the pipe itself.
    while (pipe_ && handled < maxReadPerWakeup && phase_ != Phase::Done &&
           phase_ != Phase::Failed) {
        const BytePipe::ReadResult got = pipe_->read(chunk.data(), chunk.size());
        if (got.status == BytePipe::ReadStatus::WouldBlock)
            return;
        if (got.status == BytePipe::ReadStatus::Closed) {
            // failed() has run already, unless the pipe ended without an error to tell.
            fail(HandshakeFailure::Eof, QStringLiteral("connection closed during the upgrade"));
            return;
        }
        handled += got.count;
        lastInputAt_ = nowOn(options_.clock);
        advance(Bytes(chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(got.count)));
    }
}

void Upgrader::advance(Bytes input) {
    switch (phase_) {
    case Phase::SecurityNegotiation: {
        negotiation_->feed(input);
        writeWire(negotiation_->takeOutput());
        if (negotiation_->state() == MultistreamSelect::State::Failed) {
            fail(HandshakeFailure::SecurityNegotiation,
                 QStringLiteral("security negotiation: ") +
                     QString::fromStdString(negotiation_->error()));
            return;
        }
        if (negotiation_->state() == MultistreamSelect::State::Done)
            startHandshake(negotiation_->takeRemainder());
        return;
    }
    case Phase::Handshake:
        handshake_->feed(input);
        writeWire(handshake_->takeOutput());
        if (handshake_->state() == NoiseHandshake::State::Failed) {
            const std::string& why = handshake_->error();
            fail(why.rfind("peer id mismatch", 0) == 0 ? HandshakeFailure::PeerIdMismatch
                                                       : HandshakeFailure::Noise,
                 QString::fromStdString(why));
            return;
        }
        if (handshake_->state() == NoiseHandshake::State::Complete)
            finishHandshake();
        return;
    case Phase::MuxerNegotiation: {
        Bytes plaintext;
        Result<void> decrypted = result_.noise->decrypt(input, plaintext);
        if (!decrypted) {
            fail(HandshakeFailure::Noise, QString::fromStdString(decrypted.errorMessage()));
            return;
        }
        handleMuxerNegotiation(std::move(plaintext));
        return;
    }
    case Phase::Done:
    case Phase::Failed:
        return;
    }
}

void Upgrader::startHandshake(Bytes remainder) {
    phase_ = Phase::Handshake;
    if (!handshake_)
        createHandshake();
    if (!remainder.empty())
        advance(std::move(remainder));
}

void Upgrader::finishHandshake() {
    result_.noise = handshake_->takeTransport();
    result_.remotePeer = handshake_->remotePeer();
    result_.yamuxClient = options_.role == Role::Initiator;
    Bytes wireRemainder = handshake_->takeRemainder();
    Bytes plaintext;
    if (!wireRemainder.empty()) {
        Result<void> decrypted = result_.noise->decrypt(wireRemainder, plaintext);
        if (!decrypted) {
            fail(HandshakeFailure::Noise, QString::fromStdString(decrypted.errorMessage()));
            return;
        }
    }
    if (handshake_->negotiatedMuxer() == yamuxProtocolId) {
        result_.muxer = yamuxProtocolId;
        result_.muxerInHandshake = true;
        succeed(std::move(plaintext));
        return;
    }
    // No muxer agreed inside Noise: negotiate it with multistream-select over the channel.
    phase_ = Phase::MuxerNegotiation;
    const bool initiator = options_.role == Role::Initiator;
    negotiation_ = std::make_unique<MultistreamSelect>(
        initiator ? MultistreamSelect::initiator({yamuxProtocolId})
                  : MultistreamSelect::responder({yamuxProtocolId}));
    negotiation_->start();
    writeEncrypted(negotiation_->takeOutput());
    handleMuxerNegotiation(std::move(plaintext));
}

void Upgrader::handleMuxerNegotiation(Bytes plaintext) {
    if (!plaintext.empty())
        negotiation_->feed(plaintext);
    writeEncrypted(negotiation_->takeOutput());
    if (negotiation_->state() == MultistreamSelect::State::Failed) {
        fail(HandshakeFailure::MuxerNegotiation,
             QStringLiteral("muxer negotiation: ") + QString::fromStdString(negotiation_->error()));
        return;
    }
    if (negotiation_->state() == MultistreamSelect::State::Done) {
        result_.muxer = negotiation_->protocol();
        result_.muxerInHandshake = false;
        succeed(negotiation_->takeRemainder());
    }
}

void Upgrader::succeed(Bytes earlyPlaintext) {
    phase_ = Phase::Done;
    timeout_.stop();
    detachPipe();
    result_.pipe = std::move(pipe_);
    result_.earlyPlaintext = std::move(earlyPlaintext);
    Q_EMIT succeeded();
}

Upgrader::Upgraded Upgrader::takeResult() {
    return std::move(result_);
}

void Upgrader::fail(HandshakeFailure failure, const QString& message) {
    if (phase_ == Phase::Done || phase_ == Phase::Failed)
        return;
    phase_ = Phase::Failed;
    timeout_.stop();
    detachPipe();
    if (pipe_)
        pipe_->close();
    Q_EMIT failed(failure, message);
}

void Upgrader::writeWire(const Bytes& bytes) {
    if (bytes.empty() || !pipe_ || phase_ == Phase::Failed)
        return;
    pipe_->write(QByteArray(reinterpret_cast<const char*>(bytes.data()),
                            static_cast<qsizetype>(bytes.size())));
}

void Upgrader::writeEncrypted(const Bytes& plaintext) {
    if (plaintext.empty())
        return;
    Bytes wire;
    result_.noise->encrypt(plaintext, wire);
    writeWire(wire);
}

} // namespace peerscope
