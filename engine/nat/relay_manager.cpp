#include "engine/nat/relay_manager.h"

#include "engine/core/circuit_addr.h"
#include "engine/health/event_log.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/ping_prober.h"
#include "engine/net/stream.h"
#include "engine/pool/connection_pool.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QPointer>
#include <algorithm>

Q_LOGGING_CATEGORY(lcRelayManager, "peerscope.engine.relay")

using namespace std::chrono_literals;

namespace peerscope {

const char* reservationStateName(ReservationState state) {
    switch (state) {
    case ReservationState::None:
        return "none";
    case ReservationState::Reserving:
        return "reserving";
    case ReservationState::Reserved:
        return "reserved";
    case ReservationState::Refused:
        return "refused";
    case ReservationState::Expired:
        return "expired";
    case ReservationState::Failed:
        return "failed";
    }
    return "unknown";
}

struct RelayManager::Relay {
    PeerId peer;
    Multiaddr addr;
    bool isStatic = false;
    bool isAutomatic = false;
    bool connected = false;
    ReservationState state = ReservationState::None;
    std::string detail;
    std::uint64_t reservedUntil = 0;
    MonoTime expiresAt{0};
    MonoTime refreshAt{0};
    std::optional<RelayLimit> limit;
    std::vector<Multiaddr> circuitAddrs;
    std::deque<double> rttMs;
    std::uint64_t unanswered = 0;
    MonoTime nextProbe{0};
    MonoTime probeDeadline{0};
    std::unique_ptr<PingProber> prober;
    Connection* proberConnection = nullptr;
    std::optional<MonoTime> refusedUntil;
    std::uint64_t attempt = 0; // of the reservation request under way, if any
    bool requesting = false;
    MonoTime requestDeadline{0};
    QPointer<Stream> hopStream;
};

namespace {
std::vector<std::string> hopOnly() {
    return {circuitRelayHopProtocolId};
}
QString qs(const std::string& text) {
    return QString::fromStdString(text);
}
} // namespace

RelayManager::RelayManager(Host& host, ConnectionPool& pool, EventLog& events,
                           RelayClientConfig config, UnixClock unixNow, QObject* parent)
    : QObject(parent), host_(host), pool_(pool), events_(events), config_(std::move(config)),
      unixNow_(std::move(unixNow)),
      selector_(RelaySelector::Config{config_.reservations, config_.relaySwitchRttMs,
                                      config_.relaySwitchProbes}) {
    connect(&host_, &Host::connectionOpened, this,
            [this](Connection* c) { onConnectionOpened(c->remotePeer()); });
    connect(&host_, &Host::connectionClosed, this,
            [this](quint64, const PeerId& peer, const QString&) { onConnectionClosed(peer); });
    connect(&host_, &Host::peerIdentified, this, &RelayManager::onPeerIdentified);
    // What we advertise (identify, and a push to every peer) follows our reservations.
    connect(this, &RelayManager::circuitAddrsChanged, this,
            [this] { host_.setExtraListenAddrs(circuitAddrs()); });
    timer_.setInterval(1000);
    connect(&timer_, &QTimer::timeout, this, &RelayManager::tick);
    timer_.start();
    setConfig(config_);
}

RelayManager::~RelayManager() {
    disconnect(&host_, nullptr, this, nullptr);
    host_.setExtraListenAddrs({});
    for (auto& [peer, relay] : relays_)
        if (relay->hopStream)
            relay->hopStream->reset();
}

std::uint64_t RelayManager::unixNow() const {
    return unixNow_ ? unixNow_() : static_cast<std::uint64_t>(QDateTime::currentSecsSinceEpoch());
}

MonoTime RelayManager::now() const {
    return host_.clock().now();
}

RelayManager::Relay* RelayManager::find(const PeerId& peer) {
    auto it = relays_.find(peer);
    return it == relays_.end() ? nullptr : it->second.get();
}

RelayManager::Relay& RelayManager::ensure(const PeerId& peer, RelaySelector::Source source) {
    auto& slot = relays_[peer];
    if (!slot) {
        slot = std::make_unique<Relay>();
        slot->peer = peer;
        slot->connected = !host_.connectionsTo(peer).empty();
    }
    (source == RelaySelector::Source::Static ? slot->isStatic : slot->isAutomatic) = true;
    selector_.addRelay(peer, source);
    updateUsable(*slot);
    return *slot;
}

void RelayManager::setConfig(const RelayClientConfig& config) {
    const RelayClientConfig previous = config_;
    config_ = config;
    selector_.setConfig(RelaySelector::Config{config_.reservations, config_.relaySwitchRttMs,
                                              config_.relaySwitchProbes});
    std::vector<PeerId> listed;
    for (const std::string& text : config_.relays) {
        Result<Multiaddr> addr = Multiaddr::parse(text);
        if (!addr)
            continue; // the config was validated; nothing to add
        if (Result<PeerId> added = addRelay(addr.value()))
            listed.push_back(added.value());
    }
    // Static relays no longer listed: forgotten, unless identify still offers them.
    std::vector<PeerId> dropped;
    for (const auto& [peer, relay] : relays_)
        if (relay->isStatic && std::find(listed.begin(), listed.end(), peer) == listed.end())
            dropped.push_back(peer);
    for (const PeerId& peer : dropped)
        removeRelay(peer);
    if (!config_.automaticRelays) {
        std::vector<PeerId> automatic;
        for (const auto& [peer, relay] : relays_)
            if (!relay->isStatic)
                automatic.push_back(peer);
        for (const PeerId& peer : automatic)
            removeRelay(peer);
    } else if (!previous.automaticRelays) {
        for (const auto& [peer, record] : host_.peers())
            onPeerIdentified(peer);
    }
    decide();
}

Result<PeerId> RelayManager::addRelay(const Multiaddr& addr) {
    if (std::string problem = relayAddrProblem(addr, true); !problem.empty())
        return makeError("relay address " + addr.toString() + " " + problem);
    const std::optional<PeerId> peer = addr.peerId();
    if (*peer == host_.peerId())
        return makeError("relay address " + addr.toString() + " is our own peer ID");
    Relay& relay = ensure(*peer, RelaySelector::Source::Static);
    relay.addr = addr.withoutPeerId();
    pool_.setProtected(*peer, true);
    if (!relay.addr.empty())
        pool_.dialPeer(addr, [](auto) {}); // kept connected by the pool, with its backoff
    decide();
    return *peer;
}

bool RelayManager::removeRelay(const PeerId& peer) {
    Relay* relay = find(peer);
    if (!relay)
        return false;
    if (relay->state == ReservationState::Reserved || relay->requesting)
        release(*relay, "removed");
    if (relay->hopStream)
        relay->hopStream->reset();
    releaseWhenReserved_.erase(peer);
    for (auto it = releaseWhenReserved_.begin(); it != releaseWhenReserved_.end();)
        it = it->second.from == peer ? releaseWhenReserved_.erase(it) : std::next(it);
    pool_.setProtected(peer, false);
    selector_.removeRelay(peer);
    relays_.erase(peer);
    emitEvent("relay_removed", peer, "");
    decide();
    return true;
}

bool RelayManager::prefer(const PeerId& peer) {
    if (!find(peer))
        return false;
    selector_.setPreferred(peer);
    emitEvent("relay_preferred", peer, "chosen by the user");
    decide();
    return true;
}

void RelayManager::clearPreference() {
    selector_.setPreferred(std::nullopt);
    decide();
}

void RelayManager::setProbeInterval(std::chrono::milliseconds interval) {
    probeInterval_ = interval;
    timer_.setInterval(std::min<std::chrono::milliseconds>(std::chrono::seconds(1), interval));
}

bool RelayManager::reserveNow(const PeerId& peer) {
    Relay* relay = find(peer);
    if (!relay)
        return false;
    relay->refusedUntil.reset();
    updateUsable(*relay);
    if (relay->connected)
        reserve(*relay);
    return true;
}

void RelayManager::onConnectionOpened(const PeerId& peer) {
    Relay* relay = find(peer);
    if (!relay || relay->connected)
        return;
    relay->connected = true;
    relay->nextProbe = now(); // measure it at once: the choice depends on it
    updateUsable(*relay);
    decide();
}

void RelayManager::onConnectionClosed(const PeerId& peer) {
    Relay* relay = find(peer);
    if (!relay || !host_.connectionsTo(peer).empty())
        return;
    relay->connected = false;
    relay->prober.reset();
    relay->proberConnection = nullptr;
    // The relay forgets a reservation with the connection it was made on (go-libp2p does):
    // it is made again when the relay is back.
    if (relay->state == ReservationState::Reserved || relay->requesting) {
        relay->requesting = false;
        relay->circuitAddrs.clear();
        setState(*relay, ReservationState::None, "connection to the relay lost");
        emitEvent("reservation_lost", peer, "connection to the relay lost");
        Q_EMIT circuitAddrsChanged();
    }
    updateUsable(*relay);
    decide();
}

void RelayManager::onPeerIdentified(const PeerId& peer) {
    if (!config_.automaticRelays || peer == host_.peerId())
        return;
    const PeerRecord* record = host_.peerRecord(peer);
    if (!record)
        return;
    const bool offersHop = std::find(record->protocols.begin(), record->protocols.end(),
                                     circuitRelayHopProtocolId) != record->protocols.end();
    Relay* known = find(peer);
    if (offersHop && !known) {
        Relay& relay = ensure(peer, RelaySelector::Source::Automatic);
        relay.nextProbe = now();
        emitEvent("relay_found", peer, "identify lists the hop protocol");
        decide();
    } else if (!offersHop && known && !known->isStatic) {
        removeRelay(peer); // it stopped offering the service
    }
}

void RelayManager::updateUsable(Relay& relay) {
    if (relay.refusedUntil && now() >= *relay.refusedUntil)
        relay.refusedUntil.reset();
    selector_.setUsable(relay.peer, relay.connected && !relay.refusedUntil);
}

void RelayManager::tick() {
    const MonoTime t = now();
    bool addrsChanged = false;
    for (auto& [peer, slot] : relays_) {
        Relay& relay = *slot;
        updateUsable(relay);
        // A request that got no answer in time.
        if (relay.requesting && t >= relay.requestDeadline) {
            if (relay.hopStream)
                relay.hopStream->reset();
            onReservationFailed(relay, ReservationState::Failed,
                                "no answer to the reservation request");
            continue;
        }
        if (relay.state == ReservationState::Reserved && t >= relay.expiresAt) {
            relay.circuitAddrs.clear();
            setState(relay, ReservationState::Expired, "not refreshed in time");
            emitEvent("reservation_expired", peer, "");
            addrsChanged = true;
        }
        if (selector_.isHeld(peer) && relay.state == ReservationState::Reserved &&
            !relay.requesting && t >= relay.refreshAt)
            reserve(relay);
        if (relay.connected && relay.prober && relay.prober->busy() && t >= relay.probeDeadline)
            relay.prober->giveUp("no answer in time");
        if (relay.connected && t >= relay.nextProbe && (!relay.prober || !relay.prober->busy()))
            probe(relay);
    }
    if (addrsChanged)
        Q_EMIT circuitAddrsChanged();
    decide();
}

void RelayManager::probe(Relay& relay) {
    const std::vector<Connection*> connections = host_.connectionsTo(relay.peer);
    if (connections.empty())
        return;
    Connection* connection = connections.front();
    if (!relay.prober || relay.proberConnection != connection) {
        relay.prober = std::make_unique<PingProber>(host_, connection);
        relay.proberConnection = connection;
    }
    relay.nextProbe = now() + std::chrono::duration_cast<MonoTime>(probeInterval_);
    // A probe may take as long as the interval, and at least a second: a slow relay is
    // measured, not taken for a silent one.
    relay.probeDeadline = now() + std::chrono::duration_cast<MonoTime>(
                                      std::max<std::chrono::milliseconds>(probeInterval_, 1s));
    const PeerId peer = relay.peer;
    relay.prober->probe([this, peer](Result<MonoTime> rtt) {
        Relay* r = find(peer);
        if (!r)
            return;
        std::optional<double> ms;
        if (rtt) {
            ms = std::chrono::duration<double, std::milli>(rtt.value()).count();
            r->rttMs.push_back(*ms);
            if (r->rttMs.size() > rttHistorySize)
                r->rttMs.pop_front();
        } else {
            ++r->unanswered;
        }
        selector_.observeProbe(peer, ms);
    });
}

void RelayManager::decide() {
    apply(selector_.decide(now()));
}

void RelayManager::apply(const std::vector<RelaySelector::Change>& changes) {
    for (const RelaySelector::Change& change : changes) {
        Relay* from = change.release ? find(*change.release) : nullptr;
        Relay* to = change.take ? find(*change.take) : nullptr;
        // An unreachable relay's reservation is gone already; a relay taken only to fill a
        // place has nothing to replace. Otherwise the old one stays until the new one holds.
        if (from && (!to || !from->connected)) {
            release(*from, change.reason);
            from = nullptr;
        }
        if (to) {
            if (from)
                releaseWhenReserved_[to->peer] = PendingSwitch{from->peer, change.reason};
            else if (change.release)
                finishSwitch(*change.release, *to, change.reason);
            pool_.setProtected(to->peer, true);
            if (to->state != ReservationState::Reserved && !to->requesting)
                reserve(*to);
            else if (to->state == ReservationState::Reserved && from) {
                // Already reserved (held before, kept refreshed): switch at once.
                releaseWhenReserved_.erase(to->peer);
                release(*from, change.reason);
                finishSwitch(from->peer, *to, change.reason);
            }
        }
    }
}

void RelayManager::reserve(Relay& relay) {
    if (!relay.connected || relay.requesting)
        return;
    const std::uint64_t attempt = ++relay.attempt;
    relay.requesting = true;
    relay.requestDeadline = now() + std::chrono::duration_cast<MonoTime>(requestTimeout);
    if (relay.state != ReservationState::Reserved)
        setState(relay, ReservationState::Reserving, "");
    const PeerId peer = relay.peer;
    host_.openStream(peer, hopOnly(), [this, peer, attempt](Result<Stream*> opened) {
        Relay* r = find(peer);
        if (!r || r->attempt != attempt || !r->requesting) {
            if (opened)
                opened.value()->reset();
            return;
        }
        if (!opened) {
            onReservationFailed(*r, ReservationState::Failed,
                                "could not open a hop stream: " + opened.errorMessage());
            return;
        }
        Stream* stream = opened.value();
        stream->markHousekeeping();
        r->hopStream = stream;
        auto exchange = std::make_shared<HopClientExchange>(host_.peerId(), peer);
        const Bytes request = exchange->reserve(unixNow());
        auto handle = [this, peer, attempt, stream, exchange] {
            Relay* current = find(peer);
            if (!current || current->attempt != attempt || !current->requesting)
                return;
            std::optional<HopClientExchange::Outcome> outcome = exchange->feed(stream->readAll());
            if (!outcome) {
                if (stream->isReadClosed())
                    onReservationFailed(*current, ReservationState::Failed,
                                        "the relay closed the hop stream without an answer");
                return;
            }
            stream->closeWrite();
            std::visit(
                [&](auto&& o) {
                    using O = std::decay_t<decltype(o)>;
                    if constexpr (std::is_same_v<O, HopClientExchange::Reserved>) {
                        onReserved(*current, o);
                    } else if constexpr (std::is_same_v<O, HopClientExchange::Refused>) {
                        onReservationFailed(*current, ReservationState::Refused,
                                            std::string("refused: ") + relayStatusName(o.status));
                    } else if constexpr (std::is_same_v<O, HopClientExchange::Failed>) {
                        stream->reset();
                        onReservationFailed(*current, ReservationState::Failed, o.reason);
                    } else {
                        stream->reset();
                        onReservationFailed(*current, ReservationState::Failed,
                                            "the relay answered a reservation with CONNECT");
                    }
                },
                *outcome);
        };
        connect(stream, &Stream::readyRead, this, handle);
        connect(stream, &Stream::remoteClosed, this, handle);
        connect(stream, &Stream::wasReset, this, [this, peer, attempt] {
            Relay* current = find(peer);
            if (current && current->attempt == attempt && current->requesting)
                onReservationFailed(*current, ReservationState::Failed,
                                    "the relay reset the hop stream");
        });
        stream->write(ByteView(request.data(), request.size()));
    });
}

void RelayManager::onReserved(Relay& relay, const HopClientExchange::Reserved& reserved) {
    relay.requesting = false;
    const bool refresh = relay.state == ReservationState::Reserved;
    const std::uint64_t nowUnix = unixNow();
    const std::uint64_t ttl = reserved.expire > nowUnix ? reserved.expire - nowUnix : 0;
    relay.reservedUntil = reserved.expire;
    relay.expiresAt = now() + std::chrono::duration_cast<MonoTime>(std::chrono::seconds(ttl));
    const std::uint64_t margin = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::seconds>(refreshMargin).count());
    const std::uint64_t refreshIn = ttl > 2 * margin ? ttl - margin : ttl / 2;
    relay.refreshAt = now() + std::chrono::duration_cast<MonoTime>(std::chrono::seconds(refreshIn));
    relay.limit = reserved.limit;
    relay.refusedUntil.reset();
    // Our addresses through it: each of the relay's, then /p2p/<relay>/p2p-circuit.
    std::vector<Multiaddr> addrs;
    std::vector<Multiaddr> relayAddrs = reserved.addrs;
    if (relayAddrs.empty() && !relay.addr.empty())
        relayAddrs.push_back(relay.addr);
    for (const Multiaddr& addr : relayAddrs) {
        if (CircuitAddr::isCircuit(addr))
            continue;
        const Multiaddr base = addr.withoutPeerId();
        if (!base.tcpEndpoint())
            continue; // a transport we cannot use to reach it
        CircuitAddr circuit{base, relay.peer, std::nullopt};
        const Multiaddr ours = circuit.toMultiaddr();
        if (std::find(addrs.begin(), addrs.end(), ours) == addrs.end())
            addrs.push_back(ours);
    }
    const bool addrsChanged = addrs != relay.circuitAddrs;
    relay.circuitAddrs = std::move(addrs);
    std::string detail =
        "until " + QDateTime::fromSecsSinceEpoch(static_cast<qint64>(reserved.expire), Qt::UTC)
                       .toString(Qt::ISODate)
                       .toStdString();
    if (!reserved.voucherError.empty())
        detail += "; voucher not accepted: " + reserved.voucherError;
    setState(relay, ReservationState::Reserved, reserved.voucherError.empty() ? "" : detail);
    emitEvent(refresh ? "reservation_refreshed" : "reserved", relay.peer, detail);
    if (addrsChanged)
        Q_EMIT circuitAddrsChanged();
    // Make-before-break: the relay it replaces goes only now.
    if (auto it = releaseWhenReserved_.find(relay.peer); it != releaseWhenReserved_.end()) {
        const PendingSwitch pending = it->second;
        releaseWhenReserved_.erase(it);
        if (Relay* old = find(pending.from))
            release(*old, pending.reason);
        finishSwitch(pending.from, relay, pending.reason);
    }
}

