#include "engine/api/engine_core.h"

#include "engine/api/api_tls.h"
#include "engine/api/control_api.h"
#include "engine/api/engine_client.h"
#include "engine/core/config_file.h"
#include "engine/core/identity_store.h"
#include "engine/core/multiaddr.h"
#include "engine/health/health_monitor.h"
#include "engine/lab/lab_controller.h"
#include "engine/nat/relay_manager.h"
#include "engine/nat/relay_service.h"
#include "engine/nat/relay_transport.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/perf_service.h"
#include "engine/net/ping_service.h"
#include "engine/pool/connection_pool.h"

#include <QDir>
#include <QHash>
#include <QLoggingCategory>
#include <QNetworkInterface>
#include <QStandardPaths>
#include <algorithm>
#include <openssl/rand.h>

Q_LOGGING_CATEGORY(lcEngine, "peerscope.engine")

namespace peerscope {

namespace {
constexpr std::chrono::milliseconds pingTimeout{5000};

QString defaultDataDir() {
    QString base = QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation);
    return QDir(base).filePath(QStringLiteral("peerscope"));
}

// Wildcard listen addresses stand for every local interface address of that family.
std::vector<Multiaddr> expandWildcard(const Multiaddr& bound) {
    std::optional<Multiaddr::TcpEndpoint> endpoint = bound.tcpEndpoint();
    if (!endpoint || (endpoint->host != "0.0.0.0" && endpoint->host != "::"))
        return {bound};
    const bool v4 = endpoint->host == "0.0.0.0";
    std::vector<Multiaddr> out;
    for (const QHostAddress& address : QNetworkInterface::allAddresses()) {
        if (v4 != (address.protocol() == QAbstractSocket::IPv4Protocol))
            continue;
        if (!address.scopeId().isEmpty())
            continue; // link-local IPv6 needs a zone; not dialable as a plain multiaddr
        out.push_back(Multiaddr::fromTcpEndpoint(address.toString().toStdString(), endpoint->port));
    }
    return out;
}
} // namespace

EngineCore::EngineCore(EngineOptions options) : options_(std::move(options)) {
    snapshotTimer_.setParent(this);
    connect(&snapshotTimer_, &QTimer::timeout, this, &EngineCore::publishSnapshot);
}

EngineCore::~EngineCore() = default;

