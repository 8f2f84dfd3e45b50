#include "engine/net/host.h"

#include "engine/core/circuit_addr.h"
#include "engine/net/identify_service.h"
#include "engine/net/perf_service.h"
#include "engine/net/ping_service.h"
#include "engine/net/socket_io.h"
#include "engine/net/tcp_transport.h"
#include "engine/protocol/ephemeral_key_pool.h"
#include "engine/protocol/noise_static_key.h"
#include "engine/protocol/noise_transport.h"
#include "engine/protocol/verified_signature_cache.h"

#include <QLoggingCategory>
#include <QTcpSocket>

Q_LOGGING_CATEGORY(lcHost, "peerscope.engine.host")

namespace peerscope {

Host::Host(PrivateKey identity, HostOptions options, const Clock& clock, QObject* parent)
    : QObject(parent), identity_(std::move(identity)),
      peerId_(PeerId::fromPublicKey(identity_.publicKey())), options_(std::move(options)),
      clock_(clock), resources_(options_.resources),
      noiseStaticKey_(NoiseStaticKey::create(identity_)),
      verifiedSignatures_(
          options_.verifiedSignatureCacheSize > 0
              ? std::make_shared<VerifiedSignatureCache>(options_.verifiedSignatureCacheSize)
              : nullptr),
      ephemeralKeys_(std::make_shared<EphemeralKeyPool>()), transport_(new TcpTransport(this)) {
    connect(transport_, &TcpTransport::inboundSocket, this, [this](QTcpSocket* socket) {
        // A stranger's handshake costs us cryptography: count it before any, and close the
        // socket unread when its address or the node has too many under way.
        const std::string ip =
            ipScopeKey(socket->peerAddress().toString().toStdString()).value_or(std::string());
        ResourceRefusal refusal;
        makeRoomForHandshake(ip);
        ResourceReservation pending =
            resources_.reserve(Resource::PendingHandshakes, {ip}, &refusal);
        if (!pending) {
            socket->abort();
            socket->deleteLater();
            resourceRefused(refusal);
            return;
        }
        PipeOrigin origin;
        origin.remoteAddr = TcpTransport::addressOf(*socket, true);
        origin.localAddr = TcpTransport::addressOf(*socket, false);
        // The transport's part ends here: from now on the socket is a pipe.
        this->upgrade(std::make_unique<SocketIo>(socket), upgradeOptions(Upgrader::Role::Responder),
                      std::move(origin), ip, std::move(pending), [](Result<Connection*>) {});
    });
    identify_ = std::make_unique<IdentifyService>(*this);
    ping_ = std::make_unique<PingService>(*this);
    perf_ = std::make_unique<PerfService>(*this);
}

Host::~Host() {
    // Sockets still connecting are our children: destroying them emits errorOccurred, which
    // must not reach lambdas of a host that is half gone. Silence them and drop the upgrades
    // (with the pipes they own) first.
    for (QTcpSocket* socket : findChildren<QTcpSocket*>())
        socket->disconnect();
    for (Upgrader* upgrader : findChildren<Upgrader*>(Qt::FindDirectChildrenOnly))
        delete upgrader;
    // Services are QObject children too; destroy them before the handlers they registered.
    perf_.reset();
    ping_.reset();
    identify_.reset();
    // Connections and their streams hold reservations in resources_: they go first.
    for (auto& [id, connection] : connections_)
        if (connection) {
            connection->disconnect(this);
            delete connection.data();
        }
    // So do dials still connecting (their callbacks hold a handshake's reservation).
    qDeleteAll(findChildren<QTcpSocket*>(Qt::FindDirectChildrenOnly));
}

void Host::resourceRefused(const ResourceRefusal& refusal) {
    Q_EMIT resourceLimitRefused(refusal);
}

Result<Multiaddr> Host::listen(const Multiaddr& addr) {
    return transport_->listen(addr);
}

std::vector<Multiaddr> Host::listenAddrs() const {
    return transport_->listenAddrs();
}

void Host::setExtraListenAddrs(std::vector<Multiaddr> addrs) {
    if (addrs == extraListenAddrs_)
        return;
    extraListenAddrs_ = std::move(addrs);
    Q_EMIT listenAddrsChanged();
}

void Host::recordObservedAddr(const Multiaddr& addr) {
    std::erase(observedAddrs_, addr);
    observedAddrs_.insert(observedAddrs_.begin(), addr);
    if (observedAddrs_.size() > 8)
        observedAddrs_.resize(8);
}

Upgrader::Options Host::upgradeOptions(Upgrader::Role role) const {
    Upgrader::Options upgrade;
    upgrade.role = role;
    upgrade.muxerInNoise = options_.muxerInNoise;
    upgrade.noiseStaticKey = noiseStaticKey_;
    upgrade.verifiedSignatures = verifiedSignatures_;
    upgrade.ephemeralKeys = ephemeralKeys_;
    upgrade.timeout = options_.upgradeTimeout;
    upgrade.clock = &clock_;
    return upgrade;
}

void Host::dial(const Multiaddr& addr, ConnectionCallback done) {
    if (CircuitAddr::isCircuit(addr)) {
        if (!circuitDialer_) {
            done(makeError("dial " + addr.toString() + ": relayed addresses are not dialled here"));
            return;
        }
        circuitDialer_(addr, [this, done = std::move(done)](Result<Connection*> result) {
            ++(result ? counters_.dialsSucceeded : counters_.dialsFailed);
            done(std::move(result));
        });
        return;
    }
    Upgrader::Options upgrade = upgradeOptions(Upgrader::Role::Initiator);
    upgrade.expectedRemote = addr.peerId();
    auto callback = [this, done = std::move(done)](Result<Connection*> result) {
        if (result)
            ++counters_.dialsSucceeded;
        else
            ++counters_.dialsFailed;
        done(std::move(result));
    };
    ResourceRefusal refusal;
    auto pending = std::make_shared<ResourceReservation>(
        resources_.reserve(Resource::PendingHandshakes, {}, &refusal));
    if (!*pending) {
        resourceRefused(refusal);
        callback(makeError("too many handshakes under way (system limit " +
                           std::to_string(refusal.limit) + ")"));
        return;
    }
    transport_->dial(addr, static_cast<int>(options_.dialTimeout.count()), this,
                     [this, upgrade, callback, pending](Result<QTcpSocket*> socket) mutable {
                         if (!socket) {
                             pending->release();
                             callback(socket.error());
                             return;
                         }
                         PipeOrigin origin;
                         origin.remoteAddr = TcpTransport::addressOf(**socket, true);
                         origin.localAddr = TcpTransport::addressOf(**socket, false);
                         this->upgrade(std::make_unique<SocketIo>(*socket), upgrade,
                                       std::move(origin), {}, std::move(*pending),
                                       std::move(callback));
                     });
}

void Host::upgradePipe(std::unique_ptr<BytePipe> pipe, Upgrader::Role role,
                       std::optional<PeerId> expectedRemote, PipeOrigin origin,
                       ConnectionCallback done) {
    // A pending handshake like one over TCP, in the system scope: the source address of a
    // relayed pipe is the relay's, not the peer's.
    if (role == Upgrader::Role::Responder)
        makeRoomForHandshake({});
    ResourceRefusal refusal;
    ResourceReservation pending = resources_.reserve(Resource::PendingHandshakes, {}, &refusal);
    if (!pending) {
        pipe->close();
        resourceRefused(refusal);
        done(makeError("too many handshakes under way (system limit " +
                       std::to_string(refusal.limit) + ")"));
        return;
    }
    Upgrader::Options options = upgradeOptions(role);
    options.expectedRemote = std::move(expectedRemote);
    upgrade(std::move(pipe), std::move(options), std::move(origin), {}, std::move(pending),
            std::move(done));
}

namespace {
// Silence after which a pending handshake may be evicted for a newcomer: a few round trips
// of a slow link; a handshake under way hears from its peer at least once a round trip.
constexpr MonoTime stalledHandshakeAge = std::chrono::milliseconds(500);
} // namespace

void Host::makeRoomForHandshake(const std::string& ip) {
    const std::optional<std::uint32_t> systemLimit =
        resources_.limit(ResourceScope::System, Resource::PendingHandshakes);
    if (!systemLimit || resources_.systemUse(Resource::PendingHandshakes) < *systemLimit)
        return;
    // Evicting for a source over its own limit would only make room for someone else.
    const std::optional<std::uint32_t> ipLimit =
        resources_.limit(ResourceScope::SourceIp, Resource::PendingHandshakes);
    if (!ip.empty() && ipLimit && resources_.ipUse(ip, Resource::PendingHandshakes) >= *ipLimit)
        return;
    // Stalled handshakes from many addresses would otherwise hold every slot until they time
    // out, and lock every newcomer out meanwhile. A handshake that makes progress hears from its
    // peer every round trip; the one silent longest, past stalledHandshakeAge, makes room.
    Upgrader* stalest = nullptr;
    for (Upgrader* upgrader : findChildren<Upgrader*>(Qt::FindDirectChildrenOnly))
        if (upgrader->role() == Upgrader::Role::Responder &&
            (!stalest || upgrader->lastInputAt() < stalest->lastInputAt()))
            stalest = upgrader;
    if (stalest && clock_.now() - stalest->lastInputAt() >= stalledHandshakeAge)
        stalest->evict(); // its failure handler gives its reservation back at once
}

void Host::upgrade(std::unique_ptr<BytePipe> pipe, Upgrader::Options options, PipeOrigin origin,
                   std::string ip, ResourceReservation pending, ConnectionCallback done) {
    const Direction direction =
        options.role == Upgrader::Role::Initiator ? Direction::Outbound : Direction::Inbound;
    auto from = std::make_shared<PipeOrigin>(std::move(origin));
    auto* upgrader = new Upgrader(std::move(pipe), identity_, std::move(options), this);
    auto callback = std::make_shared<ConnectionCallback>(std::move(done));
    auto reservation = std::make_shared<ResourceReservation>(std::move(pending));
    connect(upgrader, &Upgrader::succeeded, this,
            [this, upgrader, direction, callback, reservation, from, ip = std::move(ip)] {
                upgrader->deleteLater();
                (*callback)(
                    adopt(upgrader->takeResult(), direction, std::move(*from), ip, *reservation));
            });
    connect(upgrader, &Upgrader::failed, this,
            [this, upgrader, from, callback, reservation](HandshakeFailure failure,
                                                          const QString& message) {
                upgrader->deleteLater(); // and the pipe it closed
                reservation->release();
                ++counters_.handshakeFailures[handshakeFailureName(failure)];
                qCInfo(lcHost).noquote()
                    << "handshake with" << QString::fromStdString(from->remoteAddr.toString())
                    << "failed:" << message;
                Q_EMIT handshakeFailed(failure, message);
                (*callback)(makeError(message.toStdString()));
            });
    upgrader->start();
}

Result<Connection*> Host::adopt(Upgrader::Upgraded upgraded, Direction direction, PipeOrigin origin,
                                const std::string& ip, ResourceReservation& pending) {
    // The handshake becomes a connection of a known peer: counted in its scopes, or refused
    // before anything is built on it.
    const bool inbound = direction == Direction::Inbound;
    ResourceRefusal refusal;
    if (!resources_.convert(pending,
                            inbound ? Resource::InboundConnections : Resource::OutboundConnections,
                            {ip, &upgraded.remotePeer}, &refusal)) {
        pending.release();
        upgraded.pipe->close();
        upgraded.pipe.reset();
        resourceRefused(refusal);
        return makeError(refusalReason(refusal));
    }
    Connection::Info info;
    info.remotePeer = upgraded.remotePeer;
    info.remoteAddr = std::move(origin.remoteAddr);
    info.localAddr = std::move(origin.localAddr);
    info.relay = std::move(origin.relay);
    info.direction = direction;
    info.muxer = upgraded.muxer;
    info.muxerInHandshake = upgraded.muxerInHandshake;
    const std::uint64_t id = nextConnectionId_++;
    auto* connection = new Connection(id, std::move(upgraded.pipe), std::move(upgraded.noise),
                                      upgraded.yamuxClient, std::move(info), clock_, this, this);
    connection->holdReservation(std::move(pending));
    connections_[id] = connection;
    byPeer_[connection->remotePeer()].push_back(connection);
    ++counters_.connectionsOpened;
    PeerRecord& record = peers_[connection->remotePeer()];
    record.id = connection->remotePeer();

    connect(connection, &Connection::closed, this, [this, connection](const QString& reason) {
        counters_.bytesInClosed += connection->bytesIn();
        counters_.bytesOutClosed += connection->bytesOut();
        counters_.streamsOpened += connection->streamsOpened();
        ++counters_.connectionsClosed;
        if (*connection->protocolErrorLayer() != '\0')
            ++counters_.protocolErrors[connection->protocolErrorLayer()];
        connections_.erase(connection->id());
        const PeerId peer = connection->remotePeer();
        if (auto it = byPeer_.find(peer); it != byPeer_.end()) {
            std::erase_if(it->second, [connection](const QPointer<Connection>& c) {
                return !c || c.data() == connection;
            });
            if (it->second.empty())
                byPeer_.erase(it);
        }
        const quint64 connectionId = connection->id();
        connection->deleteLater();
        if (connectionsTo(peer).empty()) {
            // Keep what identify told us only while connected, like a peerstore with a TTL of 0.
            peers_.erase(peer);
        }
        Q_EMIT connectionClosed(connectionId, peer, reason);
    });
    connection->start(std::move(upgraded.earlyPlaintext));
    qCDebug(lcHost).noquote() << "connected" << directionName(direction)
                              << QString::fromStdString(connection->remotePeer().toBase58())
                              << QString::fromStdString(connection->info().remoteAddr.toString());
    Q_EMIT connectionOpened(connection);
    // Identify starts on the next turn of the event loop, so what the dialler asked for
    // (usually a stream) goes out first and is not queued behind identify's work.
    QMetaObject::invokeMethod(
        identify_.get(),
        [this, guard = QPointer<Connection>(connection)] {
            if (guard && guard->isOpen())
                identify_->identify(guard);
        },
        Qt::QueuedConnection);
    return connection;
}

void Host::openStream(const PeerId& peer, std::vector<std::string> protocols,
                      Connection::StreamCallback done) {
    std::vector<Connection*> connections = connectionsTo(peer);
    if (connections.empty()) {
        done(makeError("not connected to " + peer.toBase58()));
        return;
    }
    connections.front()->openStream(std::move(protocols), std::move(done));
}

void Host::setStreamHandler(const std::string& protocol, StreamHandler handler) {
    handlers_[protocol] = std::move(handler);
    Q_EMIT protocolsChanged();
}

void Host::removeStreamHandler(const std::string& protocol) {
    if (handlers_.erase(protocol) > 0)
        Q_EMIT protocolsChanged();
}

std::vector<std::string> Host::supportedProtocols() const {
    std::vector<std::string> out;
    out.reserve(handlers_.size());
    for (const auto& [protocol, handler] : handlers_)
        out.push_back(protocol);
    return out;
}

void Host::handleInboundStream(Stream* stream) {
    auto it = handlers_.find(stream->protocol());
    if (it == handlers_.end()) { // removed while the stream was negotiating
        countStreamRefused("protocol_not_supported");
        stream->reset();
        return;
    }
    // Its protocol is known now: it counts in the peer's streams of that protocol too.
    if (Connection* connection = stream->connection(); connection && stream->reservation()) {
        ResourceRefusal refusal;
        if (!resources_.convert(
                stream->reservation(), Resource::InboundStreams,
                {{}, &connection->remotePeer(), connection->id(), stream->protocol()}, &refusal)) {
            resourceRefused(refusal);
            stream->reset();
            return;
        }
    }
    it->second(stream);
}

std::vector<Connection*> Host::connections() const {
    std::vector<Connection*> out;
    for (const auto& [id, connection] : connections_)
        if (connection && connection->isOpen())
            out.push_back(connection.data());
    return out;
}

std::vector<Connection*> Host::connectionsTo(const PeerId& peer) const {
    std::vector<Connection*> out;
    if (auto it = byPeer_.find(peer); it != byPeer_.end())
        for (const QPointer<Connection>& connection : it->second)
            if (connection && connection->isOpen())
                out.push_back(connection.data());
    return out;
}

Connection* Host::connectionById(std::uint64_t id) const {
    auto it = connections_.find(id);
    return it == connections_.end() ? nullptr : it->second.data();
}

PeerRecord* Host::peerRecord(const PeerId& peer) {
    auto it = peers_.find(peer);
    return it == peers_.end() ? nullptr : &it->second;
}

void Host::closeAll(const QString& reason) {
    for (Connection* connection : connections())
        connection->close(reason);
}

} // namespace peerscope
