// The control API over real HTTP: two Engines (each on its own engine thread) on loopback,
// driven with QNetworkAccessManager. Auth, every route, bad input, and promtool on /metrics.
#include "engine/api/control_api.h"
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

struct Reply {
    int status = 0;
    QByteArray body;
    QJsonObject object() const { return QJsonDocument::fromJson(body).object(); }
    QJsonArray array() const { return QJsonDocument::fromJson(body).array(); }
};

} // namespace

class TestApiEndpoints final : public QObject {
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
        o.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/0")};
        o.fallbackToEphemeralPort = false;
        o.apiEndpoint = QStringLiteral("127.0.0.1:0");
        return o;
    }

    Reply call(const QByteArray& method, const QString& path, const QByteArray& body = {},
               const QByteArray& token = QByteArray("default")) {
        QNetworkRequest request(
            QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(a_->apiPort()).arg(path)));
        const QByteArray useToken = token == "default" ? token_ : token;
        if (!useToken.isEmpty())
            request.setRawHeader("Authorization", "Bearer " + useToken);
        request.setHeader(QNetworkRequest::ContentTypeHeader, "application/json");
        QNetworkReply* reply = network_.sendCustomRequest(request, method, body);
        if (!QTest::qWaitFor([&] { return reply->isFinished(); }, 20000))
            reply->abort();
        Reply out;
        out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        out.body = reply->readAll();
        reply->deleteLater();
        return out;
    }

    QString addrOfB() const { return b_->announcedAddrs().first(); }

