#include "engine/nat/relay_service.h"

#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/stream.h"
#include "engine/protocol/hop_server_exchange.h"
#include "engine/protocol/reservation_voucher.h"
#include "engine/protocol/stop_client_exchange.h"
#include "engine/resources/resource_manager.h"

#include <QPointer>
#include <algorithm>
#include <cctype>
#include <limits>

namespace peerscope {

namespace {

// Read from a hop or stop stream while its message is incomplete: a little more than it needs,
// so what the sender wrote after it stays in the stream for the bridge, under yamux's window.
constexpr std::size_t readChunk = 1024;
constexpr MonoTime peerEventWindow = std::chrono::seconds(10);
constexpr int peerEventBurst = 50;

std::uint64_t systemUnixNow() {
    return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count());
}

// A connection that is itself relayed (go's isRelayAddr): no reservation or circuit over it.
bool isRelayed(const Connection& connection) {
    for (const MultiaddrComponent& component : connection.info().remoteAddr.components())
        if (component.protocol == MultiaddrProtocol::P2pCircuit)
            return true;
    return false;
}

QString peerText(const PeerId& peer) {
    return QString::fromStdString(peer.toBase58());
}

} // namespace

std::string relayStatusKey(RelayStatus status) {
    std::string key = relayStatusName(status);
    for (char& c : key)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return key;
}

struct RelayService::Session {
    enum class State { Reading, AwaitingStopStream, AwaitingStopStatus };

    std::uint64_t id = 0;
    QPointer<Stream> hop;
    PeerId source;
    HopServerExchange exchange;
    State state = State::Reading;
    MonoTime deadline{0};
    // CONNECT, once the ledger counts the circuit.
    PeerId target;
    bool circuitCounted = false;
    RelayLedger::CircuitLimit limit;
    Bytes fromSource; // bytes the source sent after its CONNECT, already read
    QPointer<Stream> stop;
    StopClientExchange stopExchange;
};

RelayService::RelayService(Host& host, RelayServiceConfig config, Options options, QObject* parent)
    : QObject(parent), host_(host), options_(std::move(options)), ledger_(config) {
    if (!options_.unixNow)
        options_.unixNow = systemUnixNow;
    timer_.setParent(this);
    timer_.setInterval(options_.tickInterval);
    connect(&timer_, &QTimer::timeout, this, &RelayService::tick);
    if (config.enabled)
        start();
}

RelayService::~RelayService() {
    stop();
}

void RelayService::setConfig(RelayServiceConfig config) {
    const bool enable = config.enabled;
    ledger_.setConfig(std::move(config));
    if (enable && !enabled_)
        start();
    else if (!enable && enabled_)
        stop();
}

void RelayService::start() {
    enabled_ = true;
    // The hop protocol appears in identify (and a push tells connected peers) only now.
    host_.setStreamHandler(circuitRelayHopProtocolId,
                           [this](Stream* stream) { acceptHop(stream); });
    disconnectWatch_ = connect(&host_, &Host::connectionClosed, this,
                               [this](quint64, const PeerId& peer, const QString&) {
                                   if (host_.connectionsTo(peer).empty())
                                       peerDisconnected(peer);
                               });
    timer_.start();
}