Result<void> EngineCore::start(EngineClient* client) {
    client_ = client;
    const QString dataDir = options_.dataDir.isEmpty() ? defaultDataDir() : options_.dataDir;
    if (!QDir().mkpath(dataDir))
        return makeError("cannot create data directory " + dataDir.toStdString());
    const QString identityPath = options_.identityPath.isEmpty()
                                     ? QDir(dataDir).filePath(QStringLiteral("identity.key"))
                                     : options_.identityPath;
    Result<PrivateKey> identity = loadOrCreateIdentity(identityPath.toStdString());
    if (!identity)
        return identity.error();
    // Resolved once: every snapshot names it, and it cannot change while running.
    options_.configPath = ConfigFile(options_.configPath).path();
    Result<EngineConfig> config = ConfigFile(options_.configPath).load();
    if (!config)
        return config.error();
    config_ = *config;
    const bool labTurnsOnMonitoring =
        options_.labPeers > 0 && !config_.connection.enableHealthMonitoring;
    if (labTurnsOnMonitoring) {
        // Lab mode is for watching links: probe them, often enough for the charts to move.
        // In memory only; the config file is left as it is.
        config_.connection.enableHealthMonitoring = true;
        config_.connection.healthCheckInterval =
            std::min(config_.connection.healthCheckInterval, ConnectionConfig::Seconds(2));
    }
    // With both lab relays held there is nothing to switch to: one reservation at a time lets
    // a relay switch be watched. In memory only, like the monitoring above.
    const bool labHoldsOneRelay = options_.labPeers > 0 && config_.relayClient.reservations > 1;
    if (labHoldsOneRelay)
        config_.relayClient.reservations = 1;

    HostOptions hostOptions;
    hostOptions.muxerInNoise = options_.muxerInNoise;
    hostOptions.servePerf = servesPerf(config_);
    hostOptions.perfMaxStreamBytes = config_.services.perfMaxStreamBytes;
    hostOptions.resources = config_.resources;
    host_ = std::make_unique<Host>(std::move(identity).value(), hostOptions, clock_);
    connect(host_.get(), &Host::resourceLimitRefused, this, [this](const ResourceRefusal& refusal) {
        if (std::optional<std::string> line = refusalLog_.note(refusal, clock_.now()))
            logResourceRefusals({std::move(*line)});
    });
    std::uint64_t seed = 0;
    RAND_bytes(reinterpret_cast<unsigned char*>(&seed), sizeof seed); // jitter differs per node
    pool_ = std::make_unique<ConnectionPool>(*host_, config_.connection, config_.retry, seed);
    monitor_ = std::make_unique<HealthMonitor>(*host_, *pool_, events_, config_.connection);
    relays_ = std::make_unique<RelayManager>(*host_, *pool_, events_, relayClientConfig(config_));
    relayTransport_ = std::make_unique<RelayTransport>(*host_);
    connect(relayTransport_.get(), &RelayTransport::circuitEvent, this,
            [this](const QString& kind, const PeerId& peer, quint64 connectionId,
                   const QString& detail) {
                events_.append(kind, QString::fromStdString(peer.toBase58()), connectionId, detail);
            });
    relayTransport_->setAcceptPolicy(
        [this](const PeerId& relay) { return relays_ && relays_->hasReservation(relay); });
    connect(pool_.get(), &ConnectionPool::poolEvent, this,
            [this](const QString& kind, const PeerId& peer, quint64 connectionId,
                   const QString& detail) {
                events_.append(kind, QString::fromStdString(peer.toBase58()), connectionId, detail);
            });

    RelayService::Options relayOptions;
    // A reservation advertises the addresses we print at start (wildcards expanded).
    relayOptions.addrs = [this] {
        std::vector<Multiaddr> out;
        for (const Multiaddr& bound : host_->listenAddrs())
            for (const Multiaddr& addr : expandWildcard(bound))
                out.push_back(addr);
        return out;
    };
    // A reserved peer's connection is how circuits reach it: the pool keeps it.
    relayOptions.keepConnected = [this](const PeerId& peer, bool keep) {
        pool_->setKept(peer, keep);
    };
    relay_ = std::make_unique<RelayService>(*host_, relayServiceConfig(config_), relayOptions);
    connect(relay_.get(), &RelayService::relayEvent, this,
            [this](const QString& kind, const PeerId& peer, const QString& detail) {
                events_.append(kind, QString::fromStdString(peer.toBase58()), 0, detail);
            });

    for (const QString& text : options_.listenAddrs) {
        Result<Multiaddr> addr = Multiaddr::parse(text.toStdString());
        if (!addr)
            return makeError("--listen " + text.toStdString() + ": " + addr.errorMessage());
        Result<Multiaddr> bound = host_->listen(*addr);
        if (!bound && options_.fallbackToEphemeralPort && addr->tcpEndpoint()) {
            qCWarning(lcEngine).noquote() << QString::fromStdString(bound.errorMessage())
                                          << "- falling back to an ephemeral port";
            bound = host_->listen(Multiaddr::fromTcpEndpoint(addr->tcpEndpoint()->host, 0));
        }
        if (!bound)
            return bound.error();
    }

    connect(host_.get(), &Host::connectionOpened, this, [this](Connection* connection) {
        if (host_->connectionsTo(connection->remotePeer()).size() == 1)
            Q_EMIT client_->peerConnected(
                QString::fromStdString(connection->remotePeer().toBase58()));
    });
    connect(host_.get(), &Host::connectionClosed, this,
            [this](quint64, const PeerId& peer, const QString&) {
                if (host_->connectionsTo(peer).empty())
                    Q_EMIT client_->peerDisconnected(QString::fromStdString(peer.toBase58()));
            });

    if (options_.apiEndpoint) {
        Result<QByteArray> token =
            ControlApi::loadOrCreateToken(QDir(dataDir).filePath(QStringLiteral("api-token")));
        if (!token)
            return token.error();
        std::optional<QSslConfiguration> tls;
        if (!options_.apiTlsCertificatePath.isEmpty() || !options_.apiTlsKeyPath.isEmpty()) {
            Result<QSslConfiguration> loaded =
                loadApiTlsConfiguration(options_.apiTlsCertificatePath, options_.apiTlsKeyPath);
            if (!loaded)
                return loaded.error();
            tls = *loaded;
        }
        api_ = std::make_unique<ControlApi>(*this, *token);
        Result<QString> listening = api_->listen(*options_.apiEndpoint, tls);
        if (!listening)
            return listening.error();
    }

    for (const QString& addr : options_.dialAddrs) {
        dial(addr, [addr](Result<ConnectionSnapshot> result) {
            if (!result)
                qCWarning(lcEngine).noquote()
                    << "dial" << addr << "failed:" << QString::fromStdString(result.errorMessage());
        });
    }

    if (options_.labPeers > 0) {
        if (options_.labExecutable.isEmpty())
            return makeError("lab mode needs the path of the peerscope executable");
        lab_ = std::make_unique<LabController>(*host_, *pool_, options_.labExecutable,
                                               options_.labPeers,
                                               QDir(dataDir).filePath(QStringLiteral("lab")));
        connect(lab_.get(), &LabController::labEvent, this,
                [this](const QString& kind, const QString& peer, const QString& detail) {
                    events_.append(kind, peer, 0, detail);
                });
        LabController::RelayHooks hooks;
        hooks.addRelay = [this](const Multiaddr& addr) -> Result<void> {
            Result<PeerId> added = relays_->addRelay(addr);
            if (!added)
                return added.error();
            return {};
        };
        hooks.relaysInUse = [this] {
            std::vector<PeerId> out;
            for (const RelayInfo& info : relays_->relays())
                if (info.inUse)
                    out.push_back(info.peer);
            return out;
        };
        lab_->setRelayHooks(std::move(hooks));
        events_.append(
            QStringLiteral("lab"), {}, 0,
            QStringLiteral("lab mode: starting %1 local peers, %2 relays and a peer reachable "
                           "only through them, behind link proxies%3%4")
                .arg(options_.labPeers)
                .arg(LabController::relayCount)
                .arg(labTurnsOnMonitoring ? QStringLiteral("; health monitoring on for this run")
                                          : QString())
                .arg(labHoldsOneRelay
                         ? QStringLiteral("; one relay reservation at a time for this run, so a "
                                          "relay switch can be seen")
                         : QString()));
        lab_->start();
    }

    snapshotTimer_.start(options_.snapshotInterval);
    publishSnapshot();
    return {};
}

