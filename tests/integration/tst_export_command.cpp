// `peerscope export` as a script runs it, against a real headless node's control API: every
// format written and parseable, and clear failures (2 bad usage, 1 node/API/file problems).
// Needs the app built first (tests/CMakeLists.txt: add_dependencies(tst_export_command peerscope)).
#include "support/api_tls.h"
#include "support/process_run.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

namespace {

constexpr int kRunTimeoutMs = 30000;

QString binary() {
    return QStringLiteral(PEERSCOPE_BINARY_DIR "/app/peerscope");
}

using Run = peerscope::test::ProcessRun;

Run run(const QString& program, const QStringList& arguments, const QByteArray& input = {}) {
    return peerscope::test::runToEnd(program, arguments, kRunTimeoutMs, input);
}

Run exportRun(const QStringList& arguments) {
    return run(binary(), QStringList{QStringLiteral("export")} + arguments);
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Starts a headless node on loopback with `arguments` added and waits for its line
// "api <scheme>://127.0.0.1:PORT"; returns "127.0.0.1:PORT" (empty if it did not come) and
// leaves what the node printed in `*printed`.
QString startNode(QProcess& node, const QStringList& arguments, const QString& scheme,
                  QByteArray* printed) {
    node.start(binary(), QStringList{"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api",
                                     "127.0.0.1:0"} +
                             arguments);
    if (!node.waitForStarted(5000))
        return {};
    const QByteArray line = "api " + scheme.toLatin1() + "://";
    [[maybe_unused]] const bool printedIt = QTest::qWaitFor(
        [&] {
            *printed += node.readAllStandardOutput();
            return printed->contains(line) && printed->endsWith('\n');
        },
        10000);
    return QRegularExpression(QStringLiteral(R"(api %1://(127\.0\.0\.1:\d+))").arg(scheme))
        .match(QString::fromUtf8(*printed))
        .captured(1);
}

} // namespace

class TestExportCommand final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(binary()), qPrintable(binary() + " is not built"));
        QVERIFY(nodeDir_.isValid());
        QVERIFY(outDir_.isValid());
        QByteArray buffer;
        api_ = startNode(
            node_, {"--data-dir", nodeDir_.path(), "--config", nodeDir_.filePath("config.json")},
            QStringLiteral("http"), &buffer);
        QVERIFY2(!api_.isEmpty(), buffer.constData());
        const QRegularExpressionMatch id = QRegularExpression(QStringLiteral("/p2p/(12D3KooW\\w+)"))
                                               .match(QString::fromUtf8(buffer));
        QVERIFY(id.hasMatch());
        peerId_ = id.captured(1);
    }

    void cleanupTestCase() {
        node_.terminate();
        node_.waitForFinished(5000);
    }

    void writesEveryFormat_data() {
        QTest::addColumn<QString>("format");
        for (const char* format : {"json", "csv", "prometheus"})
            QTest::newRow(format) << QString::fromLatin1(format);
#ifdef PEERSCOPE_WITH_UI // the PDF is drawn by the UI library; the sanitizer build has none
        QTest::newRow("pdf") << QStringLiteral("pdf");
#endif
    }

    void writesEveryFormat() {
        QFETCH(QString, format);
        const QString out = outDir_.filePath(QStringLiteral("report.") + format);
        const Run exported = exportRun(
            {"--format", format, "--out", out, "--api", api_, "--data-dir", nodeDir_.path()});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY(exported.out.isEmpty()); // quiet on success, for scripts
        const QByteArray bytes = readAll(out);
        QVERIFY(!bytes.isEmpty());
        if (format == QLatin1String("json")) {
            const QJsonObject report = QJsonDocument::fromJson(bytes).object();
            QCOMPARE(report.value(QStringLiteral("peerId")).toString(), peerId_);
            for (const char* key :
                 {"agentVersion", "takenAt", "listenAddrs", "health", "pool", "peers"})
                QVERIFY2(report.contains(QLatin1String(key)), key);
        } else if (format == QLatin1String("csv")) {
            QVERIFY(bytes.startsWith("peer_id,connection_id,"));
            QCOMPARE(bytes.count("\r\n"), 1); // the header; no peers
        } else if (format == QLatin1String("prometheus")) {
            const Run check = run(QStringLiteral("promtool"), {"check", "metrics"}, bytes);
            QVERIFY2(check.exitCode == 0, qPrintable(check.out + check.err));
        } else {
            QVERIFY(bytes.startsWith("%PDF-"));
            const Run info = run(QStringLiteral("pdfinfo"), {out});
            QCOMPARE(info.exitCode, 0);
            QVERIFY(
                QRegularExpression(QStringLiteral(R"(Pages:\s+[1-9])")).match(info.out).hasMatch());
            const Run text = run(QStringLiteral("pdftotext"), {out, "-"});
            QVERIFY2(text.out.contains(peerId_), qPrintable(text.out));
        }
    }

    void tokenFileCanBeGiven() {
        const QString out = outDir_.filePath(QStringLiteral("by-token-file.json"));
        const Run exported = exportRun({"--format", "json", "--out", out, "--api", api_,
                                        "--token-file", nodeDir_.filePath("api-token")});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY(QFile::exists(out));
    }

    // A node whose API is HTTPS only, with a self-signed certificate: export trusts it with
    // --api-tls-ca, and says what failed without it.
    void exportsOverTls() {
        QTemporaryDir dir;
        const peerscope::test::SelfSignedCertificate certificate =
            peerscope::test::makeSelfSignedCertificate(dir);
        QVERIFY2(certificate.error.isEmpty(), qPrintable(certificate.error));
        QProcess node;
        QByteArray buffer;
        const QString address =
            startNode(node,
                      {"--api-tls-cert", certificate.certificatePath, "--api-tls-key",
                       certificate.keyPath, "--data-dir", dir.path()},
                      QStringLiteral("https"), &buffer);
        QVERIFY2(!address.isEmpty(), buffer.constData());
        const QString out = outDir_.filePath(QStringLiteral("over-tls.json"));

        Run exported =
            exportRun({"--format", "json", "--out", out, "--api", "https://" + address,
                       "--api-tls-ca", certificate.certificatePath, "--data-dir", dir.path()});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY(QJsonDocument::fromJson(readAll(out)).object().contains("peerId"));
        QVERIFY(QFile::remove(out));
        // --api-tls-ca alone implies https.
        exported = exportRun({"--format", "csv", "--out", out, "--api", address, "--api-tls-ca",
                              certificate.certificatePath, "--data-dir", dir.path()});
        QVERIFY2(exported.exitCode == 0, qPrintable(exported.err));
        QVERIFY(QFile::remove(out));

        // Not trusted: the system's CAs do not know this certificate.
        exported = exportRun({"--format", "json", "--out", out, "--api", "https://" + address,
                              "--data-dir", dir.path()});
        QVERIFY2(exported.exitCode == 1, qPrintable(exported.err));
        QVERIFY2(exported.err.contains("TLS with the PeerScope API at https://" + address +
                                       " failed: ") &&
                     exported.err.contains("see --api-tls-ca"),
                 qPrintable(exported.err));
        // Plain HTTP gets no answer from a TLS port.
        exported = exportRun(
            {"--format", "json", "--out", out, "--api", address, "--data-dir", dir.path()});
        QVERIFY2(exported.exitCode == 1, qPrintable(exported.err));
        QVERIFY2(exported.err.contains("cannot reach the PeerScope API at http://" + address),
                 qPrintable(exported.err));
        QVERIFY(!QFile::exists(out));

        node.terminate();
        QVERIFY(node.waitForFinished(5000));
    }

    void badUsageExitsWithTwo_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("unknown format") << QStringList{"--format", "xml", "--out", "x"}
                                        << "--format xml: expected json, csv, prometheus or pdf";
        QTest::newRow("no format") << QStringList{"--out", "x"} << "--format is required";
        QTest::newRow("no out") << QStringList{"--format", "json"} << "--out is required";
        QTest::newRow("out dir missing")
            << QStringList{"--format", "json", "--out", "/nonexistent/dir/x.json"}
            << "--out /nonexistent/dir/x.json: the directory /nonexistent/dir does not exist";
        QTest::newRow("api port") << QStringList{"--format", "json",  "--out",
                                                 "x",        "--api", "127.0.0.1:99999"}
                                  << "--api 127.0.0.1:99999: port 99999 out of range 1-65535";
        QTest::newRow("api shape")
            << QStringList{"--format", "json", "--out", "x", "--api", "localhost"}
            << "--api localhost: expected HOST:PORT";
        QTest::newRow("api scheme")
            << QStringList{"--format", "json", "--out", "x", "--api", "ftp://127.0.0.1:5080"}
            << "--api ftp://127.0.0.1:5080: expected HOST:PORT";
        QTest::newRow("off loopback over http")
            << QStringList{"--format", "json", "--out", "x", "--api", "192.0.2.1:5080"}
            << "--api 192.0.2.1:5080: not a loopback address; the API token goes off loopback "
               "over TLS only: use https://192.0.2.1:5080";
        QTest::newRow("host name over http")
            << QStringList{"--format", "json", "--out", "x", "--api", "http://node.example:5080"}
            << "--api http://node.example:5080: not a loopback address";
        QTest::newRow("bad host")
            << QStringList{"--format", "json", "--out", "x", "--api", "https://999.1.1.1:5080"}
            << "--api https://999.1.1.1:5080: \"999.1.1.1\" is not an IP address or host name";
        QTest::newRow("tls ca with http")
            << QStringList{"--format",     "json",  "--out", "x", "--api", "http://127.0.0.1:5080",
                           "--api-tls-ca", "ca.pem"}
            << "--api-tls-ca: the API address http://127.0.0.1:5080 is plain http; use https://";
        QTest::newRow("tls ca missing")
            << QStringList{"--format", "json", "--out", "x", "--api-tls-ca", "/nonexistent/ca.pem"}
            << "--api-tls-ca /nonexistent/ca.pem: cannot read it";
        QTest::newRow("tls ca not a certificate")
            << QStringList{"--format", "json", "--out", "x", "--api-tls-ca", binary()}
            << "--api-tls-ca " + binary() + ": no PEM certificate in it";
        QTest::newRow("timeout") << QStringList{"--format", "json", "--out", "x", "--timeout", "0"}
                                 << "--timeout 0: expected a number of seconds";
        QTest::newRow("stray argument") << QStringList{"--format", "json", "--out", "x", "extra"}
                                        << "unexpected argument \"extra\"";
        QTest::newRow("unknown option")
            << QStringList{"--format", "json", "--frobnicate"} << "frobnicate";
    }

    void badUsageExitsWithTwo() {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        const Run exported = exportRun(arguments);
        QCOMPARE(exported.exitCode, 2);
        QVERIFY2(exported.err.contains(message), qPrintable(exported.err));
        QVERIFY(!QFile::exists(QStringLiteral("x")));
    }

    void apiProblemsExitWithOne() {
        const QString out = outDir_.filePath(QStringLiteral("never.json"));
        // A wrong token: the API's 401 and its message.
        const QString badToken = outDir_.filePath(QStringLiteral("bad-token"));
        QFile token(badToken);
        QVERIFY(token.open(QIODevice::WriteOnly));
        token.write("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n");
        token.close();
        Run exported =
            exportRun({"--format", "csv", "--out", out, "--api", api_, "--token-file", badToken});
        QVERIFY2(exported.exitCode == 1, qPrintable(exported.err));
        QVERIFY2(exported.err.contains(QLatin1String("HTTP 401 missing or wrong bearer token")),
                 qPrintable(exported.err));
        // No token file.
        exported = exportRun({"--format", "json", "--out", out, "--api", api_, "--data-dir",
                              outDir_.filePath(QStringLiteral("nowhere"))});
        QVERIFY2(exported.exitCode == 1, qPrintable(exported.err));
        QVERIFY2(exported.err.contains(QLatin1String("cannot read the API token")),
                 qPrintable(exported.err));
        // Nothing listening.
        exported = exportRun({"--format", "json", "--out", out, "--api", "127.0.0.1:1",
                              "--data-dir", nodeDir_.path()});
        QVERIFY2(exported.exitCode == 1, qPrintable(exported.err));
        QVERIFY2(exported.err.contains(QLatin1String("cannot reach the PeerScope API at "
                                                     "http://127.0.0.1:1")),
                 qPrintable(exported.err));
        QVERIFY(!QFile::exists(out));
    }

    void help() {
        const Run shown = exportRun({"--help"});
        QCOMPARE(shown.exitCode, 0);
        QVERIFY(shown.out.startsWith(QLatin1String("Usage: peerscope export")));
        for (const char* option : {"--format", "--out", "--api", "--api-tls-ca", "--data-dir",
                                   "--token-file", "--timeout"})
            QVERIFY2(shown.out.contains(QLatin1String(option)), option);
    }

private:
    QTemporaryDir nodeDir_;
    QTemporaryDir outDir_;
    QProcess node_;
    QString api_;
    QString peerId_;
};

QTEST_GUILESS_MAIN(TestExportCommand)
#include "tst_export_command.moc"
