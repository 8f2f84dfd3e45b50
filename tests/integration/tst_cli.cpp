// The peerscope executable as a user runs it: start-up lines, clean exit on SIGTERM, and
// malformed options rejected with status 2 and a message naming the bad part.
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>

class TestCli final : public QObject {
    Q_OBJECT

private:
    static QString binary() { return QStringLiteral(PEERSCOPE_BINARY_DIR "/app/peerscope"); }

    struct Run {
        int exitCode = -1;
        QString out;
        QString err;
    };

    static Run runToEnd(const QStringList& arguments) {
        QProcess process;
        process.start(binary(), arguments);
        Run run;
        if (!process.waitForFinished(15000)) {
            process.kill();
            process.waitForFinished(3000);
            return run;
        }
        run.exitCode = process.exitCode();
        run.out = QString::fromUtf8(process.readAllStandardOutput());
        run.err = QString::fromUtf8(process.readAllStandardError());
        return run;
    }

private Q_SLOTS:
    void headlessPrintsListenLinesAndStopsOnSigterm() {
        QTemporaryDir dir;
        QProcess process;
        process.start(binary(), {"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api", "off",
                                 "--data-dir", dir.path()});
        QVERIFY(process.waitForStarted(5000));
        QByteArray out;
        QVERIFY(QTest::qWaitFor(
            [&] {
                out += process.readAllStandardOutput();
                return out.contains('\n');
            },
            10000));
        static const QRegularExpression line(QStringLiteral(
            R"(^listening /ip4/127\.0\.0\.1/tcp/\d+/p2p/12D3KooW[1-9A-HJ-NP-Za-km-z]+$)"));
        const QString first = QString::fromUtf8(out.split('\n').first());
        QVERIFY2(line.match(first).hasMatch(), qPrintable(first));
        QVERIFY(QFile::exists(dir.filePath("identity.key")));
        QVERIFY(!QFile::exists(dir.filePath("api-token"))); // --api off

        ::kill(static_cast<pid_t>(process.processId()), SIGTERM);
        QVERIFY(process.waitForFinished(5000));
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(process.exitCode(), 0);
    }

    void sameIdentityOnRestart() {
        QTemporaryDir dir;
        auto peerIdOnce = [&] {
            QProcess process;
            process.start(binary(), {"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api",
                                     "off", "--data-dir", dir.path()});
            process.waitForStarted(5000);
            QByteArray out;
            if (!QTest::qWaitFor(
                    [&] {
                        out += process.readAllStandardOutput();
                        return out.contains('\n');
                    },
                    10000))
                return QByteArray();
            process.terminate();
            process.waitForFinished(5000);
            return out.mid(out.indexOf("/p2p/") + 5).split('\n').first();
        };
        const QByteArray first = peerIdOnce();
        QVERIFY(first.startsWith("12D3KooW"));
        QCOMPARE(peerIdOnce(), first);
    }

    void malformedOptionsExitWithStatusTwo_data() {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("message");
        QTest::newRow("port out of range")
            << QStringList{"--headless", "--listen", "/ip4/127.0.0.1/tcp/99999"}
            << R"(--listen /ip4/127.0.0.1/tcp/99999: component 2 (tcp): port "99999" out of range 0-65535)";
        QTest::newRow("unknown protocol")
            << QStringList{"--headless", "--dial", "/ip5/1.2.3.4"}
            << R"(--dial /ip5/1.2.3.4: component 1: unknown protocol "ip5")";
        QTest::newRow("bad api") << QStringList{"--headless", "--api", "nonsense"}
                                 << "--api nonsense: expected HOST:PORT";
        QTest::newRow("unknown option") << QStringList{"--frobnicate"} << "frobnicate";
    }

    void malformedOptionsExitWithStatusTwo() {
        QFETCH(QStringList, arguments);
        QFETCH(QString, message);
        Run run = runToEnd(arguments);
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(message), qPrintable(run.err));
    }

    void groupReadableIdentityIsRefused() {
        QTemporaryDir dir;
        const QString key = dir.filePath("identity.key");
        // A well-formed Ed25519 key file whose mode lets the group read it.
        QFile file(key);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(QByteArray::fromHex("0801124000000000000000000000000000000000000000000000000000"
                                       "00000000000000000000000000000000000000000000000000000000"
                                       "0000000000000000000000"));
        file.close();
        QVERIFY(file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                    QFileDevice::ReadGroup));
        Run run = runToEnd({"--headless", "--listen", "/ip4/127.0.0.1/tcp/0", "--api", "off",
                            "--identity", key, "--data-dir", dir.path()});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains("chmod 600"), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
