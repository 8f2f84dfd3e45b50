// The desktop app in lab mode, in a real window on a real X server (Xvfb, started here on a
// display of its own): three lab peers behind link proxies show up in the peer table with
// RTTs that match their links' delays, with the lab's two relays and the peer reached through
// one of them beside them, each view is saved as a screenshot (build artifacts),
// and the real `peerscope --lab 3` binary opens its window and leaves no lab process behind
// when it is told to stop.
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "support/throwaway_settings.h"
#include "ui/gesture_manager_setup.h"
#include "ui/main_window.h"
#include "ui/models/peer_table_model.h"

#include <QApplication>
#include <QDir>
#include <QImage>
#include <QProcess>
#include <QScreen>
#include <QSettings>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <sys/wait.h>
#include <unistd.h>

using namespace peerscope;

namespace {

constexpr int kLabPeers = 3;
// Lab entries besides the peers: two relays and the relayed peer, all in the peer table too.
constexpr int kLabEntries = kLabPeers + 3;
constexpr quint64 kProbesPerPeer = 8; // probes every 2 s on 3 connections: about 6 s
constexpr int kTimeoutMs = 60000;

QString binary() {
    return QStringLiteral(PEERSCOPE_BINARY_DIR "/app/peerscope");
}

QString artifactsDir() {
    return QStringLiteral(PEERSCOPE_BINARY_DIR "/artifacts/lab");
}

// Pids of processes whose command line mentions `marker` (the test's own data dir).
QList<int> processesMentioning(const QString& marker) {
    QList<int> out;
    for (const QString& entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
        bool isPid = false;
        const int pid = entry.toInt(&isPid);
        if (!isPid || pid == getpid())
            continue;
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(pid));
        if (cmdline.open(QIODevice::ReadOnly) && cmdline.readAll().contains(marker.toUtf8()))
            out << pid;
    }
    return out;
}

// True when an image is more than one flat colour: something was drawn.
bool hasContent(const QImage& image) {
    if (image.isNull())
        return false;
    const QRgb first = image.pixel(0, 0);
    for (int y = 0; y < image.height(); y += 7)
        for (int x = 0; x < image.width(); x += 7)
            if (image.pixel(x, y) != first)
                return true;
    return false;
}

} // namespace

