#include "engine/lab/lab_controller.h"

#include "engine/core/circuit_addr.h"
#include "engine/core/identity_store.h"
#include "engine/core/multiaddr.h"
#include "engine/lab/link_proxy.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/perf_service.h"
#include "engine/net/ping_service.h"
#include "engine/pool/connection_pool.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QLoggingCategory>
#include <QPointer>
#include <QProcess>
#include <QRegularExpression>
#include <QTimer>
#include <algorithm>
#include <array>
#include <cmath>
#include <csignal>
#include <optional>
#include <sys/prctl.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcLab, "peerscope.engine.lab")

namespace peerscope {

namespace {

constexpr std::chrono::milliseconds pingTimeout{5000};
constexpr qsizetype maxErrorTail = 2000;    // the end of a child's stderr, for failure events
constexpr qsizetype maxPendingLine = 65536; // a child that prints this much without a newline

QString number(double value) {
    return QString::number(value, 'g', 6);
}

QString describe(const LinkSettings& link) {
    const QString rate = link.rateBytesPerSecond > 0
                             ? number(link.rateBytesPerSecond / 1e6) + QStringLiteral(" MB/s")
                             : QStringLiteral("unlimited");
    return QStringLiteral("delay %1 ms, jitter %2 ms, loss %3 %, rate %4")
        .arg(number(link.delayMs), number(link.jitterMs), number(link.lossPercent), rate);
}

QString base58(const PeerId& peer) {
    return QString::fromStdString(peer.toBase58());
}

// The end of a peer id, as the relay selector's events name relays.
QString shortId(const PeerId& peer) {
    const QString text = base58(peer);
    return text.size() > 8 ? QStringLiteral("…") + text.right(8) : text;
}

} // namespace

// One child process, its proxy and its traffic schedule.
struct LabController::LabPeer {
    int index = 0;
    Role role = Role::Peer;
    int relay = 0; // a relay's number (0 or 1)
    QProcess* process = nullptr;
    // Bounds the wait for the "listening" line; the relayed peer's: the next dial attempt.
    QTimer* startTimer = nullptr;
    QTimer* trafficTimer = nullptr; // the pause between traffic runs (or pings)
    std::unique_ptr<LinkProxy> proxy;
    LinkSettings link;
    std::optional<PeerId> peerId;
    quint16 directPort = 0;    // where the child itself listens (a relay's, for --relay)
    std::optional<PeerId> via; // the relayed peer: the relay it was last dialled through
    QByteArray pendingOutput;  // stdout not yet split into lines
    QByteArray errorTail;
    bool failed = false;
    bool everConnected = false;
};

LabController::LabController(Host& host, ConnectionPool& pool, QString peerscopeExecutable,
                             int peers, QString workDir, QObject* parent)
    : QObject(parent), host_(host), pool_(pool), executable_(std::move(peerscopeExecutable)),
      workDir_(std::move(workDir)) {
    peerCount_ = std::clamp(peers, 0, maxPeers);
    const int entries = peerCount_ > 0 ? peerCount_ + relayCount + 1 : 0;
    for (int i = 0; i < entries; ++i) {
        auto peer = std::make_unique<LabPeer>();
        peer->index = i;
        if (i < peerCount_) {
            peer->link = defaultLink(i);
        } else if (i < peerCount_ + relayCount) {
            peer->role = Role::Relay;
            peer->relay = i - peerCount_;
            peer->link = defaultRelayLink(peer->relay);
        } else {
            peer->role = Role::Relayed;
        }
        peer->startTimer = new QTimer(this);
        peer->startTimer->setSingleShot(true);
        peer->trafficTimer = new QTimer(this);
        peer->trafficTimer->setSingleShot(true);
        connect(peer->trafficTimer, &QTimer::timeout, this, [this, i] { runTraffic(i); });
        peers_.push_back(std::move(peer));
    }
    // Relays are dialled by the relay manager, the relayed peer by us: either way an entry
    // that was connected once reads "disconnected", not "connecting", when it drops.
    connect(&host_, &Host::connectionOpened, this, [this](Connection* connection) {
        for (auto& peer : peers_)
            if (peer->peerId == connection->remotePeer())
                peer->everConnected = true;
    });
}

LabController::~LabController() {
    stop();
}

LinkSettings LabController::defaultLink(int index) {
    static constexpr std::array<double, 5> delays{5, 20, 40, 80, 150};
    static constexpr std::array<double, 5> jitters{1, 2, 5, 8, 10};
    static constexpr std::array<double, 5> losses{0, 0, 0, 1, 2};
    static constexpr std::array<double, 5> rates{50e6, 20e6, 10e6, 2e6, 1e6};
    const auto slot = static_cast<std::size_t>(std::max(index, 0) % 5);
    const int round = std::max(index, 0) / 5;
    return LinkSettings{delays[slot] + 3.0 * round, jitters[slot], losses[slot], rates[slot]};
}

LinkSettings LabController::defaultRelayLink(int relay) {
    return LinkSettings{relay == 0 ? 10.0 : 40.0, 1, 0, 10e6};
}

LabTrafficPlan LabController::defaultTraffic(int index) {
    static constexpr std::array<std::uint64_t, 5> uploadKiB{512, 256, 128, 128, 64};
    static constexpr std::array<std::uint64_t, 5> downloadKiB{384, 512, 256, 192, 96};
    static constexpr std::array<int, 5> pauseMs{1000, 1500, 2000, 2500, 3000};
    const auto slot = static_cast<std::size_t>(std::max(index, 0) % 5);
    const int round = std::max(index, 0) / 5;
    return LabTrafficPlan{uploadKiB[slot] * 1024, downloadKiB[slot] * 1024,
                          std::chrono::milliseconds(pauseMs[slot] + 250 * (round % 4))};
}

QString LabController::validate(const LinkSettings& s) {
    auto outOfRange = [](double value, double low, double high) {
        return !std::isfinite(value) || value < low || value > high;
    };
    if (outOfRange(s.delayMs, 0, 10000))
        return QStringLiteral("delay %1 ms out of range 0-10000 ms").arg(number(s.delayMs));
    if (outOfRange(s.jitterMs, 0, 10000))
        return QStringLiteral("jitter %1 ms out of range 0-10000 ms").arg(number(s.jitterMs));
    if (outOfRange(s.lossPercent, 0, 100))
        return QStringLiteral("loss %1 % out of range 0-100 %").arg(number(s.lossPercent));
    // Below 1 kB/s a single segment would take more than a second to cross.
    if (!std::isfinite(s.rateBytesPerSecond) ||
        (s.rateBytesPerSecond != 0 && outOfRange(s.rateBytesPerSecond, 1000, 1e11)))
        return QStringLiteral("rate %1 B/s out of range: 0 (unlimited) or 1000 B/s to 100 GB/s")
            .arg(number(s.rateBytesPerSecond));
    return {};
}

QString LabController::label(const LabPeer& peer) const {
    switch (peer.role) {
    case Role::Relay:
        return QStringLiteral("lab relay %1").arg(peer.relay);
    case Role::Relayed:
        return QStringLiteral("relayed lab peer");
    case Role::Peer:
        break;
    }
    return QStringLiteral("lab peer %1").arg(peer.index);
}

const LabController::LabPeer* LabController::relayByPeer(const PeerId& id) const {
    for (const auto& peer : peers_)
        if (peer->role == Role::Relay && peer->peerId == id)
            return peer.get();
    return nullptr;
}

void LabController::start() {
    if (stopped_)
        return;
    for (auto& peer : peers_)
        if (peer->role != Role::Relayed) // it needs the relays' addresses first
            launch(*peer);
}

QStringList LabController::arguments(const LabPeer& peer, const QString& dataDir) const {
    // Its own config file (absent: the defaults), never the user's.
    QStringList out{QStringLiteral("--headless"),
                    QStringLiteral("--api"),
                    QStringLiteral("off"),
                    QStringLiteral("--data-dir"),
                    dataDir,
                    QStringLiteral("--config"),
                    QDir(dataDir).filePath(QStringLiteral("config.json"))};
    switch (peer.role) {
    case Role::Peer:
        // It serves perf: our background traffic asks it for data.
        out << QStringLiteral("--listen") << QStringLiteral("/ip4/127.0.0.1/tcp/0")
            << QStringLiteral("--serve-perf");
        break;
    case Role::Relay:
        // No perf: its round trips are the relay manager's probes, and should read the link.
        out << QStringLiteral("--listen") << QStringLiteral("/ip4/127.0.0.1/tcp/0")
            << QStringLiteral("--relay-service");
        break;
    case Role::Relayed:
        // Listening nowhere, it has no direct address identify could tell anyone: a relay is
        // its only way in. It reserves on both relays directly, not through their proxies
        // (the link under test is ours to the relay).
        out << QStringLiteral("--listen") << QStringLiteral("none");
        for (const auto& relay : peers_)
            if (relay->role == Role::Relay)
                out << QStringLiteral("--relay")
                    << QString::fromStdString(
                           Multiaddr::fromTcpEndpoint("127.0.0.1", relay->directPort)
                               .withPeerId(*relay->peerId)
                               .toString());
        break;
    }
    return out;
}

void LabController::launch(LabPeer& peer) {
    const QString dirName = peer.role == Role::Relay ? QStringLiteral("relay-%1").arg(peer.relay)
                            : peer.role == Role::Relayed ? QStringLiteral("relayed")
                                                         : QStringLiteral("lab-%1").arg(peer.index);
    const QString dataDir = QDir(workDir_).filePath(dirName);
    if (!QDir().mkpath(dataDir)) {
        fail(peer, QStringLiteral("cannot create its data directory %1").arg(dataDir));
        return;
    }
    if (peer.role == Role::Relayed) {
        // It prints no address (it has none), so we make its identity and know it up front.
        Result<PrivateKey> key = loadOrCreateIdentity(
            QDir(dataDir).filePath(QStringLiteral("identity.key")).toStdString());
        if (!key) {
            fail(peer, QString::fromStdString(key.errorMessage()));
            return;
        }
        peer.peerId = PeerId::fromPublicKey(key->publicKey());
    }
    peer.process = new QProcess(this);
    peer.process->setProgram(executable_);
    peer.process->setArguments(arguments(peer, dataDir));
    // Nothing may outlive the app, even if it crashes: the child gets SIGTERM when the thread
    // that started it (this engine thread) dies. If we died before prctl ran, it leaves now.
    const pid_t parentPid = ::getpid();
    peer.process->setChildProcessModifier([parentPid] {
        ::prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (::getppid() != parentPid)
            ::_exit(1);
    });
    LabPeer* p = &peer;
    connect(peer.process, &QProcess::readyReadStandardOutput, this, [this, p] { readOutput(*p); });
    connect(peer.process, &QProcess::readyReadStandardError, this, [p] {
        p->errorTail += p->process->readAllStandardError();
        if (p->errorTail.size() > maxErrorTail)
            p->errorTail = p->errorTail.right(maxErrorTail);
    });
    connect(peer.process, &QProcess::finished, this,
            [this, p](int exitCode, QProcess::ExitStatus status) {
                onExited(*p, exitCode, status == QProcess::CrashExit);
            });
    connect(peer.process, &QProcess::errorOccurred, this, [this, p](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart)
            fail(
                *p,
                QStringLiteral("could not run %1: %2").arg(executable_, p->process->errorString()));
    });
    qCDebug(lcLab).noquote() << "starting" << label(peer) << executable_
                             << peer.process->arguments().join(QLatin1Char(' '));
    if (peer.role == Role::Relayed) {
        connect(peer.startTimer, &QTimer::timeout, this, [this] { dialRelayed(); });
        peer.process->start();
        QStringList relays;
        for (const auto& relay : peers_)
            if (relay->role == Role::Relay)
                relays << shortId(*relay->peerId);
        Q_EMIT labEvent(QStringLiteral("lab"), base58(*peer.peerId),
                        QStringLiteral("%1 started: it listens nowhere and reserves on relays %2; "
                                       "we dial it only through the relay we use")
                            .arg(label(peer), relays.join(QStringLiteral(" and "))));
        peer.startTimer->start(relayedDialInterval); // its reservations take a moment
        return;
    }
    connect(peer.startTimer, &QTimer::timeout, this, [this, p] {
        if (p->peerId || p->failed)
            return;
        fail(*p, QStringLiteral("did not print its address within %1 s")
                     .arg(std::chrono::duration<double>(startTimeout).count()));
        p->process->kill();
    });
    peer.startTimer->start(startTimeout);
    peer.process->start();
}

