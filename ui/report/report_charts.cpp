#include "ui/report/report_charts.h"

#include "ui/charts/history_store.h"
#include "ui/models/peer_table_model.h"

#include <algorithm>

namespace peerscope {

namespace {

constexpr auto kResolution = SeriesHistory::Resolution::FiveSeconds;

QList<QPointF> pointsOf(const SeriesHistory& series) {
    QList<QPointF> out;
    for (const SeriesHistory::Point& point : series.points(kResolution))
        out.push_back(QPointF(static_cast<double>(point.atMs), point.value));
    return out;
}

quint64 trafficOf(const PeerSnapshot& peer) {
    quint64 bytes = 0;
    for (const ConnectionSnapshot& connection : peer.connections)
        bytes += connection.bytesIn + connection.bytesOut;
    return bytes;
}

} // namespace

ReportCharts reportChartsFrom(const HistoryStore& history, const NodeSnapshot& snapshot,
                              int maxPeers) {
    ReportCharts charts;
    if (!history.globalIn().isEmpty()) {
        charts.bandwidth.push_back(
            {QStringLiteral("received"), QStringLiteral("B/s"), pointsOf(history.globalIn())});
        charts.bandwidth.push_back(
            {QStringLiteral("sent"), QStringLiteral("B/s"), pointsOf(history.globalOut())});
    }
    QList<const PeerSnapshot*> peers;
    for (const PeerSnapshot& peer : snapshot.peers)
        if (!peer.connections.isEmpty())
            peers.push_back(&peer);
    std::stable_sort(peers.begin(), peers.end(), [](const PeerSnapshot* a, const PeerSnapshot* b) {
        return trafficOf(*a) > trafficOf(*b);
    });
    for (const PeerSnapshot* peer : peers) {
        if (charts.latency.size() >= maxPeers)
            break;
        const HistoryStore::ConnectionHistory* connection =
            history.connection(peer->connections.first().id);
        if (!connection || connection->rttMs.isEmpty())
            continue;
        charts.latency.push_back({PeerTableModel::shortPeerId(peer->peerId), QStringLiteral("ms"),
                                  pointsOf(connection->rttMs)});
    }
    return charts;
}

} // namespace peerscope
