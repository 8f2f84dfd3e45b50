#include "engine/net/tcp_transport.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace peerscope {

TcpTransport::TcpTransport(QObject* parent) : QObject(parent) {}

TcpTransport::~TcpTransport() = default;

Result<Multiaddr> TcpTransport::listen(const Multiaddr& addr) {
    std::optional<Multiaddr::TcpEndpoint> endpoint = addr.tcpEndpoint();
    if (!endpoint || (endpoint->hostProtocol != MultiaddrProtocol::Ip4 &&
                      endpoint->hostProtocol != MultiaddrProtocol::Ip6))
        return makeError("cannot listen on " + addr.toString() +
                         ": expected /ip4/<address>/tcp/<port> or /ip6/<address>/tcp/<port>");
    QHostAddress host(QString::fromStdString(endpoint->host));
    auto* server = new QTcpServer(this);
    if (!server->listen(host, endpoint->port)) {
        std::string why = server->errorString().toStdString();
        delete server;
        return makeError("cannot listen on " + addr.toString() + ": " + why);
    }
    connect(server, &QTcpServer::newConnection, this, [this, server] {
        while (QTcpSocket* socket = server->nextPendingConnection()) {
            socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            Q_EMIT inboundSocket(socket);
        }
    });
    servers_.push_back(server);
    return Multiaddr::fromTcpEndpoint(endpoint->host, server->serverPort());
}

std::vector<Multiaddr> TcpTransport::listenAddrs() const {
    std::vector<Multiaddr> out;
    for (QTcpServer* server : servers_) {
        QHostAddress address = server->serverAddress();
        out.push_back(
            Multiaddr::fromTcpEndpoint(address.toString().toStdString(), server->serverPort()));
    }
    return out;
}

void TcpTransport::closeListeners() {
    for (QTcpServer* server : servers_) {
        server->close();
        server->deleteLater();
    }
    servers_.clear();
}

void TcpTransport::dial(const Multiaddr& addr, int timeoutMs, QObject* context, DialCallback done) {
    std::optional<Multiaddr::TcpEndpoint> endpoint = addr.tcpEndpoint();
    if (!endpoint) {
        done(makeError("cannot dial " + addr.toString() +
                       ": not a TCP address (/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>)"));
        return;
    }
    auto* socket = new QTcpSocket(context);
    auto* timer = new QTimer(socket);
    timer->setSingleShot(true);
    auto callback = std::make_shared<DialCallback>(std::move(done));
    auto finish = [callback, socket, timer](Result<QTcpSocket*> result) {
        if (!*callback)
            return;
        timer->stop();
        socket->disconnect(socket->parent());
        DialCallback call = std::move(*callback);
        *callback = nullptr;
        if (!result)
            socket->deleteLater();
        call(std::move(result));
    };
    const std::string target = addr.toString();
    connect(socket, &QTcpSocket::connected, context, [socket, finish] {
        socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
        finish(socket);
    });
    connect(socket, &QTcpSocket::errorOccurred, context, [socket, finish, target] {
        finish(
            makeError("cannot connect to " + target + ": " + socket->errorString().toStdString()));
    });
    connect(timer, &QTimer::timeout, context, [finish, target, timeoutMs] {
        finish(makeError("cannot connect to " + target + ": timed out after " +
                         std::to_string(timeoutMs) + " ms"));
    });
    QAbstractSocket::NetworkLayerProtocol family = QAbstractSocket::AnyIPProtocol;
    if (endpoint->hostProtocol == MultiaddrProtocol::Ip4 ||
        endpoint->hostProtocol == MultiaddrProtocol::Dns4)
        family = QAbstractSocket::IPv4Protocol;
    else if (endpoint->hostProtocol == MultiaddrProtocol::Ip6 ||
             endpoint->hostProtocol == MultiaddrProtocol::Dns6)
        family = QAbstractSocket::IPv6Protocol;
    timer->start(timeoutMs);
    socket->connectToHost(QString::fromStdString(endpoint->host), endpoint->port,
                          QIODevice::ReadWrite, family);
}

Multiaddr TcpTransport::addressOf(const QTcpSocket& socket, bool peer) {
    QHostAddress address = peer ? socket.peerAddress() : socket.localAddress();
    quint16 port = peer ? socket.peerPort() : socket.localPort();
    // Report IPv4-mapped IPv6 peers as plain IPv4.
    bool isV4 = false;
    quint32 v4 = address.toIPv4Address(&isV4);
    if (isV4)
        address = QHostAddress(v4);
    return Multiaddr::fromTcpEndpoint(address.toString().toStdString(), port);
}

} // namespace peerscope
