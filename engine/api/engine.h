#pragma once

#include "engine/api/engine_options.h"
#include "engine/core/result.h"

#include <QObject>
#include <QThread>
#include <memory>

namespace peerscope {

class EngineClient;
class EngineCore;

// Owns the engine thread. Everything engine-side (host, sockets, timers, control API) lives on
// that thread inside EngineCore; other threads talk to it only through EngineClient.
// Destroying the Engine stops the core on its thread and joins the thread.
class Engine final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)

public:
    explicit Engine(EngineOptions options, QObject* parent = nullptr);
    ~Engine() override;

    // Starts the thread, loads/creates the identity, listens, starts the API and the initial
    // dials. Blocks until the engine is up; returns an error naming what failed.
    Result<void> start();
    void stop();

    EngineClient* client() const { return client_.get(); }
    // Fixed once start() returned: the announced listen addresses and the API port (0 if off).
    QStringList announcedAddrs() const { return announcedAddrs_; }
    quint16 apiPort() const { return apiPort_; }

private:
    EngineOptions options_;
    QThread thread_;
    EngineCore* core_ = nullptr; // lives on thread_
    std::unique_ptr<EngineClient> client_;
    QStringList announcedAddrs_;
    quint16 apiPort_ = 0;
};

} // namespace peerscope