void RelayManager::onReservationFailed(Relay& relay, ReservationState state,
                                       const std::string& why) {
    relay.requesting = false;
    const bool wasReserved = relay.state == ReservationState::Reserved;
    if (wasReserved && state == ReservationState::Failed && now() < relay.expiresAt) {
        // A refresh that failed: the reservation still stands until it ends; try again later.
        relay.refreshAt = now() + std::chrono::duration_cast<MonoTime>(probeInterval_ * 6);
        emitEvent("reservation_refresh_failed", relay.peer, why);
        return;
    }
    relay.circuitAddrs.clear();
    setState(relay, state, why);
    relay.refusedUntil = now() + std::chrono::duration_cast<MonoTime>(refusalBackoff);
    updateUsable(relay);
    emitEvent(state == ReservationState::Refused ? "reservation_refused" : "reservation_failed",
              relay.peer, why);
    if (wasReserved)
        Q_EMIT circuitAddrsChanged();
    // A switch that did not happen: the old relay stays in use.
    if (auto it = releaseWhenReserved_.find(relay.peer); it != releaseWhenReserved_.end()) {
        selector_.setHeld(it->second.from, true);
        releaseWhenReserved_.erase(it);
    }
    selector_.setHeld(relay.peer, false);
    decide();
}

void RelayManager::release(Relay& relay, const std::string& why) {
    selector_.setHeld(relay.peer, false);
    if (relay.hopStream && relay.requesting)
        relay.hopStream->reset();
    relay.requesting = false;
    const bool hadAddrs = !relay.circuitAddrs.empty();
    relay.circuitAddrs.clear();
    if (relay.state == ReservationState::Reserved || relay.state == ReservationState::Reserving) {
        // Circuit relay v2 has no cancel: we stop refreshing and stop advertising it.
        setState(relay, ReservationState::None, "released: " + why);
        emitEvent("reservation_released", relay.peer, why);
    }
    if (!relay.isStatic)
        pool_.setProtected(relay.peer, false);
    if (hadAddrs)
        Q_EMIT circuitAddrsChanged();
}