void EngineCore::stop() {
    lab_.reset(); // its children are stopped while the host still runs
    snapshotTimer_.stop();
    api_.reset();
    relays_.reset();
    relayTransport_.reset();
    relay_.reset(); // its circuits end while their streams still exist
    monitor_.reset();
    pool_.reset();
    if (host_)
        host_->closeAll(QStringLiteral("engine stopping"));
    host_.reset();
}

bool EngineCore::servesPerf(const EngineConfig& config) const {
    // Lab mode's background traffic is perf between the lab peers and us.
    return config.services.servePerf || options_.servePerf || options_.labPeers > 0;
}

RelayClientConfig EngineCore::relayClientConfig(const EngineConfig& config) const {
    RelayClientConfig out = config.relayClient;
    for (const QString& addr : options_.relayAddrs)
        if (std::find(out.relays.begin(), out.relays.end(), addr.toStdString()) == out.relays.end())
            out.relays.push_back(addr.toStdString());
    return out;
}

Result<void> EngineCore::addRelay(const QString& multiaddr) {
    Result<Multiaddr> addr = Multiaddr::parse(multiaddr.toStdString());
    if (!addr)
        return makeError("relay address " + multiaddr.toStdString() + ": " + addr.errorMessage());
    Result<PeerId> added = relays_->addRelay(*addr);
    if (!added)
        return added.error();
    return {};
}

Result<PeerId> EngineCore::knownRelay(const QString& peerId) const {
    Result<PeerId> peer = PeerId::parse(peerId.toStdString());
    if (!peer)
        return makeError("relay " + peerId.toStdString() + ": not a peer ID (" +
                         peer.errorMessage() + ")");
    if (!relays_->knows(*peer))
        return makeError("relay " + peerId.toStdString() + ": unknown relay");
    return peer;
}

