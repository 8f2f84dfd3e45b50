// `peerscope --lab N` as a user runs it: the real binary starts N lab peers behind link
// proxies, connects to them, and the control API shows RTTs that match each link's delay.
// Every lab process goes away with the app, whether it is asked to stop or killed.
// Needs the app built first (tests/CMakeLists.txt: add_dependencies(tst_lab_mode peerscope)).
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "engine/core/identity_store.h"
#include "engine/core/peer_id.h"
#include "engine/lab/lab_controller.h"
#include "support/event_collector.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <optional>

using namespace peerscope;

namespace {

constexpr int kStartTimeoutMs = 30000;
constexpr double kProbesPerPeer = 8; // probes every 2 s on 3 connections: about 6 s

QString binary() {
    return QStringLiteral(PEERSCOPE_BINARY_DIR "/app/peerscope");
}

// The pids of the lab children started for `dataDir` (their --data-dir is <dataDir>/lab/lab-N).
QList<qint64> labChildren(const QString& dataDir) {
    const QByteArray marker = QDir(dataDir).filePath(QStringLiteral("lab/lab-")).toUtf8();
    QList<qint64> pids;
    for (const QString& entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool isPid = false;
        const qint64 pid = entry.toLongLong(&isPid);
        if (!isPid)
            continue;
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(entry));
        if (!cmdline.open(QIODevice::ReadOnly))
            continue; // gone meanwhile
        QByteArray arguments = cmdline.readAll();
        arguments.replace('\0', ' ');
        if (arguments.contains(marker))
            pids << pid;
    }
    return pids;
}

// Kills whatever a failed check left behind: the app first, then any of its lab children.
class LabRun {
public:
    explicit LabRun(QString dataDir) : dataDir_(std::move(dataDir)) {}
    ~LabRun() {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished(5000);
        }
        for (qint64 pid : labChildren(dataDir_))
            ::kill(static_cast<pid_t>(pid), SIGKILL);
    }
    Q_DISABLE_COPY_MOVE(LabRun)

    // Starts `peerscope --headless --lab <peers>` and returns the API port (0 on failure).
    quint16 start(int peers) {
        process.start(binary(), {"--headless", "--lab", QString::number(peers), "--listen",
                                 "/ip4/127.0.0.1/tcp/0", "--api", "127.0.0.1:0", "--data-dir",
                                 dataDir_, "--config", dataDir_ + "/config.json"});
        if (!process.waitForStarted(5000))
            return 0;
        static const QRegularExpression apiLine(
            QStringLiteral(R"(^api http://127\.0\.0\.1:(\d+)$)"),
            QRegularExpression::MultilineOption);
        QByteArray out;
        quint16 port = 0;
        [[maybe_unused]] const bool seen = QTest::qWaitFor(
            [&] {
                out += process.readAllStandardOutput();
                const QRegularExpressionMatch match = apiLine.match(QString::fromUtf8(out));
                if (match.hasMatch())
                    port = static_cast<quint16>(match.captured(1).toUInt());
                return port != 0 || process.state() == QProcess::NotRunning;
            },
            10000);
        return port;
    }

    QProcess process;

private:
    QString dataDir_;
};

// The peer id of lab peer `index`, from the identity file its child created.
QString labPeerId(const QString& dataDir, int index) {
    const QString path =
        QDir(dataDir).filePath(QStringLiteral("lab/lab-%1/identity.key").arg(index));
    if (!QFile::exists(path))
        return {};
    Result<PrivateKey> key = loadOrCreateIdentity(path.toStdString());
    if (!key)
        return {};
    return QString::fromStdString(PeerId::fromPublicKey(key->publicKey()).toBase58());
}

std::optional<double> number(const QJsonValue& value) {
    return value.isDouble() ? std::optional<double>(value.toDouble()) : std::nullopt;
}

} // namespace

class TestLabMode final : public QObject {
    Q_OBJECT

private:
    QNetworkAccessManager network_;

