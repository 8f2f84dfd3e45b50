// UI cost of the live dashboards: 1,000 peers x 3 connections fed to the main window at the
// engine's 4 Hz tick, every connection's rates and RTT changing on every tick. Measures the GUI
// thread's time per tick (applying the snapshot to the models, history and visible views, then
// the layout and paint events it causes) with the Peers tab shown (a peer selected, its detail
// pane and charts live) and with the Overview tab shown (the global bandwidth chart), and the
// memory the UI side holds. Offscreen platform: the widgets really paint, into a backing store.
// Next to the wall time it prints the GUI thread's CPU time per tick, which other load on the
// machine disturbs less (for A/B comparisons). With --breakdown it also says where each tick's
// time goes: the snapshot apply, then the events it caused, and which widgets' paint events
// took how long.
//   build/release/bench/bench_ui_tick [peers] [ticks] [--breakdown]
#include "process_memory.h"
#include "ui/charts/history_store.h"
#include "ui/main_window.h"

#include <QApplication>
#include <QElapsedTimer>
#include <QEvent>
#include <QMetaEnum>
#include <QSettings>
#include <QTemporaryDir>
#include <QWidget>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <map>
#include <string>
#include <vector>

using namespace peerscope;

namespace {

qint64 threadCpuNs() {
    timespec now{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    return qint64(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// Times what the event loop delivers, when asked to: every paint event by the widget it
// paints (named by its nearest named ancestor), and the outermost events by type and
// receiver class (an UpdateRequest to the window is the whole repaint, paint events inside).
class TimingApplication final : public QApplication {
public:
    using QApplication::QApplication;

    bool enabled = false;
    std::map<std::string, double> paintMs; // per widget, summed
    std::map<std::string, double> outerMs; // per event type and receiver, summed
    std::map<std::string, int> outerCount;

    bool notify(QObject* receiver, QEvent* event) override {
        if (!enabled)
            return QApplication::notify(receiver, event);
        const bool outer = depth_ == 0;
        // Both before delivery: a DeferredDelete takes the receiver and the event with it.
        const QEvent::Type type = event->type();
        const std::string name = type == QEvent::Paint ? widgetName(receiver)
                                 : outer               ? receiver->metaObject()->className()
                                                       : std::string();
        ++depth_;
        QElapsedTimer timer;
        timer.start();
        const bool result = QApplication::notify(receiver, event);
        const double ms = double(timer.nsecsElapsed()) / 1e6;
        --depth_;
        if (type == QEvent::Paint)
            paintMs[name] += ms;
        if (outer) {
            const char* typeName = QMetaEnum::fromType<QEvent::Type>().valueToKey(type);
            const std::string key = std::string(typeName ? typeName : "?") + " -> " + name;
            outerMs[key] += ms;
            ++outerCount[key];
        }
        return result;
    }

    void reset() {
        paintMs.clear();
        outerMs.clear();
        outerCount.clear();
    }

private:
    static std::string widgetName(QObject* object) {
        std::string name = object->metaObject()->className();
        for (QObject* at = object; at != nullptr; at = at->parent()) {
            if (!at->objectName().isEmpty() && !at->objectName().startsWith(QLatin1String("qt_")))
                return at->objectName().toStdString() + " / " + name;
        }
        return name;
    }

    int depth_ = 0;
};

QString peerIdFor(int n) {
    return QStringLiteral("12D3KooWBench%1xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")
        .arg(n, 5, 10, QChar('0'));
}

// The text of the node's peers and connections that stays the same from tick to tick, made
// once: the engine keeps it between snapshots (SnapshotTextCache), so each of its snapshots
// carries the same implicitly shared QString instances for ids, addresses, muxer and identify
// strings, and the GUI drops a reference count and compares a pointer where it would free and
// compare fresh strings. The bench hands the GUI what the engine hands it, or it would bill
// the GUI for allocations the engine no longer makes.
struct SnapshotText {
    struct Peer {
        QString peerId, agentVersion, protocolVersion;
        QStringList protocols, listenAddrs;
    };
    struct Connection {
        QString direction, remoteAddr, localAddr, muxer;
        QString identifyProtocol, pingProtocol; // names of its bytes by protocol
    };
    std::vector<Peer> peers;
    std::vector<Connection> connections; // 3 per peer

    // Each string its own allocation, as the engine makes them (from std::string, per peer and
    // per connection); direction is a string literal there as here.
    explicit SnapshotText(int peerCount) {
        const auto made = [](const char* text) { return QString::fromUtf8(text); };
        for (int p = 0; p < peerCount; ++p) {
            peers.push_back(
                {peerIdFor(p), made("peerscope/0.1.0"), made("ipfs/0.1.0"),
                 QStringList{made("/ipfs/id/1.0.0"), made("/ipfs/ping/1.0.0"), made("/perf/1.0.0")},
                 QStringList{QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(20000 + p)}});
            for (int c = 0; c < 3; ++c)
                connections.push_back(
                    {c == 0 ? QStringLiteral("outbound") : QStringLiteral("inbound"),
                     QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(10000 + p * 3 + c),
                     made("/ip4/127.0.0.1/tcp/4001"), made("/yamux/1.0.0"), made("/ipfs/id/1.0.0"),
                     made("/ipfs/ping/1.0.0")});
        }
    }
};

// Tick `tick` of a node with `peers` peers; deterministic, every value moves every tick.
NodeSnapshot makeSnapshot(const SnapshotText& text, int tick, const QDateTime& start) {
    const int peers = static_cast<int>(text.peers.size());
    NodeSnapshot snapshot;
    snapshot.peerId = QStringLiteral("12D3KooWBenchSelf");
    snapshot.agentVersion = QStringLiteral("peerscope/bench");
    snapshot.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWBenchSelf")};
    snapshot.takenAt = start.addMSecs(qint64(tick) * 250);
    snapshot.health.monitoring = true;
    quint64 totalIn = 0, totalOut = 0;
    for (int p = 0; p < peers; ++p) {
        const SnapshotText::Peer& peerText = text.peers[std::size_t(p)];
        PeerSnapshot peer;
        peer.peerId = peerText.peerId;
        peer.agentVersion = peerText.agentVersion;
        peer.protocolVersion = peerText.protocolVersion;
        peer.protocols = peerText.protocols;
        peer.listenAddrs = peerText.listenAddrs;
        peer.identified = true;
        for (int c = 0; c < 3; ++c) {
            const SnapshotText::Connection& connectionText =
                text.connections[std::size_t(p * 3 + c)];
            ConnectionSnapshot connection;
            connection.id = quint64(p) * 3 + c + 1;
            connection.peerId = peer.peerId;
            connection.direction = connectionText.direction;
            connection.remoteAddr = connectionText.remoteAddr;
            connection.localAddr = connectionText.localAddr;
            connection.muxer = connectionText.muxer;
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
            connection.openedAt = start;
            // Every connection runs identify once and is probed with ping; the engine makes
            // this list anew on every tick, with the names kept.
            connection.protocolBytes = {
                {connectionText.identifyProtocol, 612, 580},
                {connectionText.pingProtocol, 32 * connection.probes, 32 * connection.probes}};
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
    double cpuP10 = 0, cpuMedian = 0, cpuP99 = 0;
    double applyMean = 0, eventsMean = 0; // wall, with --breakdown
};

Figures run(TimingApplication& app, MainWindow& window, const SnapshotText& text, int firstTick,
            int ticks, const QDateTime& start) {
    std::vector<double> ms;
    std::vector<double> cpuMs;
    double applyMs = 0;
    double eventsMs = 0;
    app.reset();
    for (int tick = firstTick; tick < firstTick + ticks; ++tick) {
        const NodeSnapshot snapshot =
            makeSnapshot(text, tick, start); // not billed: the engine makes it
        const qint64 cpuStart = threadCpuNs();
        QElapsedTimer timer;
        timer.start();
        window.applySnapshot(snapshot);
        const qint64 appliedNs = timer.nsecsElapsed();
        QCoreApplication::processEvents(); // the layout and paint that the update caused
        const qint64 totalNs = timer.nsecsElapsed();
        cpuMs.push_back(double(threadCpuNs() - cpuStart) / 1e6);
        ms.push_back(double(totalNs) / 1e6);
        applyMs += double(appliedNs) / 1e6;
        eventsMs += double(totalNs - appliedNs) / 1e6;
    }
    std::sort(ms.begin(), ms.end());
    std::sort(cpuMs.begin(), cpuMs.end());
    const auto p99 = [](const std::vector<double>& v) {
        return v[std::min(v.size() - 1, v.size() * 99 / 100)];
    };
    Figures f;
    f.median = ms[ms.size() / 2];
    f.p99 = p99(ms);
    f.max = ms.back();
    f.over16 = int(std::count_if(ms.begin(), ms.end(), [](double v) { return v > 16.0; }));
    f.cpuP10 = cpuMs[cpuMs.size() / 10];
    f.cpuMedian = cpuMs[cpuMs.size() / 2];
    f.cpuP99 = p99(cpuMs);
    f.applyMean = applyMs / ticks;
    f.eventsMean = eventsMs / ticks;
    return f;
}

void report(const TimingApplication& app, const char* name, const Figures& f, int ticks) {
    std::printf("%-34s median %.2f ms  p99 %.2f ms  max %.2f ms  ticks over 16 ms: %d of %d\n",
                name, f.median, f.p99, f.max, f.over16, ticks);
    std::printf("%-34s thread CPU median %.2f ms  p99 %.2f ms  p10 %.2f ms\n", "", f.cpuMedian,
                f.cpuP99, f.cpuP10);
    if (!app.enabled)
        return;
    std::printf("  per tick (mean): applySnapshot %.2f ms, events after it %.2f ms\n", f.applyMean,
                f.eventsMean);
    const auto top = [ticks](const std::map<std::string, double>& sums, const char* title,
                             const std::map<std::string, int>* counts) {
        std::vector<std::pair<double, std::string>> sorted;
        for (const auto& [key, total] : sums)
            sorted.emplace_back(total, key);
        std::sort(sorted.rbegin(), sorted.rend());
        std::printf("  %s\n", title);
        for (std::size_t i = 0; i < std::min<std::size_t>(sorted.size(), 12); ++i) {
            const auto& [total, key] = sorted[i];
            if (total / ticks < 0.01)
                break;
            if (counts)
                std::printf("    %7.3f ms/tick  %6.1f/tick  %s\n", total / ticks,
                            double(counts->at(key)) / ticks, key.c_str());
            else
                std::printf("    %7.3f ms/tick  %s\n", total / ticks, key.c_str());
        }
    };
    top(app.outerMs, "outermost events:", &app.outerCount);
    top(app.paintMs, "paint events by widget:", nullptr);
}

} // namespace

int main(int argc, char** argv) {
    qputenv("QT_QPA_PLATFORM", "offscreen");
    TimingApplication app(argc, argv);
    QTemporaryDir settings; // window state goes to a throwaway place
    QSettings::setPath(QSettings::NativeFormat, QSettings::UserScope, settings.path());
    const int peers = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1000;
    const int ticks = argc > 2 ? std::max(10, std::atoi(argv[2])) : 240;
    const bool breakdown = argc > 3 && std::strcmp(argv[3], "--breakdown") == 0;
    const QDateTime start = QDateTime::currentDateTimeUtc();
    const SnapshotText text(peers);

    const double rssStart = bench::rssMiB();
    MainWindow window(nullptr);
    window.resize(1400, 900);
    window.show();
    QCoreApplication::processEvents();
    const double rssWindow = bench::rssMiB();

    // Warm up: the rows are inserted once, as when the node starts.
    window.showTab(MainWindow::PeersTab);
    window.applySnapshot(makeSnapshot(text, 0, start));
    QCoreApplication::processEvents();
    window.selectPeer(peerIdFor(peers / 2));
    QCoreApplication::processEvents();

    app.enabled = breakdown;
    report(app, "peers tab (table + detail pane)", run(app, window, text, 1, ticks, start), ticks);
    window.showTab(MainWindow::OverviewTab);
    QCoreApplication::processEvents();
    report(app, "overview tab (global chart)", run(app, window, text, 1 + ticks, ticks, start),
           ticks);
    window.showTab(MainWindow::EventsTab);
    QCoreApplication::processEvents();
    report(app, "events tab (charts hidden)", run(app, window, text, 1 + 2 * ticks, ticks, start),
           ticks);

    std::printf("memory: RSS %.0f MiB at start, %.0f MiB with the window, %.0f MiB after %d "
                "ticks of %d peers x 3 connections\n",
                rssStart, rssWindow, bench::rssMiB(), 3 * ticks + 1, peers);
    return 0;
}
