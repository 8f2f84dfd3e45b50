#include "ui/charts/history_store.h"

#include <unordered_set>

namespace peerscope {

namespace {

// How many connections ahead apply() asks for the history it will write: each one lives in
// its own allocation, and waiting for those cache misses one at a time was a good part of
// its cost.
constexpr std::size_t kPrefetchDistance = 4;

void prefetch(const HistoryStore::ConnectionHistory& history) {
    for (const SeriesHistory* series :
         {&history.rttMs, &history.jitterMs, &history.rateIn, &history.rateOut})
        series->prefetchForAdd();
}

void prefetch(const HistoryStore::PeerHistory& history) {
    history.rateIn.prefetchForAdd();
    history.rateOut.prefetchForAdd();
}

} // namespace

HistoryStore::HistoryStore(qint64 closedRetentionMs) : closedRetentionMs_(closedRetentionMs) {}

HistoryStore::~HistoryStore() = default;

void HistoryStore::apply(const NodeSnapshot& snapshot) {
    if (!snapshot.takenAt.isValid())
        return;
    const qint64 nowMs = snapshot.takenAt.toMSecsSinceEpoch();
    latestMs_ = nowMs;
    sampleGlobal(snapshot, nowMs);

    seenConnections_.clear();
    seenPeers_.clear();
    // While every history is where the previous snapshot had it, it is known to be open and
    // its bookkeeping is left alone: at 4 Hz x thousands of connections, only the series
    // themselves are written.
    bool inOrder = true;
    for (const PeerSnapshot& peer : snapshot.peers) {
        if (peer.connections.isEmpty())
            continue; // a peer record kept after its connections closed
        if (inOrder && seenPeers_.size() + 1 < openPeers_.size())
            prefetch(*openPeers_[seenPeers_.size() + 1].history);
        double peerIn = 0;
        double peerOut = 0;
        for (const ConnectionSnapshot& connection : peer.connections) {
            const std::size_t position = seenConnections_.size();
            if (inOrder && position + kPrefetchDistance < openConnections_.size())
                prefetch(*openConnections_[position + kPrefetchDistance].history);
            ConnectionHistory& history =
                connectionAt(position, connection.id, peer.peerId, inOrder);
            seenConnections_.push_back({connection.id, &history});
            const double in = connection.rateIn.perSecond[0];
            const double out = connection.rateOut.perSecond[0];
            history.rateIn.add(nowMs, in);
            history.rateOut.add(nowMs, out);
            if (connection.rttSmoothedMs) {
                history.rttMs.add(nowMs, *connection.rttSmoothedMs);
                history.jitterMs.add(nowMs, connection.jitterMs);
            }
            peerIn += in;
            peerOut += out;
        }
        const quint64 firstConnectionId = peer.connections.first().id;
        PeerHistory& history = peerAt(seenPeers_.size(), peer.peerId, firstConnectionId, inOrder);
        seenPeers_.push_back({peer.peerId, &history, firstConnectionId});
        history.rateIn.add(nowMs, peerIn);
        history.rateOut.add(nowMs, peerOut);
    }
    // The same lists in the same order: nothing can have closed since the previous apply.
    if (!inOrder || seenConnections_.size() != openConnections_.size() ||
        seenPeers_.size() != openPeers_.size())
        noteClosed(nowMs);
    openConnections_.swap(seenConnections_);
    openPeers_.swap(seenPeers_);
    sweep(nowMs);
}

HistoryStore::ConnectionHistory& HistoryStore::connectionAt(std::size_t position, quint64 id,
                                                            const QString& peerId, bool& inOrder) {
    if (inOrder && position < openConnections_.size() && openConnections_[position].id == id)
        return *openConnections_[position].history;
    inOrder = false;
    ConnectionHistory& history = connections_[id];
    if (history.peerId.isEmpty())
        history.peerId = peerId;
    history.closedAtMs = -1; // back (or new): sweep() forgets its closing
    return history;
}

HistoryStore::PeerHistory& HistoryStore::peerAt(std::size_t position, const QString& peerId,
                                                quint64 firstConnectionId, bool& inOrder) {
    if (inOrder && position < openPeers_.size()) {
        const PeerRef& previous = openPeers_[position];
        if (previous.firstConnectionId == firstConnectionId || previous.peerId == peerId)
            return *previous.history;
    }
    inOrder = false;
    PeerHistory& history = peers_[peerId];
    history.closedAtMs = -1;
    return history;
}

void HistoryStore::noteClosed(qint64 nowMs) {
    // What the previous snapshot had and this one did not has closed. Those pointers are
    // valid: only sweep() erases, and only histories that were closed before this apply.
    std::unordered_set<const void*> seen;
    seen.reserve(seenConnections_.size() + seenPeers_.size());
    for (const ConnectionRef& open : seenConnections_)
        seen.insert(open.history);
    for (const PeerRef& open : seenPeers_)
        seen.insert(open.history);
    for (const ConnectionRef& open : openConnections_) {
        ConnectionHistory& history = *open.history;
        if (history.closedAtMs < 0 && !seen.contains(&history)) {
            history.closedAtMs = nowMs;
            closedConnections_.push_back({open.id, &history});
        }
    }
    for (const PeerRef& open : openPeers_) {
        PeerHistory& history = *open.history;
        if (history.closedAtMs < 0 && !seen.contains(&history)) {
            history.closedAtMs = nowMs;
            closedPeers_.push_back({open.peerId, &history});
        }
    }
}

void HistoryStore::sampleGlobal(const NodeSnapshot& snapshot, qint64 nowMs) {
    const quint64 bytesIn = snapshot.counters.bytesIn;
    const quint64 bytesOut = snapshot.counters.bytesOut;
    // Totals include closed connections, so their deltas count every byte exactly once.
    // No sample without a previous snapshot, across a clock step back, or when the totals
    // went down (a different engine).
    if (previousMs_ >= 0 && nowMs > previousMs_ && bytesIn >= previousBytesIn_ &&
        bytesOut >= previousBytesOut_) {
        const double seconds = double(nowMs - previousMs_) / 1000.0;
        globalIn_.add(nowMs, double(bytesIn - previousBytesIn_) / seconds);
        globalOut_.add(nowMs, double(bytesOut - previousBytesOut_) / seconds);
    }
    previousMs_ = nowMs;
    previousBytesIn_ = bytesIn;
    previousBytesOut_ = bytesOut;
}

void HistoryStore::sweep(qint64 nowMs) {
    // Drop what has been closed for the retention; forget the closing of what came back.
    std::erase_if(closedConnections_, [&](const ConnectionRef& closed) {
        if (closed.history->closedAtMs < 0)
            return true;
        if (nowMs - closed.history->closedAtMs < closedRetentionMs_)
            return false;
        connections_.erase(closed.id);
        return true;
    });
    std::erase_if(closedPeers_, [&](const PeerRef& closed) {
        if (closed.history->closedAtMs < 0)
            return true;
        if (nowMs - closed.history->closedAtMs < closedRetentionMs_)
            return false;
        peers_.erase(closed.peerId);
        return true;
    });
}

const HistoryStore::ConnectionHistory* HistoryStore::connection(quint64 connectionId) const {
    const auto it = connections_.find(connectionId);
    return it == connections_.cend() ? nullptr : &it->second;
}

const HistoryStore::PeerHistory* HistoryStore::peer(const QString& peerId) const {
    const auto it = peers_.find(peerId);
    return it == peers_.cend() ? nullptr : &it->second;
}

int HistoryStore::closedConnectionCount() const {
    return static_cast<int>(closedConnections_.size());
}

std::size_t HistoryStore::pointCount() const {
    std::size_t total = globalIn_.pointCount() + globalOut_.pointCount();
    for (const auto& [id, history] : connections_)
        total += history.rttMs.pointCount() + history.jitterMs.pointCount() +
                 history.rateIn.pointCount() + history.rateOut.pointCount();
    for (const auto& [peerId, history] : peers_)
        total += history.rateIn.pointCount() + history.rateOut.pointCount();
    return total;
}

std::size_t HistoryStore::memoryBytes() const {
    // Series storage exactly; hash nodes, the order lists and the (shared) peer id strings
    // roughly.
    constexpr std::size_t kNodeBytes = 2 * sizeof(void*); // next pointer and bucket slot
    std::size_t total = sizeof(*this) + globalIn_.memoryBytes() + globalOut_.memoryBytes();
    for (const auto& [id, history] : connections_)
        total += kNodeBytes + sizeof(id) + sizeof(ConnectionHistory) - 4 * sizeof(SeriesHistory) +
                 history.rttMs.memoryBytes() + history.jitterMs.memoryBytes() +
                 history.rateIn.memoryBytes() + history.rateOut.memoryBytes();
    for (const auto& [peerId, history] : peers_)
        total += kNodeBytes + sizeof(std::size_t) + sizeof(QString) +
                 std::size_t(peerId.size()) * sizeof(QChar) + sizeof(PeerHistory) -
                 2 * sizeof(SeriesHistory) + history.rateIn.memoryBytes() +
                 history.rateOut.memoryBytes();
    total += (openConnections_.capacity() + seenConnections_.capacity()) * sizeof(ConnectionRef) +
             (openPeers_.capacity() + seenPeers_.capacity()) * sizeof(PeerRef) +
             closedConnections_.capacity() * sizeof(ConnectionRef) +
             closedPeers_.capacity() * sizeof(PeerRef);
    return total;
}

void HistoryStore::clear() {
    globalIn_.clear();
    globalOut_.clear();
    connections_.clear();
    peers_.clear();
    openConnections_.clear();
    openPeers_.clear();
    seenConnections_.clear();
    seenPeers_.clear();
    closedConnections_.clear();
    closedPeers_.clear();
    latestMs_ = -1;
    previousMs_ = -1;
    previousBytesIn_ = 0;
    previousBytesOut_ = 0;
}

} // namespace peerscope