    QJsonArray peers(quint16 port, const QByteArray& token) {
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1/api/v1/peers").arg(port)));
        request.setRawHeader("Authorization", "Bearer " + token);
        QNetworkReply* reply = network_.get(request);
        if (!QTest::qWaitFor([&] { return reply->isFinished(); }, 5000))
            reply->abort();
        const QJsonArray out = QJsonDocument::fromJson(reply->readAll()).array();
        delete reply;
        return out;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(binary()), qPrintable(binary() + " is not built"));
    }

    void labPeersShowTheirLinksDelayAndStopWithTheApp() {
        QTemporaryDir dir;
        LabRun run(dir.path());
        const quint16 port = run.start(2);
        QVERIFY2(port != 0, run.process.readAllStandardError().constData());
        QFile tokenFile(dir.filePath(QStringLiteral("api-token")));
        QVERIFY(tokenFile.open(QIODevice::ReadOnly));
        const QByteArray token = tokenFile.readAll().trimmed();

        // Both lab peers connected, each with a ping RTT and several probed RTTs on its
        // connections: a probe can queue behind the background perf traffic or wait for a
        // busy core, so the lowest RTT says what the link does only once there are a few.
        QJsonArray list;
        auto measured = [&] {
            list = peers(port, token);
            int ready = 0;
            for (const QJsonValue& peer : list) {
                double probes = 0;
                for (const QJsonValue& c : peer["connections"].toArray())
                    if (number(c["health"]["rttMinMs"]))
                        probes += number(c["health"]["probes"]).value_or(0);
                if (number(peer["lastPingRttMs"]) && probes >= kProbesPerPeer)
                    ++ready;
            }
            return ready == 2;
        };
        QVERIFY2(QTest::qWaitFor(measured, kStartTimeoutMs),
                 QJsonDocument(list).toJson().constData());
        QCOMPARE(list.size(), 2);

        for (int index = 0; index < 2; ++index) {
            const QString id = labPeerId(dir.path(), index);
            QVERIFY2(!id.isEmpty(), "the lab peer's identity file is missing");
            QJsonObject peer;
            for (const QJsonValue& entry : list)
                if (entry["peerId"].toString() == id)
                    peer = entry.toObject();
            QVERIFY2(!peer.isEmpty(), qPrintable("lab peer " + id + " is not connected"));
            const LinkSettings link = LabController::defaultLink(index);
            // A round trip crosses the link twice; jitter moves each crossing by up to +-jitter.
            const double low = 2 * (link.delayMs - link.jitterMs) - 0.5;
            const double high = 2 * (link.delayMs + link.jitterMs);
            double bestMin = 1e9, bestSmoothed = 1e9;
            for (const QJsonValue& c : peer["connections"].toArray()) {
                QVERIFY2(c["remoteAddr"].toString().startsWith("/ip4/127.0.0.1/tcp/"),
                         qPrintable(c["remoteAddr"].toString()));
                if (auto v = number(c["health"]["rttMinMs"]))
                    bestMin = std::min(bestMin, *v);
                if (auto v = number(c["health"]["rttSmoothedMs"]))
                    bestSmoothed = std::min(bestSmoothed, *v);
            }
            const double lastPing = peer["lastPingRttMs"].toDouble();
            qInfo("lab peer %d: link delay %.0f ms, RTT min %.2f, smoothed %.2f, last ping %.2f",
                  index, link.delayMs, bestMin, bestSmoothed, lastPing);
            // Generous upper margins: the machine is shared and a probe may queue behind the
            // background perf traffic.
            QVERIFY2(bestMin >= low && bestMin < high + 30, qPrintable(QString::number(bestMin)));
            QVERIFY2(bestSmoothed >= low && bestSmoothed < high + 60,
                     qPrintable(QString::number(bestSmoothed)));
            QVERIFY2(lastPing >= low && lastPing < high + 150,
                     qPrintable(QString::number(lastPing)));
        }

        QCOMPARE(labChildren(dir.path()).size(), 2);
        run.process.terminate();
        QVERIFY(run.process.waitForFinished(10000));
        QCOMPARE(run.process.exitStatus(), QProcess::NormalExit);
        QCOMPARE(run.process.exitCode(), 0);
        // The app waited for its children: none may be left.
        QTRY_VERIFY_WITH_TIMEOUT(labChildren(dir.path()).isEmpty(), 3000);
    }

    void labPeersDieWhenTheAppIsKilled() {
        QTemporaryDir dir;
        LabRun run(dir.path());
        QVERIFY(run.start(2) != 0);
        QTRY_COMPARE_WITH_TIMEOUT(labChildren(dir.path()).size(), 2, kStartTimeoutMs);
        run.process.kill(); // no chance to clean up: the children must go by themselves
        QVERIFY(run.process.waitForFinished(5000));
        QTRY_VERIFY_WITH_TIMEOUT(labChildren(dir.path()).isEmpty(), 5000);
    }

    // The same through the facade, in process: lab links in the snapshot, background traffic,
    // and a link edited live changes the peer's RTT.
    void labLinksAreInTheSnapshotAndEditableLive() {
        QTemporaryDir dir;
        LabRun leftovers(dir.path()); // kills stray children if a check fails
        EngineOptions options;
        options.dataDir = dir.path();
        options.configPath = dir.filePath(QStringLiteral("config.json"));
        options.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/0")};
        options.apiEndpoint = std::nullopt;
        options.labPeers = 2;
        options.labExecutable = binary();
        auto engine = std::make_unique<Engine>(options);
        QVERIFY(engine->start().ok());
        EngineClient* client = engine->client();
        test::EventCollector events(client);

        auto links = [&] { return client->snapshot().labLinks; };
        QCOMPARE(links().size(), 2);
        QCOMPARE(links()[1].index, 1);
        QCOMPARE(links()[1].delayMs, LabController::defaultLink(1).delayMs);
        QCOMPARE(links()[1].rateBytesPerSecond, LabController::defaultLink(1).rateBytesPerSecond);
        // Connected, and the background perf traffic moves bytes both ways.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const LabLinkSnapshot& link : links())
                    if (link.state != QLatin1String("connected") || link.bytesUp < 64 * 1024 ||
                        link.bytesDown < 64 * 1024)
                        return false;
                return true;
            }(),
            kStartTimeoutMs);
        const LabLinkSnapshot first = links()[0];
        QVERIFY(first.proxyPort > 0);
        QCOMPARE(first.peerId, labPeerId(dir.path(), 0));

        auto pingRtt = [&](const QString& peer) -> double {
            std::optional<PingOutcome> outcome;
            client->ping(peer, 3, this, [&](const PingOutcome& o) { outcome = o; });
            if (!QTest::qWaitFor([&] { return outcome.has_value(); }, 10000) || !outcome->ok)
                return -1;
            return *std::min_element(outcome->rttsMs.begin(), outcome->rttsMs.end());
        };
        client->setLabLink(0, 70, 0, 0, 0);
        QTRY_COMPARE_WITH_TIMEOUT(links()[0].delayMs, 70.0, 5000);
        QCOMPARE(links()[0].rateBytesPerSecond, 0.0);
        const double slow = pingRtt(first.peerId);
        qInfo("lab link 0 at 70 ms: ping %.2f ms", slow);
        // Best of three: one may queue behind a perf run.
        QVERIFY2(slow >= 140 && slow < 140 + 60, qPrintable(QString::number(slow)));

        // Out of range: nothing changes, and the refusal is logged with the reason.
        client->setLabLink(0, 70, 0, 150, 0);
        client->setLabLink(7, 1, 0, 0, 0);
        auto refused = [&](const QString& reason) {
            for (const EventSnapshot& e : events.events())
                if (e.kind == QLatin1String("lab") && e.detail.contains(reason))
                    return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(refused(QStringLiteral("loss 150 % out of range 0-100 %")), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(refused(QStringLiteral("no lab link 7 (the lab has 2)")), 5000);
        QCOMPARE(links()[0].lossPercent, 0.0);

        QCOMPARE(labChildren(dir.path()).size(), 2);
        engine.reset(); // stopping the engine stops its lab
        QVERIFY(labChildren(dir.path()).isEmpty());
    }

    void badLabCountIsRefused_data() {
        QTest::addColumn<QString>("value");
        QTest::newRow("zero") << "0";
        QTest::newRow("too many") << "51";
        QTest::newRow("not a number") << "many";
        QTest::newRow("negative") << "-3";
    }

    void badLabCountIsRefused() {
        QFETCH(QString, value);
        QProcess process;
        process.start(binary(), {"--headless", "--lab", value});
        QVERIFY(process.waitForFinished(10000));
        QCOMPARE(process.exitCode(), 2);
        const QString err = QString::fromUtf8(process.readAllStandardError());
        QVERIFY2(err.contains("--lab " + value + ": expected a number of lab peers from 1 to 50"),
                 qPrintable(err));
        QVERIFY(process.readAllStandardOutput().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestLabMode)
#include "tst_lab_mode.moc"
