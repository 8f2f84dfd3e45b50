#include "engine/pool/connection_pool.h"

#include "engine/core/circuit_addr.h"
#include "engine/net/host.h"

#include <QLoggingCategory>
#include <algorithm>
#include <cmath>

Q_LOGGING_CATEGORY(lcPool, "peerscope.engine.pool")

namespace peerscope {

namespace {

std::chrono::milliseconds toMillis(std::chrono::duration<double> seconds) {
    return std::chrono::milliseconds(
        static_cast<std::int64_t>(std::llround(seconds.count() * 1000)));
}

QString qs(const std::string& text) {
    return QString::fromStdString(text);
}

// A dial that will fail the same way however often it is retried.
bool isPermanent(const std::string& error) {
    return error.find("peer id mismatch") != std::string::npos;
}

} // namespace

// One dialPeer() call: several parallel attempt chains (each with its retries) and the
// callback that runs when the last chain ends.
struct ConnectionPool::DialBatch {
    PeerId peer;
    Multiaddr addr;
    int outstanding = 0;
    int attempts = 0;
    std::uint64_t generation = 0; // the peer's generation when this batch began
    std::string lastError;
    std::function<void(const std::shared_ptr<DialBatch>&)> finished;
};

ConnectionPool::ConnectionPool(Host& host, ConnectionConfig connection, RetryConfig retry,
                               std::uint64_t seed, QObject* parent)
    : QObject(parent), host_(host), clock_(host.clock()), config_(connection), retry_(retry, seed) {
    connect(&host_, &Host::connectionOpened, this, &ConnectionPool::onConnectionOpened);
    connect(
        &host_, &Host::connectionClosed, this,
        [this](quint64 id, const PeerId& peer, const QString&) { onConnectionClosed(id, peer); });
    tickTimer_.setInterval(1000);
    connect(&tickTimer_, &QTimer::timeout, this, &ConnectionPool::tick);
    tickTimer_.start();
}

ConnectionPool::~ConnectionPool() = default;

void ConnectionPool::setConfig(const ConnectionConfig& connection, const RetryConfig& retry) {
    config_ = connection;
    retry_.setConfig(retry);
    for (const auto& [peer, wanted] : wanted_)
        maintain(peer);
}

void ConnectionPool::setHealthLookup(
    std::function<std::optional<ConnectionHealthView>(std::uint64_t)> lookup) {
    healthLookup_ = std::move(lookup);
}

void ConnectionPool::dialPeer(const Multiaddr& addr, DialCallback done) {
    std::optional<PeerId> peer = addr.peerId();
    if (!peer) {
        done(makeError("dial " + addr.toString() + ": the address needs /p2p/<peer id>"));
        return;
    }
    const bool connected = !connections(*peer).empty();
    if (connected)
        keep(*peer, addr);
    const int need =
        maxFor(addr) - static_cast<int>(connections(*peer).size()) - pendingPerPeer_[*peer];
    if (need <= 0) {
        done(connections(*peer));
        return;
    }
    // Not connected yet: one connection first proves the address and the peer's identity
    // (a wrong address fails once, not max_connections_per_peer times); the rest then open in
    // parallel.
    const int now = connected ? need : 1;
    auto batch = std::make_shared<DialBatch>();
    batch->peer = *peer;
    batch->addr = addr;
    batch->outstanding = now;
    batch->finished = [this, addr, rest = need - now,
                       done = std::move(done)](const std::shared_ptr<DialBatch>& b) mutable {
        std::vector<Connection*> open = connections(b->peer);
        if (open.empty()) {
            std::string message = b->lastError;
            if (b->attempts > 1)
                message += " (" + std::to_string(b->attempts) + " attempts)";
            done(makeError(message));
            return;
        }
        keep(b->peer, addr);
        if (rest <= 0) {
            done(std::move(open));
            return;
        }
        auto more = std::make_shared<DialBatch>();
        more->peer = b->peer;
        more->addr = addr;
        more->outstanding = rest;
        more->finished = [this, done = std::move(done)](const std::shared_ptr<DialBatch>& m) {
            done(connections(m->peer)); // the first one is open, whatever the rest did
        };
        for (int i = 0; i < rest; ++i)
            startAttempt(more, 0);
    };
    for (int i = 0; i < now; ++i)
        startAttempt(batch, 0);
}

void ConnectionPool::keep(const PeerId& peer, const Multiaddr& addr) {
    WantedPeer& wanted = wanted_[peer];
    wanted.addr = addr;
    wanted.redialFailures = 0;
}

void ConnectionPool::startAttempt(const std::shared_ptr<DialBatch>& batch, int failures) {
    if (failures == 0 && batch->attempts == 0)
        batch->generation = generations_[batch->peer];
    ++dialsInFlight_;
    ++pendingPerPeer_[batch->peer];
    ++batch->attempts;
    if (failures > 0) {
        ++counters_.retries;
        Q_EMIT poolEvent(
            QStringLiteral("retry"), batch->peer, 0,
            QStringLiteral("attempt %1 to %2").arg(failures + 1).arg(qs(batch->addr.toString())));
    }
    struct Attempt {
        bool ended = false;
    };
    auto attempt = std::make_shared<Attempt>();
    auto* timeout = new QTimer(this);
    timeout->setSingleShot(true);

    // Ends this attempt once: success ends the chain, failure may schedule the next attempt.
    auto end = [this, batch, failures, attempt, timeout](Result<void> outcome, bool timedOut) {
        if (attempt->ended)
            return;
        attempt->ended = true;
        timeout->stop();
        timeout->deleteLater();
        --dialsInFlight_;
        if (--pendingPerPeer_[batch->peer] <= 0)
            pendingPerPeer_.erase(batch->peer);
        if (outcome) {
            ++counters_.dialsSucceeded;
        } else {
            ++(timedOut ? counters_.dialsTimedOut : counters_.dialsFailed);
            batch->lastError = outcome.errorMessage();
            Q_EMIT poolEvent(QStringLiteral("dial_failed"), batch->peer, 0, qs(batch->lastError));
            const bool stillWanted =
                batch->generation == generations_[batch->peer] &&
                static_cast<int>(connections(batch->peer).size()) < maxFor(batch->addr);
            if (stillWanted && !isPermanent(batch->lastError) && retry_.shouldRetry(failures + 1)) {
                const auto delay = retry_.delay(failures);
                // Said before the wait, so a person watching a dial sees why nothing happens.
                Q_EMIT poolEvent(
                    QStringLiteral("backoff"), batch->peer, 0,
                    QStringLiteral("retrying in %1 ms (attempt %2 of %3)")
                        .arg(std::chrono::duration_cast<std::chrono::milliseconds>(delay).count())
                        .arg(failures + 2)
                        .arg(retry_.config().maxRetries + 1));
                QTimer::singleShot(std::chrono::duration_cast<std::chrono::milliseconds>(delay),
                                   this,
                                   [this, batch, failures] { startAttempt(batch, failures + 1); });
                return;
            }
        }
        if (--batch->outstanding == 0 && batch->finished)
            batch->finished(batch);
    };

    connect(timeout, &QTimer::timeout, this, [end, this] {
        end(makeError("timed out after " +
                      std::to_string(toMillis(config_.connectionTimeout).count()) + " ms"),
            true);
    });
    timeout->start(toMillis(config_.connectionTimeout));
    host_.dial(batch->addr, [this, end, attempt](Result<Connection*> dialled) {
        if (attempt->ended) {
            // Finished after its timeout: keep it only if the peer still has room.
            if (dialled && static_cast<int>(connections((*dialled)->remotePeer()).size()) >
                               config_.maxConnectionsPerPeer)
                (*dialled)->close(QStringLiteral("dial finished after its timeout"));
            return;
        }
        if (dialled)
            end(Result<void>(), false);
        else
            end(dialled.error(), false);
    });
}

void ConnectionPool::disconnectPeer(const PeerId& peer, const QString& reason) {
    wanted_.erase(peer);
    ++generations_[peer]; // dials under way stop retrying
    for (Connection* connection : connections(peer))
        connection->close(reason);
}

std::vector<Connection*> ConnectionPool::connections(const PeerId& peer) const {
    std::vector<Connection*> out;
    for (Connection* connection : host_.connectionsTo(peer))
        if (connection->isOpen())
            out.push_back(connection);
    return out;
}

std::vector<Connection*> ConnectionPool::connections() const {
    std::vector<Connection*> out;
    for (Connection* connection : host_.connections())
        if (connection->isOpen())
            out.push_back(connection);
    return out;
}

std::map<PeerId, std::vector<Connection*>> ConnectionPool::connectionsMap() const {
    std::map<PeerId, std::vector<Connection*>> out;
    for (Connection* connection : connections())
        out[connection->remotePeer()].push_back(connection);
    return out;
}

ConnectionHealthView ConnectionPool::healthOf(std::uint64_t connectionId) const {
    if (healthLookup_)
        if (std::optional<ConnectionHealthView> view = healthLookup_(connectionId))
            return *view;
    return {};
}

std::vector<ConnectionCandidate> ConnectionPool::candidates(const PeerId& peer) const {
    std::vector<ConnectionCandidate> out;
    for (Connection* connection : connections(peer)) {
        const ConnectionHealthView health = healthOf(connection->id());
        ConnectionCandidate candidate;
        candidate.id = connection->id();
        candidate.activeStreams = connection->activeStreamCount();
        candidate.healthScore = health.score;
        candidate.smoothedRtt = health.smoothedRtt;
        candidate.usable = !health.failed && draining_.count(connection->id()) == 0;
        out.push_back(candidate);
    }
    // Better a failed or draining connection than none.
    if (std::none_of(out.begin(), out.end(), [](const ConnectionCandidate& c) { return c.usable; }))
        for (ConnectionCandidate& candidate : out)
            candidate.usable = true;
    return out;
}

Connection* ConnectionPool::connection(const PeerId& peer) {
    std::optional<std::uint64_t> id =
        balancers_[peer].pick(config_.loadBalancingStrategy, candidates(peer));
    return id ? host_.connectionById(*id) : nullptr;
}

void ConnectionPool::newStream(const PeerId& peer, std::vector<std::string> protocols,
                               Connection::StreamCallback done, StreamNegotiation mode) {
    LoadBalancer& balancer = balancers_[peer];
    std::vector<std::uint64_t> order =
        balancer.order(config_.loadBalancingStrategy, candidates(peer));
    if (order.empty()) {
        done(makeError("not connected to " + peer.toBase58()));
        return;
    }
    balancer.notePicked(order.front());
    tryStream(peer, std::move(order), 0, std::move(protocols), mode,
              std::make_shared<Connection::StreamCallback>(std::move(done)), {});
}

void ConnectionPool::tryStream(const PeerId& peer, std::vector<std::uint64_t> order,
                               std::size_t index, std::vector<std::string> protocols,
                               StreamNegotiation mode,
                               std::shared_ptr<Connection::StreamCallback> done,
                               std::string lastError) {
    for (; index < order.size(); ++index) {
        Connection* connection = host_.connectionById(order[index]);
        if (connection == nullptr || !connection->isOpen())
            continue;
        if (index > 0)
            ++counters_.streamRetries;
        QPointer<ConnectionPool> self(this);
        connection->openStream(
            protocols,
            [self, peer, order, index, protocols, mode, done](Result<Stream*> opened) mutable {
                if (opened || !self) {
                    (*done)(std::move(opened));
                    return;
                }
                self->tryStream(peer, std::move(order), index + 1, std::move(protocols), mode, done,
                                opened.errorMessage());
            },
            mode);
        return;
    }
    (*done)(makeError("no connection to " + peer.toBase58() + " could open a stream" +
                      (lastError.empty() ? std::string() : ": " + lastError)));
}

void ConnectionPool::setProtected(const PeerId& peer, bool isProtected) {
    if (isProtected)
        protected_.insert(peer);
    else
        protected_.erase(peer);
}

void ConnectionPool::setKept(const PeerId& peer, bool kept) {
    if (kept)
        kept_.insert(peer);
    else
        kept_.erase(peer);
}

std::vector<PeerId> ConnectionPool::protectedPeers() const {
    return {protected_.begin(), protected_.end()};
}

void ConnectionPool::onConnectionOpened(Connection* connection) {
    const PeerId peer = connection->remotePeer();
    const bool inbound = connection->info().direction == Direction::Inbound;
    const std::vector<Connection*> all = connections();
    const auto sameDirection = std::count_if(all.begin(), all.end(), [&](Connection* c) {
        return c->info().direction == connection->info().direction;
    });
    QString refused;
    // A connection being replaced does not count: its replacement must fit beside it.
    const std::vector<Connection*> ofPeer = connections(peer);
    const auto draining = std::count_if(ofPeer.begin(), ofPeer.end(), [this](Connection* c) {
        return draining_.count(c->id()) != 0;
    });
    if (static_cast<int>(ofPeer.size() - draining) > config_.maxConnectionsPerPeer)
        refused =
            QStringLiteral("over max_connections_per_peer (%1)").arg(config_.maxConnectionsPerPeer);
    else if (static_cast<int>(all.size()) > config_.maxConnections)
        refused = QStringLiteral("over max_connections (%1)").arg(config_.maxConnections);
    else if (inbound && sameDirection > config_.maxInboundConnections)
        refused =
            QStringLiteral("over max_inbound_connections (%1)").arg(config_.maxInboundConnections);
    else if (!inbound && sameDirection > config_.maxOutboundConnections)
        refused = QStringLiteral("over max_outbound_connections (%1)")
                      .arg(config_.maxOutboundConnections);
    if (!refused.isEmpty()) {
        ++counters_.refusedOverLimit;
        Q_EMIT poolEvent(QStringLiteral("limit"), peer, connection->id(), refused);
        // Closed on the next turn: the Host is still announcing this connection.
        QMetaObject::invokeMethod(
            this,
            [guard = QPointer<Connection>(connection), refused] {
                if (guard)
                    guard->close(refused);
            },
            Qt::QueuedConnection);
        return;
    }
    if (static_cast<int>(all.size()) > config_.highWater)
        QMetaObject::invokeMethod(
            this, [this] { trim(); }, Qt::QueuedConnection);
}

void ConnectionPool::onConnectionClosed(quint64 connectionId, const PeerId& peer) {
    draining_.erase(connectionId);
    maintain(peer);
}

// Through a relay one connection is enough: more would only spend the relay's circuit limits.
int ConnectionPool::maxFor(const Multiaddr& addr) const {
    return CircuitAddr::isCircuit(addr) ? std::min(config_.maxConnectionsPerPeer, 1)
                                        : config_.maxConnectionsPerPeer;
}

int ConnectionPool::minFor(const Multiaddr& addr) const {
    return CircuitAddr::isCircuit(addr) ? std::min(config_.minConnectionsPerPeer, 1)
                                        : config_.minConnectionsPerPeer;
}

void ConnectionPool::maintain(const PeerId& peer) {
    auto it = wanted_.find(peer);
    if (it == wanted_.end())
        return;
    const int have = static_cast<int>(connections(peer).size()) + pendingPerPeer_[peer];
    if (have < minFor(it->second.addr))
        scheduleRedial(peer);
}

void ConnectionPool::scheduleRedial(const PeerId& peer) {
    WantedPeer& wanted = wanted_[peer];
    if (wanted.redialScheduled)
        return;
    wanted.redialScheduled = true;
    const auto delay = retry_.delay(wanted.redialFailures);
    QTimer::singleShot(
        std::chrono::duration_cast<std::chrono::milliseconds>(delay), this, [this, peer] {
            auto it = wanted_.find(peer);
            if (it == wanted_.end())
                return;
            it->second.redialScheduled = false;
            const int have = static_cast<int>(connections(peer).size()) + pendingPerPeer_[peer];
            const int wantedCount = minFor(it->second.addr);
            if (have >= wantedCount)
                return;
            Q_EMIT poolEvent(QStringLiteral("redial"), peer, 0,
                             QStringLiteral("%1 of min %2 connections").arg(have).arg(wantedCount));
            auto batch = std::make_shared<DialBatch>();
            batch->peer = peer;
            batch->addr = it->second.addr;
            batch->outstanding = wantedCount - have;
            batch->finished = [this](const std::shared_ptr<DialBatch>& b) {
                auto again = wanted_.find(b->peer);
                if (again == wanted_.end())
                    return;
                if (connections(b->peer).empty())
                    ++again->second.redialFailures;
                else
                    again->second.redialFailures = 0;
                maintain(b->peer);
            };
            for (int i = 0; i < batch->outstanding; ++i)
                startAttempt(batch, 0);
        });
}

std::optional<Multiaddr> ConnectionPool::dialableAddr(const PeerId& peer) const {
    if (auto it = wanted_.find(peer); it != wanted_.end())
        return it->second.addr;
    for (Connection* connection : connections(peer))
        if (connection->info().direction == Direction::Outbound)
            return connection->info().remoteAddr.withoutPeerId().withPeerId(peer);
    const auto& peers = host_.peers();
    if (auto it = peers.find(peer); it != peers.end())
        for (const Multiaddr& addr : it->second.listenAddrs)
            if (addr.tcpEndpoint())
                return addr.withoutPeerId().withPeerId(peer);
    return std::nullopt;
}

void ConnectionPool::replace(std::uint64_t connectionId, const QString& reason,
                             std::optional<Multiaddr> via) {
    Connection* old = host_.connectionById(connectionId);
    if (old == nullptr || !old->isOpen() || draining_.count(connectionId) != 0)
        return;
    const PeerId peer = old->remotePeer();
    std::optional<Multiaddr> addr = via ? via : dialableAddr(peer);
    if (!addr) {
        Q_EMIT poolEvent(QStringLiteral("replace_failed"), peer, connectionId,
                         reason + QStringLiteral("; no dialable address for the peer"));
        return;
    }
    // New streams avoid it from now on.
    draining_.insert(connectionId);
    auto batch = std::make_shared<DialBatch>();
    batch->peer = peer;
    batch->addr = *addr;
    batch->outstanding = 1;
    batch->finished = [this, connectionId, reason,
                       moved = via.has_value()](const std::shared_ptr<DialBatch>& b) {
        Connection* current = host_.connectionById(connectionId);
        const std::vector<Connection*> peerConnections = connections(b->peer);
        const bool replacementUp =
            std::any_of(peerConnections.begin(), peerConnections.end(), [&](Connection* c) {
                return c->id() != connectionId && draining_.count(c->id()) == 0;
            });
        if (!replacementUp) {
            draining_.erase(connectionId);
            Q_EMIT poolEvent(QStringLiteral("replace_failed"), b->peer, connectionId,
                             reason + QStringLiteral("; dial failed: ") + qs(b->lastError));
            return;
        }
        ++counters_.replacements;
        if (moved && isWanted(b->peer))
            keep(b->peer, b->addr); // redials go the new way too
        Q_EMIT poolEvent(QStringLiteral("replaced"), b->peer, connectionId, reason);
        // Streams still on it finish there; tick() closes it once they have.
        if (current && current->activeStreamCount() == 0)
            current->close(QStringLiteral("replaced: ") + reason);
    };
    startAttempt(batch, 0);
}

int ConnectionPool::trim() {
    std::vector<Connection*> all = connections();
    int total = static_cast<int>(all.size());
    if (total <= config_.highWater)
        return 0;
    const MonoTime now = clock_.now();
    const auto grace = std::chrono::duration_cast<MonoTime>(config_.gracePeriod);
    struct Candidate {
        Connection* connection;
        ConnectionHealthView health;
        bool idle;
    };
    std::vector<Candidate> candidates;
    for (Connection* connection : all) {
        if (isProtected(connection->remotePeer()) || isKept(connection->remotePeer()))
            continue;
        if (now - connection->openedAtMono() < grace)
            continue;
        candidates.push_back(
            {connection, healthOf(connection->id()), connection->activeStreamCount() == 0});
    }
    // Least valuable first: failed, then idle, then by health score; oldest id breaks ties.
    std::sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
        if (a.health.failed != b.health.failed)
            return a.health.failed;
        if (a.idle != b.idle)
            return a.idle;
        if (a.health.score != b.health.score)
            return a.health.score < b.health.score;
        return a.connection->id() < b.connection->id();
    });
    int closed = 0;
    for (const Candidate& candidate : candidates) {
        if (total <= config_.lowWater)
            break;
        const PeerId peer = candidate.connection->remotePeer();
        std::vector<Connection*> peerConnections = connections(peer);
        // A user's peer keeps its minimum.
        if (isWanted(peer) &&
            static_cast<int>(peerConnections.size()) <= config_.minConnectionsPerPeer)
            continue;
        // Never the last healthy connection of a peer with open streams.
        const bool hasStreams =
            std::any_of(peerConnections.begin(), peerConnections.end(),
                        [](Connection* c) { return c->activeStreamCount() > 0; });
        const int healthyLeft = static_cast<int>(
            std::count_if(peerConnections.begin(), peerConnections.end(), [&](Connection* c) {
                return c != candidate.connection && !healthOf(c->id()).failed;
            }));
        if (hasStreams && !candidate.health.failed && healthyLeft == 0)
            continue;
        ++counters_.trimmed;
        ++closed;
        --total;
        Q_EMIT poolEvent(QStringLiteral("trimmed"), peer, candidate.connection->id(),
                         QStringLiteral("above high_water (%1), trimming to low_water (%2)")
                             .arg(config_.highWater)
                             .arg(config_.lowWater));
        candidate.connection->close(QStringLiteral("trimmed"));
    }
    return closed;
}