void LabController::readOutput(LabPeer& peer) {
    static const QRegularExpression listening(
        QStringLiteral(R"(^listening (/ip4/127\.0\.0\.1/tcp/\d+/p2p/\S+)$)"));
    peer.pendingOutput += peer.process->readAllStandardOutput();
    for (qsizetype newline; (newline = peer.pendingOutput.indexOf('\n')) >= 0;) {
        const QString line = QString::fromUtf8(peer.pendingOutput.left(newline)).trimmed();
        peer.pendingOutput.remove(0, newline + 1);
        if (peer.peerId || peer.failed)
            continue; // the first address is the one we dial
        const QRegularExpressionMatch match = listening.match(line);
        if (!match.hasMatch())
            continue;
        Result<Multiaddr> addr = Multiaddr::parse(match.captured(1).toStdString());
        if (!addr || !addr->peerId() || !addr->tcpEndpoint()) {
            fail(peer, QStringLiteral("printed an address we cannot dial: %1").arg(line));
            continue;
        }
        onListening(peer, addr->tcpEndpoint()->port, *addr->peerId());
    }
    if (peer.pendingOutput.size() > maxPendingLine)
        peer.pendingOutput.clear();
}

void LabController::onListening(LabPeer& peer, quint16 port, const PeerId& id) {
    peer.startTimer->stop();
    peer.peerId = id;
    peer.directPort = port;
    peer.proxy = std::make_unique<LinkProxy>(QHostAddress::LocalHost, port, peer.link,
                                             host_.clock(), std::uint64_t(peer.index) + 1);
    if (Result<void> listening = peer.proxy->listen(); !listening) {
        fail(peer, QString::fromStdString(listening.errorMessage()));
        return;
    }
    const quint16 proxyPort = peer.proxy->listenPort();
    const Multiaddr addr = Multiaddr::fromTcpEndpoint("127.0.0.1", proxyPort).withPeerId(id);
    const bool isRelay = peer.role == Role::Relay;
    Q_EMIT labEvent(QStringLiteral("lab"), base58(id),
                    QStringLiteral("%1 listens on 127.0.0.1:%2; %3 through the link proxy on "
                                   "127.0.0.1:%4 (%5)")
                        .arg(label(peer))
                        .arg(port)
                        .arg(isRelay ? QStringLiteral("using it as a static relay")
                                     : QStringLiteral("dialling it"))
                        .arg(proxyPort)
                        .arg(describe(peer.link)));
    if (isRelay) {
        if (hooks_.addRelay)
            if (Result<void> added = hooks_.addRelay(addr); !added) {
                fail(peer, QStringLiteral("could not be added as a relay: %1")
                               .arg(QString::fromStdString(added.errorMessage())));
                return;
            }
        launchRelayedWhenRelaysListen();
        return;
    }
    QPointer<LabController> self(this);
    const int index = peer.index;
    pool_.dialPeer(addr, [self, index](Result<std::vector<Connection*>> dialled) {
        if (!self || self->stopped_)
            return;
        LabPeer& p = *self->peers_[static_cast<std::size_t>(index)];
        if (!dialled) {
            self->fail(p, QStringLiteral("could not be dialled through its proxy: %1")
                              .arg(QString::fromStdString(dialled.errorMessage())));
            return;
        }
        p.everConnected = true;
        Q_EMIT self->labEvent(QStringLiteral("lab"), base58(*p.peerId),
                              QStringLiteral("%1 connected (%2 connections)")
                                  .arg(self->label(p))
                                  .arg(dialled->size()));
        self->measure(index);
    });
}