void RelayService::stop() {
    if (!enabled_)
        return;
    enabled_ = false;
    host_.removeStreamHandler(circuitRelayHopProtocolId);
    disconnect(disconnectWatch_);
    timer_.stop();
    // Every circuit ends (the bridge resets both streams) and every request is dropped.
    std::vector<CircuitBridge*> running;
    for (const auto& [bridge, circuit] : bridges_)
        running.push_back(bridge);
    for (CircuitBridge* bridge : running) {
        disconnect(bridge, nullptr, this, nullptr);
        const Circuit circuit = bridges_[bridge];
        counters_.bytesToDestination += bridge->bytesToDestination();
        counters_.bytesToSource += bridge->bytesToSource();
        ++counters_.circuitsClosed["service_stopped"];
        bridges_.erase(bridge);
        delete bridge;
        Q_EMIT relayEvent(
            QStringLiteral("relay_circuit_closed"), circuit.source,
            QStringLiteral("to %1: relay service stopped").arg(peerText(circuit.destination)));
    }
    std::vector<std::uint64_t> pending;
    for (const auto& [id, session] : sessions_)
        pending.push_back(id);
    for (std::uint64_t id : pending) {
        auto it = sessions_.find(id);
        if (it == sessions_.end())
            continue;
        QPointer<Stream> hop = it->second->hop;
        dropStop(*it->second);
        endSession(id);
        if (hop)
            hop->reset();
    }
    for (const PeerId& peer : ledger_.expire(MonoTime::max()))
        keepConnected(peer, false);
    const RelayServiceConfig config = ledger_.config();
    ledger_ = RelayLedger(config); // reservations end with the service
}

std::uint64_t RelayService::bytesToDestination() const {
    std::uint64_t total = counters_.bytesToDestination;
    for (const auto& [bridge, circuit] : bridges_)
        total += bridge->bytesToDestination();
    return total;
}

std::uint64_t RelayService::bytesToSource() const {
    std::uint64_t total = counters_.bytesToSource;
    for (const auto& [bridge, circuit] : bridges_)
        total += bridge->bytesToSource();
    return total;
}

void RelayService::acceptHop(Stream* stream) {
    Connection* connection = stream->connection();
    if (!connection || sessions_.size() >= options_.maxPendingRequests) {
        // More requests waiting than we answer at once: the newcomer is turned away unread.
        host_.countStreamReset("relay_requests_pending");
        stream->reset();
        return;
    }
    auto owned = std::make_unique<Session>();
    Session& session = *owned;
    session.id = nextSessionId_++;
    session.hop = stream;
    session.source = connection->remotePeer();
    session.deadline =
        host_.clock().now() + std::chrono::duration_cast<MonoTime>(options_.requestTimeout);
    sessions_[session.id] = std::move(owned);
    const std::uint64_t id = session.id;
    auto withSession = [this, id](auto&& f) {
        auto it = sessions_.find(id);
        if (it != sessions_.end())
            f(*it->second);
    };
    connect(stream, &Stream::readyRead, this,
            [withSession, this] { withSession([this](Session& s) { readRequest(s); }); });
    connect(stream, &Stream::remoteClosed, this,
            [withSession, this] { withSession([this](Session& s) { readRequest(s); }); });
    connect(stream, &Stream::closed, this, [withSession, this] {
        // Gone (reset, or its connection closed) before it was answered or bridged.
        withSession([this](Session& s) {
            dropStop(s);
            endSession(s.id);
        });
    });
    readRequest(session);
}

void RelayService::readRequest(Session& session) {
    if (session.state != Session::State::Reading || !session.hop)
        return;
    Stream* stream = session.hop;
    std::optional<HopServerExchange::Request> request;
    while (!request && stream->bytesAvailable() > 0)
        request = session.exchange.feed(stream->read(readChunk));
    if (!request) {
        if (stream->isReadClosed())
            refuse(session, RelayStatus::MalformedMessage,
                   QStringLiteral("hop stream closed before a whole request"));
        return;
    }
    if (auto* malformed = std::get_if<HopServerExchange::MalformedRequest>(&*request)) {
        refuse(session, RelayStatus::MalformedMessage, QString::fromStdString(malformed->reason));
        return;
    }
    if (auto* unexpected = std::get_if<HopServerExchange::UnexpectedRequest>(&*request)) {
        refuse(session, RelayStatus::UnexpectedMessage, QString::fromStdString(unexpected->reason));
        return;
    }
    if (std::holds_alternative<HopServerExchange::ReserveRequest>(*request)) {
        handleReserve(session);
        return;
    }
    const RelayPeerInfo target = std::get<HopServerExchange::ConnectRequest>(*request).target;
    handleConnect(session, target);
}