class TestLabWindow final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QCOMPARE(QGuiApplication::platformName(), QStringLiteral("xcb"));
        QVERIFY(QFile::exists(binary()));
        QVERIFY(settingsDir_.isValid());
        test::useThrowawaySettings(settingsDir_.path(), QStringLiteral("tst_lab_window"));
        QVERIFY(QDir().mkpath(artifactsDir()));
        createGestureManagerBeforeThreads(); // before any engine thread
    }

    void labPeersShowTheirLinksDelays() {
        QTemporaryDir dataDir;
        EngineOptions options;
        options.dataDir = dataDir.path();
        options.configPath = dataDir.filePath(QStringLiteral("config.json"));
        options.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/0")};
        options.apiEndpoint = std::nullopt;
        options.labPeers = kLabPeers;
        options.labExecutable = binary();
        auto engine = std::make_unique<Engine>(options);
        const Result<void> started = engine->start();
        QVERIFY2(started.ok(), started.ok() ? "" : started.errorMessage().c_str());

        {
            MainWindow window(engine->client());
            window.resize(1500, 950);
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.showTab(MainWindow::PeersTab);
            auto* table = window.findChild<QTableView*>(QStringLiteral("peerTable"));
            QVERIFY(table);
            QAbstractItemModel* model = table->model();

            // Every lab peer in the table, each with a measured RTT.
            auto rttOf = [&](const QString& peerId) -> std::optional<double> {
                for (int row = 0; row < model->rowCount(); ++row) {
                    const QModelIndex peer = model->index(row, PeerTableModel::PeerColumn);
                    if (peer.data(PeerTableModel::PeerIdRole).toString() != peerId)
                        continue;
                    const QVariant rtt =
                        model->index(row, PeerTableModel::RttColumn).data(PeerTableModel::SortRole);
                    if (rtt.isValid())
                        return rtt.toDouble();
                }
                return std::nullopt;
            };
            // Every lab entry, relays and the relayed peer too, has an RTT in the table.
            auto allMeasured = [&] {
                const NodeSnapshot snapshot = engine->client()->snapshot();
                if (snapshot.labLinks.size() != kLabEntries || model->rowCount() != kLabEntries)
                    return false;
                for (const LabLinkSnapshot& link : snapshot.labLinks)
                    if (link.peerId.isEmpty() || !rttOf(link.peerId))
                        return false;
                return true;
            };
            QTRY_VERIFY_WITH_TIMEOUT(allMeasured(), kTimeoutMs);
            // Several probes per peer, so the lowest RTT is the link's and not that of a probe
            // that waited for a busy core.
            auto isLabPeer = [](const NodeSnapshot& snapshot, const QString& peerId) {
                return std::any_of(snapshot.labLinks.begin(), snapshot.labLinks.end(),
                                   [&](const LabLinkSnapshot& link) {
                                       return link.role == QLatin1String("peer") &&
                                              link.peerId == peerId;
                                   });
            };
            auto probedEnough = [&] {
                const NodeSnapshot snapshot = engine->client()->snapshot();
                int labPeers = 0;
                for (const PeerSnapshot& peer : snapshot.peers) {
                    if (!isLabPeer(snapshot, peer.peerId))
                        continue;
                    ++labPeers;
                    quint64 probes = 0;
                    for (const ConnectionSnapshot& connection : peer.connections)
                        probes += connection.probes;
                    if (probes < kProbesPerPeer)
                        return false;
                }
                return labPeers == kLabPeers;
            };
            QTRY_VERIFY_WITH_TIMEOUT(probedEnough(), kTimeoutMs);

            // The smoothed RTT in the table follows every probe, and on a busy machine a probe
            // can wait for a core well beyond the link's delay. The lowest RTT measured cannot:
            // scheduling only ever adds. So the link is checked against the lowest RTT, and the
            // table against what its connections measured.
            const NodeSnapshot snapshot = engine->client()->snapshot();
            for (const LabLinkSnapshot& link : snapshot.labLinks) {
                if (link.role != QLatin1String("peer"))
                    continue; // relays: tst_lab_mode checks their probes
                const std::optional<double> rtt = rttOf(link.peerId);
                QVERIFY(rtt);
                const auto peer =
                    std::find_if(snapshot.peers.begin(), snapshot.peers.end(),
                                 [&](const PeerSnapshot& p) { return p.peerId == link.peerId; });
                QVERIFY(peer != snapshot.peers.end());
                std::optional<double> lowest, highest;
                for (const ConnectionSnapshot& connection : peer->connections) {
                    if (connection.rttMinMs)
                        lowest =
                            std::min(lowest.value_or(*connection.rttMinMs), *connection.rttMinMs);
                    if (connection.rttMaxMs)
                        highest =
                            std::max(highest.value_or(*connection.rttMaxMs), *connection.rttMaxMs);
                }
                QVERIFY(lowest && highest);
                // A ping crosses the link twice; jitter moves each way, loopback adds little.
                const double expected = 2 * link.delayMs;
                const double tolerance = 2 * link.jitterMs + std::max(5.0, 0.15 * expected);
                qInfo("lab link %d: delay %.0f ms, jitter %.0f ms -> lowest RTT %.2f ms "
                      "(expected %.0f +- %.1f), table RTT %.2f ms",
                      link.index, link.delayMs, link.jitterMs, *lowest, expected, tolerance, *rtt);
                QVERIFY2(std::abs(*lowest - expected) <= tolerance,
                         qPrintable(QStringLiteral("link %1: lowest RTT %2 ms, expected %3 +- %4")
                                        .arg(link.index)
                                        .arg(*lowest)
                                        .arg(expected)
                                        .arg(tolerance)));
                // Minimum and maximum only spread with time, so the table's (earlier) value lies
                // within this later snapshot's range.
                QVERIFY2(*lowest <= *rtt && *rtt <= *highest,
                         qPrintable(QStringLiteral("link %1: table RTT %2 ms outside %3-%4 ms")
                                        .arg(link.index)
                                        .arg(*rtt)
                                        .arg(*lowest)
                                        .arg(*highest)));
            }

            // The Relays tab has something to show: both lab relays measured, one reserved.
            auto relaysMeasured = [&] {
                const NodeSnapshot now = engine->client()->snapshot();
                int reserved = 0;
                for (const RelaySnapshot& relay : now.relays) {
                    if (!relay.rttMs)
                        return false;
                    reserved += relay.reservation == QLatin1String("reserved");
                }
                return now.relays.size() == 2 && reserved == 1;
            };
            QTRY_VERIFY_WITH_TIMEOUT(relaysMeasured(), kTimeoutMs);

            // A screenshot of every view, from the X server's own pixels.
            table->selectRow(0);
            const QStringList names{QStringLiteral("overview"), QStringLiteral("peers"),
                                    QStringLiteral("relays"),   QStringLiteral("events"),
                                    QStringLiteral("config"),   QStringLiteral("lab")};
            QCOMPARE(names.size(), int(MainWindow::TabCount)); // a new tab needs a name here
            for (int tab = 0; tab < MainWindow::TabCount; ++tab) {
                window.showTab(MainWindow::Tab(tab));
                QTest::qWait(1200); // a few ticks: charts and tables redraw
                const QImage shot = window.screen()->grabWindow(window.winId()).toImage();
                QVERIFY2(hasContent(shot), qPrintable(names[tab]));
                const QString path = artifactsDir() + QStringLiteral("/lab_%1.png").arg(names[tab]);
                QVERIFY(shot.save(path));
                qInfo("screenshot: %s", qPrintable(path));
            }
        }
        engine.reset(); // stops the lab children
        QTRY_VERIFY_WITH_TIMEOUT(processesMentioning(dataDir.path()).isEmpty(), 10000);
    }

    void realBinaryOpensItsWindowAndStopsItsLab() {
        QTemporaryDir dataDir;
        QProcess app;
        app.setProcessChannelMode(QProcess::SeparateChannels);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("xcb"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dataDir.filePath(QStringLiteral("config")));
        app.setProcessEnvironment(env);
        app.start(binary(),
                  {QStringLiteral("--lab"), QString::number(kLabPeers), QStringLiteral("--listen"),
                   QStringLiteral("/ip4/127.0.0.1/tcp/0"), QStringLiteral("--api"),
                   QStringLiteral("off"), QStringLiteral("--data-dir"), dataDir.path()});
        QVERIFY(app.waitForStarted(10000));
        auto cleanup = qScopeGuard([&] {
            if (app.state() != QProcess::NotRunning) {
                app.kill();
                app.waitForFinished(5000);
            }
        });
        QByteArray out;
        QTRY_VERIFY_WITH_TIMEOUT((out += app.readAllStandardOutput()).contains("listening "),
                                 kTimeoutMs);
        // The window is on the X server, and the lab's children are running.
        auto windowShown = [] {
            QProcess tree;
            tree.start(QStringLiteral("xwininfo"),
                       {QStringLiteral("-root"), QStringLiteral("-tree")});
            return tree.waitForFinished(5000) &&
                   tree.readAllStandardOutput().contains("\"PeerScope\"");
        };
        QTRY_VERIFY_WITH_TIMEOUT(windowShown(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(processesMentioning(dataDir.path()).size() >= kLabEntries + 1,
                                 kTimeoutMs);

        ::kill(static_cast<pid_t>(app.processId()), SIGTERM);
        QVERIFY(app.waitForFinished(15000));
        QCOMPARE(app.exitStatus(), QProcess::NormalExit);
        QCOMPARE(app.exitCode(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(processesMentioning(dataDir.path()).isEmpty(), 10000);
    }

private:
    QTemporaryDir settingsDir_;
};

namespace {

// An X server of the test's own, on a free display; stopped when the test ends however it ends.
class XvfbServer final {
public:
    bool start() {
        int fds[2];
        if (pipe(fds) != 0)
            return false;
        pid_ = fork();
        if (pid_ == 0) {
            ::close(fds[0]);
            const std::string fd = std::to_string(fds[1]);
            execlp("Xvfb", "Xvfb", "-displayfd", fd.c_str(), "-screen", "0", "1600x1000x24",
                   "-nolisten", "tcp", "-noreset", static_cast<char*>(nullptr));
            _exit(127);
        }
        ::close(fds[1]);
        if (pid_ < 0)
            return false;
        // Xvfb writes the display number once it accepts clients.
        std::string number;
        char c = 0;
        while (::read(fds[0], &c, 1) == 1 && c != '\n')
            number += c;
        ::close(fds[0]);
        if (number.empty())
            return false;
        display_ = ":" + number;
        return true;
    }
    const std::string& display() const { return display_; }
    ~XvfbServer() {
        if (pid_ > 0) {
            ::kill(pid_, SIGTERM);
            ::waitpid(pid_, nullptr, 0);
        }
    }

private:
    pid_t pid_ = -1;
    std::string display_;
};

} // namespace

int main(int argc, char** argv) {
    XvfbServer xvfb;
    if (!xvfb.start()) {
        std::fprintf(stderr, "Xvfb did not start (is the xvfb package installed?)\n");
        return 1;
    }
    setenv("DISPLAY", xvfb.display().c_str(), 1);
    setenv("QT_QPA_PLATFORM", "xcb", 1); // ctest sets offscreen for the other ui tests
    QApplication app(argc, argv);
    TestLabWindow test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_lab_window.moc"
