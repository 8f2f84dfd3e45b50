#pragma once

#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "engine/core/result.h"
#include "engine/net/connection.h"
#include "engine/net/peer_record.h"
#include "engine/net/upgrader.h"
#include "engine/resources/resource_manager.h"

#include <QObject>
#include <QPointer>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace peerscope {

class BytePipe;
class TcpTransport;
class NoiseStaticKey;
class VerifiedSignatureCache;
class EphemeralKeyPool;
class IdentifyService;
class PingService;
class PerfService;

struct HostOptions {
    std::string agentVersion = std::string("peerscope/") + PEERSCOPE_VERSION;
    bool muxerInNoise = true;
    std::chrono::milliseconds upgradeTimeout{10000};
    std::chrono::milliseconds dialTimeout{10000};
    // Verified Noise identity signatures remembered (0 = verify every handshake).
    std::size_t verifiedSignatureCacheSize = 4096;
    // Serve /perf/1.0.0 (off: any peer could make us send without end), and its per-stream
    // limit; PerfService::setServing changes both while running.
    bool servePerf = false;
    std::uint64_t perfMaxStreamBytes = std::uint64_t(1) << 30;
    // Hard caps on handshakes, connections and streams; setResourceLimits() changes them.
    ResourceLimits resources;
};

// Where a pipe handed to the Host for an upgrade leads; becomes the connection's Info.
struct PipeOrigin {
    Multiaddr remoteAddr;
    Multiaddr localAddr; // may be empty
    // The relay peer whose connection carries the pipe (a circuit); empty: a direct connection.
    std::optional<PeerId> relay;
};

// Counters for /metrics; monotonic over the host's life.
struct HostCounters {
    std::uint64_t connectionsOpened = 0;
    std::uint64_t connectionsClosed = 0;
    std::uint64_t streamsOpened = 0; // by connections already closed
    std::uint64_t bytesInClosed = 0; // wire bytes of connections already closed
    std::uint64_t bytesOutClosed = 0;
    std::uint64_t dialsSucceeded = 0;
    std::uint64_t dialsFailed = 0;
    std::map<std::string, std::uint64_t> handshakeFailures; // by handshakeFailureName()
    // Established connections closed because the peer broke a layer: "noise", "yamux".
    std::map<std::string, std::uint64_t> protocolErrors;
    // Streams we reset because the peer went past a bound, by reason ("perf_over_limit",
    // "write_queue_full", "identify_push_too_large").
    std::map<std::string, std::uint64_t> streamsReset;
    // Inbound streams refused, by reason ("protocol_not_supported").
    std::map<std::string, std::uint64_t> streamsRefused;
    // Times a connection stopped reading its socket because the peer did not read our answers.
    std::uint64_t readPauses = 0;
};

// The libp2p node: identity, TCP transport, connection upgrade, the protocols it serves
// (identify, identify push, ping, perf, and any registered by others) and what it knows of
// peers. Lives on one thread (the engine thread), like everything it owns.
class Host final : public QObject, public StreamHandlerRegistry {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Host)