Result<void> EngineCore::removeRelay(const QString& peerId) {
    Result<PeerId> peer = knownRelay(peerId);
    if (!peer)
        return peer.error();
    relays_->removeRelay(*peer);
    return {};
}

Result<void> EngineCore::preferRelay(const QString& peerId) {
    Result<PeerId> peer = knownRelay(peerId);
    if (!peer)
        return peer.error();
    relays_->prefer(*peer);
    return {};
}

Result<void> EngineCore::reserveRelayNow(const QString& peerId) {
    Result<PeerId> peer = knownRelay(peerId);
    if (!peer)
        return peer.error();
    relays_->reserveNow(*peer);
    return {};
}

RelayServiceConfig EngineCore::relayServiceConfig(const EngineConfig& config) const {
    RelayServiceConfig relay = config.relayService;
    relay.enabled = relay.enabled || options_.relayService;
    return relay;
}

QString EngineCore::configPath() const {
    return options_.configPath; // resolved in start()
}

Result<void> EngineCore::applyConfig(const EngineConfig& config, bool persist) {
    if (std::vector<std::string> errors = config.validate(); !errors.empty()) {
        std::string message;
        for (const std::string& error : errors) {
            if (!message.empty())
                message += '\n';
            message += error;
        }
        return makeError(message);
    }
    if (persist)
        if (Result<void> saved = ConfigFile(options_.configPath).save(config); !saved)
            return saved;
    const QStringList changed = [&] {
        QStringList out;
        const QJsonObject before = config_.toJson(), after = config.toJson();
        for (const std::string& name : EngineConfig::sectionNames()) {
            const QString section = QString::fromStdString(name);
            const QJsonObject a = before[section].toObject(), b = after[section].toObject();
            for (auto it = b.begin(); it != b.end(); ++it)
                if (a.value(it.key()) != it.value())
                    out << section + '.' + it.key();
        }
        return out;
    }();
    config_ = config;
    pool_->setConfig(config_.connection, config_.retry);
    monitor_->setConfig(config_.connection);
    relays_->setConfig(relayClientConfig(config_));
    host_->setResourceLimits(config_.resources);
    host_->perfService().setServing(
        servesPerf(config_) ? std::optional(config_.services.perfMaxStreamBytes) : std::nullopt);
    relay_->setConfig(relayServiceConfig(config_));
    events_.append(QStringLiteral("config"), {}, 0,
                   changed.isEmpty()
                       ? QStringLiteral("applied, nothing changed")
                       : QStringLiteral("changed ") + changed.join(QStringLiteral(", ")));
    return {};
}

Result<void> EngineCore::setProtected(const QString& peerId, bool isProtected) {
    Result<PeerId> peer = PeerId::parse(peerId.toStdString());
    if (!peer)
        return makeError("invalid peer id: " + peer.errorMessage());
    pool_->setProtected(*peer, isProtected);
    events_.append(isProtected ? QStringLiteral("protected") : QStringLiteral("unprotected"),
                   QString::fromStdString(peer->toBase58()), 0, {});
    return {};
}

Result<void> EngineCore::setLabLink(int index, const LinkSettings& settings) {
    if (!lab_)
        return makeError("not in lab mode");
    Result<void> applied = lab_->setLink(index, settings);
    if (!applied)
        events_.append(QStringLiteral("lab"), {}, 0,
                       QStringLiteral("link change refused: ") +
                           QString::fromStdString(applied.errorMessage()));
    return applied;
}

Result<void> EngineCore::probeNow(quint64 connectionId) {
    if (!host_->connectionById(connectionId))
        return makeError("no connection with id " + std::to_string(connectionId));
    monitor_->probeNow(connectionId);
    return {};
}

QStringList EngineCore::announcedAddrs() const {
    QStringList out;
    for (const Multiaddr& bound : host_->listenAddrs())
        for (const Multiaddr& addr : expandWildcard(bound))
            out << QString::fromStdString(addr.withPeerId(host_->peerId()).toString());
    return out;
}

quint16 EngineCore::apiPort() const {
    return api_ ? api_->port() : 0;
}

