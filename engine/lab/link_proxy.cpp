#include "engine/lab/link_proxy.h"

#include <QLoggingCategory>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <algorithm>
#include <chrono>
#include <optional>

Q_LOGGING_CATEGORY(lcLinkProxy, "peerscope.engine.lab.proxy")

namespace peerscope {

namespace {

// Qt stops reading a socket once this much is buffered and unread, so a side we do not read
// is slowed by TCP itself.
constexpr qint64 socketReadBufferBytes = 256 * 1024;

void closeNow(QObject* object) {
    if (object == nullptr)
        return;
    object->disconnect(); // no more slots: the Link they would look up is gone
    if (auto* socket = qobject_cast<QTcpSocket*>(object))
        socket->abort();
    object->deleteLater(); // we may be inside one of its signals
}

} // namespace

// One accepted connection and the connection to the target that it is forwarded to.
struct LinkProxy::Link {
    Link(const LinkSettings& settings, std::uint64_t seed)
        : up(settings, seed), down(settings, seed + 1) {}
    ~Link() {
        closeNow(client);
        closeNow(target);
        closeNow(timer);
    }
    Q_DISABLE_COPY_MOVE(Link)

    QTcpSocket* client = nullptr; // accepted
    QTcpSocket* target = nullptr;
    QTimer* timer = nullptr;
    LinkShaper up;   // client -> target
    LinkShaper down; // target -> client
    bool targetConnected = false;
    bool clientEnded = false; // no more bytes will come from this side
    bool targetEnded = false;
    bool clientClosing = false; // we asked this side to close
    bool targetClosing = false;
};

LinkProxy::LinkProxy(QHostAddress targetHost, quint16 targetPort, LinkSettings settings,
                     const Clock& clock, std::uint64_t seed, QObject* parent)
    : QObject(parent), targetHost_(std::move(targetHost)), targetPort_(targetPort),
      settings_(settings), clock_(clock), seed_(seed), server_(new QTcpServer(this)) {
    connect(server_, &QTcpServer::newConnection, this, &LinkProxy::accept);
}

LinkProxy::~LinkProxy() {
    links_.clear();
}

Result<void> LinkProxy::listen() {
    if (!server_->listen(QHostAddress::LocalHost, 0))
        return makeError("link proxy: cannot listen on 127.0.0.1: " +
                         server_->errorString().toStdString());
    return {};
}

quint16 LinkProxy::listenPort() const {
    return server_->serverPort();
}

void LinkProxy::setSettings(const LinkSettings& settings) {
    settings_ = settings;
    for (auto& [id, link] : links_) {
        link->up.setSettings(settings);
        link->down.setSettings(settings);
    }
}

LinkProxyCounters LinkProxy::counters() const {
    LinkProxyCounters out = counters_;
    for (const auto& [id, link] : links_)
        out.piecesHeldForLoss += link->up.piecesHeldForLoss() + link->down.piecesHeldForLoss();
    return out;
}

std::size_t LinkProxy::queuedBytes() const {
    std::size_t out = 0;
    for (const auto& [id, link] : links_)
        out += link->up.queuedBytes() + link->down.queuedBytes();
    return out;
}

void LinkProxy::closeAll() {
    for (auto& [id, link] : links_)
        counters_.piecesHeldForLoss +=
            link->up.piecesHeldForLoss() + link->down.piecesHeldForLoss();
    links_.clear();
}

void LinkProxy::accept() {
    while (QTcpSocket* client = server_->nextPendingConnection()) {
        const std::uint64_t id = nextLinkId_++;
        ++counters_.connectionsAccepted;
        // Each direction of each connection has its own generator, all derived from the seed.
        auto link = std::make_unique<Link>(settings_, seed_ * 0x9E3779B97F4A7C15ull + 2 * id);
        link->client = client;
        link->target = new QTcpSocket(this);
        link->timer = new QTimer(this);
        link->timer->setSingleShot(true);
        link->timer->setTimerType(Qt::PreciseTimer);
        client->setParent(this);
        client->setReadBufferSize(socketReadBufferBytes);
        client->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        link->target->setReadBufferSize(socketReadBufferBytes);

        auto serviceLater = [this, id] { service(id); };
        // Queued: disconnectFromHost() and abort() emit these synchronously, from inside
        // service(); the Link must not vanish under it.
        auto ended = [this, id](bool clientSide) {
            auto it = links_.find(id);
            if (it == links_.end())
                return;
            (clientSide ? it->second->clientEnded : it->second->targetEnded) = true;
            service(id);
        };
        connect(link->timer, &QTimer::timeout, this, serviceLater);
        for (QTcpSocket* socket : {client, link->target}) {
            const bool clientSide = socket == client;
            connect(socket, &QTcpSocket::readyRead, this, serviceLater);
            connect(socket, &QTcpSocket::bytesWritten, this, serviceLater);
            connect(
                socket, &QTcpSocket::disconnected, this, [ended, clientSide] { ended(clientSide); },
                Qt::QueuedConnection);
        }
        connect(
            client, &QTcpSocket::errorOccurred, this,
            [ended, client](QAbstractSocket::SocketError) {
                if (client->state() == QAbstractSocket::UnconnectedState)
                    ended(true);
            },
            Qt::QueuedConnection);
        QTcpSocket* target = link->target;
        connect(target, &QTcpSocket::connected, this, [this, id, target] {
            target->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            if (auto it = links_.find(id); it != links_.end())
                it->second->targetConnected = true;
            service(id);
        });
        connect(
            target, &QTcpSocket::errorOccurred, this,
            [this, id, target, ended](QAbstractSocket::SocketError) {
                auto it = links_.find(id);
                if (it == links_.end() || target->state() != QAbstractSocket::UnconnectedState)
                    return;
                if (!it->second->targetConnected) {
                    ++counters_.targetFailures;
                    const QString error = QStringLiteral("link proxy: target %1:%2: %3")
                                              .arg(targetHost_.toString())
                                              .arg(targetPort_)
                                              .arg(target->errorString());
                    qCDebug(lcLinkProxy).noquote() << error;
                    Q_EMIT targetFailed(error);
                }
                ended(false);
            },
            Qt::QueuedConnection);

        links_.emplace(id, std::move(link));
        target->connectToHost(targetHost_, targetPort_);
    }
}

void LinkProxy::service(std::uint64_t id) {
    auto it = links_.find(id);
    if (it == links_.end())
        return;
    Link& link = *it->second;
    const MonoTime now = clock_.now();

    // Read what the other side has room for; once a side has ended, whatever it left behind.
    auto take = [now](QTcpSocket* from, LinkShaper& shaper, QTcpSocket* to, bool ended) {
        const qint64 available = from->bytesAvailable();
        if (available <= 0)
            return;
        const qint64 room =
            ended ? available
                  : qint64(backPressureBytes) - qint64(shaper.queuedBytes()) - to->bytesToWrite();
        if (room > 0)
            shaper.push(from->read(std::min(available, room)), now);
    };
    // Bytes for a side that is gone are dropped, as a dead link drops them.
    auto deliver = [now](LinkShaper& shaper, QTcpSocket* to, std::uint64_t& counter) {
        const QByteArray out = shaper.releasable(now);
        if (out.isEmpty() || to->state() != QAbstractSocket::ConnectedState)
            return;
        to->write(out);
        counter += static_cast<std::uint64_t>(out.size());
    };
    // Twice: what was delivered makes room, and bytes Qt already buffered bring no new
    // readyRead.
    for (int pass = 0; pass < 2; ++pass) {
        if (link.targetConnected) {
            take(link.client, link.up, link.target, link.clientEnded);
            take(link.target, link.down, link.client, link.targetEnded);
        }
        deliver(link.up, link.target, counters_.bytesUp);
        deliver(link.down, link.client, counters_.bytesDown);
    }

    // A side that ended closes the other once everything it sent has gone through.
    const bool clientDrained =
        link.clientEnded && link.up.isEmpty() && link.client->bytesAvailable() == 0;
    const bool targetDrained =
        link.targetEnded && link.down.isEmpty() && link.target->bytesAvailable() == 0;
    if (clientDrained && !link.targetEnded && !link.targetClosing) {
        link.targetClosing = true;
        if (link.targetConnected) {
            link.target->disconnectFromHost(); // after its write buffer is flushed
        } else {
            link.target->abort(); // still connecting: no disconnected() will follow
            link.targetEnded = true;
        }
    }
    if ((targetDrained || (link.targetEnded && !link.targetConnected)) && !link.clientEnded &&
        !link.clientClosing) {
        link.clientClosing = true;
        link.client->disconnectFromHost();
    }
    if (link.clientEnded && link.targetEnded) {
        removeLink(id);
        return;
    }

    std::optional<MonoTime> next = link.up.nextReleaseTime();
    if (std::optional<MonoTime> down = link.down.nextReleaseTime();
        down && (!next || *down < *next))
        next = down;
    if (!next) {
        link.timer->stop();
        return;
    }
    // Round up: a timer that fires early releases nothing and costs a wake-up.
    const auto wait =
        std::chrono::ceil<std::chrono::milliseconds>(std::max(*next - now, MonoTime(0)));
    link.timer->start(
        static_cast<int>(std::min<std::chrono::milliseconds::rep>(wait.count(), 60'000)));
}

void LinkProxy::removeLink(std::uint64_t id) {
    auto it = links_.find(id);
    if (it == links_.end())
        return;
    counters_.piecesHeldForLoss +=
        it->second->up.piecesHeldForLoss() + it->second->down.piecesHeldForLoss();
    links_.erase(it);
}

} // namespace peerscope