std::optional<RelayLimit> RelayService::limitMessage(const RelayLedger::CircuitLimit& limit) const {
    if (limit.duration.count() == 0 && limit.dataBytes == 0)
        return std::nullopt;
    RelayLimit message;
    if (limit.duration.count() > 0)
        message.durationSeconds = static_cast<std::uint32_t>(std::min<std::int64_t>(
            limit.duration.count(), std::numeric_limits<std::uint32_t>::max()));
    if (limit.dataBytes > 0)
        message.dataBytes = limit.dataBytes;
    return message;
}

std::vector<Multiaddr> RelayService::advertisedAddrs() const {
    std::vector<Multiaddr> out;
    std::vector<Multiaddr> addrs;
    if (options_.addrs)
        addrs = options_.addrs();
    else
        for (const Multiaddr& addr : host_.listenAddrs()) {
            std::optional<Multiaddr::TcpEndpoint> endpoint = addr.tcpEndpoint();
            if (endpoint && (endpoint->host == "0.0.0.0" || endpoint->host == "::"))
                continue; // not an address anyone could dial
            addrs.push_back(addr);
        }
    for (const Multiaddr& addr : addrs) {
        const std::optional<PeerId> id = addr.peerId();
        if (!id)
            out.push_back(addr.withPeerId(host_.peerId()));
        else if (*id == host_.peerId())
            out.push_back(addr);
        if (out.size() >= 16)
            break; // the response must fit in one 4 KiB message
    }
    return out;
}

void RelayService::handleReserve(Session& session) {
    Connection* connection = session.hop->connection();
    if (!connection) {
        endSession(session.id);
        return;
    }
    if (isRelayed(*connection)) {
        refuse(session, RelayStatus::PermissionDenied,
               QStringLiteral("reservation over a relayed connection"));
        return;
    }
    std::string ip;
    if (std::optional<Multiaddr::TcpEndpoint> endpoint =
            connection->info().remoteAddr.tcpEndpoint())
        ip = ipScopeKey(endpoint->host).value_or(std::string());
    const bool refresh = ledger_.hasReservation(session.source, host_.clock().now());
    MonoTime expires{0};
    const RelayRefusal refusal = ledger_.reserve(session.source, ip, host_.clock().now(), &expires);
    if (refusal != RelayRefusal::None) {
        refuse(session, RelayStatus::ReservationRefused,
               QString::fromLatin1(relayRefusalName(refusal)));
        return;
    }
    ReservationInfo reservation;
    const std::uint64_t expire =
        options_.unixNow() + static_cast<std::uint64_t>(ledger_.config().reservationTtl.count());
    reservation.expire = expire;
    reservation.addrs = advertisedAddrs();
    reservation.voucher = ReservationVoucher::make(host_.identity(), session.source, expire);
    const std::optional<RelayLimit> limit =
        limitMessage(ledger_.limitFor(session.source, session.source));
    Stream* stream = session.hop;
    const PeerId peer = session.source;
    endSession(session.id);
    const Bytes response = HopServerExchange::reservationAccepted(reservation, limit);
    stream->write(ByteView(response.data(), response.size()));
    stream->closeWrite();
    stream->closeRead();
    ++counters_.reservationsGranted;
    keepConnected(peer, true);
    peerEvent(QStringLiteral("relay_reservation_granted"), peer,
              QStringLiteral("%1 for %2 s (%3 reservations)")
                  .arg(refresh ? QStringLiteral("refreshed") : QStringLiteral("granted"))
                  .arg(ledger_.config().reservationTtl.count())
                  .arg(ledger_.reservationCount()));
}

