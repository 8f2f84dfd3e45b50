#pragma once

#include "engine/api/snapshot.h"

#include <QObject>
#include <QPointer>
#include <QReadWriteLock>
#include <QString>
#include <functional>
#include <vector>

namespace peerscope {

class EngineCore;

struct DialOutcome {
    bool ok = false;
    QString error;
    ConnectionSnapshot connection; // valid when ok
};

struct PingOutcome {
    bool ok = false;
    QString error;
    std::vector<double> rttsMs;
};

// The thread-safe facade the GUI (and anything off the engine thread) uses. Requests are
// queued to the engine thread; results come back as callbacks run on the thread of `context`
// (dropped if `context` is gone). Snapshots arrive on a coalesced tick.
class EngineClient final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineClient)

public:
    explicit EngineClient(EngineCore* core);
    ~EngineClient() override;

    // The latest snapshot (a copy).
    NodeSnapshot snapshot() const;

    void dial(const QString& multiaddr, QObject* context,
              std::function<void(const DialOutcome&)> done);
    void ping(const QString& peerId, int count, QObject* context,
              std::function<void(const PingOutcome&)> done);
    void closeConnection(quint64 connectionId);
    void disconnectPeer(const QString& peerId);

    // Called by EngineCore on the engine thread.
    void publish(const NodeSnapshot& snapshot);

Q_SIGNALS:
    // Emitted on the engine thread; connect with a queued/auto connection.
    void snapshotUpdated(const peerscope::NodeSnapshot& snapshot);
    void peerConnected(const QString& peerId);
    void peerDisconnected(const QString& peerId);
    void dialFailed(const QString& addr, const QString& error);

private:
    EngineCore* core_;
    mutable QReadWriteLock lock_;
    NodeSnapshot latest_;
};

} // namespace peerscope
