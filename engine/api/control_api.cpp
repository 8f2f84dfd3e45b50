#include "engine/api/control_api.h"

#include "engine/api/api_socket_guard.h"
#include "engine/api/api_tls.h"
#include "engine/api/engine_core.h"
#include "engine/api/http_dispatcher.h"
#include "engine/api/prometheus_exporter.h"
#include "engine/api/snapshot_json.h"
#include "engine/core/engine_config.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "engine/net/host.h"

#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSslServer>
#include <QTcpServer>
#include <QUrlQuery>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcApi, "peerscope.engine.api")

namespace peerscope {

namespace {

using Status = QHttpServerResponder::StatusCode;

// A client that opens a connection to the TLS port and stalls its handshake is dropped.
constexpr int kTlsHandshakeTimeoutMs = 10000;

void writeJson(QHttpServerResponder& responder, const QJsonValue& body, Status status) {
    QJsonDocument document =
        body.isArray() ? QJsonDocument(body.toArray()) : QJsonDocument(body.toObject());
    responder.write(document.toJson(QJsonDocument::Compact), "application/json", status);
}

void writeError(QHttpServerResponder& responder, const QString& message, Status status) {
    writeJson(responder, QJsonObject{{"error", message}}, status);
}

// The request body as a JSON object, or the error to send back.
std::optional<QJsonObject> parseBody(const QHttpServerRequest& request, QString* error) {
    QJsonParseError parseError;
    QJsonDocument document = QJsonDocument::fromJson(request.body(), &parseError);
    if (parseError.error != QJsonParseError::NoError) {
        *error = QStringLiteral("invalid JSON: %1 at offset %2")
                     .arg(parseError.errorString())
                     .arg(parseError.offset);
        return std::nullopt;
    }
    if (!document.isObject()) {
        *error = QStringLiteral("the request body must be a JSON object");
        return std::nullopt;
    }
    return document.object();
}

// The string field `name` of a JSON object body, or the 400 message naming what is wrong.
std::optional<QString> requiredString(const QHttpServerRequest& request, const char* name,
                                      QString* error) {
    std::optional<QJsonObject> body = parseBody(request, error);
    if (!body)
        return std::nullopt;
    const QJsonValue value = body->value(QLatin1String(name));
    if (!value.isString()) {
        *error =
            QStringLiteral("field \"%1\" %2")
                .arg(QLatin1String(name), value.isUndefined() ? QStringLiteral("is required")
                                                              : QStringLiteral("must be a string"));
        return std::nullopt;
    }
    return value.toString();
}

// A ping that got no answer in time is a gateway timeout; a peer that went away meanwhile is
// "not connected" as before the ping; anything else (stream refused, bad echo) a bad gateway.
Status pingFailureStatus(const std::string& message) {
    if (message.find("no reply within") != std::string::npos)
        return Status::GatewayTimeout;
    if (message.find("not connected") != std::string::npos)
        return Status::NotFound;
    return Status::BadGateway;
}

QByteArray headerValue(const QHttpServerRequest& request, const QByteArray& name) {
    for (const auto& [key, value] : request.headers())
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return {};
}

} // namespace

ControlApi::ControlApi(EngineCore& core, QByteArray token, QObject* parent)
    : QObject(parent), core_(core), token_(std::move(token)) {
    server_ = std::make_unique<HttpDispatcher>([this](const QHttpServerRequest& request,
                                                      QHttpServerResponder&& responder,
                                                      QPointer<QTcpSocket> socket) {
        auto shared = std::make_shared<QHttpServerResponder>(std::move(responder));
        handle(request, shared, socket);
    });
}

ControlApi::~ControlApi() = default;

quint16 ControlApi::port() const {
    return port_;
}

Result<QString> ControlApi::listen(const QString& endpoint,
                                   const std::optional<QSslConfiguration>& tls) {
    static const QRegularExpression pattern(
        QStringLiteral(R"(^(\[[^\]]+\]|[^:\[\]]+):(\d{1,5})$)"));
    QRegularExpressionMatch match = pattern.match(endpoint);
    if (!match.hasMatch())
        return makeError("--api \"" + endpoint.toStdString() +
                         "\": expected HOST:PORT (e.g. 127.0.0.1:5080 or [::1]:5080) or off");
    QString host = match.captured(1);
    if (host.startsWith('['))
        host = host.mid(1, host.size() - 2);
    QHostAddress address;
    if (host == QLatin1String("localhost"))
        address = QHostAddress(QHostAddress::LocalHost);
    else if (!address.setAddress(host))
        return makeError("--api \"" + endpoint.toStdString() + "\": \"" + host.toStdString() +
                         "\" is not an IP address");
    const uint port = match.captured(2).toUInt();
    if (port > 65535)
        return makeError("--api \"" + endpoint.toStdString() + "\": port " + std::to_string(port) +
                         " out of range 0-65535");
    if (!address.isLoopback() && !tls)
        return makeError(apiNeedsTlsMessage(endpoint));
    // Each accepted socket gets an ApiSocketGuard: a request it refuses from its head (too large,
    // or a body without the token) is answered before the server buffers any of its body.
    auto onRefused = [this](const ApiRefusal& refusal) { countRefusal(refusal.reason); };
    std::unique_ptr<QTcpServer> listener;
    std::function<void()> followHandedOut;
    if (tls) {
        // Only the TLS listener: a plain-HTTP request is a failed handshake, never an answer.
        auto sslServer = std::make_unique<GuardedApiListener<QSslServer>>(token_, onRefused);
        sslServer->setSslConfiguration(*tls);
        sslServer->setHandshakeTimeout(kTlsHandshakeTimeoutMs);
        connect(sslServer.get(), &QSslServer::errorOccurred, this,
                [](QSslSocket* socket, QAbstractSocket::SocketError) {
                    qCDebug(lcApi).noquote() << "TLS with" << socket->peerAddress().toString()
                                             << "failed:" << socket->errorString();
                });
        followHandedOut = [server = sslServer.get()] { server->followHandedOut(); };
        listener = std::move(sslServer);
    } else {
        auto tcpServer = std::make_unique<GuardedApiListener<QTcpServer>>(token_, onRefused);
        followHandedOut = [server = tcpServer.get()] { server->followHandedOut(); };
        listener = std::move(tcpServer);
    }
    if (!listener->listen(address, static_cast<quint16>(port)))
        return makeError("cannot listen for the control API on " + endpoint.toStdString() +
                         " (address in use or not available)");
    port_ = listener->serverPort();
    QTcpServer* boundListener = listener.get();
    server_->bind(listener.release()); // now its child
    // After bind: these run after the server has taken the new sockets and connected to them.
    connect(boundListener, &QTcpServer::newConnection, this, followHandedOut);
    connect(boundListener, &QTcpServer::pendingConnectionAvailable, this, followHandedOut);
    const QString bound = (address.protocol() == QAbstractSocket::IPv6Protocol
                               ? QStringLiteral("[%1]").arg(address.toString())
                               : address.toString()) +
                          QStringLiteral(":%1").arg(port_);
    return bound;
}

Result<QByteArray> ControlApi::loadOrCreateToken(const QString& path) {
    const std::string where = path.toStdString();
    struct stat info {};
    if (::stat(where.c_str(), &info) == 0) {
        if ((info.st_mode & 077) != 0) {
            char mode[8];
            std::snprintf(mode, sizeof mode, "%04o", unsigned(info.st_mode & 07777));
            return makeError("API token file " + where + " is open to group or others (mode " +
                             mode + "); fix with: chmod 600 " + where);
        }
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return makeError("cannot read API token file " + where);
        QByteArray token = file.readAll().trimmed();
        if (token.size() < 32)
            return makeError("API token file " + where +
                             " holds no valid token; delete it to "
                             "create a new one");
        return token;
    }
    unsigned char random[32];
    if (RAND_bytes(random, sizeof random) != 1)
        return makeError("cannot create a random API token");
    const QByteArray token =
        QByteArray(reinterpret_cast<const char*>(random), sizeof random).toHex() + '\n';
    // Created 0600 by open() itself (no window with the umask's mode); O_EXCL so a file or
    // symlink put there meanwhile is not followed or overwritten.
    const int fd = ::open(where.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                          S_IRUSR | S_IWUSR);
    if (fd < 0)
        return makeError("cannot create API token file " + where + ": " + std::strerror(errno));
    const ssize_t written = ::write(fd, token.constData(), static_cast<size_t>(token.size()));
    const bool closed = ::close(fd) == 0;
    if (written != token.size() || !closed) {
        ::unlink(where.c_str());
        return makeError("cannot write API token file " + where);
    }
    return token.trimmed();
}

void ControlApi::countRefusal(const QByteArray& reason) {
    ++refused_[QString::fromLatin1(reason)];
}

void ControlApi::handle(const QHttpServerRequest& request,
                        std::shared_ptr<QHttpServerResponder> responder,
                        QPointer<QTcpSocket> socket) {
    // The auth scheme is case-insensitive (RFC 9110); the token is compared in constant time.
    const QByteArray authorization = headerValue(request, "authorization").trimmed();
    const QByteArray scheme = authorization.left(7);
    const QByteArray given = authorization.mid(7);
    if (scheme.compare("Bearer ", Qt::CaseInsensitive) != 0 || given.size() != token_.size() ||
        CRYPTO_memcmp(given.constData(), token_.constData(),
                      static_cast<std::size_t>(token_.size())) != 0) {
        countRefusal("unauthorized");
        const QJsonObject body{{"error", QStringLiteral("missing or wrong bearer token")}};
        responder->write(QJsonDocument(body).toJson(QJsonDocument::Compact),
                         {{"Content-Type", "application/json"}, {"WWW-Authenticate", "Bearer"}},
                         Status::Unauthorized);
        return;
    }

    const QString path = request.url().path();
    const auto method = request.method();
    using Method = QHttpServerRequest::Method;
    auto methodName = [](Method m) -> QByteArray {
        switch (m) {
        case Method::Get:
            return "GET";
        case Method::Post:
            return "POST";
        case Method::Put:
            return "PUT";
        case Method::Delete:
            return "DELETE";
        default:
            return "OTHER";
        }
    };
    auto allowMethods = [&](std::initializer_list<Method> allowed) {
        if (std::find(allowed.begin(), allowed.end(), method) != allowed.end())
            return true;
        QByteArray names;
        for (Method m : allowed) {
            if (!names.isEmpty())
                names += ", ";
            names += methodName(m);
        }
        const QJsonObject body{{"error", QStringLiteral("method not allowed on %1; use %2")
                                             .arg(path, QString::fromLatin1(names))}};
        // RFC 9110: a 405 names the methods the resource does support.
        responder->write(QJsonDocument(body).toJson(QJsonDocument::Compact),
                         {{"Content-Type", "application/json"}, {"Allow", names}},
                         Status::MethodNotAllowed);
        return false;
    };
    auto onlyMethod = [&](Method allowed) { return allowMethods({allowed}); };

    if (path == QLatin1String("/api/v1/node")) {
        if (!onlyMethod(Method::Get))
            return;
        NodeSnapshot snapshot = core_.makeSnapshot();
        writeJson(*responder,
                  QJsonObject{{"peerId", snapshot.peerId},
                              {"agentVersion", snapshot.agentVersion},
                              {"listenAddrs", QJsonArray::fromStringList(snapshot.listenAddrs)},
                              {"observedAddrs", QJsonArray::fromStringList(snapshot.observedAddrs)},
                              {"relayService", relayServiceJson(snapshot.relayService)}},
                  Status::Ok);
        return;
    }
    if (path == QLatin1String("/api/v1/peers")) {
        if (!onlyMethod(Method::Get))
            return;
        QJsonArray peers;
        for (const PeerSnapshot& peer : core_.makeSnapshot().peers)
            peers.append(peerJson(peer));
        writeJson(*responder, peers, Status::Ok);
        return;
    }
    if (path == QLatin1String("/metrics")) {
        if (!onlyMethod(Method::Get))
            return;
        responder->write(renderPrometheus(core_.makeSnapshot()),
                         "text/plain; version=0.0.4; charset=utf-8", Status::Ok);
        return;
    }
    if (path == QLatin1String("/api/v1/dial")) {
        if (!onlyMethod(Method::Post))
            return;
        QString error;
        std::optional<QString> addr = requiredString(request, "addr", &error);
        if (!addr) {
            writeError(*responder, error, Status::BadRequest);
            return;
        }
        Result<Multiaddr> parsed = Multiaddr::parse(addr->toStdString());
        if (!parsed) {
            writeError(*responder,
                       QStringLiteral("field \"addr\": ") +
                           QString::fromStdString(parsed.errorMessage()),
                       Status::BadRequest);
            return;
        }
        // The host dials TCP only: another transport is the client's mistake, not a failed
        // dial. Relayed addresses pass, for the relay dialler to judge.
        const bool relayed = std::any_of(parsed->components().begin(), parsed->components().end(),
                                         [](const MultiaddrComponent& c) {
                                             return c.protocol == MultiaddrProtocol::P2pCircuit;
                                         });
        if (!relayed && !parsed->tcpEndpoint()) {
            writeError(*responder,
                       QStringLiteral("field \"addr\": %1 is not a TCP address "
                                      "(/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<id>])")
                           .arg(*addr),
                       Status::BadRequest);
            return;
        }
        core_.dial(*addr, [responder, socket](Result<ConnectionSnapshot> result) {
            if (!socket)
                return; // the client left
            if (!result)
                writeError(*responder, QString::fromStdString(result.errorMessage()),
                           Status::BadGateway);
            else
                writeJson(*responder, connectionJson(*result), Status::Ok);
        });
        return;
    }
    if (path == QLatin1String("/api/v1/ping")) {
        if (!onlyMethod(Method::Post))
            return;
        QString error;
        std::optional<QString> peer = requiredString(request, "peer", &error);
        if (!peer) {
            writeError(*responder, error, Status::BadRequest);
            return;
        }
        Result<PeerId> peerId = PeerId::parse(peer->toStdString());
        if (!peerId) {
            writeError(*responder,
                       QStringLiteral("field \"peer\": ") +
                           QString::fromStdString(peerId.errorMessage()),
                       Status::BadRequest);
            return;
        }
        const QJsonValue countValue =
            QJsonDocument::fromJson(request.body()).object().value(QStringLiteral("count"));
        int count = 1;
        if (!countValue.isUndefined()) {
            const double number = countValue.toDouble(-1);
            if (!countValue.isDouble() || number != std::floor(number) || number < 1 ||
                number > 100) {
                writeError(*responder,
                           QStringLiteral("field \"count\" must be an integer from 1 to 100"),
                           Status::BadRequest);
                return;
            }
            count = static_cast<int>(number);
        }
        const QString canonical = QString::fromStdString(peerId->toBase58());
        if (core_.host().connectionsTo(*peerId).empty()) {
            writeError(*responder, QStringLiteral("not connected to %1").arg(canonical),
                       Status::NotFound);
            return;
        }
        core_.ping(canonical, count,
                   [responder, socket, canonical](Result<std::vector<double>> rtts) {
                       if (!socket)
                           return;
                       if (!rtts) {
                           writeError(*responder, QString::fromStdString(rtts.errorMessage()),
                                      pingFailureStatus(rtts.errorMessage()));
                           return;
                       }
                       QJsonArray values;
                       for (double rtt : *rtts)
                           values.append(rtt);
                       writeJson(*responder, QJsonObject{{"peer", canonical}, {"rttsMs", values}},
                                 Status::Ok);
                   });
        return;
    }
    if (handlePoolRoutes(request, path, *responder, allowMethods))
        return;
    if (handleRelayRoutes(request, path, *responder, allowMethods))
        return;
    writeError(*responder, QStringLiteral("no such endpoint: %1").arg(path), Status::NotFound);
}

bool ControlApi::handleRelayRoutes(
    const QHttpServerRequest& request, const QString& path, QHttpServerResponder& responder,
    const std::function<bool(std::initializer_list<QHttpServerRequest::Method>)>& allowMethods) {
    using Method = QHttpServerRequest::Method;
    static const QRegularExpression relayPath(
        QStringLiteral("^/api/v1/relays/([^/]+)(/prefer|/reserve)?$"));
    // A relay's state after a change, as GET lists it.
    auto writeRelay = [this, &responder](const QString& peerId, Status status) {
        for (const RelaySnapshot& relay : core_.makeSnapshot().relays)
            if (relay.peerId == peerId) {
                writeJson(responder, relayJson(relay), status);
                return;
            }
        writeJson(responder, QJsonObject{{"peerId", peerId}}, status);
    };
    if (path == QLatin1String("/api/v1/relays")) {
        if (!allowMethods({Method::Get, Method::Post}))
            return true;
        if (request.method() == Method::Get) {
            const NodeSnapshot snapshot = core_.makeSnapshot();
            writeJson(
                responder,
                QJsonObject{{"relays", relaysJson(snapshot)},
                            {"relayedAddrs", QJsonArray::fromStringList(snapshot.relayedAddrs)}},
                Status::Ok);
            return true;
        }
        QString error;
        std::optional<QString> addr = requiredString(request, "addr", &error);
        if (!addr) {
            writeError(responder, error, Status::BadRequest);
            return true;
        }
        if (Result<void> added = core_.addRelay(*addr); !added) {
            writeError(responder,
                       QStringLiteral("field \"addr\": ") +
                           QString::fromStdString(added.errorMessage()),
                       Status::BadRequest);
            return true;
        }
        const std::optional<PeerId> peer = Multiaddr::parse(addr->toStdString())->peerId();
        writeRelay(QString::fromStdString(peer->toBase58()), Status::Created);
        return true;
    }
    const QRegularExpressionMatch match = relayPath.match(path);
    if (!match.hasMatch())
        return false;
    const QString peerId = match.captured(1);
    const QString action = match.captured(2);
    if (!allowMethods({action.isEmpty() ? Method::Delete : Method::Post}))
        return true;
    Result<void> done = action.isEmpty()                     ? core_.removeRelay(peerId)
                        : action == QLatin1String("/prefer") ? core_.preferRelay(peerId)
                                                             : core_.reserveRelayNow(peerId);
    if (!done) {
        const bool unknown = done.errorMessage().find("unknown relay") != std::string::npos;
        writeError(responder, QString::fromStdString(done.errorMessage()),
                   unknown ? Status::NotFound : Status::BadRequest);
        return true;
    }
    if (action.isEmpty())
        writeJson(responder, QJsonObject{{"removed", peerId}}, Status::Ok);
    else
        writeRelay(peerId, Status::Ok);
    return true;
}

bool ControlApi::handlePoolRoutes(
    const QHttpServerRequest& request, const QString& path, QHttpServerResponder& responder,
    const std::function<bool(std::initializer_list<QHttpServerRequest::Method>)>& allowMethods) {
    using Method = QHttpServerRequest::Method;
    const QUrlQuery query(request.url());
    static const QRegularExpression peerPath(QStringLiteral("^/api/v1/peers/([^/]+)(/protect)?$"));
    static const QRegularExpression connectionPath(QStringLiteral("^/api/v1/connections/([^/]+)$"));

    if (path == QLatin1String("/api/v1/health")) {
        if (!allowMethods({Method::Get}))
            return true;
        const NodeSnapshot snapshot = core_.makeSnapshot();
        QJsonObject body = healthSummaryJson(snapshot.health);
        body.insert(QStringLiteral("pool"), poolCountersJson(snapshot.pool));
        writeJson(responder, body, Status::Ok);
        return true;
    }
    if (path == QLatin1String("/api/v1/events")) {
        if (!allowMethods({Method::Get}))
            return true;
        bool ok = true;
        const QString sinceText = query.queryItemValue(QStringLiteral("since"));
        const qulonglong since = sinceText.isEmpty() ? 0 : sinceText.toULongLong(&ok);
        if (!ok) {
            writeError(responder,
                       QStringLiteral("query \"since\" must be a sequence number (0 or more), "
                                      "got \"%1\"")
                           .arg(sinceText),
                       Status::BadRequest);
            return true;
        }
        const QString limitText = query.queryItemValue(QStringLiteral("limit"));
        const int limit = limitText.isEmpty() ? 1000 : limitText.toInt(&ok);
        if (!ok || limit < 1 || limit > 10000) {
            writeError(
                responder,
                QStringLiteral("query \"limit\" must be an integer from 1 to 10000, got \"%1\"")
                    .arg(limitText),
                Status::BadRequest);
            return true;
        }
        const EventLog& log = core_.eventLog();
        QJsonArray events;
        for (const LifecycleEvent& event : log.since(since, static_cast<std::size_t>(limit)))
            events.append(eventJson(event));
        writeJson(responder,
                  QJsonObject{{"firstSeq", double(log.firstSeq())},
                              {"lastSeq", double(log.lastSeq())},
                              // Events between `since` and firstSeq were dropped (log full).
                              {"missed", since + 1 < log.firstSeq()},
                              {"events", events}},
                  Status::Ok);
        return true;
    }
    if (path == QLatin1String("/api/v1/config")) {
        if (!allowMethods({Method::Get, Method::Put}))
            return true;
        if (request.method() == Method::Put) {
            QString error;
            std::optional<QJsonObject> body = parseBody(request, &error);
            if (!body) {
                writeError(responder, error, Status::BadRequest);
                return true;
            }
            EngineConfig updated;
            const std::vector<std::string> errors =
                EngineConfig::fromJsonErrors(*body, core_.config(), &updated);
            if (errors.empty()) {
                if (Result<void> applied = core_.applyConfig(updated, true); !applied) {
                    writeError(responder, QString::fromStdString(applied.errorMessage()),
                               Status::InternalServerError);
                    return true;
                }
            } else {
                QJsonArray list;
                QStringList lines;
                for (const std::string& e : errors) {
                    list.append(QString::fromStdString(e));
                    lines << QString::fromStdString(e);
                }
                writeJson(responder,
                          QJsonObject{{"error", lines.join(QLatin1Char('\n'))}, {"errors", list}},
                          Status::BadRequest);
                return true;
            }
        }
        // Exactly the document a PUT takes, so GET | edit | PUT works; what describes it is
        // under /api/v1/config/meta.
        writeJson(responder, core_.config().toJson(), Status::Ok);
        return true;
    }
    if (path == QLatin1String("/api/v1/config/meta")) {
        if (!allowMethods({Method::Get}))
            return true;
        QJsonArray differs;
        for (const std::string& field : core_.config().differingFromDefaults())
            differs.append(QString::fromStdString(field));
        writeJson(responder,
                  QJsonObject{{"path", core_.configPath()}, {"differsFromDefaults", differs}},
                  Status::Ok);
        return true;
    }
    if (path == QLatin1String("/api/v1/export")) {
        if (!allowMethods({Method::Get}))
            return true;
        const QString format = query.queryItemValue(QStringLiteral("format"));
        const NodeSnapshot snapshot = core_.makeSnapshot();
        if (format == QLatin1String("json") || format.isEmpty())
            responder.write(QJsonDocument(nodeReportJson(snapshot)).toJson(QJsonDocument::Indented),
                            "application/json", Status::Ok);
        else if (format == QLatin1String("csv"))
            responder.write(renderConnectionsCsv(snapshot), "text/csv; charset=utf-8", Status::Ok);
        else if (format == QLatin1String("prometheus"))
            responder.write(renderPrometheus(snapshot), "text/plain; version=0.0.4; charset=utf-8",
                            Status::Ok);
        else
            writeError(
                responder,
                QStringLiteral("query \"format\" must be json, csv or prometheus, got \"%1\"")
                    .arg(format),
                Status::BadRequest);
        return true;
    }
    if (const QRegularExpressionMatch match = connectionPath.match(path); match.hasMatch()) {
        if (!allowMethods({Method::Delete}))
            return true;
        bool ok = false;
        const quint64 id = match.captured(1).toULongLong(&ok);
        if (!ok) {
            writeError(
                responder,
                QStringLiteral("connection id \"%1\" is not a number").arg(match.captured(1)),
                Status::BadRequest);
            return true;
        }
        if (Result<void> closed = core_.closeConnection(id); !closed) {
            writeError(responder, QString::fromStdString(closed.errorMessage()), Status::NotFound);
            return true;
        }
        writeJson(responder, QJsonObject{{"closed", QString::number(id)}}, Status::Ok);
        return true;
    }
    if (const QRegularExpressionMatch match = peerPath.match(path); match.hasMatch()) {
        const bool protectRoute = !match.captured(2).isEmpty();
        if (!allowMethods(protectRoute ? std::initializer_list<Method>{Method::Post, Method::Delete}
                                       : std::initializer_list<Method>{Method::Get}))
            return true;
        Result<PeerId> peer = PeerId::parse(match.captured(1).toStdString());
        if (!peer) {
            writeError(responder,
                       QStringLiteral("peer id \"%1\": %2")
                           .arg(match.captured(1), QString::fromStdString(peer.errorMessage())),
                       Status::BadRequest);
            return true;
        }
        const QString canonical = QString::fromStdString(peer->toBase58());
        if (protectRoute) {
            const bool protect = request.method() == Method::Post;
            (void)core_.setProtected(canonical, protect);
            writeJson(responder, QJsonObject{{"peerId", canonical}, {"protected", protect}},
                      Status::Ok);
            return true;
        }
        for (const PeerSnapshot& snapshot : core_.makeSnapshot().peers)
            if (snapshot.peerId == canonical) {
                writeJson(responder, peerJson(snapshot), Status::Ok);
                return true;
            }
        writeError(responder, QStringLiteral("not connected to %1").arg(canonical),
                   Status::NotFound);
        return true;
    }
    return false;
}

} // namespace peerscope
