#include "engine/api/http_dispatcher.h"

namespace peerscope {

HttpDispatcher::HttpDispatcher(Handler handler, QObject* parent)
    : QAbstractHttpServer(parent), handler_(std::move(handler)) {}

bool HttpDispatcher::handleRequest(const QHttpServerRequest& request, QTcpSocket* socket) {
    handler_(request, makeResponder(request, socket), QPointer<QTcpSocket>(socket));
    return true;
}

void HttpDispatcher::missingHandler(const QHttpServerRequest& request, QTcpSocket* socket) {
    // Not reached: handleRequest takes every request.
    makeResponder(request, socket).write(QHttpServerResponder::StatusCode::NotFound);
}

} // namespace peerscope
