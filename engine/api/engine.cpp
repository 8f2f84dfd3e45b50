#include "engine/api/engine.h"

#include "engine/api/engine_client.h"
#include "engine/api/engine_core.h"
#include "engine/net/epoll_event_dispatcher.h"

#include <QMetaObject>
#include <openssl/crypto.h>

namespace peerscope {

Engine::Engine(EngineOptions options, QObject* parent)
    : QObject(parent), options_(std::move(options)) {
    qRegisterMetaType<NodeSnapshot>();
    qRegisterMetaType<EventSnapshot>();
    qRegisterMetaType<QList<EventSnapshot>>();
    thread_.setObjectName(QStringLiteral("peerscope-engine"));
}

Engine::~Engine() {
    stop();
}

Result<void> Engine::start() {
    if (core_)
        return makeError("engine already started");
    core_ = new EngineCore(options_);
    client_ = std::make_unique<EngineClient>(core_);
    core_->moveToThread(&thread_);
    // epoll instead of Qt's poll()-based dispatchers: a wakeup then costs what is ready, not
    // every open socket. PEERSCOPE_EVENT_DISPATCHER=qt keeps Qt's own (to compare, or to debug).
    if (!thread_.eventDispatcher() && qEnvironmentVariable("PEERSCOPE_EVENT_DISPATCHER") != "qt") {
        auto* dispatcher = new EpollEventDispatcher;
        if (dispatcher->isValid())
            thread_.setEventDispatcher(dispatcher);
        else
            delete dispatcher;
    }
    thread_.start();
    Result<void> started;
    EngineClient* client = client_.get();
    // Blocks until the core has listened (or failed): callers print addresses right after.
    QMetaObject::invokeMethod(
        core_,
        [this, client, &started] {
            started = core_->start(client);
            if (started) {
                announcedAddrs_ = core_->announcedAddrs();
                apiPort_ = core_->apiPort();
            }
        },
        Qt::BlockingQueuedConnection);
    if (!started)
        stop();
    return started;
}

void Engine::stop() {
    if (!core_)
        return;
    EngineCore* core = core_;
    core_ = nullptr;
    // The core and everything it owns die on their own thread.
    QMetaObject::invokeMethod(
        core,
        [core] {
            core->stop();
            delete core;
            // Free OpenSSL's per-thread state (DRBGs) now: its thread-exit hook does not run
            // reliably for a QThread, and LeakSanitizer reports what it leaves behind.
            OPENSSL_thread_stop();
        },
        Qt::BlockingQueuedConnection);
    thread_.quit();
    thread_.wait();
    client_.reset();
}

} // namespace peerscope