void RelayManager::finishSwitch(const PeerId& from, const Relay& to, const std::string& reason) {
    emitEvent("relay_switched", to.peer, reason);
    moveCircuits(from, to);
}

// The pool's drain moves them: the new connection is dialled first, new streams go to it, and
// the old one closes once its streams have ended, so no stream is cut by the switch. One that
// cannot be dialled the new way stays where it is (a "replace_failed" pool event says why).
void RelayManager::moveCircuits(const PeerId& from, const Relay& to) {
    const QString reason = QStringLiteral("relay switched from %1 to %2")
                               .arg(qs(from.toBase58()), qs(to.peer.toBase58()));
    for (Connection* connection : host_.connections()) {
        if (!connection->isOpen() || connection->info().relay != from ||
            pool_.isDraining(connection->id()))
            continue;
        if (std::optional<Multiaddr> via = circuitVia(to, *connection))
            pool_.replace(connection->id(), reason, std::move(via));
    }
}

// How to reach the peer at the other end of `connection` through `relay`: the circuit address
// it lists (identify) through that relay, or, for a peer we dialled, the same circuit as before
// with the relay swapped (it may well hold a reservation there too; if not, the dial says so).
std::optional<Multiaddr> RelayManager::circuitVia(const Relay& relay,
                                                  const Connection& connection) const {
    const PeerId peer = connection.remotePeer();
    if (auto it = host_.peers().find(peer); it != host_.peers().end())
        for (const Multiaddr& addr : it->second.listenAddrs)
            if (Result<CircuitAddr> circuit = CircuitAddr::parse(addr);
                circuit && circuit->relay == relay.peer &&
                (!circuit->target || *circuit->target == peer)) {
                circuit->target = peer;
                return circuit->toMultiaddr();
            }
    if (connection.info().direction != Direction::Outbound)
        return std::nullopt;
    return CircuitAddr{relay.addr, relay.peer, peer}.toMultiaddr();
}

