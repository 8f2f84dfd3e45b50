#pragma once

#include "engine/core/peer_id.h"
#include "engine/core/result.h"
#include "engine/lab/link_shaper.h"

#include <QObject>
#include <QString>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

class QProcess;
class QTimer;

namespace peerscope {

class Connection;
class ConnectionPool;
class Host;
class LinkProxy;
class Multiaddr;

// One lab entry as the snapshot shows it.
struct LabPeerStatus {
    int index = 0;
    // "peer" (behind its own link, with background traffic), "relay" (a circuit relay behind
    // its own link, one of our static relays) or "relayed" (no link of its own: reachable only
    // through a relay, so its path is the relay's link).
    QString role;
    QString peerId;        // empty until the child printed it (the relayed peer's: at once)
    quint16 proxyPort = 0; // 0 until its proxy listens; always 0 for the relayed peer
    QString viaRelay; // the relayed peer: the relay its connection goes (or is dialled) through
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
// It also starts two circuit relays (`--relay-service`), each behind its own link proxy and
// handed to the engine as a static relay through it, and one "relayed" peer that listens
// nowhere (`--listen none`), reserves on both relays directly and is dialled only at its
// /p2p-circuit address through the relay this node uses: so the Relays tab has live round
// trips, and raising the relay's link delay shows a relay switch.
// Entries by index: peers 0..N-1, relays N and N+1, the relayed peer N+2.
// Every child is stopped with the controller (SIGTERM, then SIGKILL after 2 s) and is started
// so that it also dies if this process does. Lives on the engine thread.
class LabController final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LabController)

public:
    static constexpr int maxPeers = 50;
    static constexpr std::chrono::milliseconds startTimeout{15000};
    static constexpr std::chrono::milliseconds stopGrace{2000};
    static constexpr int relayCount = 2;
    // The relayed peer is dialled once a second until its relay circuit opens, at most this
    // often: its reservations and our relay connection take a few seconds at start.
    static constexpr int relayedDialAttempts = 30;
    static constexpr std::chrono::milliseconds relayedDialInterval{1000};

    // How the controller reaches the engine's relay manager: `addRelay` makes an address (a
    // relay's proxy, with /p2p/) a static relay; `relaysInUse` names the relays we hold a
    // reservation on (or are making one on).
    struct RelayHooks {
        std::function<Result<void>(const Multiaddr&)> addRelay;
        std::function<std::vector<PeerId>()> relaysInUse;
    };

    // `workDir` holds one data directory per child (lab-0, lab-1, ..., relay-0, relay-1,
    // relayed), so their identities stay the same from run to run.
    LabController(Host& host, ConnectionPool& pool, QString peerscopeExecutable, int peers,
                  QString workDir, QObject* parent = nullptr);
    ~LabController() override;

    // Before start(); without hooks the relays run but are not used and the relayed peer is
    // never dialled.
    void setRelayHooks(RelayHooks hooks) { hooks_ = std::move(hooks); }

    // Launches the children; each peer is dialled through its proxy, and each relay added as a
    // static relay through its proxy, once it prints its address. The relayed peer starts
    // once both relays have.
    void start();
    // Terminates every child and closes the proxies. Blocks for at most about stopGrace.
    void stop();

    int peerCount() const { return peerCount_; }
    // Entries with a link of their own: the peers and the relays.
    int linkCount() const { return peerCount_ > 0 ? peerCount_ + relayCount : 0; }
    int relayedIndex() const { return peerCount_ + relayCount; }
    // Changes one link live (both directions), from the next byte on. The relayed peer has
    // no link: its path is its relay's.
    Result<void> setLink(int index, const LinkSettings& settings);
    std::vector<LabPeerStatus> status() const;

    // Varied on purpose, so the dashboards have something to compare: delays 5, 20, 40, 80,
    // 150 ms cycling (a little more on each later round), jitter 1-10 ms, loss 0-2 % (none on
    // the first three, so their RTTs read cleanly), rate 1-50 MB/s.
    static LinkSettings defaultLink(int index);
    // Relay 0 at 10 ms one way, relay 1 at 40 ms (round trips 20 and 80 ms): both well under
    // relay_switch_rtt_ms (200), so neither is left on its own, and 60 ms apart, so either is
    // "clearly better" (10 ms faster, under 2/3) once the other's delay is raised past 100 ms.
    // 1 ms jitter, no loss, 10 MB/s: round trips that read cleanly.
    static LinkSettings defaultRelayLink(int relay);
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
    enum class Role { Peer, Relay, Relayed };

    void launch(LabPeer& peer);
    QStringList arguments(const LabPeer& peer, const QString& dataDir) const;
    void launchRelayedWhenRelaysListen();
    void dialRelayed();
    void onRelayedDialled(const PeerId& relay, Result<std::vector<Connection*>> dialled);
    void readOutput(LabPeer& peer);
    void onListening(LabPeer& peer, quint16 port, const PeerId& id);
    void onExited(LabPeer& peer, int exitCode, bool crashed);
    void fail(LabPeer& peer, const QString& why);
    void measure(int index);
    void runTraffic(int index);
    QString label(const LabPeer& peer) const;
    LabPeer& relayed() { return *peers_.back(); }
    const LabPeer* relayByPeer(const PeerId& peer) const;

    Host& host_;
    ConnectionPool& pool_;
    QString executable_;
    QString workDir_;
    int peerCount_ = 0;
    RelayHooks hooks_;
    std::vector<std::unique_ptr<LabPeer>> peers_; // peers, then relays, then the relayed peer
    int relayedDialsLeft_ = relayedDialAttempts;
    bool stopped_ = false;
};

} // namespace peerscope
