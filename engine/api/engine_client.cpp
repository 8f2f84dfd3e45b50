#include "engine/api/engine_client.h"

#include "engine/api/engine_core.h"

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

void EngineClient::publish(const NodeSnapshot& snapshot) {
    {
        QWriteLocker locker(&lock_);
        latest_ = snapshot;
    }
    Q_EMIT snapshotUpdated(snapshot);
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

} // namespace peerscope
