#pragma once

#include "engine/core/multiaddr.h"
#include "engine/core/result.h"

#include <QObject>
#include <functional>
#include <vector>

class QTcpServer;
class QTcpSocket;

namespace peerscope {

// TCP listening and dialling for multiaddrs of the form /ip4|ip6|dns|dns4|dns6/.../tcp/N.
// Sockets get TCP_NODELAY; they are handed out raw, to be upgraded.
class TcpTransport final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TcpTransport)

public:
    explicit TcpTransport(QObject* parent = nullptr);
    ~TcpTransport() override;

    // Returns the bound address (port filled in when 0 was asked for).
    Result<Multiaddr> listen(const Multiaddr& addr);
    std::vector<Multiaddr> listenAddrs() const;
    void closeListeners();

    using DialCallback = std::function<void(Result<QTcpSocket*>)>;
    // Connects; the socket is parented to `context` on success. `done` is called exactly once.
    void dial(const Multiaddr& addr, int timeoutMs, QObject* context, DialCallback done);

    static Multiaddr addressOf(const QTcpSocket& socket, bool peer);

Q_SIGNALS:
    void inboundSocket(QTcpSocket* socket);

private:
    std::vector<QTcpServer*> servers_;
};

} // namespace peerscope
