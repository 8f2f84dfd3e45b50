// `peerscope --lab N` as a user runs it: the real binary starts N lab peers behind link
// proxies, connects to them, and the control API shows RTTs that match each link's delay.
// Its two relays show round trips that follow their links, we reserve on one, the relayed lab
// peer is reached through it, and slowing that relay's link makes us switch relays.
// Every lab process goes away with the app, whether it is asked to stop or killed.
// Needs the app built first (tests/CMakeLists.txt: add_dependencies(tst_lab_mode peerscope)).
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "engine/core/identity_store.h"
#include "engine/core/peer_id.h"
#include "engine/lab/lab_controller.h"
#include "support/event_collector.h"

#include <QDir>
#include <QElapsedTimer>
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
// Children besides the N lab peers: the relays and the relayed peer.
constexpr int kExtraChildren = LabController::relayCount + 1;
constexpr double kProbesPerPeer = 8; // probes every 2 s on 3 connections: about 6 s

QString binary() {
    return QStringLiteral(PEERSCOPE_BINARY_DIR "/app/peerscope");
}

// The pids of the lab children started for `dataDir` (their --data-dir is <dataDir>/lab/lab-N,
// relay-N or relayed).
QList<qint64> labChildren(const QString& dataDir) {
    const QByteArray marker = QDir(dataDir).filePath(QStringLiteral("lab/")).toUtf8();
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

// The peer id of lab child `name` (lab-0, relay-1, relayed, ...), from its identity file.
QString childPeerId(const QString& dataDir, const QString& name) {
    const QString path = QDir(dataDir).filePath(QStringLiteral("lab/%1/identity.key").arg(name));
    if (!QFile::exists(path))
        return {};
    Result<PrivateKey> key = loadOrCreateIdentity(path.toStdString());
    if (!key)
        return {};
    return QString::fromStdString(PeerId::fromPublicKey(key->publicKey()).toBase58());
}

QString labPeerId(const QString& dataDir, int index) {
    return childPeerId(dataDir, QStringLiteral("lab-%1").arg(index));
}

std::optional<double> number(const QJsonValue& value) {
    return value.isDouble() ? std::optional<double>(value.toDouble()) : std::nullopt;
}

} // namespace

class TestLabMode final : public QObject {
    Q_OBJECT

private:
    QNetworkAccessManager network_;

    QJsonDocument get(quint16 port, const QByteArray& token, const QString& path) {
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
        request.setRawHeader("Authorization", "Bearer " + token);
        QNetworkReply* reply = network_.get(request);
        if (!QTest::qWaitFor([&] { return reply->isFinished(); }, 5000))
            reply->abort();
        const QJsonDocument out = QJsonDocument::fromJson(reply->readAll());
        delete reply;
        return out;
    }