public:
    Host(PrivateKey identity, HostOptions options, const Clock& clock, QObject* parent = nullptr);
    ~Host() override;

    const PeerId& peerId() const { return peerId_; }
    const PrivateKey& identity() const { return identity_; }
    const HostOptions& options() const { return options_; }
    const Clock& clock() const { return clock_; }

    // Listens on each address; returns the bound addresses (ports resolved).
    Result<Multiaddr> listen(const Multiaddr& addr);
    std::vector<Multiaddr> listenAddrs() const;
    // Where else we can be reached: our /p2p-circuit addresses through the relays we hold a
    // reservation on. Identify lists them after the listen addresses; a change is pushed.
    void setExtraListenAddrs(std::vector<Multiaddr> addrs);
    const std::vector<Multiaddr>& extraListenAddrs() const { return extraListenAddrs_; }
    // Addresses other peers told us (identify observedAddr), most recent first.
    std::vector<Multiaddr> observedAddrs() const { return observedAddrs_; }

    // Dials a /.../tcp/N[/p2p/ID] address. With /p2p/, the remote must prove that identity.
    // A /p2p-circuit address goes to the circuit dialer (the relay transport), if one is set.
    using ConnectionCallback = std::function<void(Result<Connection*>)>;
    void dial(const Multiaddr& addr, ConnectionCallback done);

    // Upgrades a pipe another transport opened (a stream of our connection to a relay) into a
    // connection of this host: a pending handshake like any other, then counted, listed,
    // signalled (connectionOpened/Closed) and identified like a TCP connection. The role
    // decides Noise and yamux, whoever opened the pipe; with `expectedRemote` the peer must
    // prove that identity. `done` runs exactly once; a refused or failed upgrade closes the pipe.
    using CircuitDialer = std::function<void(const Multiaddr&, ConnectionCallback)>;
    void setCircuitDialer(CircuitDialer dialer) { circuitDialer_ = std::move(dialer); }
    void upgradePipe(std::unique_ptr<BytePipe> pipe, Upgrader::Role role,
                     std::optional<PeerId> expectedRemote, PipeOrigin origin,
                     ConnectionCallback done);

    // Opens a stream to a connected peer on one of its connections.
    void openStream(const PeerId& peer, std::vector<std::string> protocols,
                    Connection::StreamCallback done);

    using StreamHandler = std::function<void(Stream*)>;
    void setStreamHandler(const std::string& protocol, StreamHandler handler);
    void removeStreamHandler(const std::string& protocol);

    std::vector<Connection*> connections() const;
    std::vector<Connection*> connectionsTo(const PeerId& peer) const;
    std::size_t connectionCount() const { return connections_.size(); }
    Connection* connectionById(std::uint64_t id) const;
    const std::unordered_map<PeerId, PeerRecord>& peers() const { return peers_; }
    PeerRecord* peerRecord(const PeerId& peer);
    const HostCounters& counters() const { return counters_; }
    // A stream reset because its peer went past one of our bounds.
    void countStreamReset(const std::string& reason) override { ++counters_.streamsReset[reason]; }
    void countStreamRefused(const std::string& reason) override {
        ++counters_.streamsRefused[reason];
    }
    void countReadPause() override { ++counters_.readPauses; }

    // The accounting of handshakes, connections and streams against their limits. New limits
    // apply to what comes next; what is open stays.
    const ResourceManager& resources() const { return resources_; }
    void setResourceLimits(const ResourceLimits& limits) { resources_.setLimits(limits); }

    PingService& pingService() { return *ping_; }
    PerfService& perfService() { return *perf_; }
    IdentifyService& identifyService() { return *identify_; }

    void closeAll(const QString& reason);

    // StreamHandlerRegistry
    std::vector<std::string> supportedProtocols() const override;
    void handleInboundStream(Stream* stream) override;
    ResourceManager* resourceManager() override { return &resources_; }
    void resourceRefused(const ResourceRefusal& refusal) override;

    // Used by IdentifyService.
    void recordObservedAddr(const Multiaddr& addr);

Q_SIGNALS:
    void connectionOpened(peerscope::Connection* connection);
    void connectionClosed(quint64 connectionId, const peerscope::PeerId& peer,
                          const QString& reason);
    void peerIdentified(const peerscope::PeerId& peer);
    void handshakeFailed(peerscope::HandshakeFailure failure, const QString& message);
    void protocolsChanged();
    void listenAddrsChanged();
    // Something was refused for a resource limit (already counted by the manager).
    void resourceLimitRefused(const peerscope::ResourceRefusal& refusal);

private:
    // When the node's pending handshakes are all taken, evicts the inbound one that has been
    // silent longest (past stalledHandshakeAge), so stalled handshakes cannot lock newcomers out.
    void makeRoomForHandshake(const std::string& ip);
    Upgrader::Options upgradeOptions(Upgrader::Role role) const;
    // `pending` is the handshake's reservation; it becomes the connection's. `ip` is the
    // source IP scope of an inbound TCP connection (empty otherwise).
    void upgrade(std::unique_ptr<BytePipe> pipe, Upgrader::Options options, PipeOrigin origin,
                 std::string ip, ResourceReservation pending, ConnectionCallback done);
    Result<Connection*> adopt(Upgrader::Upgraded upgraded, Direction direction, PipeOrigin origin,
                              const std::string& ip, ResourceReservation& pending);

    PrivateKey identity_;
    PeerId peerId_;
    HostOptions options_;
    const Clock& clock_;
    // Before everything that holds reservations: they are given back into it.
    ResourceManager resources_;
    std::shared_ptr<const NoiseStaticKey> noiseStaticKey_;       // one per node, see NoiseStaticKey
    std::shared_ptr<VerifiedSignatureCache> verifiedSignatures_; // null when switched off
    std::shared_ptr<EphemeralKeyPool> ephemeralKeys_;
    TcpTransport* transport_;
    std::map<std::uint64_t, QPointer<Connection>> connections_;
    // The same connections by peer, in id order: connectionsTo() must not scan them all (the
    // pool asks for every stream it opens).
    std::unordered_map<PeerId, std::vector<QPointer<Connection>>> byPeer_;
    std::uint64_t nextConnectionId_ = 1;
    std::map<std::string, StreamHandler> handlers_;
    std::unordered_map<PeerId, PeerRecord> peers_;
    std::vector<Multiaddr> observedAddrs_;
    std::vector<Multiaddr> extraListenAddrs_;
    CircuitDialer circuitDialer_;
    HostCounters counters_;
    std::unique_ptr<IdentifyService> identify_;
    std::unique_ptr<PingService> ping_;
    std::unique_ptr<PerfService> perf_;
};

} // namespace peerscope