void RelayManager::setState(Relay& relay, ReservationState state, std::string detail) {
    relay.state = state;
    relay.detail = std::move(detail);
}

void RelayManager::emitEvent(const char* kind, const PeerId& relay, const std::string& detail) {
    events_.append(QString::fromLatin1(kind), qs(relay.toBase58()), 0, qs(detail));
    qCInfo(lcRelayManager) << kind << relay.toBase58().c_str() << detail.c_str();
    Q_EMIT relayEvent(QString::fromLatin1(kind), relay, qs(detail));
}

std::vector<RelayInfo> RelayManager::relays() const {
    std::vector<RelayInfo> out;
    for (const auto& [peer, relay] : relays_) {
        RelayInfo info;
        info.peer = peer;
        info.addr = relay->addr;
        info.source =
            relay->isStatic ? RelaySelector::Source::Static : RelaySelector::Source::Automatic;
        info.preferred = selector_.preferred() == peer;
        info.inUse = selector_.isHeld(peer);
        info.connected = relay->connected;
        info.state = relay->state;
        info.reservedUntil = relay->state == ReservationState::Reserved ? relay->reservedUntil : 0;
        info.detail = relay->detail;
        info.limit = relay->limit;
        info.circuitAddrs = relay->circuitAddrs;
        info.rttHistoryMs = relay->rttMs;
        info.probesUnanswered = relay->unanswered;
        out.push_back(std::move(info));
    }
    return out;
}

std::optional<RelayInfo> RelayManager::relay(const PeerId& peer) const {
    for (RelayInfo& info : relays())
        if (info.peer == peer)
            return std::move(info);
    return std::nullopt;
}

bool RelayManager::hasReservation(const PeerId& peer) const {
    auto it = relays_.find(peer);
    return it != relays_.end() && it->second->state == ReservationState::Reserved;
}

std::vector<Multiaddr> RelayManager::circuitAddrs() const {
    std::vector<Multiaddr> out;
    for (const auto& [peer, relay] : relays_)
        if (relay->state == ReservationState::Reserved)
            out.insert(out.end(), relay->circuitAddrs.begin(), relay->circuitAddrs.end());
    return out;
}

} // namespace peerscope
