#pragma once

#include "engine/api/engine_options.h"
#include "engine/api/snapshot.h"
#include "engine/api/snapshot_text_cache.h"
#include "engine/core/clock.h"
#include "engine/core/engine_config.h"
#include "engine/core/result.h"
#include "engine/health/event_log.h"
#include "engine/resources/resource_refusal_log.h"

#include <QObject>
#include <QTimer>
#include <functional>
#include <memory>

namespace peerscope {

class ConnectionPool;
class ControlApi;
class EngineClient;
class HealthMonitor;
class Host;
class LabController;
class RelayManager;
class RelayTransport;
struct RelayInfo;
class RelayService;
struct LinkSettings;

// Everything that runs on the engine thread: the Host, the control API and the snapshot tick.
// Only Engine and EngineClient call into it, always on its own thread (queued invocations).
class EngineCore final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineCore)

public:
    explicit EngineCore(EngineOptions options);
    ~EngineCore() override;

    // On the engine thread: identity, listeners, API, initial dials.
    Result<void> start(EngineClient* client);
    void stop();

    Host& host() { return *host_; }
    ConnectionPool& pool() { return *pool_; }
    RelayService& relayService() { return *relay_; }
    HealthMonitor& healthMonitor() { return *monitor_; }
    const EventLog& eventLog() const { return events_; }
    const EngineOptions& options() const { return options_; }
    // The listen addresses as printed at start: "<multiaddr>/p2p/<peer id>", wildcard
    // addresses expanded to this machine's interface addresses.
    QStringList announcedAddrs() const;
    quint16 apiPort() const; // 0 when the API is off
    NodeSnapshot makeSnapshot() const;
    // Publishes a snapshot (and the events since the last one) now, outside the tick.
    void publishSnapshotNow() { publishSnapshot(); }
    void setSnapshotInterval(int milliseconds);
    QList<EventSnapshot> eventsSince(quint64 seq, int limit = 10000) const;
    ConnectionSnapshot snapshotOf(const class Connection& connection) const;

    const EngineConfig& config() const { return config_; }
    QString configPath() const;
    // Applies a validated config to every new decision at once (open connections stay); with
    // `persist` it is also saved to the config file. Invalid: refused whole, one message per
    // line.
    Result<void> applyConfig(const EngineConfig& config, bool persist);
    Result<void> setProtected(const QString& peerId, bool isProtected);
    Result<void> probeNow(quint64 connectionId);
    // Lab mode: changes one lab link live; an error (also logged) when out of range, or when
    // not in lab mode.
    Result<void> setLabLink(int index, const LinkSettings& settings);

    // Async operations used by EngineClient and the control API (engine thread only).
    void dial(const QString& multiaddr, std::function<void(Result<ConnectionSnapshot>)> done);
    void ping(const QString& peerId, int count,
              std::function<void(Result<std::vector<double>>)> done);
    Result<void> closeConnection(quint64 connectionId);
    Result<void> disconnectPeer(const QString& peerId);

    // Relays (circuit relay v2, our side). Errors name the bad address or the unknown relay.
    // A relay added here lasts until the engine stops; the config's list is what is saved.
    Result<void> addRelay(const QString& multiaddr);
    Result<void> removeRelay(const QString& peerId);
    Result<void> preferRelay(const QString& peerId);
    Result<void> reserveRelayNow(const QString& peerId);
    RelayManager& relayManager() { return *relays_; }

private:
    void publishSnapshot();
    void logResourceRefusals(std::vector<std::string> lines);
    bool servesPerf(const EngineConfig& config) const;
    // The config's relays and --relay's.
    RelayClientConfig relayClientConfig(const EngineConfig& config) const;
    Result<PeerId> knownRelay(const QString& peerId) const;
    RelaySnapshot relaySnapshot(const RelayInfo& info) const;
    // The relay service's config with --relay-service applied.
    RelayServiceConfig relayServiceConfig(const EngineConfig& config) const;

    EngineOptions options_;
    SteadyClock clock_;
    EngineConfig config_;
    EventLog events_;
    ResourceRefusalLog refusalLog_; // at most one event per (scope, resource) per 10 s
    std::unique_ptr<Host> host_;
    std::unique_ptr<ConnectionPool> pool_;
    std::unique_ptr<HealthMonitor> monitor_;
    std::unique_ptr<RelayManager> relays_;
    std::unique_ptr<RelayTransport> relayTransport_;
    std::unique_ptr<RelayService> relay_;
    std::unique_ptr<ControlApi> api_;
    std::unique_ptr<LabController> lab_; // lab mode only
    EngineClient* client_ = nullptr;
    QTimer snapshotTimer_;
    quint64 publishedEventSeq_ = 0; // the newest event already sent with a snapshot
    // Snapshots are read-only views of the engine; keeping their unchanging text between them
    // is not a change the callers of the const makeSnapshot() could see.
    mutable SnapshotTextCache snapshotText_;
};

} // namespace peerscope
