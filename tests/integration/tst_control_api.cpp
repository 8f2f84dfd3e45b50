// The control API over real HTTP: two Engines (each on its own engine thread) on loopback,
// driven with QNetworkAccessManager. Auth, every route, bad input, the token file,
// `promtool check metrics` on /metrics, and HTTPS with a self-signed certificate (off loopback
// only over TLS; the tests connect to 127.0.0.1 only).
#include "engine/api/api_tls.h"
#include "engine/api/control_api.h"
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "support/api_tls.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

struct Reply {
    int status = 0;
    QByteArray body;
    QByteArray contentType;
    QByteArray allow;
    QByteArray wwwAuthenticate;
    QJsonObject object() const { return QJsonDocument::fromJson(body).object(); }
    QJsonArray array() const { return QJsonDocument::fromJson(body).array(); }
    QString error() const { return object().value(QStringLiteral("error")).toString(); }
};

QByteArray json(const QJsonObject& object) {
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray tokenIn(const QTemporaryDir& dataDir) {
    QFile file(dataDir.filePath(QStringLiteral("api-token")));
    return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed() : QByteArray();
}

QString errorOf(const Result<QSslConfiguration>& result) {
    return result.ok() ? QString() : QString::fromStdString(result.errorMessage());
}

// A self-signed EC certificate (CN=expired) valid from 2020-01-01 to 2020-01-02 only.
const QByteArray expiredCertificate =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBCzCBsgIBATAKBggqhkjOPQQDAjASMRAwDgYDVQQDDAdleHBpcmVkMB4XDTIw\n"
    "MDEwMTAwMDAwMFoXDTIwMDEwMjAwMDAwMFowEjEQMA4GA1UEAwwHZXhwaXJlZDBZ\n"
    "MBMGByqGSM49AgEGCCqGSM49AwEHA0IABEH/XjqaTArVXsSqSXKypaNxkWvPs0LX\n"
    "WiI25P7HighTsqMsg4/cA0Az4DXve7IbAlOoW7ztBxQ3mKvfGMVX+f8wCgYIKoZI\n"
    "zj0EAwIDSAAwRQIhAJ3hufF+0Nvoi689WFJTFK7JAFknDStMXEoQYQ9ya1IiAiBT\n"
    "OqBXkWdBfw79zoeQXHlJd/Cd6jGtGGjOvXVUCCB8RQ==\n"
    "-----END CERTIFICATE-----\n";

// A valid peer id that neither engine has.
const QString strangerId = QStringLiteral("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA");

} // namespace

class TestControlApi final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dirA_;
    QTemporaryDir dirB_;
    std::unique_ptr<Engine> a_;
    std::unique_ptr<Engine> b_;
    QByteArray token_;
    QNetworkAccessManager network_;

    static EngineOptions options(const QString& dataDir) {
        EngineOptions o;
        o.dataDir = dataDir;
        o.configPath = dataDir + QStringLiteral("/config.json"); // not the user's
        o.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/0")};
        o.fallbackToEphemeralPort = false;
        o.apiEndpoint = QStringLiteral("127.0.0.1:0");
        return o;
    }

    // One request to engine A's API; `authorization` replaces the default bearer header
    // ("-" sends none).
    Reply call(const QByteArray& method, const QString& path, const QByteArray& body = {},
               const QByteArray& authorization = {}) {
        QNetworkRequest request(
            QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(a_->apiPort()).arg(path)));
        if (authorization.isEmpty())
            request.setRawHeader("Authorization", "Bearer " + token_);
        else if (authorization != "-")
            request.setRawHeader("Authorization", authorization);
        if (!body.isEmpty())
            request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        QNetworkReply* reply = network_.sendCustomRequest(request, method, body);
        if (!QTest::qWaitFor([&] { return reply->isFinished(); }, 20000))
            reply->abort();
        Reply out;
        out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        out.body = reply->readAll();
        out.contentType = reply->rawHeader("Content-Type");
        out.allow = reply->rawHeader("Allow");
        out.wwwAuthenticate = reply->rawHeader("WWW-Authenticate");
        reply->deleteLater();
        return out;
    }

    QString addrOfB() const { return b_->announcedAddrs().first(); }
    QString idOf(const Engine& engine) const { return engine.client()->snapshot().peerId; }

    // The entry for `peerId` in GET /api/v1/peers, or an empty object.
    QJsonObject peerEntry(const QString& peerId) {
        for (const QJsonValue& peer : call("GET", "/api/v1/peers").array())
            if (peer.toObject().value("peerId").toString() == peerId)
                return peer.toObject();
        return {};
    }

