#pragma once

#include "engine/api/api_request_guard.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QTcpSocket>
#include <functional>

namespace peerscope {

// Puts an ApiRequestGuard between one accepted control-API socket and QAbstractHttpServer,
// which reads a whole request body into memory before the dispatcher sees the request. Its
// readyRead slot is connected before the server's, so it examines every new byte (peeked, not
// consumed) first; a second slot, connected after the server's (follow()), notes what the
// server left unread. On a refusal it stops the server reading, answers with "Connection:
// close" and closes the socket, so the rest of the body stays in the kernel and is dropped.
class ApiSocketGuard final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ApiSocketGuard)

public:
    using OnRefused = std::function<void(const ApiRefusal&)>;

    // A child of `socket`; call before the HTTP server connects to it.
    ApiSocketGuard(QTcpSocket* socket, const QByteArray& token, OnRefused onRefused);
    // Once the HTTP server has connected its own slots to the socket.
    void follow();

private:
    void examineNewBytes();
    void noteServerRead();
    void refuse(const ApiRefusal& refusal);

    QTcpSocket* socket_;
    ApiRequestGuard guard_;
    OnRefused onRefused_;
    qint64 examined_ = 0; // unread bytes at the front of the socket's buffer already examined
    bool following_ = false;
    bool refused_ = false;
};

// A QTcpServer or QSslServer whose nextPendingConnection() installs an ApiSocketGuard on every
// socket it hands to the HTTP server. followHandedOut() must run after the server has taken
// them: connect it, after QAbstractHttpServer::bind(), to the listener's newConnection and
// pendingConnectionAvailable (whichever the server uses, the one after it).
template <class Server> class GuardedApiListener final : public Server {
public:
    GuardedApiListener(QByteArray token, ApiSocketGuard::OnRefused onRefused)
        : token_(std::move(token)), onRefused_(std::move(onRefused)) {}

    QTcpSocket* nextPendingConnection() override {
        QTcpSocket* socket = Server::nextPendingConnection();
        if (socket)
            handedOut_.append(new ApiSocketGuard(socket, token_, onRefused_));
        return socket;
    }

    void followHandedOut() {
        for (const QPointer<ApiSocketGuard>& guard : std::as_const(handedOut_))
            if (guard)
                guard->follow();
        handedOut_.clear();
    }

private:
    QByteArray token_;
    ApiSocketGuard::OnRefused onRefused_;
    QList<QPointer<ApiSocketGuard>> handedOut_;
};

} // namespace peerscope
