#pragma once

#include "engine/core/clock.h"
#include "engine/core/connection_config.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "engine/core/result.h"
#include "engine/core/retry_config.h"
#include "engine/net/connection.h"
#include "engine/pool/load_balancer.h"
#include "engine/pool/retry_policy.h"

#include <QObject>
#include <QPointer>
#include <QTimer>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

namespace peerscope {

class Host;

// Counters for /metrics; monotonic over the pool's life.
struct PoolCounters {
    std::uint64_t dialsSucceeded = 0;
    std::uint64_t dialsFailed = 0;   // attempts that failed (each retry counts)
    std::uint64_t dialsTimedOut = 0; // attempts past connection_timeout
    std::uint64_t retries = 0;       // attempts after the first
    std::uint64_t replacements = 0;  // unhealthy connections replaced
    std::uint64_t trimmed = 0;       // closed by trimming or the idle timeout
    std::uint64_t refusedOverLimit = 0;
    std::uint64_t streamRetries = 0; // stream opens moved to the next connection
};

// What the health monitor knows of a connection, as far as the pool's choices go.
struct ConnectionHealthView {
    double score = 1.0;
    std::optional<std::chrono::nanoseconds> smoothedRtt;
    bool failed = false; // the monitor marked it failed
};

// Several connections per peer over one Host: dials them (in parallel, each with the connection
// timeout and the retry policy), picks one per new stream by the load-balancing strategy, keeps
// the configured minimum for peers the user connected to, enforces the limits and trims above
// high water. Lives on the engine thread.
class ConnectionPool final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectionPool)

public:
    ConnectionPool(Host& host, ConnectionConfig connection, RetryConfig retry, std::uint64_t seed,
                   QObject* parent = nullptr);
    ~ConnectionPool() override;

    const ConnectionConfig& config() const { return config_; }
    const RetryConfig& retryConfig() const { return retry_.config(); }
    // Applies to every decision from now on; open connections are left as they are.
    void setConfig(const ConnectionConfig& connection, const RetryConfig& retry);
    void setHealthLookup(std::function<std::optional<ConnectionHealthView>(std::uint64_t)> lookup);

    // Opens connections to the peer named by `addr`'s /p2p/ up to max_connections_per_peer and
    // calls `done` once every dial has ended, with all of the peer's connections (an error only
    // if there are none). The peer is kept at min_connections_per_peer from now on.
    using DialCallback = std::function<void(Result<std::vector<Connection*>>)>;
    void dialPeer(const Multiaddr& addr, DialCallback done);
    // Stops keeping the peer connected and closes its connections.
    void disconnectPeer(const PeerId& peer, const QString& reason);

    std::vector<Connection*> connections(const PeerId& peer) const;
    std::vector<Connection*> connections() const;
    std::map<PeerId, std::vector<Connection*>> connectionsMap() const;
    // The connection the strategy picks for the next stream, or null.
    Connection* connection(const PeerId& peer);
    // Opens a stream on the connection the strategy picks; a failed open is retried on the
    // next connection before the caller sees an error.
    void newStream(const PeerId& peer, std::vector<std::string> protocols,
                   Connection::StreamCallback done,
                   StreamNegotiation mode = StreamNegotiation::Confirmed);

    void setProtected(const PeerId& peer, bool isProtected);
    bool isProtected(const PeerId& peer) const { return protected_.count(peer) != 0; }
    bool isWanted(const PeerId& peer) const { return wanted_.count(peer) != 0; }
    bool isDraining(std::uint64_t connectionId) const { return draining_.count(connectionId) != 0; }
    std::vector<PeerId> protectedPeers() const;
    // Peers a service needs connected (a relay's reserved clients), apart from the user's
    // protection: their connections are neither trimmed nor closed as idle.
    void setKept(const PeerId& peer, bool kept);
    bool isKept(const PeerId& peer) const { return kept_.count(peer) != 0; }

    // Replaces a connection: dials a new one first, then closes the old one once new streams
    // have moved (at once if it carries none). The new one is dialled at `via` when given (a
    // circuit through another relay), which then becomes the address the peer is kept at;
    // otherwise at the peer's usual address.
    void replace(std::uint64_t connectionId, const QString& reason,
                 std::optional<Multiaddr> via = std::nullopt);
    // Closes the least valuable connections until at most low_water remain (only when above
    // high_water). Returns how many it closed.
    int trim();

    const PoolCounters& counters() const { return counters_; }
    // Outbound dial attempts now running.
    int dialsInFlight() const { return dialsInFlight_; }

Q_SIGNALS:
    // kind: "dial_failed", "retry", "limit", "trimmed", "idle", "replaced", "replace_failed",
    // "redial"
    void poolEvent(const QString& kind, const peerscope::PeerId& peer, quint64 connectionId,
                   const QString& detail);

private:
    struct WantedPeer {
        Multiaddr addr; // with /p2p/
        int redialFailures = 0;
        bool redialScheduled = false;
    };
    struct DialBatch;

    void startAttempt(const std::shared_ptr<DialBatch>& batch, int failures);
    void keep(const PeerId& peer, const Multiaddr& addr);
    void onConnectionOpened(Connection* connection);
    void onConnectionClosed(quint64 connectionId, const PeerId& peer);
    void maintain(const PeerId& peer);
    // Connections to keep to a peer dialled at `addr` (fewer through a relay).
    int maxFor(const Multiaddr& addr) const;
    int minFor(const Multiaddr& addr) const;
    void scheduleRedial(const PeerId& peer);
    void tick();
    void closeIdle(MonoTime now);
    std::vector<ConnectionCandidate> candidates(const PeerId& peer) const;
    ConnectionHealthView healthOf(std::uint64_t connectionId) const;
    std::optional<Multiaddr> dialableAddr(const PeerId& peer) const;
    void tryStream(const PeerId& peer, std::vector<std::uint64_t> order, std::size_t index,
                   std::vector<std::string> protocols, StreamNegotiation mode,
                   std::shared_ptr<Connection::StreamCallback> done, std::string lastError);

    Host& host_;
    const Clock& clock_;
    ConnectionConfig config_;
    RetryPolicy retry_;
    std::function<std::optional<ConnectionHealthView>(std::uint64_t)> healthLookup_;
    std::unordered_map<PeerId, WantedPeer> wanted_;
    std::set<PeerId> protected_;
    std::set<PeerId> kept_;
    std::unordered_map<PeerId, LoadBalancer> balancers_;
    std::set<std::uint64_t> draining_;               // replaced: no new streams, closing soon
    std::unordered_map<PeerId, int> pendingPerPeer_; // outbound attempts running, per peer
    std::unordered_map<PeerId, std::uint64_t> generations_; // bumped when the user disconnects
    int dialsInFlight_ = 0;
    PoolCounters counters_;
    QTimer tickTimer_;
    MonoTime lastIdleScan_{0};
};

} // namespace peerscope