private Q_SLOTS:
    void init() {
        QVERIFY(dirA_.isValid() && dirB_.isValid());
        a_ = std::make_unique<Engine>(options(dirA_.path()));
        b_ = std::make_unique<Engine>(options(dirB_.path()));
        const Result<void> startedA = a_->start();
        QVERIFY2(startedA.ok(), startedA.ok() ? "" : startedA.errorMessage().c_str());
        const Result<void> startedB = b_->start();
        QVERIFY2(startedB.ok(), startedB.ok() ? "" : startedB.errorMessage().c_str());
        QVERIFY(a_->apiPort() != 0);
        token_ = tokenIn(dirA_);
        QVERIFY(!token_.isEmpty());
    }

    void cleanup() {
        a_.reset();
        b_.reset();
        // The data dirs are shared by every test: the next one starts from the defaults.
        QFile::remove(dirA_.filePath(QStringLiteral("config.json")));
    }

    void tokenFileIsCreatedPrivate() {
        QCOMPARE(token_.size(), 64); // 32 random bytes, hex
        QVERIFY(!QByteArray::fromHex(token_).isEmpty());
        const QFile::Permissions mode =
            QFile::permissions(dirA_.filePath(QStringLiteral("api-token")));
        QCOMPARE(mode & ~(QFileDevice::ReadUser | QFileDevice::ReadOwner | QFileDevice::WriteUser |
                          QFileDevice::WriteOwner),
                 QFile::Permissions());
        // Each node has its own token, kept across restarts.
        QFile tokenB(dirB_.filePath(QStringLiteral("api-token")));
        QVERIFY(tokenB.open(QIODevice::ReadOnly));
        QVERIFY(tokenB.readAll().trimmed() != token_);
        QCOMPARE(ControlApi::loadOrCreateToken(dirA_.filePath(QStringLiteral("api-token"))).value(),
                 token_);
    }

    void requestsWithoutTheTokenAreRefused() {
        const Reply none = call("GET", "/api/v1/node", {}, "-");
        QCOMPARE(none.status, 401);
        QCOMPARE(none.error(), QStringLiteral("missing or wrong bearer token"));
        QCOMPARE(none.wwwAuthenticate, QByteArray("Bearer"));
        const Reply wrong = call("GET", "/api/v1/node", {}, "Bearer " + QByteArray(64, 'a'));
        QCOMPARE(wrong.status, 401);
        QCOMPARE(wrong.error(), QStringLiteral("missing or wrong bearer token"));
        QCOMPARE(call("GET", "/api/v1/node", {}, "Basic " + token_).status, 401);
        QCOMPARE(call("GET", "/api/v1/node", {}, "Bearer " + token_.left(63)).status, 401);
        // Every route, including unknown ones and /metrics.
        QCOMPARE(call("GET", "/metrics", {}, "-").status, 401);
        QCOMPARE(call("GET", "/api/v1/peers", {}, "-").status, 401);
        QCOMPARE(call("POST", "/api/v1/dial", json({{"addr", addrOfB()}}), "-").status, 401);
        QCOMPARE(call("GET", "/api/v1/nothing", {}, "-").status, 401);
        // The scheme name is case-insensitive (RFC 9110).
        QCOMPARE(call("GET", "/api/v1/node", {}, "bearer " + token_).status, 200);
    }

    void nodeDescribesItself() {
        const Reply node = call("GET", "/api/v1/node");
        QCOMPARE(node.status, 200);
        QVERIFY(node.contentType.startsWith("application/json"));
        const QJsonObject o = node.object();
        QCOMPARE(o.value("peerId").toString(), idOf(*a_));
        QVERIFY(o.value("peerId").toString().startsWith("12D3KooW"));
        QVERIFY(o.value("agentVersion").toString().startsWith("peerscope/"));
        QCOMPARE(o.value("listenAddrs").toArray().first().toString(), a_->announcedAddrs().first());
        QVERIFY(o.value("observedAddrs").isArray());
    }

    void dialPingAndPeers() {
        const Reply dialed = call("POST", "/api/v1/dial", json({{"addr", addrOfB()}}));
        QVERIFY2(dialed.status == 200, dialed.body.constData());
        const QJsonObject connection = dialed.object();
        for (const char* key : {"id", "direction", "remoteAddr", "localAddr", "openedAt", "streams",
                                "bytesIn", "bytesOut", "muxer"})
            QVERIFY2(connection.contains(QLatin1String(key)), key);
        QCOMPARE(connection.value("direction").toString(), QStringLiteral("outbound"));
        QCOMPARE(connection.value("muxer").toString(), QStringLiteral("/yamux/1.0.0"));
        QVERIFY(connection.value("remoteAddr").toString().startsWith("/ip4/127.0.0.1/tcp/"));
        const QDateTime openedAt =
            QDateTime::fromString(connection.value("openedAt").toString(), Qt::ISODateWithMs);
        QVERIFY(openedAt.isValid());
        QCOMPARE(openedAt.timeSpec(), Qt::UTC);
        QVERIFY(qAbs(openedAt.secsTo(QDateTime::currentDateTimeUtc())) < 60);

        // Identify fills in the agent shortly after the dial.
        const QString peerB = idOf(*b_);
        QTRY_VERIFY_WITH_TIMEOUT(
            peerEntry(peerB).value("agentVersion").toString().startsWith("peerscope/"), 10000);
        const QJsonObject entry = peerEntry(peerB);
        QVERIFY(!entry.value("protocolVersion").toString().isEmpty());
        QVERIFY(entry.value("protocols").toArray().contains(QJsonValue("/ipfs/ping/1.0.0")));
        QVERIFY(entry.value("listenAddrs")
                    .toArray()
                    .contains(QJsonValue(addrOfB().left(addrOfB().indexOf("/p2p/")))));
        QVERIFY(entry.contains("lastPingRttMs"));
        // A dial with /p2p/ opens max_connections_per_peer (3) connections.
        const QJsonArray connections = entry.value("connections").toArray();
        QCOMPARE(connections.size(), 3);
        QVERIFY(std::any_of(connections.begin(), connections.end(), [&](const QJsonValue& c) {
            return c.toObject().value("id") == connection.value("id");
        }));

        const Reply pinged = call("POST", "/api/v1/ping", json({{"peer", peerB}, {"count", 3}}));
        QVERIFY2(pinged.status == 200, pinged.body.constData());
        QCOMPARE(pinged.object().value("peer").toString(), peerB);
        const QJsonArray rtts = pinged.object().value("rttsMs").toArray();
        QCOMPARE(rtts.size(), 3);
        for (const QJsonValue& rtt : rtts)
            QVERIFY(rtt.isDouble() && rtt.toDouble() > 0 && rtt.toDouble() < 1000);

        // count defaults to 1; the last RTT shows up in the peer list.
        const Reply once = call("POST", "/api/v1/ping", json({{"peer", peerB}}));
        QCOMPARE(once.status, 200);
        QCOMPARE(once.object().value("rttsMs").toArray().size(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(peerEntry(peerB).value("lastPingRttMs").isDouble(), 5000);
    }

    void dialWithWrongPeerIdIsAMismatch() {
        const QString addr = addrOfB();
        const QString otherId = idOf(*a_); // a valid id that is not B's
        const QString wrong = addr.left(addr.indexOf("/p2p/")) + "/p2p/" + otherId;
        const Reply dialed = call("POST", "/api/v1/dial", json({{"addr", wrong}}));
        QCOMPARE(dialed.status, 502);
        QCOMPARE(dialed.error(),
                 QStringLiteral("peer id mismatch: expected %1, got %2").arg(otherId, idOf(*b_)));
    }

    void dialToAClosedPortFails() {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        const quint16 port = probe.serverPort();
        probe.close(); // nothing listens there now
        const Reply dialed =
            call("POST", "/api/v1/dial",
                 json({{"addr", QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(port)}}));
        QCOMPARE(dialed.status, 502);
        QVERIFY(!dialed.error().isEmpty());
    }

    void badRequestsNameTheField_data() {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("error");
        const QByteArray dial = "/api/v1/dial";
        const QByteArray ping = "/api/v1/ping";
        const QByteArray peer = "\"peer\":\"" + strangerId.toLatin1() + "\"";
        QTest::newRow("bad json") << dial << QByteArray("{\"addr\":") << 400 << "invalid JSON: ";
        QTest::newRow("empty body") << dial << QByteArray() << 400 << "invalid JSON: ";
        QTest::newRow("not an object")
            << dial << QByteArray("[1]") << 400 << "the request body must be a JSON object";
        QTest::newRow("missing addr")
            << dial << QByteArray("{}") << 400 << "field \"addr\" is required";
        QTest::newRow("addr not string")
            << dial << QByteArray("{\"addr\":5}") << 400 << "field \"addr\" must be a string";
        QTest::newRow("port out of range")
            << dial << QByteArray("{\"addr\":\"/ip4/1.2.3.4/tcp/99999\"}") << 400
            << "field \"addr\": component 2 (tcp): port \"99999\" out of range 0-65535";
        QTest::newRow("unknown protocol")
            << dial << QByteArray("{\"addr\":\"/ip5/1.2.3.4\"}") << 400
            << "field \"addr\": component 1: unknown protocol \"ip5\"";
        QTest::newRow("not tcp")
            << dial << QByteArray("{\"addr\":\"/ip4/127.0.0.1/udp/4001/quic-v1\"}") << 400
            << "field \"addr\": /ip4/127.0.0.1/udp/4001/quic-v1 is not a TCP address";
        QTest::newRow("missing peer")
            << ping << QByteArray("{}") << 400 << "field \"peer\" is required";
        QTest::newRow("peer not string")
            << ping << QByteArray("{\"peer\":[]}") << 400 << "field \"peer\" must be a string";
        QTest::newRow("bad peer") << ping << QByteArray("{\"peer\":\"xyz\"}") << 400
                                  << "field \"peer\": ";
        for (const char* count : {"0", "101", "1.5", "-1", "\"x\"", "null", "true"})
            QTest::addRow("count %s", count)
                << ping << "{" + peer + ",\"count\":" + count + "}" << 400
                << "field \"count\" must be an integer from 1 to 100";
        QTest::newRow("not connected")
            << ping << "{" + peer + "}" << 404 << "not connected to " + strangerId;
    }

    void badRequestsNameTheField() {
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, error);
        const Reply reply = call("POST", QString::fromLatin1(path), body);
        QCOMPARE(reply.status, status);
        QVERIFY(reply.contentType.startsWith("application/json"));
        QVERIFY2(reply.error().startsWith(error), qPrintable(reply.error()));
    }

    void invalidJsonSaysWhere() {
        const Reply reply = call("POST", "/api/v1/dial", "{\"addr\": }");
        QCOMPARE(reply.status, 400);
        QVERIFY2(reply.error().contains(QRegularExpression(R"(^invalid JSON: .+ at offset \d+$)")),
                 qPrintable(reply.error()));
    }

    void unknownRoutesAndMethods() {
        const Reply missing = call("GET", "/api/v1/nothing");
        QCOMPARE(missing.status, 404);
        QVERIFY(missing.contentType.startsWith("application/json"));
        QVERIFY(missing.error().contains("/api/v1/nothing"));
        const Reply postNode = call("POST", "/api/v1/node", "{}");
        QCOMPARE(postNode.status, 405);
        QCOMPARE(postNode.allow, QByteArray("GET"));
        QVERIFY(!postNode.error().isEmpty());
        const Reply getDial = call("GET", "/api/v1/dial");
        QCOMPARE(getDial.status, 405);
        QCOMPARE(getDial.allow, QByteArray("POST"));
        QCOMPARE(call("DELETE", "/api/v1/peers").status, 405);
        QCOMPARE(call("PUT", "/metrics").status, 405);
    }

    void metricsPassPromtool() {
        // A connection and a failed handshake, so not every counter is zero.
        QCOMPARE(call("POST", "/api/v1/dial", json({{"addr", addrOfB()}})).status, 200);
        const QString addr = addrOfB();
        QCOMPARE(call("POST", "/api/v1/dial",
                      json({{"addr", addr.left(addr.indexOf("/p2p/")) + "/p2p/" + idOf(*a_)}}))
                     .status,
                 502);
        const Reply metrics = call("GET", "/metrics");
        QCOMPARE(metrics.status, 200);
        QVERIFY2(metrics.contentType.startsWith("text/plain; version=0.0.4"),
                 metrics.contentType.constData());
        const QByteArray& text = metrics.body;
        for (const char* family : {"peerscope_connections", "peerscope_peers", "peerscope_streams",
                                   "peerscope_bytes_received_total", "peerscope_bytes_sent_total",
                                   "peerscope_connections_opened_total",
                                   "peerscope_connections_closed_total", "peerscope_dials_total",
                                   "peerscope_handshake_failures_total", "peerscope_build_info"}) {
            QVERIFY2(text.contains("# HELP " + QByteArray(family) + ' '), family);
            QVERIFY2(text.contains("# TYPE " + QByteArray(family) + ' '), family);
        }
        QVERIFY(text.contains("peerscope_connections{direction=\"outbound\"} 3\n"));
        QVERIFY(text.contains("peerscope_connections{direction=\"inbound\"} 0\n"));
        QVERIFY(text.contains("peerscope_peers 1\n"));
        QVERIFY(text.contains("peerscope_dials_total{outcome=\"success\"} 3\n"));
        QVERIFY(text.contains("peerscope_dials_total{outcome=\"failure\"} 1\n"));
        QVERIFY(
            text.contains("peerscope_handshake_failures_total{reason=\"peer_id_mismatch\"} 1\n"));
        for (const char* reason :
             {"security_negotiation", "noise", "muxer_negotiation", "timeout", "eof"})
            QVERIFY2(text.contains("peerscope_handshake_failures_total{reason=\"" +
                                   QByteArray(reason) + "\"} "),
                     reason);
        QVERIFY(text.contains("peerscope_build_info{version=\"" PEERSCOPE_VERSION "\""));
        // The resource manager: every scope x resource refusal counter from the start, and
        // the node's use against its limits (3 outbound connections, the default 200).
        for (const char* scope : {"system", "ip", "peer", "connection", "protocol"})
            for (const char* resource :
                 {"pending_handshakes", "inbound_connections", "outbound_connections",
                  "inbound_streams", "outbound_streams"})
                QVERIFY2(text.contains("peerscope_resource_refused_total{scope=\"" +
                                       QByteArray(scope) + "\",resource=\"" + QByteArray(resource) +
                                       "\"} 0\n"),
                         resource);
        QVERIFY(text.contains("# TYPE peerscope_resource_refused_total counter\n"));
        QVERIFY(text.contains("# TYPE peerscope_resource_in_use gauge\n"));
        QVERIFY(text.contains("peerscope_resource_in_use{resource=\"outbound_connections\"} 3\n"));
        QVERIFY(text.contains("peerscope_resource_in_use{resource=\"pending_handshakes\"} 0\n"));
        QVERIFY(text.contains("peerscope_resource_limit{resource=\"outbound_connections\"} 200\n"));
        QVERIFY(text.contains("peerscope_resource_limit{resource=\"pending_handshakes\"} 64\n"));
        // Backpressure: bytes buffered, and the counters a hostile peer moves.
        QVERIFY(text.contains("peerscope_resource_limit{resource=\"bytes_buffered\"} 268435456\n"));
        QVERIFY(text.contains("peerscope_resource_in_use{resource=\"bytes_buffered\"} "));
        for (const char* scope : {"system", "peer", "connection", "stream"})
            QVERIFY2(text.contains("peerscope_resource_refused_total{scope=\"" + QByteArray(scope) +
                                   "\",resource=\"bytes_buffered\"} 0\n"),
                     scope);
        QVERIFY(text.contains("peerscope_streams_reset_total{reason=\"write_queue_full\"} 0\n"));
        QVERIFY(
            text.contains("peerscope_streams_reset_total{reason=\"identify_push_too_large\"} 0\n"));
        QVERIFY(text.contains(
            "peerscope_streams_refused_total{reason=\"protocol_not_supported\"} 0\n"));
        QVERIFY(text.contains("peerscope_connection_read_pauses_total 0\n"));

        const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
        if (promtool.isEmpty())
            QSKIP("promtool not installed (the prometheus package; CI installs it)");
        QProcess check;
        check.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
        QVERIFY(check.waitForStarted(5000));
        check.write(text);
        check.closeWriteChannel();
        QVERIFY(check.waitForFinished(20000));
        QCOMPARE(check.exitStatus(), QProcess::NormalExit);
        QVERIFY2(check.exitCode() == 0,
                 (check.readAllStandardOutput() + check.readAllStandardError()).constData());
    }

    void relayRoutes() {
        const Reply empty = call("GET", "/api/v1/relays");
        QCOMPARE(empty.status, 200);
        QVERIFY(empty.object().value(QStringLiteral("relays")).toArray().isEmpty());
        QVERIFY(empty.object().value(QStringLiteral("relayedAddrs")).isArray());

        // Bad input: 400 naming the bad part.
        const QString relayId =
            QStringLiteral("12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE");
        const struct {
            QString addr;
            QString error;
        } bad[] = {
            {QStringLiteral("/ip4/127.0.0.1/tcp/1"), QStringLiteral("has no /p2p/<relay id>")},
            {QStringLiteral("/ip4/127.0.0.1/tcp/99999/p2p/") + relayId,
             QStringLiteral("component 2 (tcp)")},
            {QStringLiteral("/p2p/") + relayId + QStringLiteral("/p2p-circuit"),
             QStringLiteral("is a circuit address; a relay is reached directly")},
        };
        for (const auto& [addr, error] : bad) {
            const Reply reply = call("POST", "/api/v1/relays", json({{"addr", addr}}));
            QCOMPARE(reply.status, 400);
            QVERIFY2(reply.error().startsWith(QStringLiteral("field \"addr\": ")),
                     qPrintable(reply.error()));
            QVERIFY2(reply.error().contains(error), qPrintable(reply.error()));
        }
        QCOMPARE(call("POST", "/api/v1/relays", "{}").status, 400);
        const Reply unknown = call("DELETE", "/api/v1/relays/" + relayId);
        QCOMPARE(unknown.status, 404);
        QVERIFY2(unknown.error().contains(QStringLiteral("unknown relay")),
                 qPrintable(unknown.error()));
        const Reply notAPeer = call("POST", "/api/v1/relays/xyz/prefer");
        QCOMPARE(notAPeer.status, 400);
        QVERIFY2(notAPeer.error().contains(QStringLiteral("relay xyz: not a peer ID")),
                 qPrintable(notAPeer.error()));
        QCOMPARE(call("GET", "/api/v1/relays/" + relayId + "/prefer").status, 405);

        // B as a relay (it offers no hop service, so a reservation will fail; the relay is
        // listed and can be preferred and removed all the same).
        const QString peerB = idOf(*b_);
        const Reply added = call("POST", "/api/v1/relays", json({{"addr", addrOfB()}}));
        QCOMPARE(added.status, 201);
        QCOMPARE(added.object().value(QStringLiteral("peerId")).toString(), peerB);
        QCOMPARE(added.object().value(QStringLiteral("source")).toString(),
                 QStringLiteral("static"));
        const Reply preferred = call("POST", "/api/v1/relays/" + peerB + "/prefer");
        QCOMPARE(preferred.status, 200);
        QVERIFY(preferred.object().value(QStringLiteral("preferred")).toBool());
        QCOMPARE(call("POST", "/api/v1/relays/" + peerB + "/reserve").status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const QJsonArray relays = call("GET", "/api/v1/relays")
                                              .object()
                                              .value(QStringLiteral("relays"))
                                              .toArray();
                return relays.size() == 1 &&
                       relays.at(0).toObject().value(QStringLiteral("connected")).toBool();
            }(),
            10000);
        const QByteArray metrics = call("GET", "/metrics").body;
        QVERIFY(metrics.contains("peerscope_relays{state=\"none\"}"));
        QVERIFY(metrics.contains("peerscope_relay_in_use{relay=\"" + peerB.toUtf8()));
        QCOMPARE(call("DELETE", "/api/v1/relays/" + peerB).status, 200);
        QVERIFY(call("GET", "/api/v1/relays")
                    .object()
                    .value(QStringLiteral("relays"))
                    .toArray()
                    .isEmpty());
    }

    void poolRoutes() {
        QCOMPARE(call("POST", "/api/v1/dial", json({{"addr", addrOfB()}})).status, 200);
        const QString peerB = idOf(*b_);

        // Peer detail with each connection's health.
        const Reply detail = call("GET", "/api/v1/peers/" + peerB);
        QVERIFY2(detail.status == 200, detail.body.constData());
        const QJsonArray connections = detail.object().value("connections").toArray();
        QCOMPARE(connections.size(), 3);
        const QJsonObject health = connections.first().toObject().value("health").toObject();
        for (const char* field : {"state", "score", "rttSmoothedMs", "jitterMs", "rtoMs",
                                  "pingSuccessRate", "probes", "streamsFailed"})
            QVERIFY2(health.contains(field), field);
        QCOMPARE(health.value("state").toString(), QStringLiteral("healthy"));
        QVERIFY(
            connections.first().toObject().value("bytesPerSecondIn").toObject().contains("60s"));
        QCOMPARE(call("GET", "/api/v1/peers/not-a-peer").status, 400);
        QVERIFY(call("GET", "/api/v1/peers/not-a-peer").error().contains("not-a-peer"));
        QCOMPARE(call("GET", "/api/v1/peers/" + strangerId).status, 404);

        // Health summary.
        const QJsonObject summary = call("GET", "/api/v1/health").object();
        QCOMPARE(summary.value("peers").toInt(), 1);
        QCOMPARE(summary.value("connections").toInt(), 3);
        QCOMPARE(summary.value("byState").toObject().value("healthy").toInt(), 3);
        QVERIFY(summary.contains("averageHealth"));
        QCOMPARE(summary.value("pool").toObject().value("dialsSucceeded").toInt(), 3);

        // Protect and unprotect.
        QCOMPARE(call("POST", "/api/v1/peers/" + peerB + "/protect").status, 200);
        QVERIFY(call("GET", "/api/v1/peers/" + peerB).object().value("protected").toBool());
        QCOMPARE(call("DELETE", "/api/v1/peers/" + peerB + "/protect").status, 200);
        QVERIFY(!call("GET", "/api/v1/peers/" + peerB).object().value("protected").toBool());
        const Reply wrongMethod = call("GET", "/api/v1/peers/" + peerB + "/protect");
        QCOMPARE(wrongMethod.status, 405);
        QCOMPARE(wrongMethod.allow, QByteArray("POST, DELETE"));

        // Close one connection by id; the pool keeps the peer (min 1), so it stays listed.
        const QString id = connections.first().toObject().value("id").toString();
        QCOMPARE(call("DELETE", "/api/v1/connections/" + id).status, 200);
        QCOMPARE(call("DELETE", "/api/v1/connections/" + id).status, 404);
        QCOMPARE(call("DELETE", "/api/v1/connections/abc").status, 400);
        QVERIFY(call("DELETE", "/api/v1/connections/abc").error().contains("\"abc\""));

        // Events: opened connections, the protection, the close; "since" pages forward.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const QJsonArray events =
                    call("GET", "/api/v1/events?since=0").object().value("events").toArray();
                return std::any_of(events.begin(), events.end(), [&](const QJsonValue& e) {
                    return e.toObject().value("kind") == QLatin1String("closed") &&
                           e.toObject().value("connectionId").toString() == id;
                });
            }(),
            10000);
        const QJsonObject page = call("GET", "/api/v1/events?since=0").object();
        const QJsonArray all = page.value("events").toArray();
        QVERIFY(all.size() >= 5);
        QVERIFY(std::any_of(all.begin(), all.end(), [](const QJsonValue& e) {
            return e.toObject().value("kind") == QLatin1String("opened");
        }));
        QVERIFY(std::any_of(all.begin(), all.end(), [](const QJsonValue& e) {
            return e.toObject().value("kind") == QLatin1String("protected");
        }));
        const int lastSeq = page.value("lastSeq").toInt();
        QCOMPARE(all.last().toObject().value("seq").toInt(), lastSeq);
        QVERIFY(call("GET", QStringLiteral("/api/v1/events?since=%1").arg(lastSeq))
                    .object()
                    .value("events")
                    .toArray()
                    .isEmpty());
        QCOMPARE(
            call("GET", "/api/v1/events?since=0&limit=2").object().value("events").toArray().size(),
            2);
        QCOMPARE(call("GET", "/api/v1/events?since=x").status, 400);
        QVERIFY(call("GET", "/api/v1/events?since=x").error().contains("since"));
        QCOMPARE(call("GET", "/api/v1/events?limit=0").status, 400);
    }

    void configRoutesValidateAndApply() {
        const Reply before = call("GET", "/api/v1/config");
        QCOMPARE(before.status, 200);
        const QJsonObject config = before.object();
        QCOMPARE(config.value("version").toInt(), 1);
        QCOMPARE(config.value("connection").toObject().value("max_connections_per_peer").toInt(),
                 3);
        QCOMPARE(config.value("retry").toObject().value("max_retries").toInt(), 3);
        // The config document and nothing else; what describes it is its own route.
        QCOMPARE(config.keys(), (QStringList{"connection", "relay_client", "relay_service",
                                             "resources", "retry", "services", "version"}));
        QCOMPARE(config.value("services").toObject().value("serve_perf"), QJsonValue(false));
        const Reply meta = call("GET", "/api/v1/config/meta");
        QCOMPARE(meta.status, 200);
        QCOMPARE(meta.object().value("path").toString(), dirA_.filePath("config.json"));
        QCOMPARE(meta.object().value("differsFromDefaults"), QJsonValue(QJsonArray()));
        const Reply putMeta = call("PUT", "/api/v1/config/meta", "{}");
        QCOMPARE(putMeta.status, 405);
        QCOMPARE(putMeta.allow, QByteArray("GET"));

        // Bad: every field named, nothing applied, the running config unchanged.
        const Reply bad = call("PUT", "/api/v1/config",
                               R"({"connection":{"min_connections_per_peer":4,"ping_timeout":"x",)"
                               R"("nope":1},"retry":{"jitter_factor":2}})");
        QCOMPARE(bad.status, 400);
        QStringList errors;
        for (const QJsonValue& e : bad.object().value("errors").toArray())
            errors << e.toString();
        QVERIFY(
            errors.contains("min_connections_per_peer (4) exceeds max_connections_per_peer (3)"));
        QVERIFY(
            errors.contains("connection.ping_timeout: expected a number of seconds, got \"x\""));
        QVERIFY(errors.contains("connection.nope: unknown field"));
        QVERIFY(errors.contains("jitter_factor (2) must be within 0..1"));
        QCOMPARE(errors.size(), 4);
        QCOMPARE(call("GET", "/api/v1/config").object().value("connection"),
                 config.value("connection"));
        QVERIFY(!QFile::exists(dirA_.filePath("config.json")));
        QCOMPARE(call("PUT", "/api/v1/config", "{").status, 400);

        // Good and partial: applied at once and saved.
        const Reply good = call("PUT", "/api/v1/config",
                                R"({"connection":{"load_balancing_strategy":"least_loaded"}})");
        QVERIFY2(good.status == 200, good.body.constData());
        QCOMPARE(good.object()
                     .value("connection")
                     .toObject()
                     .value("load_balancing_strategy")
                     .toString(),
                 QStringLiteral("least_loaded"));
        QCOMPARE(good.object().keys(), config.keys());
        QCOMPARE(call("GET", "/api/v1/config/meta").object().value("differsFromDefaults"),
                 QJsonValue(QJsonArray{QStringLiteral("connection.load_balancing_strategy")}));
        QFile saved(dirA_.filePath("config.json"));
        QVERIFY(saved.open(QIODevice::ReadOnly));
        QVERIFY(saved.readAll().contains("least_loaded"));
        const Reply patch = call("PATCH", "/api/v1/config", "{}");
        QCOMPARE(patch.status, 405);
        QCOMPARE(patch.allow, QByteArray("GET, PUT"));
    }

    // GET answers what PUT takes: `curl GET | jq ... | curl PUT` works.
    void configRoundTrips() {
        const Reply got = call("GET", "/api/v1/config");
        QCOMPARE(got.status, 200);

        // Unchanged: accepted, and nothing changes.
        const Reply same = call("PUT", "/api/v1/config", got.body);
        QVERIFY2(same.status == 200, same.body.constData());
        QCOMPARE(same.object(), got.object());
        QCOMPARE(call("GET", "/api/v1/config").object(), got.object());
        QCOMPARE(call("GET", "/api/v1/config/meta").object().value("differsFromDefaults"),
                 QJsonValue(QJsonArray()));
        const QJsonArray events =
            call("GET", "/api/v1/events?since=0").object().value("events").toArray();
        QVERIFY(std::any_of(events.begin(), events.end(), [](const QJsonValue& e) {
            return e.toObject().value("kind") == QLatin1String("config") &&
                   e.toObject().value("detail") == QLatin1String("applied, nothing changed");
        }));

        // One field edited in the whole document: that field, and only it, changes.
        QJsonObject edited = got.object();
        QJsonObject connection = edited.value("connection").toObject();
        QCOMPARE(connection.value("max_connections_per_peer").toInt(), 3);
        connection.insert("max_connections_per_peer", 5);
        edited.insert("connection", connection);
        const Reply put = call("PUT", "/api/v1/config", json(edited));
        QVERIFY2(put.status == 200, put.body.constData());
        QCOMPARE(put.object(), edited);
        QCOMPARE(call("GET", "/api/v1/config").object(), edited);
        QCOMPARE(call("GET", "/api/v1/config/meta").object().value("differsFromDefaults"),
                 QJsonValue(QJsonArray{QStringLiteral("connection.max_connections_per_peer")}));

        // A bad value in a whole document is still named, and nothing is applied.
        connection.insert("ping_timeout", -1);
        edited.insert("connection", connection);
        const Reply bad = call("PUT", "/api/v1/config", json(edited));
        QCOMPARE(bad.status, 400);
        QCOMPARE(bad.object().value("errors").toArray(),
                 QJsonArray{QStringLiteral("ping_timeout (-1) must be greater than 0")});
        QCOMPARE(call("GET", "/api/v1/config")
                     .object()
                     .value("connection")
                     .toObject()
                     .value("max_connections_per_peer"),
                 QJsonValue(5));
    }

    // The relay service follows relay_service live: identify tells connected peers, /metrics
    // and the JSON report show it; a bad trusted peer is named and nothing applied.
    void relayServiceIsAppliedLive() {
        const QString hop = QStringLiteral("/libp2p/circuit/relay/0.2.0/hop");
        QCOMPARE(call("POST", "/api/v1/dial", json({{"addr", addrOfB()}})).status, 200);
        const QString peerA = idOf(*a_);
        auto protocolsOfAAtB = [&] {
            for (const PeerSnapshot& peer : b_->client()->snapshot().peers)
                if (peer.peerId == peerA)
                    return peer.protocols;
            return QStringList();
        };
        QTRY_VERIFY_WITH_TIMEOUT(!protocolsOfAAtB().isEmpty(), 10000);
        QVERIFY(!protocolsOfAAtB().contains(hop));
        QVERIFY(call("GET", "/metrics").body.contains("peerscope_relay_service_enabled 0\n"));

        const Reply bad = call("PUT", "/api/v1/config",
                               R"({"relay_service":{"enabled":true,"trusted_peers":["xyz"]}})");
        QCOMPARE(bad.status, 400);
        QCOMPARE(
            bad.object().value("errors").toArray(),
            QJsonArray{QStringLiteral("relay_service.trusted_peers[0]: \"xyz\" is not a peer ID")});

        const Reply on = call("PUT", "/api/v1/config",
                              R"({"relay_service":{"enabled":true,"max_circuits":32}})");
        QVERIFY2(on.status == 200, on.body.constData());
        QCOMPARE(on.object().value("relay_service").toObject().value("max_circuits").toInt(), 32);
        QTRY_VERIFY_WITH_TIMEOUT(protocolsOfAAtB().contains(hop), 10000);
        // B uses relays it finds through identify (automatic_relays): it reserves on A at once.
        QTRY_VERIFY_WITH_TIMEOUT(
            call("GET", "/metrics").body.contains("peerscope_relay_service_reservations 1\n"),
            10000);
        const QByteArray metrics = call("GET", "/metrics").body;
        QVERIFY(metrics.contains("peerscope_relay_service_enabled 1\n"));
        QVERIFY(metrics.contains(
            "peerscope_relay_service_refused_total{status=\"no_reservation\"} 0\n"));
        QVERIFY(
            metrics.contains("peerscope_relay_service_circuits_total{outcome=\"data_limit\"} 0\n"));
        QVERIFY(metrics.contains(
            "peerscope_relay_service_bytes_total{direction=\"to_destination\"} 0\n"));
        const QJsonObject relay =
            call("GET", "/api/v1/export?format=json").object().value("relayService").toObject();
        QCOMPARE(relay.value("enabled"), QJsonValue(true));
        QCOMPARE(relay.value("reservations"), QJsonValue(1));
        QCOMPARE(call("GET", "/api/v1/node").object().value("relayService").toObject(), relay);

        const Reply off = call("PUT", "/api/v1/config", R"({"relay_service":{"enabled":false}})");
        QVERIFY2(off.status == 200, off.body.constData());
        QTRY_VERIFY_WITH_TIMEOUT(!protocolsOfAAtB().contains(hop), 10000);
        QVERIFY(call("GET", "/metrics").body.contains("peerscope_relay_service_enabled 0\n"));
    }

    void exportsParse() {
        QCOMPARE(call("POST", "/api/v1/dial", json({{"addr", addrOfB()}})).status, 200);
        const Reply report = call("GET", "/api/v1/export?format=json");
        QCOMPARE(report.status, 200);
        const QJsonObject root = report.object();
        for (const char* field : {"peerId", "takenAt", "health", "pool", "peers"})
            QVERIFY2(root.contains(field), field);
        QCOMPARE(
            root.value("peers").toArray().first().toObject().value("connections").toArray().size(),
            3);

        const Reply csv = call("GET", "/api/v1/export?format=csv");
        QCOMPARE(csv.status, 200);
        QVERIFY(csv.contentType.startsWith("text/csv"));
        const QList<QByteArray> rows = csv.body.split('\n');
        QVERIFY(rows.first().startsWith("peer_id,connection_id,direction,remote_addr,"));
        const int columns = rows.first().count(',') + 1;
        int dataRows = 0;
        for (int i = 1; i < rows.size(); ++i)
            if (!rows[i].trimmed().isEmpty()) {
                ++dataRows;
                QCOMPARE(rows[i].count(',') + 1, columns); // no field needs quoting here
            }
        QCOMPARE(dataRows, 3);

        const Reply prometheus = call("GET", "/api/v1/export?format=prometheus");
        QCOMPARE(prometheus.status, 200);
        QVERIFY(prometheus.body.contains("peerscope_connections_by_health{state=\"healthy\"} 3"));
        QVERIFY(prometheus.body.contains("# TYPE peerscope_ping_rtt_seconds histogram"));
        QVERIFY(prometheus.body.contains("peerscope_peer_health_score{peer=\"" +
                                         idOf(*b_).toUtf8() + "\"} "));
        const Reply badFormat = call("GET", "/api/v1/export?format=xml");
        QCOMPARE(badFormat.status, 400);
        QVERIFY(badFormat.error().contains("\"xml\""));

        const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
        if (promtool.isEmpty())
            QSKIP("promtool not installed (the prometheus package; CI installs it)");
        QProcess check;
        check.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
        QVERIFY(check.waitForStarted(5000));
        check.write(prometheus.body);
        check.closeWriteChannel();
        QVERIFY(check.waitForFinished(20000));
        QVERIFY2(check.exitCode() == 0,
                 (check.readAllStandardOutput() + check.readAllStandardError()).constData());
    }

    // With a certificate the API speaks HTTPS only: the token never goes over a plain connection.
    void apiOverTlsOnly() {
        QTemporaryDir dir;
        const test::SelfSignedCertificate certificate = test::makeSelfSignedCertificate(dir);
        QVERIFY2(certificate.error.isEmpty(), qPrintable(certificate.error));
        EngineOptions o = options(dir.path());
        o.apiTlsCertificatePath = certificate.certificatePath;
        o.apiTlsKeyPath = certificate.keyPath;
        Engine engine(o);
        const Result<void> started = engine.start();
        QVERIFY2(started.ok(), started.ok() ? "" : started.errorMessage().c_str());
        const quint16 port = engine.apiPort();
        const QByteArray token = tokenIn(dir);

        const test::HttpsReply node =
            test::httpsGet(port, "/api/v1/node", token, certificate.certificatePath);
        QVERIFY2(node.status == 200, qPrintable(node.errorString));
        QCOMPARE(QJsonDocument::fromJson(node.body).object().value("peerId").toString(),
                 idOf(engine));
        QCOMPARE(
            test::httpsGet(port, "/api/v1/node", QByteArray(64, 'a'), certificate.certificatePath)
                .status,
            401);
        // A client that does not trust the certificate stops at the handshake.
        const test::HttpsReply untrusted = test::httpsGet(port, "/api/v1/node", token);
        QCOMPARE(untrusted.status, 0);
        QCOMPARE(untrusted.error, QNetworkReply::SslHandshakeFailedError);

        // Plain HTTP to the TLS port, even with the right token: no HTTP answer, and the
        // connection is closed.
        QTcpSocket plain;
        plain.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(plain.waitForConnected(5000));
        plain.write("GET /api/v1/node HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                    token + "\r\n\r\n");
        QByteArray answer;
        QVERIFY(QTest::qWaitFor(
            [&] {
                answer += plain.readAll();
                return plain.state() == QAbstractSocket::UnconnectedState;
            },
            15000));
        answer += plain.readAll();
        QVERIFY2(!answer.contains("HTTP/"), answer.toHex().constData());
        QVERIFY(!answer.contains(idOf(engine).toLatin1()));
    }

    // DESIGN.md: the control API is loopback with a token; off loopback only over TLS.
    void apiOffLoopbackNeedsTls() {
        QTemporaryDir dir;
        for (const QString& endpoint : {QStringLiteral("0.0.0.0:0"), QStringLiteral("[::]:0")}) {
            EngineOptions o = options(dir.path());
            o.apiEndpoint = endpoint;
            Engine engine(o);
            const Result<void> started = engine.start();
            QVERIFY(!started.ok());
            QCOMPARE(QString::fromStdString(started.errorMessage()),
                     QString::fromStdString(apiNeedsTlsMessage(endpoint)));
            QVERIFY(started.errorMessage().find("--api-tls-cert FILE and --api-tls-key FILE") !=
                    std::string::npos);
        }

        // With TLS it listens on every interface; this test connects to 127.0.0.1 only.
        const test::SelfSignedCertificate certificate = test::makeSelfSignedCertificate(dir);
        QVERIFY2(certificate.error.isEmpty(), qPrintable(certificate.error));
        EngineOptions o = options(dir.path());
        o.apiEndpoint = QStringLiteral("0.0.0.0:0");
        o.apiTlsCertificatePath = certificate.certificatePath;
        o.apiTlsKeyPath = certificate.keyPath;
        Engine engine(o);
        const Result<void> started = engine.start();
        QVERIFY2(started.ok(), started.ok() ? "" : started.errorMessage().c_str());
        const test::HttpsReply health = test::httpsGet(engine.apiPort(), "/api/v1/health",
                                                       tokenIn(dir), certificate.certificatePath);
        QVERIFY2(health.status == 200, qPrintable(health.errorString));
    }

    void badTlsFilesAreNamed() {
        QTemporaryDir dir;
        const test::SelfSignedCertificate ec = test::makeSelfSignedCertificate(dir);
        QVERIFY2(ec.error.isEmpty(), qPrintable(ec.error));
        const test::SelfSignedCertificate rsa =
            test::makeSelfSignedCertificate(dir, QStringLiteral("rsa"), {"-newkey", "rsa:2048"});
        QVERIFY2(rsa.error.isEmpty(), qPrintable(rsa.error));
        QVERIFY(loadApiTlsConfiguration(ec.certificatePath, ec.keyPath).ok());
        QVERIFY(loadApiTlsConfiguration(rsa.certificatePath, rsa.keyPath).ok());

        const QString garbage = dir.filePath(QStringLiteral("garbage.pem"));
        QFile file(garbage);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
        file.close();
        const QString missing = dir.filePath(QStringLiteral("missing.pem"));
        const QString expired = dir.filePath(QStringLiteral("expired.pem"));
        QFile expiredFile(expired);
        QVERIFY(expiredFile.open(QIODevice::WriteOnly));
        expiredFile.write(expiredCertificate);
        expiredFile.close();

        QCOMPARE(errorOf(loadApiTlsConfiguration(ec.certificatePath, {})),
                 QStringLiteral("--api-tls-cert needs --api-tls-key: give both, or neither"));
        QCOMPARE(errorOf(loadApiTlsConfiguration({}, ec.keyPath)),
                 QStringLiteral("--api-tls-key needs --api-tls-cert: give both, or neither"));
        QCOMPARE(errorOf(loadApiTlsConfiguration(garbage, ec.keyPath)),
                 QStringLiteral("--api-tls-cert %1: no PEM certificate in it").arg(garbage));
        QVERIFY(errorOf(loadApiTlsConfiguration(missing, ec.keyPath))
                    .startsWith(QStringLiteral("--api-tls-cert %1: cannot read it").arg(missing)));
        QCOMPARE(errorOf(loadApiTlsConfiguration(expired, ec.keyPath)),
                 QStringLiteral("--api-tls-cert %1: the certificate expired on Jan  2 00:00:00 "
                                "2020 GMT")
                     .arg(expired));
        QVERIFY(errorOf(loadApiTlsConfiguration(ec.certificatePath, garbage))
                    .startsWith(QStringLiteral("--api-tls-key %1: no unencrypted PEM private key")
                                    .arg(garbage)));
        // The key must be the certificate's, and a certificate is no key.
        QCOMPARE(errorOf(loadApiTlsConfiguration(ec.certificatePath, rsa.keyPath)),
                 QStringLiteral("--api-tls-key %1: not the private key of the certificate in %2")
                     .arg(rsa.keyPath, ec.certificatePath));
        QVERIFY(errorOf(loadApiTlsConfiguration(ec.certificatePath, ec.certificatePath))
                    .startsWith(QStringLiteral("--api-tls-key %1: no unencrypted PEM private key")
                                    .arg(ec.certificatePath)));

        // The command line's check, before any Qt TLS, finds the same.
        QVERIFY(checkApiTlsFiles(ec.certificatePath, ec.keyPath).ok());
        const Result<void> checked = checkApiTlsFiles(ec.certificatePath, rsa.keyPath);
        QVERIFY(!checked.ok());
        QCOMPARE(QString::fromStdString(checked.errorMessage()),
                 errorOf(loadApiTlsConfiguration(ec.certificatePath, rsa.keyPath)));

        // An engine given a bad file does not start, and says which.
        EngineOptions o = options(dir.path());
        o.apiTlsCertificatePath = garbage;
        o.apiTlsKeyPath = ec.keyPath;
        Engine engine(o);
        const Result<void> started = engine.start();
        QVERIFY(!started.ok());
        QVERIFY2(QString::fromStdString(started.errorMessage()).contains(garbage),
                 started.errorMessage().c_str());
    }

    void tokenFileReadableByOthersIsRefused() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("api-token"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(64, 'b') + '\n');
        file.close();
        const QFile::Permissions ownerOnly = QFileDevice::ReadOwner | QFileDevice::WriteOwner;
        for (QFile::Permissions extra : {QFile::Permissions(QFileDevice::ReadOther),
                                         QFile::Permissions(QFileDevice::ReadGroup)}) {
            QVERIFY(file.setPermissions(ownerOnly | extra));
            const Result<QByteArray> token = ControlApi::loadOrCreateToken(path);
            QVERIFY(!token.ok());
            const QString message = QString::fromStdString(token.errorMessage());
            QVERIFY2(message.contains(path) && message.contains("chmod 600"), qPrintable(message));
        }
        QVERIFY(file.setPermissions(ownerOnly));
        QCOMPARE(ControlApi::loadOrCreateToken(path).value(), QByteArray(64, 'b'));

        // An engine whose token file is open to others does not start.
        QTemporaryDir dataDir;
        const QString exposed = dataDir.filePath(QStringLiteral("api-token"));
        QVERIFY(QFile::copy(path, exposed));
        QVERIFY(QFile::setPermissions(exposed, ownerOnly | QFileDevice::ReadGroup));
        Engine engine(options(dataDir.path()));
        const Result<void> started = engine.start();
        QVERIFY(!started.ok());
        QVERIFY2(QString::fromStdString(started.errorMessage()).contains("chmod 600"),
                 started.errorMessage().c_str());
    }
};

QTEST_GUILESS_MAIN(TestControlApi)
#include "tst_control_api.moc"