void RelayService::handleConnect(Session& session, const RelayPeerInfo& target) {
    Connection* connection = session.hop->connection();
    if (!connection) {
        endSession(session.id);
        return;
    }
    if (isRelayed(*connection)) {
        refuse(session, RelayStatus::PermissionDenied,
               QStringLiteral("circuit over a relayed connection"));
        return;
    }
    if (target.id == host_.peerId()) {
        refuse(session, RelayStatus::PermissionDenied,
               QStringLiteral("circuit to the relay itself"));
        return;
    }
    const RelayRefusal refusal =
        ledger_.openCircuit(session.source, target.id, host_.clock().now());
    if (refusal == RelayRefusal::NoReservation) {
        refuse(session, RelayStatus::NoReservation,
               QStringLiteral("%1 holds no reservation").arg(peerText(target.id)));
        return;
    }
    if (refusal != RelayRefusal::None) {
        refuse(session, RelayStatus::ResourceLimitExceeded,
               QString::fromLatin1(relayRefusalName(refusal)));
        return;
    }
    session.target = target.id;
    session.circuitCounted = true;
    session.limit = ledger_.limitFor(session.source, target.id);
    session.fromSource = session.exchange.takeLeftover();
    // The source may write its first bytes before our answer: they wait in its stream.
    disconnect(session.hop, &Stream::readyRead, this, nullptr);
    disconnect(session.hop, &Stream::remoteClosed, this, nullptr);
    const std::vector<Connection*> toTarget = host_.connectionsTo(target.id);
    if (toTarget.empty()) {
        refuse(session, RelayStatus::ConnectionFailed,
               QStringLiteral("%1 is not connected to us").arg(peerText(target.id)));
        return;
    }
    session.state = Session::State::AwaitingStopStream;
    session.deadline =
        host_.clock().now() + std::chrono::duration_cast<MonoTime>(options_.stopTimeout);
    const std::uint64_t id = session.id;
    QPointer<RelayService> self(this);
    toTarget.front()->openStream({circuitRelayStopProtocolId}, [self, id](Result<Stream*> opened) {
        if (!self)
            return;
        if (!opened) {
            auto it = self->sessions_.find(id);
            if (it != self->sessions_.end())
                self->refuse(*it->second, RelayStatus::ConnectionFailed,
                             QStringLiteral("stop stream: ") +
                                 QString::fromStdString(opened.errorMessage()));
            return;
        }
        self->stopStreamOpened(id, opened.value());
    });
}

void RelayService::stopStreamOpened(std::uint64_t sessionId, Stream* stop) {
    auto it = sessions_.find(sessionId);
    if (it == sessions_.end()) {
        stop->reset(); // the source went away meanwhile
        return;
    }
    Session& session = *it->second;
    session.stop = stop;
    session.state = Session::State::AwaitingStopStatus;
    RelayPeerInfo initiator;
    initiator.id = session.source;
    const Bytes request = session.stopExchange.connect(initiator, limitMessage(session.limit));
    stop->write(ByteView(request.data(), request.size()));
    auto withSession = [this, sessionId](auto&& f) {
        auto found = sessions_.find(sessionId);
        if (found != sessions_.end())
            f(*found->second);
    };
    connect(stop, &Stream::readyRead, this,
            [withSession, this] { withSession([this](Session& s) { readStopResponse(s); }); });
    connect(stop, &Stream::remoteClosed, this,
            [withSession, this] { withSession([this](Session& s) { readStopResponse(s); }); });
    connect(stop, &Stream::closed, this, [withSession, this] {
        withSession([this](Session& s) {
            if (s.state == Session::State::AwaitingStopStatus)
                refuse(s, RelayStatus::ConnectionFailed,
                       QStringLiteral("the target closed the stop stream"));
        });
    });
    readStopResponse(session);
}

