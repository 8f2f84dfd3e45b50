#include "engine/net/upgrader.h"

#include "engine/protocol/ephemeral_key_pool.h"
#include "engine/protocol/multistream_select.h"
#include "engine/protocol/noise_handshake.h"
#include "engine/protocol/noise_transport.h"

#include <QTcpSocket>

namespace peerscope {

namespace {
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

Upgrader::Upgrader(QTcpSocket* socket, const PrivateKey& identity, Options options, QObject* parent)
    : QObject(parent), socket_(socket), identity_(identity), options_(std::move(options)) {
    timeout_.setSingleShot(true);
    connect(&timeout_, &QTimer::timeout, this, [this] {
        fail(HandshakeFailure::Timeout, QStringLiteral("upgrade timed out after %1 ms")
                                            .arg(static_cast<qlonglong>(options_.timeout.count())));
    });
}

Upgrader::~Upgrader() {
    if (socket_)
        socket_->disconnect(this);
}

void Upgrader::start() {
    const bool initiator = options_.role == Role::Initiator;
    negotiation_ = std::make_unique<MultistreamSelect>(
        initiator ? MultistreamSelect::initiator({noiseProtocolId})
                  : MultistreamSelect::responder({noiseProtocolId}));
    connect(socket_, &QTcpSocket::readyRead, this, &Upgrader::onReadyRead);
    connect(socket_, &QTcpSocket::disconnected, this, [this] {
        fail(HandshakeFailure::Eof, QStringLiteral("connection closed during the upgrade"));
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
    if (socket_->bytesAvailable() > 0)
        onReadyRead();
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

void Upgrader::onReadyRead() {
    if (!socket_ || phase_ == Phase::Done || phase_ == Phase::Failed)
        return;
    lastInputAt_ = nowOn(options_.clock);
    QByteArray data = socket_->readAll();
    advance(Bytes(data.begin(), data.end()));
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
    socket_->disconnect(this);
    result_.socket = socket_;
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
    if (socket_)
        socket_->disconnect(this);
    Q_EMIT failed(failure, message);
}

void Upgrader::writeWire(const Bytes& bytes) {
    if (bytes.empty() || !socket_)
        return;
    socket_->write(reinterpret_cast<const char*>(bytes.data()), static_cast<qint64>(bytes.size()));
    socket_->flush();
}

void Upgrader::writeEncrypted(const Bytes& plaintext) {
    if (plaintext.empty())
        return;
    Bytes wire;
    result_.noise->encrypt(plaintext, wire);
    writeWire(wire);
}

} // namespace peerscope
