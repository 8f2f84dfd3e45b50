#pragma once

#include "engine/core/engine_config.h"

#include <QDateTime>
#include <QList>
#include <QMap>
#include <QMetaType>
#include <QString>
#include <QStringList>
#include <optional>

namespace peerscope {

// Immutable value types the engine publishes to the GUI and the control API. Plain data only:
// they cross threads by copy.

// One entry of a connection's error history.
struct ErrorSnapshot {
    double secondsAgo = 0;
    QString category; // "ping", "stream"
    QString message;
};

// Bytes/s over the last 1 s, 10 s, 60 s and 300 s.
struct RateSnapshot {
    double perSecond[4] = {0, 0, 0, 0};
};

// Application bytes of one protocol's streams on a connection, over its life.
struct ProtocolBytesSnapshot {
    QString protocol;
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
};

struct ConnectionSnapshot {
    quint64 id = 0;
    QString peerId;
    QString direction; // "inbound" | "outbound"
    QString remoteAddr;
    QString localAddr;
    QString muxer;
    bool muxerInHandshake = false;
    // A relayed connection: the relay that carries it (empty: direct), and what is left of the
    // circuit's limit (none: no limit, or not relayed).
    QString relayPeerId;
    std::optional<double> relayLimitSecondsLeft;
    std::optional<quint64> relayLimitBytesLeft;
    QDateTime openedAt;
    int streams = 0;
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
    // Health (probes run only with enable_health_monitoring; rates always).
    QString healthState = QStringLiteral("healthy"); // "healthy" | "degraded" | "failed"
    double healthScore = 1.0;
    std::optional<double> rttLastMs, rttSmoothedMs, rttMinMs, rttMaxMs;
    double jitterMs = 0;
    double rtoMs = 0;
    double pingSuccessRate = 1.0;
    quint64 probes = 0;
    int unhealthyChecks = 0;
    quint64 streamsFailed = 0;
    double ageSeconds = 0;
    RateSnapshot rateIn, rateOut;
    double peakIn60 = 0, peakOut60 = 0;         // busiest second of the last minute
    bool draining = false;                      // being replaced: gets no new streams
    QList<ErrorSnapshot> errors;                // newest last, at most 32
    QList<ProtocolBytesSnapshot> protocolBytes; // by protocol name
};

struct PeerSnapshot {
    QString peerId;
    QString agentVersion;
    QString protocolVersion;
    QStringList protocols;
    QStringList listenAddrs;
    bool identified = false;
    std::optional<double> lastPingRttMs;
    bool isProtected = false;
    bool kept = false; // dialled by the user: the pool keeps min_connections_per_peer
    QList<ConnectionSnapshot> connections;
};

struct NodeCounters {
    quint64 connectionsOpened = 0;
    quint64 connectionsClosed = 0;
    quint64 streamsOpened = 0;
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
    quint64 dialsSucceeded = 0;
    quint64 dialsFailed = 0;
    QMap<QString, quint64> handshakeFailures;  // reason -> count
    QMap<QString, quint64> protocolErrors;     // layer ("noise", "yamux") -> count
    QMap<QString, quint64> streamsReset;       // reason ("perf_over_limit") -> count
    QMap<QString, quint64> streamsRefused;     // reason ("protocol_not_supported") -> count
    QMap<QString, quint64> apiRequestsRefused; // reason ("unauthorized", ...) -> count
    quint64 readPauses = 0; // connections that stopped reading a peer that did not read
};

struct PoolCountersSnapshot {
    quint64 dialsSucceeded = 0, dialsFailed = 0, dialsTimedOut = 0, retries = 0;
    quint64 replacements = 0, trimmed = 0, refusedOverLimit = 0, streamRetries = 0;
};

// The resource manager: what the node uses against its system limits, and what it refused.
struct ResourceUseSnapshot {
    QString resource; // "pending_handshakes", "inbound_connections", ...
    quint64 inUse = 0;
    quint64 limit = 0; // the system limit
};
struct ResourceRefusedSnapshot {
    QString scope; // "system", "ip", "peer", "connection", "protocol"
    QString resource;
    quint64 count = 0;
};
struct ResourcesSnapshot {
    QList<ResourceUseSnapshot> system;      // every resource, in enum order
    QList<ResourceRefusedSnapshot> refused; // every scope x resource, zeros too
};

// networkHealthSummary(): the node's connections at a glance.
struct HealthSummary {
    int peers = 0;
    int connections = 0;
    double averageHealth = 1.0; // over connections; 1 with none
    int healthy = 0, degraded = 0, failed = 0;
    bool monitoring = false; // enable_health_monitoring
};

// Probe RTTs over the node's life (Prometheus histogram: cumulative counts per upper bound).
struct RttHistogramSnapshot {
    QList<double> bounds; // seconds
    QList<quint64> cumulative;
    quint64 count = 0;
    double sum = 0;
};

// Our circuit relay v2 service (the hop side): what it holds now and what it did.
struct RelayServiceSnapshot {
    bool enabled = false;
    quint64 reservations = 0;        // held now
    quint64 circuits = 0;            // open now
    quint64 reservationsGranted = 0; // refreshes too
    quint64 reservationsExpired = 0;
    quint64 circuitsOpened = 0;
    QMap<QString, quint64> circuitsClosed; // by outcome: "closed", "data_limit", ...
    quint64 bytesToDestination = 0;        // relayed source -> destination, running circuits too
    quint64 bytesToSource = 0;
    QMap<QString, quint64> refused; // by status: "no_reservation", "reservation_refused", ...
};

// One lifecycle event or error (the event log's entries, as the GUI sees them).
struct EventSnapshot {
    quint64 seq = 0;
    QDateTime at;             // UTC
    QString kind;             // "opened", "closed", "degraded", "failed", "recovered", "replaced",
                              // "dial_failed", "backoff", "retry", "trimmed", "config", ...
    QString peerId;           // empty for node-wide events
    quint64 connectionId = 0; // 0 when not about one connection
    QString detail;
};

// One lab entry (lab mode): a local PeerScope child reached through a userspace link proxy,
// or (role "relayed") through one of the lab relays only.
struct LabLinkSnapshot {
    int index = 0;
    QString role;          // "peer", "relay" or "relayed" (no link of its own)
    QString peerId;        // empty until the child has started
    quint16 proxyPort = 0; // 0 until the proxy listens; 0 for the relayed peer
    QString viaRelay;      // the relayed peer: the relay its path goes through, when known
    QString state; // "starting", "connecting", "connected", "disconnected", "failed", "stopped"
    double delayMs = 0, jitterMs = 0, lossPercent = 0;
    double rateBytesPerSecond = 0; // 0 = unlimited
    quint64 bytesUp = 0;           // this node -> the lab peer
    quint64 bytesDown = 0;         // the lab peer -> this node
};

// One relay the relay manager knows (circuit relay v2, our side: we reserve there).
struct RelaySnapshot {
    QString peerId;
    QString addr;   // how we reach it, without /p2p/; empty when only known by its connection
    QString source; // "static" (config, --relay, the user) | "automatic" (identify)
    bool preferred = false; // "use this relay"
    bool inUse = false;     // chosen: we hold, or are making, a reservation there
    bool connected = false;
    // "none", "reserving", "reserved", "refused", "expired", "failed"
    QString reservation = QStringLiteral("none");
    QDateTime reservedUntil; // valid while reserved
    QString detail;          // why refused or failed
    // What each circuit through it may carry; none: no limit.
    std::optional<quint32> limitDurationSeconds;
    std::optional<quint64> limitDataBytes;
    QStringList circuitAddrs;   // ours through it, while reserved
    QList<double> rttHistoryMs; // the last probes' round trips, oldest first
    std::optional<double> rttMs;
    quint64 probesUnanswered = 0;
    int circuits = 0;         // our relayed connections through it
    quint64 circuitBytes = 0; // bytes on them, both ways
};

struct NodeSnapshot {
    QString peerId;
    QString agentVersion;
    QStringList listenAddrs;   // as bound, with /p2p/<id>
    QStringList observedAddrs; // as peers report seeing us
    QList<PeerSnapshot> peers;
    NodeCounters counters;
    PoolCountersSnapshot pool;
    ResourcesSnapshot resources;
    RelayServiceSnapshot relayService;
    HealthSummary health;
    RttHistogramSnapshot rttHistogram;
    quint64 lastEventSeq = 0;
    int metricsPeerLabelLimit = 50;
    int openStreams = 0;
    EngineConfig config; // the running configuration
    QString configPath;  // where "save" writes it
    // Lab mode's links, by index; empty unless in lab mode.
    QList<LabLinkSnapshot> labLinks;
    // Relays we know, and our addresses through those we hold a reservation on.
    QList<RelaySnapshot> relays;
    QStringList relayedAddrs;
    QDateTime takenAt;
};

} // namespace peerscope

Q_DECLARE_METATYPE(peerscope::NodeSnapshot)
Q_DECLARE_METATYPE(peerscope::EventSnapshot)