ConnectionSnapshot EngineCore::snapshotOf(const Connection& connection) const {
    ConnectionSnapshot snapshot;
    snapshot.id = connection.id();
    snapshotText_.fillConnection(snapshot, connection.id(), connection.info(),
                                 connection.protocolBytes());
    snapshot.muxerInHandshake = connection.info().muxerInHandshake;
    if (connection.info().relay) {
        snapshot.relayPeerId = QString::fromStdString(connection.info().relay->toBase58());
        if (std::optional<RelayTransport::CircuitLimit> circuit =
                relayTransport_->limitOf(connection.id())) {
            const double age =
                std::chrono::duration<double>(clock_.now() - circuit->startedAt).count();
            if (circuit->limit.durationSeconds)
                snapshot.relayLimitSecondsLeft =
                    std::max(0.0, double(*circuit->limit.durationSeconds) - age);
            if (circuit->limit.dataBytes) {
                // The relay counts each way; the fuller direction ends the circuit.
                const quint64 used = std::max(connection.bytesIn(), connection.bytesOut());
                snapshot.relayLimitBytesLeft =
                    used >= *circuit->limit.dataBytes ? 0 : *circuit->limit.dataBytes - used;
            }
        }
    }
    snapshot.openedAt = connection.openedAt();
    snapshot.streams = static_cast<int>(connection.streamCount());
    snapshot.bytesIn = connection.bytesIn();
    snapshot.bytesOut = connection.bytesOut();
    const MonoTime now = clock_.now();
    snapshot.ageSeconds = std::chrono::duration<double>(now - connection.openedAtMono()).count();
    const ConnectionHealth* health = monitor_ ? monitor_->health(connection.id()) : nullptr;
    if (health == nullptr)
        return snapshot;
    auto ms = [](std::chrono::nanoseconds d) {
        return std::chrono::duration<double, std::milli>(d).count();
    };
    // RateWindow advances with time even when read; the monitor owns it, we only look.
    auto& mutableHealth = const_cast<ConnectionHealth&>(*health);
    snapshot.healthState = SnapshotTextCache::healthStateText(health->state());
    snapshot.healthScore = health->score(config_.connection);
    if (auto v = health->rtt().last())
        snapshot.rttLastMs = ms(*v);
    if (auto v = health->rtt().smoothed())
        snapshot.rttSmoothedMs = ms(*v);
    if (auto v = health->rtt().min())
        snapshot.rttMinMs = ms(*v);
    if (auto v = health->rtt().max())
        snapshot.rttMaxMs = ms(*v);
    snapshot.jitterMs = ms(health->rtt().jitter());
    snapshot.rtoMs = ms(health->rtt().rto());
    snapshot.pingSuccessRate = health->probes().successRate();
    snapshot.probes = health->probesSent();
    snapshot.unhealthyChecks = health->unhealthyChecks();
    snapshot.streamsFailed = health->streamsFailed();
    using Span = RateWindow::Span;
    const Span spans[4] = {Span::OneSecond, Span::TenSeconds, Span::OneMinute, Span::FiveMinutes};
    for (int i = 0; i < 4; ++i) {
        snapshot.rateIn.perSecond[i] = mutableHealth.bytesIn().rate(spans[i], now);
        snapshot.rateOut.perSecond[i] = mutableHealth.bytesOut().rate(spans[i], now);
    }
    snapshot.peakIn60 = mutableHealth.bytesIn().peak(Span::OneMinute, now);
    snapshot.peakOut60 = mutableHealth.bytesOut().peak(Span::OneMinute, now);
    snapshot.draining = pool_ && pool_->isDraining(connection.id());
    for (const ConnectionHealth::ErrorEntry& error : health->errors())
        snapshot.errors.push_back({std::chrono::duration<double>(now - error.at).count(),
                                   QString::fromStdString(error.category),
                                   QString::fromStdString(error.message)});
    return snapshot;
}

