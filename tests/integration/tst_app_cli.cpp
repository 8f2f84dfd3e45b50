// The peerscope executable as a user runs it: start-up lines, a clean exit on SIGTERM/SIGINT,
// and malformed options rejected with status 2 and a message naming the option and the bad part.
// Needs the app built first (tests/CMakeLists.txt: add_dependencies(tst_app_cli peerscope)).
#include "support/api_tls.h"
#include "support/process_run.h"

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>

namespace {

QString binary() {
    return QStringLiteral(PEERSCOPE_BINARY_DIR "/app/peerscope");
}

using Run = peerscope::test::ProcessRun;

// Runs to the end (bounded); exitCode stays -1 if it had to be killed.
Run runToEnd(const QStringList& arguments) {
    return peerscope::test::runToEnd(binary(), arguments, 15000);
}

// Reads stdout until `lines` complete lines arrived (bounded); returns them.
QStringList readLines(QProcess& process, int lines, QByteArray* buffer) {
    // A short read is reported by the caller's checks on what came back.
    [[maybe_unused]] const bool complete = QTest::qWaitFor(
        [&] {
            *buffer += process.readAllStandardOutput();
            return buffer->count('\n') >= lines || process.state() == QProcess::NotRunning;
        },
        10000);
    QStringList out;
    for (const QByteArray& line : buffer->split('\n'))
        if (!line.isEmpty())
            out << QString::fromUtf8(line);
    return out;
}

const QRegularExpression listeningLine(QStringLiteral(
    R"(^listening /ip4/127\.0\.0\.1/tcp/(\d+)/p2p/12D3KooW[1-9A-HJ-NP-Za-km-z]{44}$)"));

} // namespace

