#include "engine/net/identify_service.h"

#include "engine/net/host.h"
#include "engine/protocol/identify_message.h"
#include "engine/protocol/length_prefixed.h"

#include <QLoggingCategory>
#include <algorithm>

Q_LOGGING_CATEGORY(lcIdentify, "peerscope.engine.identify")

namespace peerscope {

namespace {
constexpr std::size_t maxIdentifySize = 64 * 1024;
// A push is one message of at most this much (go-libp2p's limit for identify push).
constexpr std::size_t maxPushSize = 8 * 1024;
constexpr const char* pushTooLarge = "identify_push_too_large";
constexpr const char* libp2pProtocolVersion = "ipfs/0.1.0";
} // namespace

IdentifyService::IdentifyService(Host& host) : QObject(&host), host_(host) {
    host_.setStreamHandler(identifyProtocolId, [this](Stream* stream) { serve(stream); });
    host_.setStreamHandler(identifyPushProtocolId,
                           [this](Stream* stream) { receive(stream, true); });
    // Several handler changes in one turn of the event loop make one push.
    pushTimer_.setSingleShot(true);
    pushTimer_.setInterval(0);
    connect(&pushTimer_, &QTimer::timeout, this, &IdentifyService::pushToAll);
    connect(&host_, &Host::protocolsChanged, &pushTimer_, qOverload<>(&QTimer::start));
    connect(&host_, &Host::listenAddrsChanged, &pushTimer_, qOverload<>(&QTimer::start));
}

IdentifyService::~IdentifyService() = default;

IdentifyMessage IdentifyService::ownRecord(const Connection* connection) const {
    IdentifyMessage message;
    message.protocolVersion = libp2pProtocolVersion;
    message.agentVersion = host_.options().agentVersion;
    message.publicKey = host_.identity().publicKey().toProtobuf();
    for (const Multiaddr& addr : host_.listenAddrs())
        message.listenAddrs.push_back(addr.toBytes());
    for (const Multiaddr& addr : host_.extraListenAddrs())
        message.listenAddrs.push_back(addr.toBytes());
    if (connection)
        message.observedAddr = connection->info().remoteAddr.toBytes();
    message.protocols = host_.supportedProtocols();
    return message;
}

void IdentifyService::serve(Stream* stream) {
    stream->markHousekeeping();
    stream->closeRead(); // the requester sends nothing
    Bytes encoded = lengthPrefixed(ownRecord(stream->connection()).encode());
    stream->write(encoded);
    stream->closeWrite();
}

void IdentifyService::identify(Connection* connection) {
    QPointer<Connection> guard(connection);
    connection->openStream({identifyProtocolId}, [this, guard](Result<Stream*> opened) {
        if (!opened) {
            qCDebug(lcIdentify) << "identify failed:" << opened.errorMessage().c_str();
            return;
        }
        receive(*opened, false);
    });
}

void IdentifyService::receive(Stream* stream, bool push) {
    stream->markHousekeeping();
    auto reader = std::make_shared<LengthPrefixedReader>(push ? maxPushSize : maxIdentifySize);
    const PeerId peer = stream->connection()->remotePeer();
    auto handled = std::make_shared<bool>(false);
    // A push is one message: a bigger one, or anything after it, resets the stream (counted)
    // instead of being buffered.
    auto overPush = [this, stream, peer] {
        qCDebug(lcIdentify) << "identify push from" << peer.toBase58().c_str()
                            << "is more than one message of at most" << maxPushSize << "bytes";
        host_.countStreamReset(pushTooLarge);
        stream->reset();
    };
    auto consume = [this, stream, reader, peer, push, handled, overPush] {
        if (*handled) {
            if (push && stream->bytesAvailable() > 0)
                overPush();
            else
                stream->discardAll();
            return;
        }
        reader->feed(stream->readAll());
        Result<std::optional<Bytes>> next = reader->next();
        if (!next) {
            if (push && next.errorMessage().find("message of") != std::string::npos) {
                overPush();
                return;
            }
            qCWarning(lcIdentify) << "bad identify message from" << peer.toBase58().c_str() << ":"
                                  << next.errorMessage().c_str();
            stream->reset();
            return;
        }
        if (!next->has_value())
            return;
        *handled = true;
        if (push && reader->buffered() > 0) {
            overPush();
            return;
        }
        Result<IdentifyMessage> message = IdentifyMessage::decode(**next);
        if (!message) {
            qCWarning(lcIdentify) << "bad identify message from" << peer.toBase58().c_str() << ":"
                                  << message.errorMessage().c_str();
            stream->reset();
            return;
        }
        apply(peer, *message, push);
        stream->closeWrite();
    };
    connect(stream, &Stream::readyRead, this, consume);
    connect(stream, &Stream::remoteClosed, this, [stream] { stream->closeWrite(); });
    if (stream->bytesAvailable() > 0)
        consume();
}

void IdentifyService::apply(const PeerId& peer, const IdentifyMessage& message, bool push) {
    if (message.publicKey) {
        Result<PublicKey> key = PublicKey::fromProtobuf(*message.publicKey);
        if (!key || PeerId::fromPublicKey(*key) != peer) {
            qCWarning(lcIdentify) << "identify from" << peer.toBase58().c_str()
                                  << "carries a key that is not the peer's; ignored";
            return;
        }
    }
    PeerRecord* record = host_.peerRecord(peer);
    if (!record)
        return;
    if (message.agentVersion)
        record->agentVersion = *message.agentVersion;
    if (message.protocolVersion)
        record->protocolVersion = *message.protocolVersion;
    if (message.publicKey)
        record->publicKey = PublicKey::fromProtobuf(*message.publicKey).value();
    // In a push, an empty list means "not sent"; in a full identify it means "none".
    if (!push || !message.protocols.empty())
        record->protocols = message.protocols;
    if (!push || !message.listenAddrs.empty()) {
        record->listenAddrs.clear();
        for (const Bytes& raw : message.listenAddrs)
            if (Result<Multiaddr> addr = Multiaddr::fromBytes(raw))
                record->listenAddrs.push_back(*addr);
    }
    if (message.observedAddr) {
        if (Result<Multiaddr> observed = Multiaddr::fromBytes(*message.observedAddr)) {
            record->observedAddr = *observed;
            // Seen through a relay it is the relay's view of a circuit, not an address of ours.
            const auto& parts = observed->components();
            if (std::none_of(parts.begin(), parts.end(), [](const MultiaddrComponent& part) {
                    return part.protocol == MultiaddrProtocol::P2pCircuit;
                }))
                host_.recordObservedAddr(*observed);
        }
    }
    record->identified = true;
    Q_EMIT host_.peerIdentified(peer);
}

void IdentifyService::pushToAll() {
    for (Connection* connection : host_.connections()) {
        QPointer<Connection> guard(connection);
        connection->openStream({identifyPushProtocolId}, [this, guard](Result<Stream*> opened) {
            if (!opened || !guard)
                return;
            Stream* stream = *opened;
            stream->markHousekeeping();
            stream->write(lengthPrefixed(ownRecord(guard).encode()));
            stream->closeWrite();
            stream->closeRead(); // the receiver answers nothing
        });
    }
}

} // namespace peerscope
