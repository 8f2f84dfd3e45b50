// The control API's request guard over real loopback sockets, plain and TLS, against a real
// Engine (its API on the engine thread): a huge body without the token, a Content-Length past
// the limit, a huge head and a chunked body are refused from the head, before the body is read
// (the server closes, this process's peak RSS stays flat); good requests still share one
// kept-alive connection; the refusals are counted in /metrics.
#include "engine/api/api_request_guard.h"
#include "engine/api/engine.h"
#include "support/api_tls.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace peerscope;

namespace {

constexpr double MiB = 1024.0 * 1024.0;
constexpr qint64 hugeBody = 100 * 1000 * 1000;

// "VmRSS" or "VmHWM" (the peak since the last reset) of this process, in bytes.
double procStatus(const char* field) {
    QFile file(QStringLiteral("/proc/self/status"));
    if (!file.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : file.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(int(qstrlen(field)) + 1).trimmed().split(' ').first().toDouble() * 1024;
    return -1;
}

// Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
bool resetPeakRss() {
    QFile file(QStringLiteral("/proc/self/clear_refs"));
    return file.open(QIODevice::WriteOnly) && file.write("5") == 1;
}

// One connection to the API, plain or TLS, driven from the test thread (the API runs on the
// engine's own thread, so blocking here with bounded waits is fine).
class Client {
public:
    virtual ~Client() = default;
    virtual bool connected() const = 0;
    // Sends what it can of `bytes` within about `waitMs`; -1 once the connection is gone.
    virtual qint64 trySend(QByteArrayView bytes, int waitMs) = 0;
    // Appends what arrives within `waitMs` to received; notes a close.
    virtual void pump(int waitMs) = 0;
    QByteArray received;
    bool closed = false;

    bool sendAll(QByteArrayView bytes) {
        QElapsedTimer time;
        time.start();
        while (!bytes.isEmpty() && time.elapsed() < 10000) {
            const qint64 n = trySend(bytes, 50);
            if (n < 0)
                return false;
            bytes = bytes.sliced(n);
        }
        return bytes.isEmpty();
    }

    // One whole response (head and Content-Length body) taken off `received`, or empty.
    QByteArray takeResponse(int timeoutMs = 10000) {
        QElapsedTimer time;
        time.start();
        while (time.elapsed() < timeoutMs) {
            const qsizetype end = received.indexOf("\r\n\r\n");
            if (end >= 0) {
                static const QRegularExpression length(
                    QStringLiteral("\r\ncontent-length:\\s*(\\d+)"),
                    QRegularExpression::CaseInsensitiveOption);
                const QRegularExpressionMatch match =
                    length.match(QString::fromLatin1(received.left(end + 2)));
                const qsizetype total =
                    end + 4 + (match.hasMatch() ? match.captured(1).toInt() : 0);
                if (received.size() >= total) {
                    const QByteArray response = received.left(total);
                    received.remove(0, total);
                    return response;
                }
            }
            if (closed)
                return {};
            pump(50);
        }
        return {};
    }

    bool waitClosed(int timeoutMs) {
        QElapsedTimer time;
        time.start();
        while (!closed && time.elapsed() < timeoutMs)
            pump(50);
        return closed;
    }
};

class PlainClient final : public Client {
public:
    explicit PlainClient(quint16 port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ =
            fd_ >= 0 && ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~PlainClient() override {
        if (fd_ >= 0)
            ::close(fd_);
    }
    bool connected() const override { return connected_; }
    qint64 trySend(QByteArrayView bytes, int waitMs) override {
        pollfd p{fd_, POLLOUT, 0};
        ::poll(&p, 1, waitMs);
        if (p.revents & (POLLHUP | POLLERR)) {
            pump(0);
            closed = true;
            return -1;
        }
        if (!(p.revents & POLLOUT))
            return 0;
        const ssize_t n =
            ::send(fd_, bytes.data(), std::size_t(bytes.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            pump(0);
            closed = true;
            return -1;
        }
        return std::max<qint64>(n, 0);
    }
    void pump(int waitMs) override {
        pollfd p{fd_, POLLIN, 0};
        ::poll(&p, 1, waitMs);
        for (;;) {
            char buffer[16384];
            const ssize_t n = ::recv(fd_, buffer, sizeof buffer, MSG_DONTWAIT);
            if (n > 0) {
                received.append(buffer, n);
                continue;
            }
            if (n == 0 || (errno != EAGAIN && errno != EINTR))
                closed = true;
            return;
        }
    }

private:
    int fd_ = -1;
    bool connected_ = false;
};

class TlsClient final : public Client {
public:
    TlsClient(quint16 port, const QString& certificatePath) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setCaCertificates(QSslCertificate::fromPath(certificatePath));
        socket_.setSslConfiguration(tls);
        socket_.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
        connected_ = socket_.waitForEncrypted(10000);
    }
    bool connected() const override { return connected_; }
    qint64 trySend(QByteArrayView bytes, int waitMs) override {
        if (socket_.state() != QAbstractSocket::ConnectedState) {
            closed = true;
            return -1;
        }
        qint64 n = 0;
        // Keeps at most 256 KiB queued in the socket: what is sent is what the server could read.
        if (socket_.bytesToWrite() < 256 * 1024)
            n = socket_.write(bytes.data(), std::min<qint64>(bytes.size(), 64 * 1024));
        socket_.waitForBytesWritten(waitMs);
        pump(0);
        return closed ? -1 : std::max<qint64>(n, 0);
    }
    void pump(int waitMs) override {
        if (socket_.bytesAvailable() == 0 && waitMs > 0)
            socket_.waitForReadyRead(waitMs);
        received += socket_.readAll();
        if (socket_.state() == QAbstractSocket::UnconnectedState) {
            received += socket_.readAll();
            closed = true;
        }
    }

private:
    QSslSocket socket_;
    bool connected_ = false;
};

QByteArray head(const QByteArray& requestLine, const QByteArray& headers) {
    return requestLine + "\r\nHost: 127.0.0.1\r\n" + headers + "\r\n";
}

int statusOf(const QByteArray& response) {
    return response.startsWith("HTTP/1.1 ") ? response.mid(9, 3).toInt() : 0;
}

QByteArray bodyOf(const QByteArray& response) {
    const qsizetype end = response.indexOf("\r\n\r\n");
    return end < 0 ? QByteArray() : response.mid(end + 4);
}

QString errorOf(const QByteArray& response) {
    return QJsonDocument::fromJson(bodyOf(response)).object().value("error").toString();
}

} // namespace

class TestApiRequestGuard final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir dir_;
    test::SelfSignedCertificate certificate_;
    std::unique_ptr<Engine> plain_;
    std::unique_ptr<Engine> tls_;
    QByteArray token_;

    std::unique_ptr<Engine> startEngine(const QString& dataDir, bool tls) {
        EngineOptions o;
        o.dataDir = dataDir;
        o.configPath = dataDir + QStringLiteral("/config.json");
        o.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/0")};
        o.fallbackToEphemeralPort = false;
        o.apiEndpoint = QStringLiteral("127.0.0.1:0");
        if (tls) {
            o.apiTlsCertificatePath = certificate_.certificatePath;
            o.apiTlsKeyPath = certificate_.keyPath;
        }
        auto engine = std::make_unique<Engine>(o);
        const Result<void> started = engine->start();
        if (!started.ok())
            qWarning("engine: %s", started.errorMessage().c_str());
        return started.ok() ? std::move(engine) : nullptr;
    }

    std::unique_ptr<Client> client(bool tls) {
        std::unique_ptr<Client> made;
        if (tls)
            made = std::make_unique<TlsClient>(tls_->apiPort(), certificate_.certificatePath);
        else
            made = std::make_unique<PlainClient>(plain_->apiPort());
        return made->connected() ? std::move(made) : nullptr;
    }

    QByteArray bearer() const { return "Authorization: Bearer " + token_ + "\r\n"; }

    // Sends `head` and then up to `bodySize` body bytes while reading; the body stops when the
    // server closes. The answer and how much of the body had gone when it arrived.
    struct Streamed {
        QByteArray answer;
        qint64 bodySent = 0;
        qint64 bodySentAtAnswer = -1;
        bool closed = false;
    };
    Streamed stream(Client& c, const QByteArray& requestHead, qint64 bodySize) {
        Streamed out;
        if (!c.sendAll(requestHead))
            return out;
        const QByteArray chunk(256 * 1024, 'x');
        QElapsedTimer time;
        time.start();
        while (out.bodySent < bodySize && !c.closed && time.elapsed() < 30000) {
            const qint64 n = c.trySend(QByteArrayView(chunk).first(
                                           std::min<qint64>(chunk.size(), bodySize - out.bodySent)),
                                       20);
            if (n > 0)
                out.bodySent += n;
            c.pump(0);
            if (out.bodySentAtAnswer < 0 && !c.received.isEmpty())
                out.bodySentAtAnswer = out.bodySent;
        }
        out.closed = c.waitClosed(10000);
        if (out.bodySentAtAnswer < 0 && !c.received.isEmpty())
            out.bodySentAtAnswer = out.bodySent;
        out.answer = c.received;
        return out;
    }

    // The refused-requests counter for `reason` in GET /metrics (of the TLS engine with `tls`),
    // or -1.
    double refusedMetric(const QByteArray& reason, bool tls = false) {
        std::unique_ptr<Client> c = client(tls);
        if (!c || !c->sendAll(head("GET /metrics HTTP/1.1", bearer())))
            return -1;
        const QByteArray text = bodyOf(c->takeResponse());
        const QByteArray prefix =
            "peerscope_api_requests_refused_total{reason=\"" + reason + "\"} ";
        const qsizetype at = text.indexOf(prefix);
        if (at < 0)
            return -1;
        const qsizetype end = text.indexOf('\n', at);
        return text.mid(at + prefix.size(), end - at - prefix.size()).toDouble();
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        certificate_ = test::makeSelfSignedCertificate(dir_);
        QVERIFY2(certificate_.error.isEmpty(), qPrintable(certificate_.error));
        // Both engines share the data dir, so the token.
        plain_ = startEngine(dir_.path(), false);
        QVERIFY(plain_);
        tls_ = startEngine(dir_.path(), true);
        QVERIFY(tls_);
        QFile file(dir_.filePath(QStringLiteral("api-token")));
        QVERIFY(file.open(QIODevice::ReadOnly));
        token_ = file.readAll().trimmed();
        QVERIFY(!token_.isEmpty());
    }

    void cleanupTestCase() {
        tls_.reset();
        plain_.reset();
    }

    void hugeBodyWithoutToken_data() {
        QTest::addColumn<bool>("tls");
        QTest::newRow("plain") << false;
        QTest::newRow("tls") << true;
    }

    // The hostile-peer scenario: 100 MB POSTed without the token, sent while reading the answer.
    // 401 from the head alone (before 1 MB of body), the server closes, no memory grows.
    void hugeBodyWithoutToken() {
        QFETCH(bool, tls);
        const double refusedBefore = refusedMetric("unauthorized", tls);
        std::unique_ptr<Client> c = client(tls);
        QVERIFY(c);
        const double rssBefore = procStatus("VmRSS:");
        QVERIFY(resetPeakRss());
        // First the head and 64 KiB: the answer must come without more of the body.
        const QByteArray requestHead = head("POST /api/v1/dial HTTP/1.1",
                                            "Content-Type: application/json\r\nContent-Length: " +
                                                QByteArray::number(hugeBody) + "\r\n");
        QVERIFY(c->sendAll(requestHead + QByteArray(64 * 1024, ' ')));
        const QByteArray answer = c->takeResponse();
        QVERIFY2(statusOf(answer) == 401, answer.left(300).constData());
        QVERIFY(answer.contains("\r\nConnection: close\r\n"));
        QVERIFY(answer.contains("\r\nWWW-Authenticate: Bearer\r\n"));
        QCOMPARE(errorOf(answer), QStringLiteral("missing or wrong bearer token"));
        // Then the rest of the 100 MB: the server has closed, so it ends long before.
        QElapsedTimer time;
        time.start();
        qint64 sent = 64 * 1024;
        const QByteArray chunk(256 * 1024, 'x');
        while (!c->closed && sent < hugeBody && time.elapsed() < 20000) {
            const qint64 n = c->trySend(chunk, 20);
            if (n > 0)
                sent += n;
        }
        QVERIFY(c->waitClosed(10000));
        const double peak = procStatus("VmHWM:");
        qInfo("%s: 401 after 64 KiB; %.1f MB of the body sent before the close (%lld ms); "
              "RSS %.1f MiB before, peak %.1f MiB (+%.1f)",
              tls ? "tls" : "plain", double(sent) / 1e6, time.elapsed(), rssBefore / MiB,
              peak / MiB, (peak - rssBefore) / MiB);
        QVERIFY2(sent < hugeBody / 4, qPrintable(QString::number(sent)));
        QVERIFY2(peak - rssBefore < 16 * MiB,
                 qPrintable(QString::number((peak - rssBefore) / MiB)));
        QCOMPARE(refusedMetric("unauthorized", tls), refusedBefore + 1);
    }

    // As tst_hostile_peers: the body streamed without waiting for the answer.
    void streamedBodyWithoutToken() {
        std::unique_ptr<Client> c = client(false);
        QVERIFY(c);
        const double rssBefore = procStatus("VmRSS:");
        QVERIFY(resetPeakRss());
        const Streamed s = stream(*c,
                                  head("POST /api/v1/dial HTTP/1.1",
                                       "Content-Length: " + QByteArray::number(hugeBody) + "\r\n"),
                                  hugeBody);
        const double peak = procStatus("VmHWM:");
        qInfo("streamed: answer after %.1f MB, %.1f MB sent in all, RSS +%.1f MiB peak",
              double(s.bodySentAtAnswer) / 1e6, double(s.bodySent) / 1e6, (peak - rssBefore) / MiB);
        QVERIFY2(statusOf(s.answer) == 401, s.answer.left(300).constData());
        QVERIFY(s.closed);
        QVERIFY(s.bodySent < hugeBody / 4);
        QVERIFY(peak - rssBefore < 16 * MiB);
    }

    void refusedFromTheHead_data() {
        QTest::addColumn<bool>("tls");
        QTest::addColumn<QByteArray>("requestHead");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("reason");
        QTest::addColumn<QString>("error");
        for (const bool tls : {false, true}) {
            const char* t = tls ? "tls " : "plain ";
            const QByteArray auth = bearer();
            QTest::addRow("%sbody too large", t)
                << tls
                << head("PUT /api/v1/config HTTP/1.1",
                        auth + "Content-Type: application/json\r\nContent-Length: 52428800\r\n")
                << 413 << QByteArray("body_too_large")
                << QStringLiteral(
                       "Content-Length 52428800 exceeds the API's limit of 1048576 bytes");
            QTest::addRow("%shead too large", t)
                << tls
                << head("GET /api/v1/node HTTP/1.1",
                        auth + "X-Filler: " + QByteArray(20 * 1024, 'a') + "\r\n")
                << 431 << QByteArray("head_too_large")
                << QStringLiteral("the request head exceeds the API's limit of 16384 bytes "
                                  "without ending in a blank line");
            QTest::addRow("%schunked", t)
                << tls
                << head("POST /api/v1/dial HTTP/1.1", auth + "Transfer-Encoding: chunked\r\n")
                << 411 << QByteArray("length_required")
                << QStringLiteral("Transfer-Encoding \"chunked\" is not accepted; send a "
                                  "Content-Length of at most 1048576 bytes");
            QTest::addRow("%sbad content-length", t)
                << tls << head("PUT /api/v1/config HTTP/1.1", auth + "Content-Length: 12abc\r\n")
                << 400 << QByteArray("bad_request")
                << QStringLiteral("Content-Length \"12abc\" is not one byte count");
        }
    }

    // Refused from the head with the token: nothing of a body is sent, the server answers and
    // closes.
    void refusedFromTheHead() {
        QFETCH(bool, tls);
        QFETCH(QByteArray, requestHead);
        QFETCH(int, status);
        QFETCH(QByteArray, reason);
        QFETCH(QString, error);
        const double before = refusedMetric(reason, tls);
        std::unique_ptr<Client> c = client(tls);
        QVERIFY(c);
        QVERIFY(c->sendAll(requestHead));
        const QByteArray answer = c->takeResponse();
        QVERIFY2(statusOf(answer) == status, answer.left(300).constData());
        QVERIFY(answer.contains("\r\nConnection: close\r\n"));
        QCOMPARE(errorOf(answer), error);
        QVERIFY(c->waitClosed(10000));
        QCOMPARE(refusedMetric(reason, tls), before + 1);
    }

    void keptAliveRequests_data() {
        QTest::addColumn<bool>("tls");
        QTest::newRow("plain") << false;
        QTest::newRow("tls") << true;
    }

    // GET the config and PUT it back, twice, on one connection: the guard follows the request
    // boundaries and lets every one through.
    void keptAliveRequests() {
        QFETCH(bool, tls);
        std::unique_ptr<Client> c = client(tls);
        QVERIFY(c);
        for (int round = 0; round < 2; ++round) {
            QVERIFY(c->sendAll(head("GET /api/v1/config HTTP/1.1", bearer())));
            const QByteArray got = c->takeResponse();
            QVERIFY2(statusOf(got) == 200, got.left(300).constData());
            const QByteArray config = bodyOf(got);
            QVERIFY(QJsonDocument::fromJson(config).isObject());
            QVERIFY(
                c->sendAll(head("PUT /api/v1/config HTTP/1.1",
                                bearer() + "Content-Type: application/json\r\nContent-Length: " +
                                    QByteArray::number(config.size()) + "\r\n") +
                           config));
            const QByteArray put = c->takeResponse();
            QVERIFY2(statusOf(put) == 200, put.left(300).constData());
            QVERIFY(!c->closed);
        }
        // A body-less request without the token is the dispatcher's: 401, connection kept.
        QVERIFY(c->sendAll(head("GET /api/v1/node HTTP/1.1", "")));
        QCOMPARE(statusOf(c->takeResponse()), 401);
        QVERIFY(c->sendAll(head("GET /api/v1/node HTTP/1.1", bearer())));
        QCOMPARE(statusOf(c->takeResponse()), 200);
        QVERIFY(!c->closed);
    }

    // A body right at the limit passes the guard (the dispatcher then judges its JSON).
    void bodyAtTheLimit() {
        std::unique_ptr<Client> c = client(false);
        QVERIFY(c);
        const QByteArray body = "{\"addr\":\"" + QByteArray(kMaxApiBodyBytes - 11, 'a') + "\"}";
        QCOMPARE(body.size(), kMaxApiBodyBytes);
        QVERIFY(c->sendAll(
            head("POST /api/v1/dial HTTP/1.1",
                 bearer() + "Content-Length: " + QByteArray::number(body.size()) + "\r\n") +
            body));
        const QByteArray answer = c->takeResponse();
        QVERIFY2(statusOf(answer) == 400, answer.left(300).constData());
        QVERIFY(!answer.contains("Connection: close"));
    }

    // Every reason is exported, zero or not.
    void metricsListEveryReason() {
        for (const char* reason :
             {"unauthorized", "body_too_large", "head_too_large", "length_required", "bad_request"})
            QVERIFY2(refusedMetric(reason) >= 0, reason);
    }
};

QTEST_GUILESS_MAIN(TestApiRequestGuard)
#include "tst_api_request_guard.moc"