RelaySnapshot EngineCore::relaySnapshot(const RelayInfo& info) const {
    RelaySnapshot out;
    out.peerId = QString::fromStdString(info.peer.toBase58());
    out.addr = QString::fromStdString(info.addr.toString());
    out.source = info.source == RelaySelector::Source::Static ? QStringLiteral("static")
                                                              : QStringLiteral("automatic");
    out.preferred = info.preferred;
    out.inUse = info.inUse;
    out.connected = info.connected;
    out.reservation = QString::fromLatin1(reservationStateName(info.state));
    if (info.reservedUntil > 0)
        out.reservedUntil =
            QDateTime::fromSecsSinceEpoch(static_cast<qint64>(info.reservedUntil), Qt::UTC);
    out.detail = QString::fromStdString(info.detail);
    if (info.limit) {
        out.limitDurationSeconds = info.limit->durationSeconds;
        out.limitDataBytes = info.limit->dataBytes;
    }
    for (const Multiaddr& addr : info.circuitAddrs)
        out.circuitAddrs << QString::fromStdString(addr.toString());
    out.rttHistoryMs = QList<double>(info.rttHistoryMs.begin(), info.rttHistoryMs.end());
    if (!info.rttHistoryMs.empty())
        out.rttMs = info.rttHistoryMs.back();
    out.probesUnanswered = info.probesUnanswered;
    return out; // circuits and circuitBytes: makeSnapshot counts them with the connections
}

