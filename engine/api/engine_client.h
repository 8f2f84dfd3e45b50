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

    // The running config (from the latest snapshot).
    EngineConfig config() const;
    // Validates and applies `config` to every new decision (open connections stay); with
    // `persist` it is saved to the config file too. `done` gets an empty string when applied,
    // else the engine's messages, one per line (nothing applied).
    void applyConfig(const EngineConfig& config, bool persist, QObject* context,
                     std::function<void(const QString& error)> done);
    void setProtected(const QString& peerId, bool isProtected);
    // One health probe (a ping on the connection) now, outside its schedule.
    void probeNow(quint64 connectionId);
    // How often snapshots are published (4 Hz by default).
    void setSnapshotInterval(int milliseconds);
    // The logged events after `sinceSeq`, oldest first (the log keeps the newest 10,000).
    void events(quint64 sinceSeq, QObject* context,
                std::function<void(const QList<EventSnapshot>&)> done);
    // Relays (circuit relay v2, our side). `done` gets an empty string when done, else why
    // not (a bad address, an unknown relay). addRelay takes a multiaddr ending in /p2p/<id>;
    // preferRelay is "use this relay": held whenever reachable, ahead of automatic choice.
    using RelayDone = std::function<void(const QString& error)>;
    void addRelay(const QString& multiaddr, QObject* context, RelayDone done);
    void removeRelay(const QString& peerId, QObject* context, RelayDone done);
    void preferRelay(const QString& peerId, QObject* context, RelayDone done);
    void reserveRelayNow(const QString& peerId, QObject* context, RelayDone done);

    // Lab mode: one lab link's impairment, live (rate in bytes/s, 0 = unlimited). Values out
    // of range change nothing and are logged as a "lab" event naming the bad one; the next
    // snapshot's labLinks show what holds.
    void setLabLink(int index, double delayMs, double jitterMs, double lossPercent,
                    double rateBytesPerSecond);

    // Called by EngineCore on the engine thread.
    void publish(const NodeSnapshot& snapshot, const QList<EventSnapshot>& newEvents);

Q_SIGNALS:
    // Emitted on the engine thread; connect with a queued/auto connection.
    void snapshotUpdated(const peerscope::NodeSnapshot& snapshot);
    void peerConnected(const QString& peerId);
    void peerDisconnected(const QString& peerId);
    void dialFailed(const QString& addr, const QString& error);
    // The events logged since the previous tick, oldest first; emitted with the snapshot.
    void eventsAppended(const QList<peerscope::EventSnapshot>& events);

private:
    EngineCore* core_;
    mutable QReadWriteLock lock_;
    NodeSnapshot latest_;
};

} // namespace peerscope
