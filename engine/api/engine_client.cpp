#include "engine/api/engine_client.h"

#include "engine/api/engine_core.h"
#include "engine/lab/link_shaper.h"

#include <QMetaObject>
#include <QReadLocker>
#include <QWriteLocker>

namespace peerscope {

EngineClient::EngineClient(EngineCore* core) : core_(core) {}

EngineClient::~EngineClient() = default;

NodeSnapshot EngineClient::snapshot() const {
    QReadLocker locker(&lock_);
    return latest_;
}

void EngineClient::publish(const NodeSnapshot& snapshot, const QList<EventSnapshot>& newEvents) {
    {
        QWriteLocker locker(&lock_);
        latest_ = snapshot;
    }
    Q_EMIT snapshotUpdated(snapshot);
    if (!newEvents.isEmpty())
        Q_EMIT eventsAppended(newEvents);
}

EngineConfig EngineClient::config() const {
    QReadLocker locker(&lock_);
    return latest_.config;
}

namespace {
// Runs `call` on the thread of `context`, unless `context` is gone by then.
template <typename Value>
void deliverTo(QObject* context, std::function<void(const Value&)> done, Value value) {
    if (!context || !done)
        return;
    QMetaObject::invokeMethod(context,
                              [done = std::move(done), value = std::move(value)] { done(value); });
}
} // namespace

void EngineClient::dial(const QString& multiaddr, QObject* context,
                        std::function<void(const DialOutcome&)> done) {
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(core_, [this, multiaddr, guard, done = std::move(done)] {
        core_->dial(multiaddr, [this, multiaddr, guard, done](Result<ConnectionSnapshot> result) {
            DialOutcome outcome;
            outcome.ok = result.ok();
            if (result.ok())
                outcome.connection = *result;
            else
                outcome.error = QString::fromStdString(result.errorMessage());
            if (!result.ok())
                Q_EMIT dialFailed(multiaddr, outcome.error);
            deliverTo<DialOutcome>(guard.data(), done, outcome);
        });
    });
}

void EngineClient::ping(const QString& peerId, int count, QObject* context,
                        std::function<void(const PingOutcome&)> done) {
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(core_, [this, peerId, count, guard, done = std::move(done)] {
        core_->ping(peerId, count, [guard, done](Result<std::vector<double>> result) {
            PingOutcome outcome;
            outcome.ok = result.ok();
            if (result.ok())
                outcome.rttsMs = *result;
            else
                outcome.error = QString::fromStdString(result.errorMessage());
            deliverTo<PingOutcome>(guard.data(), done, outcome);
        });
    });
}

void EngineClient::closeConnection(quint64 connectionId) {
    QMetaObject::invokeMethod(core_,
                              [this, connectionId] { (void)core_->closeConnection(connectionId); });
}

void EngineClient::disconnectPeer(const QString& peerId) {
    QMetaObject::invokeMethod(core_, [this, peerId] { (void)core_->disconnectPeer(peerId); });
}

namespace {
// Runs `call` on the engine thread and hands its error text (empty: done) to `done` on
// `context`'s thread.
void relayCall(EngineCore* core, QObject* context, std::function<Result<void>()> call,
               EngineClient::RelayDone done) {
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(core, [call = std::move(call), guard, done = std::move(done)] {
        const Result<void> result = call();
        deliverTo<QString>(guard.data(), done,
                           result ? QString() : QString::fromStdString(result.errorMessage()));
    });
}
} // namespace

void EngineClient::addRelay(const QString& multiaddr, QObject* context, RelayDone done) {
    relayCall(
        core_, context, [this, multiaddr] { return core_->addRelay(multiaddr); }, std::move(done));
}

void EngineClient::removeRelay(const QString& peerId, QObject* context, RelayDone done) {
    relayCall(
        core_, context, [this, peerId] { return core_->removeRelay(peerId); }, std::move(done));
}

void EngineClient::preferRelay(const QString& peerId, QObject* context, RelayDone done) {
    relayCall(
        core_, context, [this, peerId] { return core_->preferRelay(peerId); }, std::move(done));
}

void EngineClient::reserveRelayNow(const QString& peerId, QObject* context, RelayDone done) {
    relayCall(
        core_, context, [this, peerId] { return core_->reserveRelayNow(peerId); }, std::move(done));
}

void EngineClient::applyConfig(const EngineConfig& config, bool persist, QObject* context,
                               std::function<void(const QString& error)> done) {
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(core_, [this, config, persist, guard, done = std::move(done)] {
        Result<void> applied = core_->applyConfig(config, persist);
        const QString error = applied ? QString() : QString::fromStdString(applied.errorMessage());
        if (applied)
            core_->publishSnapshotNow(); // the GUI sees the new config without waiting a tick
        deliverTo<QString>(guard.data(), done, error);
    });
}

void EngineClient::setProtected(const QString& peerId, bool isProtected) {
    QMetaObject::invokeMethod(
        core_, [this, peerId, isProtected] { (void)core_->setProtected(peerId, isProtected); });
}

void EngineClient::probeNow(quint64 connectionId) {
    QMetaObject::invokeMethod(core_, [this, connectionId] { (void)core_->probeNow(connectionId); });
}

void EngineClient::setSnapshotInterval(int milliseconds) {
    QMetaObject::invokeMethod(core_,
                              [this, milliseconds] { core_->setSnapshotInterval(milliseconds); });
}

void EngineClient::events(quint64 sinceSeq, QObject* context,
                          std::function<void(const QList<EventSnapshot>&)> done) {
    QPointer<QObject> guard(context);
    QMetaObject::invokeMethod(core_, [this, sinceSeq, guard, done = std::move(done)] {
        deliverTo<QList<EventSnapshot>>(guard.data(), done, core_->eventsSince(sinceSeq));
    });
}

void EngineClient::setLabLink(int index, double delayMs, double jitterMs, double lossPercent,
                              double rateBytesPerSecond) {
    const LinkSettings settings{delayMs, jitterMs, lossPercent, rateBytesPerSecond};
    QMetaObject::invokeMethod(core_, [this, index, settings] {
        if (core_->setLabLink(index, settings))
            core_->publishSnapshotNow(); // the lab panel sees the new link without a tick's wait
    });
}

} // namespace peerscope