NodeSnapshot EngineCore::makeSnapshot() const {
    NodeSnapshot snapshot;
    snapshot.takenAt = QDateTime::currentDateTimeUtc();
    if (!host_)
        return snapshot;
    snapshot.peerId = QString::fromStdString(host_->peerId().toBase58());
    snapshot.agentVersion = QString::fromStdString(host_->options().agentVersion);
    snapshot.listenAddrs = announcedAddrs();
    for (const Multiaddr& addr : host_->observedAddrs())
        snapshot.observedAddrs << QString::fromStdString(addr.toString());

    const HostCounters& counters = host_->counters();
    snapshot.counters.connectionsOpened = counters.connectionsOpened;
    snapshot.counters.connectionsClosed = counters.connectionsClosed;
    snapshot.counters.streamsOpened = counters.streamsOpened;
    snapshot.counters.bytesIn = counters.bytesInClosed;
    snapshot.counters.bytesOut = counters.bytesOutClosed;
    snapshot.counters.dialsSucceeded = counters.dialsSucceeded;
    snapshot.counters.dialsFailed = counters.dialsFailed;
    for (const auto& [reason, count] : counters.handshakeFailures)
        snapshot.counters.handshakeFailures[QString::fromStdString(reason)] = count;
    for (const auto& [layer, count] : counters.protocolErrors)
        snapshot.counters.protocolErrors[QString::fromStdString(layer)] = count;
    for (const auto& [reason, count] : counters.streamsReset)
        snapshot.counters.streamsReset[QString::fromStdString(reason)] = count;
    for (const auto& [reason, count] : counters.streamsRefused)
        snapshot.counters.streamsRefused[QString::fromStdString(reason)] = count;
    snapshot.counters.readPauses = counters.readPauses;
    if (api_)
        snapshot.counters.apiRequestsRefused = api_->refusedRequests();

    const ResourceManager& resources = host_->resources();
    for (std::size_t r = 0; r < resourceCount; ++r) {
        const auto resource = static_cast<Resource>(r);
        snapshot.resources.system.push_back(
            {QString::fromLatin1(resourceName(resource)), resources.systemUse(resource),
             resources.limit(ResourceScope::System, resource).value_or(0)});
        for (std::size_t s = 0; s < resourceScopeCount; ++s) {
            const auto scope = static_cast<ResourceScope>(s);
            snapshot.resources.refused.push_back({QString::fromLatin1(resourceScopeName(scope)),
                                                  QString::fromLatin1(resourceName(resource)),
                                                  resources.refused(scope, resource)});
        }
    }

    const RelayServiceCounters& relay = relay_->counters();
    snapshot.relayService.enabled = relay_->isEnabled();
    snapshot.relayService.reservations = relay_->reservationCount();
    snapshot.relayService.circuits = relay_->circuitCount();
    snapshot.relayService.reservationsGranted = relay.reservationsGranted;
    snapshot.relayService.reservationsExpired = relay.reservationsExpired;
    snapshot.relayService.circuitsOpened = relay.circuitsOpened;
    for (const auto& [outcome, count] : relay.circuitsClosed)
        snapshot.relayService.circuitsClosed[QString::fromStdString(outcome)] = count;
    snapshot.relayService.bytesToDestination = relay_->bytesToDestination();
    snapshot.relayService.bytesToSource = relay_->bytesToSource();
    for (const auto& [status, count] : relay.refused)
        snapshot.relayService.refused[QString::fromStdString(status)] = count;

    const PoolCounters& pool = pool_->counters();
    snapshot.pool = {pool.dialsSucceeded,   pool.dialsFailed,  pool.dialsTimedOut,
                     pool.retries,          pool.replacements, pool.trimmed,
                     pool.refusedOverLimit, pool.streamRetries};
    snapshot.lastEventSeq = events_.lastSeq();
    snapshot.metricsPeerLabelLimit = config_.connection.metricsPeerLabelLimit;
    snapshot.config = config_;
    snapshot.configPath = configPath();
    if (lab_)
        for (const LabPeerStatus& lab : lab_->status()) {
            LabLinkSnapshot link;
            link.index = lab.index;
            link.role = lab.role;
            link.peerId = lab.peerId;
            link.proxyPort = lab.proxyPort;
            link.viaRelay = lab.viaRelay;
            link.state = lab.state;
            link.delayMs = lab.link.delayMs;
            link.jitterMs = lab.link.jitterMs;
            link.lossPercent = lab.link.lossPercent;
            link.rateBytesPerSecond = lab.link.rateBytesPerSecond;
            link.bytesUp = lab.bytesUp;
            link.bytesDown = lab.bytesDown;
            snapshot.labLinks.push_back(std::move(link));
        }
    snapshot.health.monitoring = config_.connection.enableHealthMonitoring;
    const RttHistogram& histogram = monitor_->rttHistogram();
    for (std::size_t i = 0; i < histogram.bounds.size(); ++i) {
        snapshot.rttHistogram.bounds << histogram.bounds[i];
        snapshot.rttHistogram.cumulative << histogram.buckets[i];
    }
    snapshot.rttHistogram.count = histogram.count;
    snapshot.rttHistogram.sum = histogram.sum;

    // Every open connection and known peer is filled below: what the text cache holds for
    // anything else has closed and is dropped at the end.
    snapshotText_.beginSnapshot();
    QHash<QString, int> peerIndex;
    for (const auto& [id, record] : host_->peers()) {
        PeerSnapshot peer;
        snapshotText_.fillPeer(peer, id, record);
        peer.isProtected = pool_->isProtected(id);
        peer.kept = pool_->isWanted(id);
        peer.identified = record.identified;
        if (record.lastPingRtt)
            peer.lastPingRttMs =
                std::chrono::duration<double, std::milli>(*record.lastPingRtt).count();
        peerIndex.insert(peer.peerId, static_cast<int>(snapshot.peers.size()));
        snapshot.peers.push_back(std::move(peer));
    }
    double scoreSum = 0;
    // Our relayed connections and their bytes, by the relay carrying them.
    QHash<QString, std::pair<int, quint64>> circuitsByRelay;
    for (Connection* connection : host_->connections()) {
        ConnectionSnapshot c = snapshotOf(*connection);
        if (!c.relayPeerId.isEmpty()) {
            auto& [circuits, bytes] = circuitsByRelay[c.relayPeerId];
            ++circuits;
            bytes += c.bytesIn + c.bytesOut;
        }
        snapshot.counters.bytesIn += c.bytesIn;
        snapshot.counters.bytesOut += c.bytesOut;
        snapshot.counters.streamsOpened += connection->streamsOpened();
        snapshot.openStreams += c.streams;
        ++snapshot.health.connections;
        scoreSum += c.healthScore;
        if (c.healthState == QLatin1String("failed"))
            ++snapshot.health.failed;
        else if (c.healthState == QLatin1String("degraded"))
            ++snapshot.health.degraded;
        else
            ++snapshot.health.healthy;
        auto it = peerIndex.find(c.peerId);
        if (it != peerIndex.end())
            snapshot.peers[*it].connections.push_back(std::move(c));
    }
    snapshotText_.endSnapshot();
    for (const RelayInfo& info : relays_->relays()) {
        RelaySnapshot relay = relaySnapshot(info);
        std::tie(relay.circuits, relay.circuitBytes) = circuitsByRelay.value(relay.peerId);
        snapshot.relays.push_back(std::move(relay));
    }
    for (const Multiaddr& addr : relays_->circuitAddrs())
        snapshot.relayedAddrs << QString::fromStdString(addr.toString());
    for (const PeerSnapshot& peer : snapshot.peers)
        if (!peer.connections.isEmpty())
            ++snapshot.health.peers;
    if (snapshot.health.connections > 0)
        snapshot.health.averageHealth = scoreSum / snapshot.health.connections;
    return snapshot;
}

