// ApiRequestGuard without sockets: heads split across reads, request boundaries on a kept-alive
// connection (Content-Length bodies, pipelined requests), and each refusal with its message.
#include "engine/api/api_request_guard.h"

#include <QTest>

using namespace peerscope;

namespace {

const QByteArray token = "0123456789abcdef0123456789abcdef";

QByteArray request(const QByteArray& line, const QByteArray& headers, const QByteArray& body = {}) {
    return line + "\r\nHost: x\r\n" + headers + "\r\n" + body;
}

QByteArray bearer() {
    return "Authorization: Bearer " + token + "\r\n";
}

} // namespace

class TestApiRequestGuardCore final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // At once, byte by byte or 7 bytes at a time: two authorized PUTs, a GET without the token (the
    // dispatcher's to answer) and a PUT whose body looks like a head all pass, and the guard ends
    // where they end: an unauthorized body after them is refused.
    void followsRequestBoundaries_data() {
        QTest::addColumn<int>("step");
        QTest::newRow("at once") << 0;
        QTest::newRow("byte by byte") << 1;
        QTest::newRow("7 bytes") << 7;
    }
    void followsRequestBoundaries() {
        QFETCH(int, step);
        const QByteArray trickBody =
            request("POST /api/v1/dial HTTP/1.1", "Content-Length: 999999999\r\n");
        const QByteArray stream =
            "\r\n" +
            request("PUT /api/v1/config HTTP/1.1", bearer() + "Content-Length: 12\r\n",
                    "{\"a\":\"\r\n\r\n\"}") +
            request("GET /api/v1/node HTTP/1.1", "") +
            request("PUT /api/v1/config HTTP/1.1",
                    "authorization: bearer " + token +
                        "\r\nContent-Length: " + QByteArray::number(trickBody.size()) + "\r\n",
                    trickBody) +
            // Bare LF line ends, as Qt's parser also accepts them.
            "GET /metrics HTTP/1.1\nAuthorization: Bearer " + token + "\n\n";
        ApiRequestGuard guard(token);
        const qsizetype chunk = step == 0 ? stream.size() : step;
        for (qsizetype at = 0; at < stream.size(); at += chunk) {
            const std::optional<ApiRefusal> refusal = guard.feed(
                QByteArrayView(stream).sliced(at, std::min<qsizetype>(chunk, stream.size() - at)));
            QVERIFY2(!refusal, refusal ? qPrintable(refusal->message) : "");
        }
        const std::optional<ApiRefusal> refusal =
            guard.feed(request("POST /api/v1/dial HTTP/1.1", "Content-Length: 5\r\n"));
        QVERIFY(refusal);
        QCOMPARE(refusal->status, 401);
        QCOMPARE(refusal->reason, QByteArray("unauthorized"));
    }

    void refusals_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("message");
        QTest::newRow("no token") << request("POST /api/v1/dial HTTP/1.1",
                                             "Content-Length: 100000000\r\n")
                                  << 401 << QStringLiteral("missing or wrong bearer token");
        QTest::newRow("wrong token")
            << request("POST /api/v1/dial HTTP/1.1", "Authorization: Bearer " +
                                                         QByteArray(token.size(), 'x') +
                                                         "\r\nContent-Length: 2\r\n")
            << 401 << QStringLiteral("missing or wrong bearer token");
        QTest::newRow("chunked without token")
            << request("POST /api/v1/dial HTTP/1.1", "Transfer-Encoding: chunked\r\n") << 401
            << QStringLiteral("missing or wrong bearer token");
        QTest::newRow("too large")
            << request("PUT /api/v1/config HTTP/1.1", bearer() + "Content-Length: 1048577\r\n")
            << 413
            << QStringLiteral("Content-Length 1048577 exceeds the API's limit of 1048576 bytes");
        QTest::newRow("chunked")
            << request("PUT /api/v1/config HTTP/1.1", bearer() + "Transfer-Encoding: chunked\r\n")
            << 411
            << QStringLiteral(
                   "Transfer-Encoding \"chunked\" is not accepted; send a Content-Length "
                   "of at most 1048576 bytes");
        QTest::newRow("two lengths")
            << request("PUT /api/v1/config HTTP/1.1",
                       bearer() + "Content-Length: 2\r\nContent-Length: 3\r\n")
            << 400 << QStringLiteral("Content-Length \"3\" is not one byte count");
        QTest::newRow("negative length")
            << request("PUT /api/v1/config HTTP/1.1", bearer() + "Content-Length: -1\r\n") << 400
            << QStringLiteral("Content-Length \"-1\" is not one byte count");
        QTest::newRow("head without end")
            << QByteArray("GET / HTTP/1.1\r\nX: " + QByteArray(kMaxApiHeadBytes, 'a')) << 431
            << QStringLiteral("the request head exceeds the API's limit of 16384 bytes without "
                              "ending in a blank line");
        QTest::newRow("not a request line")
            << QByteArray("HELLO\r\n\r\n") << 400
            << QStringLiteral("request line \"HELLO\" is not METHOD TARGET HTTP/1.1");
    }
    void refusals() {
        QFETCH(QByteArray, bytes);
        QFETCH(int, status);
        QFETCH(QString, message);
        ApiRequestGuard guard(token);
        const std::optional<ApiRefusal> refusal = guard.feed(bytes);
        QVERIFY(refusal);
        QCOMPARE(refusal->status, status);
        QCOMPARE(refusal->message, message);
        const QByteArray response = ApiRequestGuard::response(*refusal);
        QVERIFY(response.startsWith("HTTP/1.1 " + QByteArray::number(status) + ' '));
        QVERIFY(response.contains("\r\nConnection: close\r\n"));
    }

    // A body of exactly the limit passes.
    void bodyAtTheLimit() {
        ApiRequestGuard guard(token);
        QVERIFY(!guard.feed(
            request("PUT /api/v1/config HTTP/1.1", bearer() + "Content-Length: 1048576\r\n")));
    }
};

QTEST_GUILESS_MAIN(TestApiRequestGuardCore)
#include "tst_api_request_guard_core.moc"
