#pragma once

#include <QAbstractHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QPointer>
#include <QTcpSocket>
#include <functional>

namespace peerscope {

// A QAbstractHttpServer that hands every request to one function, so the control API does its
// own routing and can answer 404/405 in JSON and respond asynchronously. The socket pointer
// lets an asynchronous answer check that the client is still there.
class HttpDispatcher final : public QAbstractHttpServer {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HttpDispatcher)

public:
    using Handler = std::function<void(const QHttpServerRequest&, QHttpServerResponder&&,
                                       QPointer<QTcpSocket>)>;
    explicit HttpDispatcher(Handler handler, QObject* parent = nullptr);

protected:
    bool handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) override;
    void missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) override;

private:
    Handler handler_;
};

} // namespace peerscope
