#pragma once

#include "engine/api/snapshot.h"
#include "ui/charts/series_history.h"

#include <QString>
#include <cstddef>
#include <unordered_map>
#include <vector>

namespace peerscope {

// The UI-side history behind every chart, fed with each NodeSnapshot on the GUI thread:
// the node's bytes/s in and out (from the deltas of its byte totals), and per connection its
// smoothed RTT, jitter and 1 s rates in and out, plus per peer the sum of its connections'
// rates. One apply() costs O(connections) with a few ring-buffer writes per connection: each
// history is looked for where the previous snapshot had it (the engine lists connections in
// a stable order), with a hash lookup only for what moved or is new; nothing is redrawn here.
// A connection (or peer) absent from the snapshots is kept for `closedRetentionMs` so its
// charts stay readable, then dropped: memory is bounded by what is open plus what closed
// recently.
class HistoryStore final {
public:
    static constexpr qint64 kDefaultClosedRetentionMs = 5 * 60 * 1000;

    struct ConnectionHistory {
        QString peerId;
        SeriesHistory rttMs;    // smoothed RTT; only sampled once the health monitor has one
        SeriesHistory jitterMs; // sampled together with rttMs
        SeriesHistory rateIn;   // bytes/s over the last second
        SeriesHistory rateOut;
        qint64 closedAtMs = -1; // takenAt of the first snapshot without it; -1 while open
    };

    struct PeerHistory {
        SeriesHistory rateIn; // sum over the peer's open connections
        SeriesHistory rateOut;
        qint64 closedAtMs = -1; // the first snapshot in which it had no connection
    };

    explicit HistoryStore(qint64 closedRetentionMs = kDefaultClosedRetentionMs);
    ~HistoryStore();
    HistoryStore(const HistoryStore&) = delete;
    HistoryStore& operator=(const HistoryStore&) = delete;

    void apply(const NodeSnapshot& snapshot);

    const SeriesHistory& globalIn() const { return globalIn_; }
    const SeriesHistory& globalOut() const { return globalOut_; }
    // nullptr when unknown or dropped. Valid until the next apply() or clear().
    const ConnectionHistory* connection(quint64 connectionId) const;
    const PeerHistory* peer(const QString& peerId) const;
    // takenAt of the latest snapshot (ms since the epoch), -1 before the first: the "now"
    // charts measure their time axis from.
    qint64 latestMs() const { return latestMs_; }
    qint64 closedRetentionMs() const { return closedRetentionMs_; }

    // Memory-relevant sizes: tracked connections (open + recently closed), of which closed,
    // tracked peers, closed points stored across every series, and an estimate of the bytes.
    int connectionCount() const { return static_cast<int>(connections_.size()); }
    int closedConnectionCount() const;
    int peerCount() const { return static_cast<int>(peers_.size()); }
    std::size_t pointCount() const;
    std::size_t memoryBytes() const;

    void clear();

private:
    // A history and its key, in the lists below.
    struct ConnectionRef {
        quint64 id;
        ConnectionHistory* history;
    };
    struct PeerRef {
        QString peerId;
        PeerHistory* history;
        // The peer's first connection then: the same id at the same place is the same peer
        // (a connection belongs to one peer), found without comparing the ids as strings.
        quint64 firstConnectionId = 0;
    };

    void sampleGlobal(const NodeSnapshot& snapshot, qint64 nowMs);
    ConnectionHistory& connectionAt(std::size_t position, quint64 id, const QString& peerId,
                                    bool& inOrder);
    PeerHistory& peerAt(std::size_t position, const QString& peerId, quint64 firstConnectionId,
                        bool& inOrder);
    void noteClosed(qint64 nowMs);
    void sweep(qint64 nowMs);

    qint64 closedRetentionMs_;
    SeriesHistory globalIn_;
    SeriesHistory globalOut_;
    // Node-based maps: a history stays at its address until erased, so the order and closed
    // lists can point at it.
    std::unordered_map<quint64, ConnectionHistory> connections_;
    std::unordered_map<QString, PeerHistory> peers_;
    // What the previous snapshot listed, in its order: where each history is looked for first.
    std::vector<ConnectionRef> openConnections_;
    std::vector<PeerRef> openPeers_;
    std::vector<ConnectionRef> seenConnections_; // filled by apply(), then swapped in
    std::vector<PeerRef> seenPeers_;
    // Closed within the retention: the only histories sweep() looks at.
    std::vector<ConnectionRef> closedConnections_;
    std::vector<PeerRef> closedPeers_;
    qint64 latestMs_ = -1;
    // The previous snapshot's totals, for the global rates.
    qint64 previousMs_ = -1;
    quint64 previousBytesIn_ = 0;
    quint64 previousBytesOut_ = 0;
};

} // namespace peerscope
