#pragma once

#include "engine/api/engine_options.h"
#include "engine/api/snapshot.h"
#include "engine/core/clock.h"
#include "engine/core/result.h"

#include <QObject>
#include <QTimer>
#include <functional>
#include <memory>

namespace peerscope {

class ControlApi;
class EngineClient;
class Host;

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
    const EngineOptions& options() const { return options_; }
    // The listen addresses as printed at start: "<multiaddr>/p2p/<peer id>", wildcard
    // addresses expanded to this machine's interface addresses.
    QStringList announcedAddrs() const;
    quint16 apiPort() const; // 0 when the API is off
    NodeSnapshot makeSnapshot() const;
    static ConnectionSnapshot snapshotOf(const class Connection& connection);

    // Async operations used by EngineClient and the control API (engine thread only).
    void dial(const QString& multiaddr, std::function<void(Result<ConnectionSnapshot>)> done);
    void ping(const QString& peerId, int count,
              std::function<void(Result<std::vector<double>>)> done);
    Result<void> closeConnection(quint64 connectionId);
    Result<void> disconnectPeer(const QString& peerId);

private:
    void publishSnapshot();

    EngineOptions options_;
    SteadyClock clock_;
    std::unique_ptr<Host> host_;
    std::unique_ptr<ControlApi> api_;
    EngineClient* client_ = nullptr;
    QTimer snapshotTimer_;
};

} // namespace peerscope