void RelayService::readStopResponse(Session& session) {
    Stream* stop = session.stop;
    if (session.state != Session::State::AwaitingStopStatus || !stop)
        return;
    std::optional<StopClientExchange::Outcome> outcome;
    while (!outcome && stop->bytesAvailable() > 0)
        outcome = session.stopExchange.feed(stop->read(readChunk));
    if (!outcome) {
        if (stop->isReadClosed()) {
            dropStop(session);
            refuse(session, RelayStatus::ConnectionFailed,
                   QStringLiteral("the target closed the stop stream unanswered"));
        }
        return;
    }
    if (auto* refused = std::get_if<StopClientExchange::Refused>(&*outcome)) {
        dropStop(session);
        refuse(session, RelayStatus::ConnectionFailed,
               QStringLiteral("the target refused: ") +
                   QString::fromLatin1(relayStatusName(refused->status)));
        return;
    }
    if (auto* failed = std::get_if<StopClientExchange::Failed>(&*outcome)) {
        dropStop(session);
        refuse(session, RelayStatus::ConnectionFailed,
               QStringLiteral("the target broke the stop protocol: ") +
                   QString::fromStdString(failed->reason));
        return;
    }
    bridge(session);
}

void RelayService::bridge(Session& session) {
    Stream* hop = session.hop;
    Stream* stop = session.stop;
    if (!hop || hop->isReset()) {
        dropStop(session);
        endSession(session.id);
        return;
    }
    disconnect(hop, nullptr, this, nullptr);
    disconnect(stop, nullptr, this, nullptr);
    const Circuit circuit{session.source, session.target};
    const RelayLedger::CircuitLimit limit = session.limit;
    Bytes fromSource = std::move(session.fromSource);
    Bytes fromDestination = session.stopExchange.takeLeftover();
    session.circuitCounted = false; // the bridge's now
    endSession(session.id);

    const Bytes accepted = HopServerExchange::connectAccepted(limitMessage(limit));
    hop->write(ByteView(accepted.data(), accepted.size()));
    auto* bridge =
        new CircuitBridge(hop, stop, {limit.duration, limit.dataBytes}, host_.clock().now(), this);
    bridges_[bridge] = circuit;
    ++counters_.circuitsOpened;
    peerEvent(QStringLiteral("relay_circuit_opened"), circuit.source,
              QStringLiteral("to %1 (%2 circuits)")
                  .arg(peerText(circuit.destination))
                  .arg(bridges_.size()));
    connect(bridge, &CircuitBridge::finished, this, [this, bridge](CircuitBridge::Outcome outcome) {
        auto it = bridges_.find(bridge);
        if (it == bridges_.end())
            return;
        const Circuit ended = it->second;
        bridges_.erase(it);
        ledger_.closeCircuit(ended.source, ended.destination);
        counters_.bytesToDestination += bridge->bytesToDestination();
        counters_.bytesToSource += bridge->bytesToSource();
        ++counters_.circuitsClosed[CircuitBridge::outcomeName(outcome)];
        peerEvent(QStringLiteral("relay_circuit_closed"), ended.source,
                  QStringLiteral("to %1: %2, %3 bytes there, %4 back")
                      .arg(peerText(ended.destination))
                      .arg(QString::fromLatin1(CircuitBridge::outcomeName(outcome)))
                      .arg(bridge->bytesToDestination())
                      .arg(bridge->bytesToSource()));
        bridge->deleteLater();
    });
    bridge->start(std::move(fromSource), std::move(fromDestination));
}