void LabController::launchRelayedWhenRelaysListen() {
    for (const auto& peer : peers_)
        if (peer->role == Role::Relay && (!peer->peerId || peer->failed))
            return;
    if (!stopped_ && !relayed().process && !relayed().failed)
        launch(relayed());
}

// The relay this node uses (the selector's choice, so the switch rules decide the path), and
// its proxy, so that relay's link is on the way; once a circuit is up the pool keeps it.
void LabController::dialRelayed() {
    LabPeer& peer = relayed();
    if (stopped_ || peer.failed)
        return;
    const LabPeer* relay = nullptr;
    if (hooks_.relaysInUse)
        for (const PeerId& inUse : hooks_.relaysInUse())
            if (const LabPeer* candidate = relayByPeer(inUse); candidate && candidate->proxy)
                relay = candidate;
    --relayedDialsLeft_;
    if (!relay) {
        if (relayedDialsLeft_ <= 0)
            fail(peer, QStringLiteral("not dialled: this node used none of the lab relays "
                                      "within %1 attempts")
                           .arg(relayedDialAttempts));
        else
            peer.startTimer->start(relayedDialInterval);
        return;
    }
    const bool newRelay = peer.via != relay->peerId; // said once per relay, not per attempt
    peer.via = relay->peerId;
    const PeerId relayId = *relay->peerId;
    const Multiaddr addr =
        CircuitAddr{Multiaddr::fromTcpEndpoint("127.0.0.1", relay->proxy->listenPort()), relayId,
                    *peer.peerId}
            .toMultiaddr();
    if (newRelay)
        Q_EMIT labEvent(
            QStringLiteral("lab"), base58(*peer.peerId),
            QStringLiteral("%1: dialling it through %2 at %3")
                .arg(label(peer), label(*relay), QString::fromStdString(addr.toString())));
    QPointer<LabController> self(this);
    pool_.dialPeer(addr, [self, relayId](Result<std::vector<Connection*>> dialled) {
        if (self && !self->stopped_)
            self->onRelayedDialled(relayId, std::move(dialled));
    });
}