private Q_SLOTS:
    void init() {
        QVERIFY(dirA_.isValid() && dirB_.isValid());
        a_ = std::make_unique<Engine>(options(dirA_.path()));
        b_ = std::make_unique<Engine>(options(dirB_.path()));
        Result<void> startedA = a_->start();
        QVERIFY2(startedA.ok(), startedA.ok() ? "" : startedA.errorMessage().c_str());
        QVERIFY(b_->start().ok());
        QFile tokenFile(dirA_.filePath(QStringLiteral("api-token")));
        QVERIFY(tokenFile.open(QIODevice::ReadOnly));
        token_ = tokenFile.readAll().trimmed();
        QCOMPARE(token_.size(), 64);
        QVERIFY((tokenFile.permissions() & (QFileDevice::ReadGroup | QFileDevice::ReadOther)) == 0);
    }

    void cleanup() {
        a_.reset();
        b_.reset();
    }

    void requestsWithoutTheTokenAreRefused() {
        QCOMPARE(call("GET", "/api/v1/node", {}, QByteArray()).status, 401);
        Reply wrong = call("GET", "/api/v1/node", {}, QByteArray(64, 'a'));
        QCOMPARE(wrong.status, 401);
        QCOMPARE(wrong.object().value("error").toString(),
                 QStringLiteral("missing or wrong bearer token"));
        QCOMPARE(call("GET", "/metrics", {}, QByteArray()).status, 401);
    }

    void nodeDescribesItself() {
        Reply node = call("GET", "/api/v1/node");
        QCOMPARE(node.status, 200);
        const QJsonObject o = node.object();
        QCOMPARE(o.value("peerId").toString(), a_->client()->snapshot().peerId);
        QVERIFY(o.value("agentVersion").toString().startsWith("peerscope/"));
        QCOMPARE(o.value("listenAddrs").toArray().first().toString(), a_->announcedAddrs().first());
    }

    void dialPingAndPeers() {
        Reply dialed =
            call("POST", "/api/v1/dial", QJsonDocument(QJsonObject{{"addr", addrOfB()}}).toJson());
        QVERIFY2(dialed.status == 200, dialed.body.constData());
        QCOMPARE(dialed.object().value("direction").toString(), QStringLiteral("outbound"));
        const QString peerB = b_->client()->snapshot().peerId;

        // Identify fills in the agent shortly after the dial.
        QJsonObject entry;
        QVERIFY(QTest::qWaitFor(
            [&] {
                for (const QJsonValue& peer : call("GET", "/api/v1/peers").array())
                    if (peer.toObject().value("peerId").toString() == peerB)
                        entry = peer.toObject();
                return entry.value("agentVersion").toString().startsWith("peerscope/");
            },
            10000));
        QVERIFY(entry.value("protocols").toArray().contains(QJsonValue("/ipfs/ping/1.0.0")));
        const QJsonObject connection = entry.value("connections").toArray().first().toObject();
        QCOMPARE(connection.value("direction").toString(), QStringLiteral("outbound"));
        QVERIFY(connection.value("remoteAddr").toString().startsWith("/ip4/127.0.0.1/tcp/"));
        QVERIFY(QDateTime::fromString(connection.value("openedAt").toString(), Qt::ISODateWithMs)
                    .isValid());

        Reply pinged = call("POST", "/api/v1/ping",
                            QJsonDocument(QJsonObject{{"peer", peerB}, {"count", 3}}).toJson());
        QVERIFY2(pinged.status == 200, pinged.body.constData());
        const QJsonArray rtts = pinged.object().value("rttsMs").toArray();
        QCOMPARE(rtts.size(), 3);
        for (const QJsonValue& rtt : rtts)
            QVERIFY(rtt.toDouble() > 0 && rtt.toDouble() < 1000);
    }

    void dialWithWrongPeerIdIsAMismatch() {
        const QString addr = addrOfB();
        const QString otherId = a_->client()->snapshot().peerId; // a valid id that is not B's
        const QString wrong = addr.left(addr.indexOf("/p2p/")) + "/p2p/" + otherId;
        Reply dialed =
            call("POST", "/api/v1/dial", QJsonDocument(QJsonObject{{"addr", wrong}}).toJson());
        QCOMPARE(dialed.status, 502);
        QCOMPARE(dialed.object().value("error").toString(),
                 QStringLiteral("peer id mismatch: expected %1, got %2")
                     .arg(otherId, b_->client()->snapshot().peerId));
    }

    void badRequestsNameTheField_data() {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("error");
        QTest::newRow("bad json") << QByteArray("/api/v1/dial") << QByteArray("{\"addr\":") << 400
                                  << "invalid JSON: ";
        QTest::newRow("not an object") << QByteArray("/api/v1/dial") << QByteArray("[1]") << 400
                                       << "the request body must be a JSON object";
        QTest::newRow("missing addr") << QByteArray("/api/v1/dial") << QByteArray("{}") << 400
                                      << "field \"addr\" is required";
        QTest::newRow("addr not string") << QByteArray("/api/v1/dial") << QByteArray("{\"addr\":5}")
                                         << 400 << "field \"addr\" must be a string";
        QTest::newRow("malformed multiaddr")
            << QByteArray("/api/v1/dial") << QByteArray("{\"addr\":\"/ip4/1.2.3.4/tcp/99999\"}")
            << 400 << "field \"addr\": component 2 (tcp): port \"99999\" out of range 0-65535";
        QTest::newRow("unknown protocol")
            << QByteArray("/api/v1/dial") << QByteArray("{\"addr\":\"/ip5/1.2.3.4\"}") << 400
            << "field \"addr\": component 1: unknown protocol \"ip5\"";
        QTest::newRow("missing peer") << QByteArray("/api/v1/ping") << QByteArray("{}") << 400
                                      << "field \"peer\" is required";
        QTest::newRow("bad peer") << QByteArray("/api/v1/ping") << QByteArray("{\"peer\":\"xyz\"}")
                                  << 400 << "field \"peer\": ";
        QTest::newRow("count zero")
            << QByteArray("/api/v1/ping")
            << QByteArray("{\"peer\":\"12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA\","
                          "\"count\":0}")
            << 400 << "field \"count\" must be an integer from 1 to 100";
        QTest::newRow("count string")
            << QByteArray("/api/v1/ping")
            << QByteArray("{\"peer\":\"12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA\","
                          "\"count\":\"x\"}")
            << 400 << "field \"count\" must be an integer from 1 to 100";
        QTest::newRow("not connected")
            << QByteArray("/api/v1/ping")
            << QByteArray("{\"peer\":\"12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA\"}")
            << 404 << "not connected to 12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
    }

    void badRequestsNameTheField() {
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, error);
        Reply reply = call("POST", QString::fromLatin1(path), body);
        QCOMPARE(reply.status, status);
        const QString message = reply.object().value("error").toString();
        QVERIFY2(message.startsWith(error), qPrintable(message));
    }

    void unknownRoutesAndMethods() {
        Reply missing = call("GET", "/api/v1/nothing");
        QCOMPARE(missing.status, 404);
        QVERIFY(missing.object().value("error").toString().contains("/api/v1/nothing"));
        QCOMPARE(call("POST", "/api/v1/node", "{}").status, 405);
        QCOMPARE(call("GET", "/api/v1/dial").status, 405);
    }

    void metricsPassPromtool() {
        // Some traffic and a failed handshake so the counters are not all zero.
        QVERIFY(
            call("POST", "/api/v1/dial", QJsonDocument(QJsonObject{{"addr", addrOfB()}}).toJson())
                .status == 200);
        Reply metrics = call("GET", "/metrics");
        QCOMPARE(metrics.status, 200);
        QVERIFY(metrics.body.contains("peerscope_connections{direction=\"outbound\"} 1"));
        QVERIFY(metrics.body.contains("peerscope_handshake_failures_total{reason=\"noise\"} 0"));
        QVERIFY(metrics.body.contains("peerscope_dials_total{outcome=\"success\"} 1"));
        const QString promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
        if (promtool.isEmpty())
            QSKIP("promtool not installed (scripts/install-deps --test installs it)");
        QProcess check;
        check.start(promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
        QVERIFY(check.waitForStarted(5000));
        check.write(metrics.body);
        check.closeWriteChannel();
        QVERIFY(check.waitForFinished(10000));
        QVERIFY2(check.exitCode() == 0,
                 (check.readAllStandardOutput() + check.readAllStandardError()).constData());
    }

    void tokenFileReadableByOthersIsRefused() {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("api-token"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray(64, 'b'));
        file.close();
        QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                    QFileDevice::ReadOther));
        Result<QByteArray> token = ControlApi::loadOrCreateToken(path);
        QVERIFY(!token.ok());
        QVERIFY(QString::fromStdString(token.errorMessage()).contains("chmod 600"));
        QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner));
        QCOMPARE(ControlApi::loadOrCreateToken(path).value(), QByteArray(64, 'b'));
    }
};

QTEST_GUILESS_MAIN(TestApiEndpoints)
#include "tst_api_endpoints.moc"