void ConnectionPool::tick() {
    // Replaced and now quiet: close them.
    const std::vector<std::uint64_t> draining(draining_.begin(), draining_.end());
    for (std::uint64_t id : draining)
        if (Connection* connection = host_.connectionById(id);
            connection && connection->activeStreamCount() == 0)
            connection->close(QStringLiteral("replaced"));
    // Connections know since when they are idle, so the idle scan need not run every second:
    // a tenth of idle_timeout (1 s to 10 s) late at most, and a fraction of the cost with
    // thousands of connections.
    const MonoTime now = clock_.now();
    const auto idleTimeout = std::chrono::duration_cast<MonoTime>(config_.idleTimeout);
    const MonoTime scanEvery = std::clamp(idleTimeout / 10, MonoTime(std::chrono::seconds(1)),
                                          MonoTime(std::chrono::seconds(10)));
    if (idleTimeout > MonoTime::zero() && now - lastIdleScan_ >= scanEvery) {
        lastIdleScan_ = now;
        closeIdle(now);
    }
    if (static_cast<int>(host_.connectionCount()) > config_.highWater)
        trim();
}

void ConnectionPool::closeIdle(MonoTime now) {
    const auto idleTimeout = std::chrono::duration_cast<MonoTime>(config_.idleTimeout);
    for (Connection* connection : connections()) {
        if (connection->activeStreamCount() > 0 || now - connection->idleSince() < idleTimeout)
            continue;
        const PeerId peer = connection->remotePeer();
        if (isProtected(peer) || isKept(peer))
            continue;
        if (isWanted(peer) &&
            static_cast<int>(connections(peer).size()) <= config_.minConnectionsPerPeer)
            continue;
        ++counters_.trimmed;
        Q_EMIT poolEvent(QStringLiteral("idle"), peer, connection->id(),
                         QStringLiteral("no streams for %1 s").arg(config_.idleTimeout.count()));
        connection->close(QStringLiteral("idle"));
    }
}

} // namespace peerscope