void LabController::onRelayedDialled(const PeerId& relay,
                                     Result<std::vector<Connection*>> dialled) {
    LabPeer& peer = relayed();
    if (peer.failed)
        return;
    if (!dialled) {
        // Most often "no reservation" while its reservation is still being made.
        const QString why = QString::fromStdString(dialled.errorMessage());
        if (relayedDialsLeft_ <= 0) {
            fail(peer, QStringLiteral("could not be reached through relay %1 in %2 attempts: %3")
                           .arg(shortId(relay))
                           .arg(relayedDialAttempts)
                           .arg(why));
            return;
        }
        qCDebug(lcLab).noquote() << label(peer) << "not reachable through" << shortId(relay)
                                 << "yet:" << why;
        peer.startTimer->start(relayedDialInterval);
        return;
    }
    peer.everConnected = true;
    Q_EMIT labEvent(QStringLiteral("lab"), base58(*peer.peerId),
                    QStringLiteral("%1 connected through relay %2 (attempt %3)")
                        .arg(label(peer), shortId(relay))
                        .arg(relayedDialAttempts - relayedDialsLeft_));
    measure(peer.index);
}

void LabController::onExited(LabPeer& peer, int exitCode, bool crashed) {
    if (stopped_)
        return;
    fail(peer, crashed ? QStringLiteral("crashed")
                       : QStringLiteral("exited with status %1").arg(exitCode));
}