class TestAppCli final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir tlsDir_;
    peerscope::test::SelfSignedCertificate certificate_;

    // Starts a headless node whose API goes over TLS on `api` and returns the port of its
    // "api https://HOST:PORT" line, HOST being `host`; 0 if it did not come.
    quint16 startTlsNode(QProcess& process, const QTemporaryDir& dir, const QString& api,
                         const QString& host) {
        process.start(binary(), {"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api", api,
                                 "--api-tls-cert", certificate_.certificatePath, "--api-tls-key",
                                 certificate_.keyPath, "--data-dir", dir.path()});
        if (!process.waitForStarted(5000))
            return 0;
        QByteArray buffer;
        const QStringList lines = readLines(process, 2, &buffer);
        const QRegularExpressionMatch match =
            QRegularExpression(
                QStringLiteral("^api https://%1:(\\d+)$").arg(QRegularExpression::escape(host)))
                .match(lines.value(1));
        if (!match.hasMatch())
            qWarning("api line: %s; stderr: %s", qPrintable(lines.value(1)),
                     process.readAllStandardError().constData());
        return match.hasMatch() ? static_cast<quint16>(match.captured(1).toUInt()) : 0;
    }

    static QByteArray tokenIn(const QTemporaryDir& dir) {
        QFile file(dir.filePath("api-token"));
        return file.open(QIODevice::ReadOnly) ? file.readAll().trimmed() : QByteArray();
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(binary()), qPrintable(binary() + " is not built"));
        QVERIFY(tlsDir_.isValid());
        certificate_ = peerscope::test::makeSelfSignedCertificate(tlsDir_);
        QVERIFY2(certificate_.error.isEmpty(), qPrintable(certificate_.error));
    }

    void headlessPrintsListenLinesAndStopsOnSignals_data() {
        QTest::addColumn<int>("signal");
        QTest::newRow("SIGTERM") << int(SIGTERM);
        QTest::newRow("SIGINT") << int(SIGINT);
    }

    void headlessPrintsListenLinesAndStopsOnSignals() {
        QFETCH(int, signal);
        QTemporaryDir dir;
        QProcess process;
        process.start(binary(), {"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api", "off",
                                 "--data-dir", dir.path()});
        QVERIFY(process.waitForStarted(5000));
        QByteArray buffer;
        const QStringList lines = readLines(process, 1, &buffer);
        QVERIFY2(!lines.isEmpty(), process.readAllStandardError().constData());
        const QRegularExpressionMatch match = listeningLine.match(lines.first());
        QVERIFY2(match.hasMatch(), qPrintable(lines.first()));
        QVERIFY(match.captured(1).toUInt() > 0); // the real port, not 0
        QVERIFY(QFile::exists(dir.filePath("identity.key")));
        QVERIFY(!QFile::exists(dir.filePath("api-token"))); // --api off

        ::kill(static_cast<pid_t>(process.processId()), signal);
        QVERIFY(process.waitForFinished(5000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);
        QVERIFY(!buffer.contains("api http")); // --api off prints no api line
    }

    void apiLineNamesTheBoundPort() {
        QTemporaryDir dir;
        QProcess process;
        process.start(binary(), {"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api",
                                 "127.0.0.1:0", "--data-dir", dir.path()});
        QVERIFY(process.waitForStarted(5000));
        QByteArray buffer;
        const QStringList lines = readLines(process, 2, &buffer);
        QCOMPARE(lines.size(), 2);
        QVERIFY2(listeningLine.match(lines.at(0)).hasMatch(), qPrintable(lines.at(0)));
        static const QRegularExpression apiLine(
            QStringLiteral(R"(^api http://127\.0\.0\.1:(\d+)$)"));
        const QRegularExpressionMatch api = apiLine.match(lines.at(1));
        QVERIFY2(api.hasMatch(), qPrintable(lines.at(1)));
        const quint16 port = static_cast<quint16>(api.captured(1).toUInt());
        QVERIFY(port > 0);
        QVERIFY(QFile::exists(dir.filePath("api-token")));

        // The API is really there, and wants the token.
        QNetworkAccessManager network;
        QNetworkReply* reply = network.get(
            QNetworkRequest(QUrl(QStringLiteral("http://127.0.0.1:%1/api/v1/node").arg(port))));
        QVERIFY(QTest::qWaitFor([&] { return reply->isFinished(); }, 10000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 401);
        delete reply;

        process.terminate();
        QVERIFY(process.waitForFinished(5000));
        QCOMPARE(process.exitCode(), 0);
    }

    // --listen none: no listening line, straight to the API line; the node still runs.
    void listenNoneListensNowhere() {
        QTemporaryDir dir;
        QProcess process;
        process.start(binary(), {"--headless", "--listen", "none", "--api", "127.0.0.1:0",
                                 "--data-dir", dir.path()});
        QVERIFY(process.waitForStarted(5000));
        QByteArray buffer;
        const QStringList lines = readLines(process, 1, &buffer);
        QCOMPARE(lines.size(), 1);
        QVERIFY2(lines.at(0).startsWith(QStringLiteral("api http://127.0.0.1:")),
                 qPrintable(lines.at(0)));
        process.terminate();
        QVERIFY(process.waitForFinished(5000));
        QCOMPARE(process.exitCode(), 0);
        QVERIFY2(!buffer.contains("listening"), buffer.constData());
    }

    // --relay-service runs the relay whatever the config file says (here: nothing).
    void relayServiceFlagTurnsTheRelayOn() {
        for (const bool flag : {false, true}) {
            QTemporaryDir dir;
            QProcess process;
            QStringList arguments{"--headless", "--listen",    "/ip4/127.0.0.1/tcp/0",
                                  "--api",      "127.0.0.1:0", "--data-dir",
                                  dir.path(),   "--config",    dir.filePath("config.json")};
            if (flag)
                arguments << "--relay-service";
            process.start(binary(), arguments);
            QVERIFY(process.waitForStarted(5000));
            QByteArray buffer;
            const QStringList lines = readLines(process, 2, &buffer);
            QCOMPARE(lines.size(), 2);
            static const QRegularExpression apiLine(
                QStringLiteral(R"(^api http://127\.0\.0\.1:(\d+)$)"));
            const QRegularExpressionMatch api = apiLine.match(lines.at(1));
            QVERIFY2(api.hasMatch(), qPrintable(lines.at(1)));
            QFile token(dir.filePath("api-token"));
            QVERIFY(token.open(QIODevice::ReadOnly));
            QNetworkAccessManager network;
            QNetworkRequest request(
                QUrl(QStringLiteral("http://127.0.0.1:%1/metrics").arg(api.captured(1))));
            request.setRawHeader("Authorization", "Bearer " + token.readAll().trimmed());
            QNetworkReply* reply = network.get(request);
            QVERIFY(QTest::qWaitFor([&] { return reply->isFinished(); }, 10000));
            QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
            const QByteArray metrics = reply->readAll();
            delete reply;
            QVERIFY2(metrics.contains(flag ? "peerscope_relay_service_enabled 1\n"
                                           : "peerscope_relay_service_enabled 0\n"),
                     flag ? "with the flag" : "without the flag");
            QVERIFY(!QFile::exists(dir.filePath("config.json"))); // the flag is not saved
            process.terminate();
            QVERIFY(process.waitForFinished(5000));
            QCOMPARE(process.exitCode(), 0);
        }
    }

    // Off loopback only over TLS; with it, the API is HTTPS on loopback as anywhere else (the
    // node on 0.0.0.0 is reached at 127.0.0.1 only). Without TLS: apiMisuseExitsWithStatusTwo.
    void apiOverTls_data() {
        QTest::addColumn<QString>("api");
        QTest::addColumn<QString>("printedHost");
        QTest::newRow("loopback") << "127.0.0.1:0"
                                  << "127.0.0.1";
        QTest::newRow("every interface") << "0.0.0.0:0"
                                         << "0.0.0.0";
    }

    void apiOverTls() {
        QFETCH(QString, api);
        QFETCH(QString, printedHost);
        QTemporaryDir dir;
        QProcess process;
        const quint16 port = startTlsNode(process, dir, api, printedHost);
        QVERIFY(port > 0);
        const peerscope::test::HttpsReply node = peerscope::test::httpsGet(
            port, "/api/v1/node", tokenIn(dir), certificate_.certificatePath);
        QVERIFY2(node.status == 200, qPrintable(node.errorString));
        QVERIFY(node.body.contains("\"peerId\":\"12D3KooW"));
        process.terminate();
        QVERIFY(process.waitForFinished(5000));
        QCOMPARE(process.exitCode(), 0);
    }

    void apiMisuseExitsWithStatusTwo_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        const QString cert = certificate_.certificatePath;
        const QString key = certificate_.keyPath;
        const QString garbage = tlsDir_.filePath("garbage.pem");
        QFile file(garbage);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("this is not a certificate\n");
        file.close();
        const QString missing = tlsDir_.filePath("missing.pem");
        const QString needsTls = ": not a loopback address; off loopback the control API (and "
                                 "its token) goes over TLS only: give --api-tls-cert FILE and "
                                 "--api-tls-key FILE (PEM)";
        QTest::newRow("off loopback, no TLS")
            << QStringList{"--headless", "--api", "0.0.0.0:0"} << "--api 0.0.0.0:0" + needsTls;
        QTest::newRow("IPv6 wildcard, no TLS")
            << QStringList{"--headless", "--api", "[::]:0"} << "--api [::]:0" + needsTls;
        QTest::newRow("off loopback, no TLS, no --headless")
            << QStringList{"--api", "192.0.2.1:5080"} << "--api 192.0.2.1:5080" + needsTls;
        QTest::newRow("cert without key")
            << QStringList{"--headless", "--api", "0.0.0.0:0", "--api-tls-cert", cert}
            << "--api-tls-cert needs --api-tls-key: give both, or neither";
        QTest::newRow("key without cert")
            << QStringList{"--headless", "--api-tls-key", key}
            << "--api-tls-key needs --api-tls-cert: give both, or neither";
        QTest::newRow("garbage cert")
            << QStringList{"--headless", "--api-tls-cert", garbage, "--api-tls-key", key}
            << "--api-tls-cert " + garbage + ": no PEM certificate in it";
        QTest::newRow("missing cert")
            << QStringList{"--headless", "--api-tls-cert", missing, "--api-tls-key", key}
            << "--api-tls-cert " + missing + ": cannot read it";
        QTest::newRow("garbage key")
            << QStringList{"--headless", "--api-tls-cert", cert, "--api-tls-key", garbage}
            << "--api-tls-key " + garbage + ": no unencrypted PEM private key";
        QTest::newRow("empty cert path")
            << QStringList{"--headless", "--api-tls-cert", "", "--api-tls-key", key}
            << "--api-tls-cert: the path is empty";
        QTest::newRow("TLS with the API off")
            << QStringList{"--headless", "--api",         "off", "--api-tls-cert",
                           cert,         "--api-tls-key", key}
            << "--api-tls-cert and --api-tls-key: the control API is off (--api off)";
        QTest::newRow("scheme in --api")
            << QStringList{"--headless", "--api", "https://127.0.0.1:0"}
            << "--api https://127.0.0.1:0: expected HOST:PORT without a scheme; --api-tls-cert "
               "and --api-tls-key turn on HTTPS";
    }

    void apiMisuseExitsWithStatusTwo() {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const Run run = runToEnd(
            arguments + QStringList{"--listen", "/ip4/127.0.0.1/tcp/0", "--data-dir", dir.path()});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(message), qPrintable(run.err));
        QVERIFY2(run.err.count('\n') == 1, qPrintable(run.err)); // that message alone
        QVERIFY(run.out.isEmpty());
        QVERIFY(!QFile::exists(dir.filePath("api-token"))); // nothing started
    }

    void sameIdentityOnRestart() {
        QTemporaryDir dir;
        auto peerIdOnce = [&] {
            QProcess process;
            process.start(binary(), {"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api",
                                     "off", "--data-dir", dir.path()});
            process.waitForStarted(5000);
            QByteArray buffer;
            const QStringList lines = readLines(process, 1, &buffer);
            process.terminate();
            process.waitForFinished(5000);
            return lines.isEmpty() ? QString()
                                   : lines.first().mid(lines.first().indexOf("/p2p/") + 5);
        };
        const QString first = peerIdOnce();
        QVERIFY(first.startsWith("12D3KooW"));
        QCOMPARE(peerIdOnce(), first);
    }

    void malformedOptionsExitWithStatusTwo_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("listen port out of range")
            << QStringList{"--headless", "--listen", "/ip4/127.0.0.1/tcp/99999"}
            << R"(--listen /ip4/127.0.0.1/tcp/99999: component 2 (tcp): port "99999" out of range 0-65535)";
        QTest::newRow("listen out of range, no --headless")
            << QStringList{"--listen", "/ip4/127.0.0.1/tcp/99999"}
            << R"(--listen /ip4/127.0.0.1/tcp/99999: component 2 (tcp): port "99999")";
        QTest::newRow("second listen bad")
            << QStringList{"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--listen",
                           "/ip4/300.0.0.1/tcp/1"}
            << "--listen /ip4/300.0.0.1/tcp/1: component 1 (ip4)";
        QTest::newRow("listen none and an address")
            << QStringList{"--headless", "--listen", "none", "--listen", "/ip4/127.0.0.1/tcp/0"}
            << "--listen none: listening nowhere cannot go with other --listen addresses";
        QTest::newRow("dial unknown protocol")
            << QStringList{"--headless", "--dial", "/ip5/1.2.3.4"}
            << R"(--dial /ip5/1.2.3.4: component 1: unknown protocol "ip5")";
        QTest::newRow("api nonsense") << QStringList{"--headless", "--api", "nonsense"}
                                      << "--api nonsense: expected HOST:PORT";
        QTest::newRow("api nonsense, no --headless")
            << QStringList{"--api", "nonsense"} << "--api nonsense: expected HOST:PORT";
        QTest::newRow("api bad host") << QStringList{"--headless", "--api", "999.1.1.1:80"}
                                      << R"(--api 999.1.1.1:80: "999.1.1.1" is not an IP address)";
        QTest::newRow("api bad port") << QStringList{"--headless", "--api", "127.0.0.1:70000"}
                                      << "--api 127.0.0.1:70000: port 70000 out of range 0-65535";
        QTest::newRow("missing value") << QStringList{"--headless", "--listen"} << "--listen";
        QTest::newRow("tick zero") << QStringList{"--headless", "--tick", "0"}
                                   << "--tick 0: expected snapshots per second from 1 to 20";
        QTest::newRow("tick words") << QStringList{"--headless", "--tick", "fast"}
                                    << "--tick fast: expected snapshots per second from 1 to 20";
        QTest::newRow("empty data dir")
            << QStringList{"--headless", "--data-dir", ""} << "--data-dir: the path is empty";
        QTest::newRow("empty config path")
            << QStringList{"--headless", "--config", ""} << "--config: the path is empty";
        QTest::newRow("unknown option")
            << QStringList{"--headless", "--frobnicate"} << "frobnicate";
        QTest::newRow("stray argument") << QStringList{"--headless", "extra"} << "\"extra\"";
    }

    void malformedOptionsExitWithStatusTwo() {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        const Run run = runToEnd(arguments);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(message), qPrintable(run.err));
        QVERIFY(run.out.isEmpty());
    }

    void helpAndVersion() {
        const Run version = runToEnd({"--version"});
        QCOMPARE(version.exitCode, 0);
        QCOMPARE(version.out.trimmed(), QStringLiteral("peerscope " PEERSCOPE_VERSION));
        const Run help = runToEnd({"--help"});
        QCOMPARE(help.exitCode, 0);
        for (const char* option :
             {"--headless", "--listen", "--identity", "--data-dir", "--config", "--api",
              "--api-tls-cert", "--api-tls-key", "--dial", "--no-muxer-in-noise", "--serve-perf",
              "--relay-service", "--version"})
            QVERIFY2(help.out.contains(QLatin1String(option)), option);
        QVERIFY(help.out.contains("peerscope [options]"));
    }

    void badConfigFileIsRefusedNamingPathAndField() {
        QTemporaryDir dir;
        const QString config = dir.filePath("config.json");
        QFile file(config);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(R"({"connection": {"min_connections_per_peer": 9, "ping_timeout": "soon"}})");
        file.close();
        const Run run = runToEnd({"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api", "off",
                                  "--data-dir", dir.path(), "--config", config});
        QVERIFY(run.exitCode != 0);
        QVERIFY2(run.err.contains(config + ": connection.ping_timeout: expected a number of "
                                           "seconds, got \"soon\""),
                 qPrintable(run.err));
        QVERIFY2(run.err.contains(config + ": min_connections_per_peer (9) exceeds "
                                           "max_connections_per_peer (3)"),
                 qPrintable(run.err));
        QVERIFY(run.out.isEmpty());
    }

    void identityReadableByOthersIsRefused() {
        QTemporaryDir dir;
        const QString key = dir.filePath("identity.key");
        // A well-formed Ed25519 key file (libp2p PrivateKey protobuf) with mode 0644.
        QFile file(key);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromHex("08011240") + QByteArray(64, '\0'));
        file.close();
        QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                    QFileDevice::ReadGroup | QFileDevice::ReadOther));
        const Run run = runToEnd({"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api", "off",
                                  "--identity", key, "--data-dir", dir.path()});
        QVERIFY(run.exitCode != 0);
        QVERIFY(run.exitCode != -1); // exited by itself
        QVERIFY2(run.err.contains("chmod 600") && run.err.contains(key), qPrintable(run.err));
        QVERIFY(!run.out.contains("listening"));
    }
};

QTEST_GUILESS_MAIN(TestAppCli)
#include "tst_app_cli.moc"
