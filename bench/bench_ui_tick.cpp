// UI cost of the live dashboards: 1,000 peers x 3 connections fed to the main window at the
// engine's 4 Hz tick, every connection's rates and RTT changing on every tick. Measures the GUI
// thread's time per tick (applying the snapshot to the models, history and visible views, then
// the layout and paint events it causes) with the Peers tab shown (a peer selected, its detail
// pane and charts live) and with the Overview tab shown (the global bandwidth chart), and the
// memory the UI side holds. Offscreen platform: the widgets really paint, into a backing store.
//   build/release/bench/bench_ui_tick [peers] [ticks]
#include "ui/charts/history_store.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QSettings>
#include <QTemporaryDir>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

using namespace peerscope;

namespace {

double rssMiB() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind("VmRSS:", 0) == 0)
            return std::stod(line.substr(6)) / 1024.0;
    return 0;
}

QString peerIdFor(int n) {
    return QStringLiteral("12D3KooWBench%1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
        .arg(n, 5, 10, QChar('0'));
}

// Tick `tick` of a node with `peers` peers; deterministic, every value moves every tick.
NodeSnapshot makeSnapshot(int peers, int tick, const QDateTime& start) {
    NodeSnapshot snapshot;
    snapshot.peerId = QStringLiteral("12D3KooWBenchSelf");
    snapshot.agentVersion = QStringLiteral("peerscope/bench");
    snapshot.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWBenchSelf")};
    snapshot.takenAt = start.addMSecs(qint64(tick) * 250);
    snapshot.health.monitoring = true;
    quint64 totalIn = 0, totalOut = 0;
    for (int p = 0; p < peers; ++p) {
        PeerSnapshot peer;
        peer.peerId = peerIdFor(p);
        peer.agentVersion = QStringLiteral("peerscope/0.1.0");
        peer.protocols = {QStringLiteral("/ipfs/id/1.0.0"), QStringLiteral("/ipfs/ping/1.0.0"),
                          QStringLiteral("/perf/1.0.0")};
        peer.identified = true;
        for (int c = 0; c < 3; ++c) {
            ConnectionSnapshot connection;
            connection.id = quint64(p) * 3 + c + 1;
            connection.peerId = peer.peerId;
            connection.direction = c == 0 ? QStringLiteral("outbound") : QStringLiteral("inbound");
            connection.remoteAddr = QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(10000 + p * 3 + c);
            connection.streams = (tick + c) % 4;
            const double phase = 0.1 * tick + p;
            connection.rttSmoothedMs = 5 + p % 150 + 2 * std::sin(phase);
            connection.rttLastMs = connection.rttSmoothedMs;
            connection.jitterMs = 1 + std::fabs(std::cos(phase));
            connection.healthScore = 0.5 + 0.5 * std::fabs(std::sin(phase / 3));
            connection.healthState = connection.healthScore < 0.6 ? QStringLiteral("degraded")
                                                                  : QStringLiteral("healthy");
            connection.pingSuccessRate = 1.0;
            connection.probes = quint64(tick / 4);
            connection.ageSeconds = tick / 4.0;
            const double rate = 1000 + 500 * std::sin(phase + c);
            connection.rateIn.perSecond[0] = rate;
            connection.rateOut.perSecond[0] = rate / 2;
            connection.bytesIn = quint64(rate * tick / 4);
            connection.bytesOut = quint64(rate * tick / 8);
            totalIn += connection.bytesIn;
            totalOut += connection.bytesOut;
            peer.connections.push_back(connection);
        }
        snapshot.peers.push_back(std::move(peer));
    }
    snapshot.counters.bytesIn = totalIn;
    snapshot.counters.bytesOut = totalOut;
    snapshot.health.peers = peers;
    snapshot.health.connections = peers * 3;
    return snapshot;
}

struct Figures {
    double median = 0, p99 = 0, max = 0;
    int over16 = 0;
};

Figures run(MainWindow& window, int peers, int firstTick, int ticks, const QDateTime& start) {
    std::vector<double> ms;
    for (int tick = firstTick; tick < firstTick + ticks; ++tick) {
        const NodeSnapshot snapshot =
            makeSnapshot(peers, tick, start); // not billed: the engine makes it
        QElapsedTimer timer;
        timer.start();
        window.applySnapshot(snapshot);
        QCoreApplication::processEvents(); // the layout and paint that the update caused
        ms.push_back(double(timer.nsecsElapsed()) / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    Figures f;
    f.median = ms[ms.size() / 2];
    f.p99 = ms[std::min(ms.size() - 1, ms.size() * 99 / 100)];
    f.max = ms.back();
    f.over16 = int(std::count_if(ms.begin(), ms.end(), [](double v) { return v > 16.0; }));
    return f;
}

void report(const char* name, const Figures& f, int ticks) {
    std::printf("%-34s median %.2f ms  p99 %.2f ms  max %.2f ms  ticks over 16 ms: %d of %d\n",
                name, f.median, f.p99, f.max, f.over16, ticks);
}

} // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QTemporaryDir settings; // window state goes to a throwaway place
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings.path());
    const int peers = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1000;
    const int ticks = argc > 2 ? std::max(10, std::atoi(argv[2])) : 240;
    const QDateTime start = QDateTime::currentDateTimeUtc();

    const double rssStart = rssMiB();
    MainWindow window(nullptr);
    window.resize(1400, 900);
    window.show();
    QCoreApplication::processEvents();
    const double rssWindow = rssMiB();

    // Warm up: the rows are inserted once, as when the node starts.
    window.showTab(MainWindow::PeersTab);
    window.applySnapshot(makeSnapshot(peers, 0, start));
    QCoreApplication::processEvents();
    window.selectPeer(peerIdFor(peers / 2));
    QCoreApplication::processEvents();

    report("peers tab (table + detail pane)", run(window, peers, 1, ticks, start), ticks);
    window.showTab(MainWindow::OverviewTab);
    QCoreApplication::processEvents();
    report("overview tab (global chart)", run(window, peers, 1 + ticks, ticks, start), ticks);
    window.showTab(MainWindow::EventsTab);
    QCoreApplication::processEvents();
    report("events tab (charts hidden)", run(window, peers, 1 + 2 * ticks, ticks, start), ticks);

    std::printf("memory: RSS %.0f MiB at start, %.0f MiB with the window, %.0f MiB after %d "
                "ticks of %d peers x 3 connections\n",
                rssStart, rssWindow, rssMiB(), 3 * ticks + 1, peers);
    return 0;
}