void LabController::fail(LabPeer& peer, const QString& why) {
    if (peer.failed || stopped_)
        return;
    peer.failed = true;
    peer.startTimer->stop();
    peer.trafficTimer->stop();
    QString detail = label(peer) + QLatin1Char(' ') + why;
    if (const QString tail = QString::fromUtf8(peer.errorTail).trimmed(); !tail.isEmpty())
        detail += QStringLiteral("; its last output: ") + tail.right(500);
    qCWarning(lcLab).noquote() << detail;
    Q_EMIT labEvent(QStringLiteral("lab_failed"), peer.peerId ? base58(*peer.peerId) : QString(),
                    detail);
    // The relayed peer needs both relays' addresses to start.
    if (peer.role == Role::Relay && !relayed().process)
        fail(relayed(), QStringLiteral("not started: %1 failed").arg(label(peer)));
}

// A ping after each traffic run, when the link has drained, so the peer's last RTT is the
// link's latency rather than the time spent queued behind perf bytes.
void LabController::measure(int index) {
    LabPeer& peer = *peers_[static_cast<std::size_t>(index)];
    if (stopped_ || peer.failed || !peer.peerId)
        return;
    const LabTrafficPlan plan = defaultTraffic(index);
    if (host_.connectionsTo(*peer.peerId).empty()) {
        peer.trafficTimer->start(plan.pause); // the pool redials; look again later
        return;
    }
    QPointer<LabController> self(this);
    host_.pingService().ping(*peer.peerId, 1, pingTimeout,
                             [self, index, pause = plan.pause](Result<std::vector<MonoTime>> rtts) {
                                 if (!self || self->stopped_)
                                     return;
                                 LabPeer& p = *self->peers_[static_cast<std::size_t>(index)];
                                 if (!rtts)
                                     qCDebug(lcLab).noquote()
                                         << self->label(p)
                                         << QString::fromStdString(rtts.errorMessage());
                                 if (!p.failed)
                                     p.trafficTimer->start(pause);
                             });
}