void EngineCore::logResourceRefusals(std::vector<std::string> lines) {
    for (std::string& line : lines)
        events_.append(QStringLiteral("resource_limit"), {}, 0, QString::fromStdString(line));
}

void EngineCore::publishSnapshot() {
    // Refusals held back by the rate limit are logged once their interval has passed.
    logResourceRefusals(refusalLog_.takeDue(clock_.now()));
    if (!client_)
        return;
    QList<EventSnapshot> fresh = eventsSince(publishedEventSeq_);
    publishedEventSeq_ = events_.lastSeq();
    client_->publish(makeSnapshot(), fresh);
}

void EngineCore::setSnapshotInterval(int milliseconds) {
    snapshotTimer_.setInterval(std::max(milliseconds, 10));
}

QList<EventSnapshot> EngineCore::eventsSince(quint64 seq, int limit) const {
    QList<EventSnapshot> out;
    for (const LifecycleEvent& event : events_.since(seq, static_cast<std::size_t>(limit)))
        out.push_back(
            {event.seq, event.at, event.kind, event.peer, event.connectionId, event.detail});
    return out;
}

void EngineCore::dial(const QString& multiaddr,
                      std::function<void(Result<ConnectionSnapshot>)> done) {
    Result<Multiaddr> addr = Multiaddr::parse(multiaddr.toStdString());
    if (!addr) {
        done(makeError("invalid multiaddr: " + addr.errorMessage()));
        return;
    }
    // With /p2p/ the pool opens max_connections_per_peer at once; without, one dial learns
    // who is there and the pool then tops the peer up.
    QPointer<EngineCore> self(this);
    if (addr->peerId()) {
        pool_->dialPeer(*addr,
                        [self, done = std::move(done)](Result<std::vector<Connection*>> all) {
                            if (!self)
                                return;
                            if (!all) {
                                done(all.error());
                                return;
                            }
                            done(self->snapshotOf(*all->front()));
                        });
        return;
    }
    host_->dial(*addr,
                [self, addr = *addr, done = std::move(done)](Result<Connection*> connection) {
                    if (!self)
                        return;
                    if (!connection) {
                        done(connection.error());
                        return;
                    }
                    done(self->snapshotOf(**connection));
                    self->pool_->dialPeer(addr.withPeerId((*connection)->remotePeer()),
                                          [](Result<std::vector<Connection*>>) {});
                });
}

void EngineCore::ping(const QString& peerId, int count,
                      std::function<void(Result<std::vector<double>>)> done) {
    Result<PeerId> peer = PeerId::parse(peerId.toStdString());
    if (!peer) {
        done(makeError("invalid peer id: " + peer.errorMessage()));
        return;
    }
    host_->pingService().ping(
        *peer, count, pingTimeout, [done = std::move(done)](Result<std::vector<MonoTime>> rtts) {
            if (!rtts) {
                done(rtts.error());
                return;
            }
            std::vector<double> ms;
            for (MonoTime rtt : *rtts)
                ms.push_back(std::chrono::duration<double, std::milli>(rtt).count());
            done(ms);
        });
}

Result<void> EngineCore::closeConnection(quint64 connectionId) {
    Connection* connection = host_->connectionById(connectionId);
    if (!connection)
        return makeError("no connection with id " + std::to_string(connectionId));
    connection->close(QStringLiteral("closed by the user"));
    return {};
}

Result<void> EngineCore::disconnectPeer(const QString& peerId) {
    Result<PeerId> peer = PeerId::parse(peerId.toStdString());
    if (!peer)
        return makeError("invalid peer id: " + peer.errorMessage());
    if (host_->connectionsTo(*peer).empty())
        return makeError("not connected to " + peerId.toStdString());
    // The pool stops keeping it connected, then closes every connection.
    pool_->disconnectPeer(*peer, QStringLiteral("disconnected by the user"));
    return {};
}

} // namespace peerscope