void RelayService::refuse(Session& session, RelayStatus status, const QString& why) {
    Stream* stream = session.hop;
    const PeerId source = session.source;
    const bool isConnect = session.state != Session::State::Reading || session.circuitCounted;
    const PeerId target = session.target;
    endSession(session.id);
    ++counters_.refused[relayStatusKey(status)];
    if (stream && !stream->isReset() && !stream->isWriteClosed()) {
        const Bytes response = HopServerExchange::status(status);
        stream->write(ByteView(response.data(), response.size()));
        stream->closeWrite();
        stream->closeRead();
    }
    const QString detail =
        QStringLiteral("%1: %2").arg(QString::fromLatin1(relayStatusName(status)), why);
    if (status == RelayStatus::ReservationRefused)
        peerEvent(QStringLiteral("relay_reservation_refused"), source, detail);
    else if (isConnect || status == RelayStatus::NoReservation ||
             status == RelayStatus::ResourceLimitExceeded ||
             status == RelayStatus::PermissionDenied)
        peerEvent(QStringLiteral("relay_circuit_refused"), source,
                  target.toBase58().empty()
                      ? detail
                      : QStringLiteral("to %1, %2").arg(peerText(target), detail));
    else
        peerEvent(QStringLiteral("relay_request_refused"), source, detail);
}

void RelayService::dropStop(Session& session) {
    // Disconnected first: its reset must not come back here as the target's refusal.
    if (Stream* stop = session.stop) {
        disconnect(stop, nullptr, this, nullptr);
        session.stop = nullptr;
        stop->reset();
    }
}

void RelayService::endSession(std::uint64_t id) {
    auto it = sessions_.find(id);
    if (it == sessions_.end())
        return;
    Session& session = *it->second;
    if (session.circuitCounted)
        ledger_.closeCircuit(session.source, session.target);
    if (session.hop)
        disconnect(session.hop, nullptr, this, nullptr);
    if (session.stop)
        disconnect(session.stop, nullptr, this, nullptr);
    sessions_.erase(it);
}

void RelayService::peerEvent(const QString& kind, const PeerId& peer, const QString& detail) {
    const MonoTime now = host_.clock().now();
    if (!peerEventWindowStart_ || now - *peerEventWindowStart_ >= peerEventWindow) {
        peerEventWindowStart_ = now;
        peerEventsInWindow_ = 0;
    }
    if (++peerEventsInWindow_ > peerEventBurst) {
        ++counters_.eventsSuppressed; // what happened is in the other counters all the same
        return;
    }
    Q_EMIT relayEvent(kind, peer, detail);
}

void RelayService::keepConnected(const PeerId& peer, bool keep) {
    if (options_.keepConnected)
        options_.keepConnected(peer, keep);
}

void RelayService::peerDisconnected(const PeerId& peer) {
    if (!ledger_.reservationExpiry(peer))
        return;
    ledger_.dropReservation(peer);
    keepConnected(peer, false);
    Q_EMIT relayEvent(QStringLiteral("relay_reservation_ended"), peer,
                      QStringLiteral("its last connection to us closed"));
}

void RelayService::tick() {
    if (!enabled_)
        return;
    const MonoTime now = host_.clock().now();
    for (const PeerId& peer : ledger_.expire(now)) {
        ++counters_.reservationsExpired;
        keepConnected(peer, false);
        Q_EMIT relayEvent(QStringLiteral("relay_reservation_expired"), peer, {});
    }
    std::vector<std::uint64_t> late;
    for (const auto& [id, session] : sessions_)
        if (session->deadline <= now)
            late.push_back(id);
    for (std::uint64_t id : late) {
        auto it = sessions_.find(id);
        if (it == sessions_.end())
            continue;
        Session& session = *it->second;
        if (session.state == Session::State::Reading) {
            // A silent requester holds nothing more of ours.
            Stream* hop = session.hop;
            endSession(id);
            ++counters_.refused["request_timeout"];
            if (hop)
                hop->reset();
            continue;
        }
        dropStop(session);
        refuse(session, RelayStatus::ConnectionFailed,
               QStringLiteral("the target did not answer the stop request in time"));
    }
    std::vector<CircuitBridge*> running;
    for (const auto& [bridge, circuit] : bridges_)
        running.push_back(bridge);
    for (CircuitBridge* bridge : running)
        if (bridges_.count(bridge))
            bridge->checkDeadline(now);
}

} // namespace peerscope