    QJsonArray peers(quint16 port, const QByteArray& token) {
        return get(port, token, QStringLiteral("/api/v1/peers")).array();
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
            // Read each time: a child writes its identity file once it runs.
            const QStringList labIds{labPeerId(dir.path(), 0), labPeerId(dir.path(), 1)};
            list = peers(port, token);
            int ready = 0;
            for (const QJsonValue& peer : list) {
                if (!labIds.contains(peer["peerId"].toString()))
                    continue; // a relay or the relayed peer
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

        QCOMPARE(labChildren(dir.path()).size(), 2 + kExtraChildren);
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
        QTRY_COMPARE_WITH_TIMEOUT(labChildren(dir.path()).size(), 2 + kExtraChildren,
                                  kStartTimeoutMs);
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
        QCOMPARE(links().size(), 2 + kExtraChildren);
        QCOMPARE(links()[1].index, 1);
        QCOMPARE(links()[1].role, QStringLiteral("peer"));
        QCOMPARE(links()[2].role, QStringLiteral("relay"));
        QCOMPARE(links()[3].role, QStringLiteral("relay"));
        QCOMPARE(links()[3].delayMs, LabController::defaultRelayLink(1).delayMs);
        QCOMPARE(links()[4].role, QStringLiteral("relayed"));
        QCOMPARE(links()[1].delayMs, LabController::defaultLink(1).delayMs);
        QCOMPARE(links()[1].rateBytesPerSecond, LabController::defaultLink(1).rateBytesPerSecond);
        // Connected, and the background perf traffic moves bytes both ways.
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (const LabLinkSnapshot& link : links())
                    if (link.role == QLatin1String("peer") &&
                        (link.state != QLatin1String("connected") || link.bytesUp < 64 * 1024 ||
                         link.bytesDown < 64 * 1024))
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
        client->setLabLink(4, 1, 0, 0, 0); // the relayed peer
        auto refused = [&](const QString& reason) {
            for (const EventSnapshot& e : events.events())
                if (e.kind == QLatin1String("lab") && e.detail.contains(reason))
                    return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(refused(QStringLiteral("loss 150 % out of range 0-100 %")), 5000);
        QTRY_VERIFY_WITH_TIMEOUT(refused(QStringLiteral("no lab link 7 (the lab has 4: 0-3)")),
                                 5000);
        QTRY_VERIFY_WITH_TIMEOUT(
            refused(QStringLiteral("lab entry 4 is the relayed lab peer: it has no link")), 5000);
        QCOMPARE(links()[0].lossPercent, 0.0);

        QCOMPARE(labChildren(dir.path()).size(), 2 + kExtraChildren);
        engine.reset(); // stopping the engine stops its lab
        QVERIFY(labChildren(dir.path()).isEmpty());
    }

    // The lab's relays through the control API: both static relays with round trips that
    // follow their links, a reservation on one, the relayed peer reached only through it, and
    // a switch to the other once its link is slowed past relay_switch_rtt_ms.
    void labRelaysCarryTheRelayedPeerAndSwitchWhenSlowed() {
        QTemporaryDir dir;
        LabRun leftovers(dir.path());
        EngineOptions options;
        options.dataDir = dir.path();
        options.configPath = dir.filePath(QStringLiteral("config.json"));
        options.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/0")};
        options.apiEndpoint = QStringLiteral("127.0.0.1:0");
        options.labPeers = 1;
        options.labExecutable = binary();
        auto engine = std::make_unique<Engine>(options);
        QVERIFY(engine->start().ok());
        EngineClient* client = engine->client();
        test::EventCollector events(client);
        const quint16 port = engine->apiPort();
        QFile tokenFile(dir.filePath(QStringLiteral("api-token")));
        QVERIFY(tokenFile.open(QIODevice::ReadOnly));
        const QByteArray token = tokenFile.readAll().trimmed();

        // Entries: peer 0, relays 1 and 2, the relayed peer 3.
        auto links = [&] { return client->snapshot().labLinks; };
        QTRY_VERIFY_WITH_TIMEOUT(!links()[1].peerId.isEmpty() && !links()[2].peerId.isEmpty(),
                                 kStartTimeoutMs);
        const QStringList relayIds{links()[1].peerId, links()[2].peerId};
        QCOMPARE(relayIds[0], childPeerId(dir.path(), QStringLiteral("relay-0")));
        QCOMPARE(links()[3].role, QStringLiteral("relayed"));
        const QString relayedId = links()[3].peerId;
        QCOMPARE(relayedId, childPeerId(dir.path(), QStringLiteral("relayed")));
        QCOMPARE(links()[3].proxyPort, quint16(0)); // no link of its own

        // Both relays probed a few times (every 5 s), and a reservation on one of them.
        QJsonObject relays;
        auto relay = [&](const QString& id) {
            for (const QJsonValue& r : relays["relays"].toArray())
                if (r["peerId"].toString() == id)
                    return r.toObject();
            return QJsonObject{};
        };
        auto relaysReady = [&] {
            relays = get(port, token, QStringLiteral("/api/v1/relays")).object();
            int reserved = 0;
            for (const QString& id : relayIds) {
                const QJsonObject r = relay(id);
                if (r["rttHistoryMs"].toArray().size() < 3)
                    return false;
                reserved += r["inUse"].toBool() && r["reservation"] == QLatin1String("reserved");
            }
            return reserved == 1 && !relays["relayedAddrs"].toArray().isEmpty();
        };
        QVERIFY2(QTest::qWaitFor(relaysReady, 60000), QJsonDocument(relays).toJson().constData());
        double lowest[2] = {1e9, 1e9};
        for (int k = 0; k < 2; ++k) {
            const QJsonObject r = relay(relayIds[k]);
            QCOMPARE(r["source"].toString(), QStringLiteral("static"));
            for (const QJsonValue& rtt : r["rttHistoryMs"].toArray())
                lowest[k] = std::min(lowest[k], rtt.toDouble());
            const LinkSettings link = LabController::defaultRelayLink(k);
            qInfo("lab relay %d: link delay %.0f ms, lowest probe RTT %.2f ms", k, link.delayMs,
                  lowest[k]);
            // A probe crosses the link twice; a busy core only ever adds.
            QVERIFY2(lowest[k] >= 2 * (link.delayMs - link.jitterMs) - 0.5 &&
                         lowest[k] < 2 * (link.delayMs + link.jitterMs) + 30,
                     qPrintable(QString::number(lowest[k])));
        }
        QVERIFY(lowest[1] > lowest[0] + 40);
        const QString inUse = relay(relayIds[0])["inUse"].toBool() ? relayIds[0] : relayIds[1];
        const QString other = inUse == relayIds[0] ? relayIds[1] : relayIds[0];
        for (const QJsonValue& addr : relays["relayedAddrs"].toArray())
            QVERIFY2(addr.toString().contains("/p2p/" + inUse + "/p2p-circuit"),
                     qPrintable(addr.toString()));

        // The relayed peer: connected, and only through the relay we use.
        QJsonArray list;
        auto relayedConnected = [&] {
            list = peers(port, token);
            for (const QJsonValue& peer : list)
                if (peer["peerId"].toString() == relayedId)
                    return !peer["connections"].toArray().isEmpty();
            return false;
        };
        QVERIFY2(QTest::qWaitFor(relayedConnected, kStartTimeoutMs),
                 QJsonDocument(list).toJson().constData());
        for (const QJsonValue& peer : list) {
            if (peer["peerId"].toString() != relayedId)
                continue;
            // It listens nowhere (--listen none): identify tells us only its circuit
            // addresses, no direct one to try.
            for (const QJsonValue& addr : peer["listenAddrs"].toArray())
                QVERIFY2(addr.toString().contains("/p2p-circuit"), qPrintable(addr.toString()));
            for (const QJsonValue& c : peer["connections"].toArray()) {
                QCOMPARE(c["relay"]["peerId"].toString(), inUse);
                QVERIFY2(c["remoteAddr"].toString().contains("/p2p-circuit"),
                         qPrintable(c["remoteAddr"].toString()));
            }
        }
        QTRY_COMPARE_WITH_TIMEOUT(links()[3].viaRelay, inUse, 5000);
        QCOMPARE(links()[3].state, QStringLiteral("connected"));

        // Slow the relay in use: 300 ms each way puts its round trip at 600 ms, past 200 ms;
        // after three probes the other relay, clearly faster, takes its place.
        const int inUseLink = inUse == relayIds[0] ? 1 : 2;
        const LinkSettings before = LabController::defaultRelayLink(inUseLink - 1);
        QElapsedTimer switchTime;
        switchTime.start();
        client->setLabLink(inUseLink, 300, before.jitterMs, 0, before.rateBytesPerSecond);
        auto switched = [&] {
            for (const EventSnapshot& e : events.events())
                if (e.kind == QLatin1String("relay_switched") && e.peerId == other)
                    return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(switched(), 60000);
        qInfo("relay switch %.1f s after the link was slowed", switchTime.elapsed() / 1000.0);
        relays = get(port, token, QStringLiteral("/api/v1/relays")).object();
        QVERIFY(relay(other)["inUse"].toBool());
        QVERIFY(!relay(inUse)["inUse"].toBool());
        QVERIFY(relay(inUse)["rttMs"].toDouble() > 200);
        // The relayed peer follows: its connection is dialled again through the new relay and
        // the old one drained.
        auto onlyThrough = [&](const QString& relayId) {
            list = peers(port, token);
            for (const QJsonValue& peer : list) {
                if (peer["peerId"].toString() != relayedId)
                    continue;
                const QJsonArray connections = peer["connections"].toArray();
                return !connections.isEmpty() &&
                       std::all_of(connections.begin(), connections.end(),
                                   [&](const QJsonValue& c) {
                                       return c["relay"]["peerId"].toString() == relayId;
                                   });
            }
            return false;
        };
        QVERIFY2(QTest::qWaitFor([&] { return onlyThrough(other); }, 20000),
                 QJsonDocument(list).toJson().constData());
        qInfo("the relayed peer reached only through the new relay %.1f s after the link was "
              "slowed",
              switchTime.elapsed() / 1000.0);
        QTRY_COMPARE_WITH_TIMEOUT(links()[3].viaRelay, other, 5000);

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
