#pragma once

#include "engine/core/peer_id.h"
#include "engine/core/result.h"
#include "engine/lab/link_shaper.h"

#include <QObject>
#include <QString>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

class QProcess;
class QTimer;

namespace peerscope {

class ConnectionPool;
class Host;
class LinkProxy;

// One lab peer as the snapshot shows it.
struct LabPeerStatus {
    int index = 0;
    QString peerId;        // empty until the child printed it
    quint16 proxyPort = 0; // 0 until its proxy listens
    // "starting", "connecting", "connected", "disconnected", "failed", "stopped"
    QString state;
    LinkSettings link;
    std::uint64_t bytesUp = 0;   // this node -> the lab peer, through the proxy
    std::uint64_t bytesDown = 0; // the lab peer -> this node
};

// The background traffic a lab peer exchanges with this node: one perf run, then a ping,
// then a pause, over and over.
struct LabTrafficPlan {
    std::uint64_t uploadBytes = 0;
    std::uint64_t downloadBytes = 0;
    std::chrono::milliseconds pause{0};
};

// Lab mode (`peerscope --lab N`): starts N headless PeerScope child processes on loopback,
// puts a LinkProxy in front of each (its own delay, jitter, loss and rate, editable live),
// dials each through its proxy with the pool and keeps light perf traffic and pings going so
// the dashboards show real, varied latency, health and bandwidth with no network.
// Every child is stopped with the controller (SIGTERM, then SIGKILL after 2 s) and is started
// so that it also dies if this process does. Lives on the engine thread.
class LabController final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LabController)

public:
    static constexpr int maxPeers = 50;
    static constexpr std::chrono::milliseconds startTimeout{15000};
    static constexpr std::chrono::milliseconds stopGrace{2000};

    // `workDir` holds one data directory per child (lab-0, lab-1, ...), so their identities
    // stay the same from run to run.
    LabController(Host& host, ConnectionPool& pool, QString peerscopeExecutable, int peers,
                  QString workDir, QObject* parent = nullptr);
    ~LabController() override;

    // Launches the children; each is dialled through its proxy once it prints its address.
    void start();
    // Terminates every child and closes the proxies. Blocks for at most about stopGrace.
    void stop();

    int peerCount() const { return static_cast<int>(peers_.size()); }
    // Changes one link live (both directions), from the next byte on.
    Result<void> setLink(int index, const LinkSettings& settings);
    std::vector<LabPeerStatus> status() const;

    // Varied on purpose, so the dashboards have something to compare: delays 5, 20, 40, 80,
    // 150 ms cycling (a little more on each later round), jitter 1-10 ms, loss 0-2 % (none on
    // the first three, so their RTTs read cleanly), rate 1-50 MB/s.
    static LinkSettings defaultLink(int index);
    // 64-512 KiB each way per run and a 1-3 s pause; with the default links a run takes at
    // most a few hundred milliseconds. runTraffic() trims a run to a slower link's rate.
    static LabTrafficPlan defaultTraffic(int index);
    // Why `settings` cannot be a link (empty when it can).
    static QString validate(const LinkSettings& settings);

Q_SIGNALS:
    // kind "lab" (progress) or "lab_failed" (a child that did not start, exited or could not
    // be dialled); the peer id is empty until known.
    void labEvent(const QString& kind, const QString& peerId, const QString& detail);

private:
    struct LabPeer;

    void launch(LabPeer& peer);
    void readOutput(LabPeer& peer);
    void onListening(LabPeer& peer, quint16 port, const PeerId& id);
    void onExited(LabPeer& peer, int exitCode, bool crashed);
    void fail(LabPeer& peer, const QString& why);
    void measure(int index);
    void runTraffic(int index);
    QString label(const LabPeer& peer) const;

    Host& host_;
    ConnectionPool& pool_;
    QString executable_;
    QString workDir_;
    std::vector<std::unique_ptr<LabPeer>> peers_;
    bool stopped_ = false;
};

} // namespace peerscope
