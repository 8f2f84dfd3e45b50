#pragma once

#include "engine/core/result.h"

#include <QByteArray>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QSslConfiguration>
#include <QString>
#include <QTcpSocket>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>

namespace peerscope {

class EngineCore;
class HttpDispatcher;

// The control API (QtHttpServer) on the engine thread: loopback, or HTTPS only anywhere. Every
// request needs "Authorization: Bearer <token>"; the token is created on first start in the data
// dir (0600).
//   GET  /api/v1/node     GET /api/v1/peers     POST /api/v1/dial {"addr"}
//   POST /api/v1/ping {"peer","count"}          GET  /metrics (Prometheus text)
//   GET  /api/v1/peers/{id}   GET /api/v1/health   GET /api/v1/events?since=SEQ&limit=N
//   GET|PUT /api/v1/config (GET answers exactly what PUT takes)
//   GET  /api/v1/config/meta {"path","differsFromDefaults"}   DELETE /api/v1/connections/{id}
//   POST|DELETE /api/v1/peers/{id}/protect       GET /api/v1/export?format=json|csv|prometheus
// Bad JSON or fields: 400 with {"error": "..."} naming the field. A request whose head is too
// large, or that carries a body without the token, chunked or past 1 MiB, is refused from its
// head before its body is read (ApiSocketGuard), and the connection closed.
class ControlApi final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ControlApi)

public:
    ControlApi(EngineCore& core, QByteArray token, QObject* parent = nullptr);
    ~ControlApi() override;

    // endpoint: "HOST:PORT" (IPv6 as "[::1]:5080"). Returns the bound "host:port". With `tls`
    // the API speaks HTTPS only; without, it refuses an address that is not loopback.
    Result<QString> listen(const QString& endpoint,
                           const std::optional<QSslConfiguration>& tls = std::nullopt);
    quint16 port() const;
    // Requests refused, by reason ("unauthorized", "body_too_large", "head_too_large",
    // "length_required", "bad_request"): by the guard before the body, or 401 by the dispatcher.
    const QMap<QString, quint64>& refusedRequests() const { return refused_; }

    // Reads <dataDir>/api-token, creating it (random, 0600) if missing; refuses a file others
    // can read.
    static Result<QByteArray> loadOrCreateToken(const QString& path);

private:
    void countRefusal(const QByteArray& reason);
    void handle(const QHttpServerRequest& request, std::shared_ptr<QHttpServerResponder> responder,
                QPointer<QTcpSocket> socket);
    // The pool and health routes; false when `path` is none of them.
    bool handlePoolRoutes(
        const QHttpServerRequest& request, const QString& path, QHttpServerResponder& responder,
        const std::function<bool(std::initializer_list<QHttpServerRequest::Method>)>& allowMethods);

    // The relay routes (/api/v1/relays...); false when `path` is none of them.
    bool handleRelayRoutes(
        const QHttpServerRequest& request, const QString& path, QHttpServerResponder& responder,
        const std::function<bool(std::initializer_list<QHttpServerRequest::Method>)>& allowMethods);

    EngineCore& core_;
    QByteArray token_;
    std::unique_ptr<HttpDispatcher> server_;
    quint16 port_ = 0;
    QMap<QString, quint64> refused_;
};

} // namespace peerscope