void LabController::runTraffic(int index) {
    LabPeer& peer = *peers_[static_cast<std::size_t>(index)];
    if (stopped_ || peer.failed || !peer.peerId)
        return;
    const LabTrafficPlan plan = defaultTraffic(index);
    if (host_.connectionsTo(*peer.peerId).empty()) {
        peer.trafficTimer->start(plan.pause);
        return;
    }
    // Through a relay only pings: a circuit carries 128 KiB each way by default, which a
    // perf run would spend at once.
    if (peer.role == Role::Relayed) {
        measure(index);
        return;
    }
    // A link slowed by hand gets smaller runs (about 200 ms of its rate each way), so the
    // lab stays light and the pings between runs still come round.
    std::uint64_t upload = plan.uploadBytes, download = plan.downloadBytes;
    if (peer.link.rateBytesPerSecond > 0) {
        const auto cap = std::max<std::uint64_t>(
            16 * 1024, static_cast<std::uint64_t>(peer.link.rateBytesPerSecond * 0.2));
        upload = std::min(upload, cap);
        download = std::min(download, cap);
    }
    QPointer<LabController> self(this);
    host_.perfService().run(
        *peer.peerId, upload, download, [self, index](Result<PerfResult> result) {
            if (!self || self->stopped_)
                return;
            if (!result)
                qCDebug(lcLab).noquote() << self->label(*self->peers_[std::size_t(index)])
                                         << QString::fromStdString(result.errorMessage());
            self->measure(index);
        });
}

Result<void> LabController::setLink(int index, const LinkSettings& settings) {
    if (peerCount_ > 0 && index == relayedIndex())
        return makeError("lab entry " + std::to_string(index) +
                         " is the relayed lab peer: it has no link of its own (its path is its "
                         "relay's link)");
    if (index < 0 || index >= linkCount())
        return makeError("no lab link " + std::to_string(index) + " (the lab has " +
                         std::to_string(linkCount()) + ": 0-" + std::to_string(linkCount() - 1) +
                         ")");
    if (const QString error = validate(settings); !error.isEmpty())
        return makeError("lab link " + std::to_string(index) + ": " + error.toStdString());
    LabPeer& peer = *peers_[static_cast<std::size_t>(index)];
    peer.link = settings;
    if (peer.proxy)
        peer.proxy->setSettings(settings);
    Q_EMIT labEvent(QStringLiteral("lab"), peer.peerId ? base58(*peer.peerId) : QString(),
                    QStringLiteral("%1 link set to %2").arg(label(peer), describe(settings)));
    return {};
}

std::vector<LabPeerStatus> LabController::status() const {
    std::vector<LabPeerStatus> out;
    out.reserve(peers_.size());
    for (const auto& peer : peers_) {
        LabPeerStatus s;
        s.index = peer->index;
        s.role = peer->role == Role::Relay     ? QStringLiteral("relay")
                 : peer->role == Role::Relayed ? QStringLiteral("relayed")
                                               : QStringLiteral("peer");
        if (peer->role != Role::Relayed)
            s.link = peer->link;
        if (peer->peerId)
            s.peerId = base58(*peer->peerId);
        if (peer->role == Role::Relayed && peer->peerId) {
            // The relay its connection uses (after a switch it may still be the old one),
            // else the one it was last dialled through.
            for (Connection* connection : host_.connectionsTo(*peer->peerId))
                if (connection->info().relay)
                    s.viaRelay = base58(*connection->info().relay);
            if (s.viaRelay.isEmpty() && peer->via)
                s.viaRelay = base58(*peer->via);
        }
        if (peer->proxy) {
            s.proxyPort = peer->proxy->listenPort();
            const LinkProxyCounters counters = peer->proxy->counters();
            s.bytesUp = counters.bytesUp;
            s.bytesDown = counters.bytesDown;
        }
        if (stopped_)
            s.state = QStringLiteral("stopped");
        else if (peer->failed)
            s.state = QStringLiteral("failed");
        else if (!peer->peerId || !peer->process)
            s.state = QStringLiteral("starting");
        else if (!host_.connectionsTo(*peer->peerId).empty())
            s.state = QStringLiteral("connected");
        else
            s.state =
                peer->everConnected ? QStringLiteral("disconnected") : QStringLiteral("connecting");
        out.push_back(std::move(s));
    }
    return out;
}

void LabController::stop() {
    if (stopped_)
        return;
    stopped_ = true;
    for (auto& peer : peers_) {
        peer->startTimer->stop();
        peer->trafficTimer->stop();
    }
    // SIGTERM to all first, so they shut down side by side within one grace period.
    std::vector<QProcess*> running;
    for (auto& peer : peers_) {
        if (!peer->process || peer->process->state() == QProcess::NotRunning)
            continue;
        peer->process->disconnect(this);
        peer->process->terminate();
        running.push_back(peer->process);
    }
    const QDeadlineTimer deadline(stopGrace);
    for (QProcess* process : running) {
        const int wait = static_cast<int>(std::max<qint64>(deadline.remainingTime(), 0));
        if (process->state() != QProcess::NotRunning && !process->waitForFinished(wait)) {
            qCWarning(lcLab) << "a lab peer ignored SIGTERM; killing it";
            process->kill();
            process->waitForFinished(1000);
        }
    }
    for (auto& peer : peers_)
        peer->proxy.reset();
}

} // namespace peerscope
