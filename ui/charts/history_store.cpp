#include "ui/charts/history_store.h"

namespace peerscope {

HistoryStore::HistoryStore(qint64 closedRetentionMs) : closedRetentionMs_(closedRetentionMs) {}

HistoryStore::~HistoryStore() = default;

void HistoryStore::apply(const NodeSnapshot& snapshot) {
    if (!snapshot.takenAt.isValid())
        return;
    const qint64 nowMs = snapshot.takenAt.toMSecsSinceEpoch();
    ++applies_;
    latestMs_ = nowMs;
    sampleGlobal(snapshot, nowMs);

    for (const PeerSnapshot& peer : snapshot.peers) {
        if (peer.connections.isEmpty())
            continue; // a peer record kept after its connections closed
        double peerIn = 0;
        double peerOut = 0;
        for (const ConnectionSnapshot& connection : peer.connections) {
            ConnectionHistory& history = connections_[connection.id];
            if (history.peerId.isEmpty())
                history.peerId = peer.peerId;
            history.seenInApply = applies_;
            history.closedAtMs = -1;
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
        PeerHistory& history = peers_[peer.peerId];
        history.seenInApply = applies_;
        history.closedAtMs = -1;
        history.rateIn.add(nowMs, peerIn);
        history.rateOut.add(nowMs, peerOut);
    }
    sweep(nowMs);
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
    // Whatever this snapshot did not mention has closed: note when, drop it once retained
    // long enough.
    for (auto it = connections_.begin(); it != connections_.end();) {
        ConnectionHistory& history = it.value();
        if (history.seenInApply != applies_) {
            if (history.closedAtMs < 0)
                history.closedAtMs = nowMs;
            if (nowMs - history.closedAtMs >= closedRetentionMs_) {
                it = connections_.erase(it);
                continue;
            }
        }
        ++it;
    }
    for (auto it = peers_.begin(); it != peers_.end();) {
        PeerHistory& history = it.value();
        if (history.seenInApply != applies_) {
            if (history.closedAtMs < 0)
                history.closedAtMs = nowMs;
            if (nowMs - history.closedAtMs >= closedRetentionMs_) {
                it = peers_.erase(it);
                continue;
            }
        }
        ++it;
    }
}

const HistoryStore::ConnectionHistory* HistoryStore::connection(quint64 connectionId) const {
    const auto it = connections_.constFind(connectionId);
    return it == connections_.cend() ? nullptr : &it.value();
}

const HistoryStore::PeerHistory* HistoryStore::peer(const QString& peerId) const {
    const auto it = peers_.constFind(peerId);
    return it == peers_.cend() ? nullptr : &it.value();
}

int HistoryStore::closedConnectionCount() const {
    int closed = 0;
    for (const ConnectionHistory& history : connections_) {
        if (history.closedAtMs >= 0)
            ++closed;
    }
    return closed;
}

std::size_t HistoryStore::pointCount() const {
    std::size_t total = globalIn_.pointCount() + globalOut_.pointCount();
    for (const ConnectionHistory& history : connections_)
        total += history.rttMs.pointCount() + history.jitterMs.pointCount() +
                 history.rateIn.pointCount() + history.rateOut.pointCount();
    for (const PeerHistory& history : peers_)
        total += history.rateIn.pointCount() + history.rateOut.pointCount();
    return total;
}

std::size_t HistoryStore::memoryBytes() const {
    // Series storage exactly; hash nodes and the (shared) peer id strings roughly.
    std::size_t total = sizeof(*this) + globalIn_.memoryBytes() + globalOut_.memoryBytes();
    for (const ConnectionHistory& history : connections_)
        total += sizeof(quint64) + sizeof(ConnectionHistory) - 4 * sizeof(SeriesHistory) +
                 history.rttMs.memoryBytes() + history.jitterMs.memoryBytes() +
                 history.rateIn.memoryBytes() + history.rateOut.memoryBytes();
    for (auto it = peers_.cbegin(); it != peers_.cend(); ++it)
        total += sizeof(QString) + std::size_t(it.key().size()) * sizeof(QChar) +
                 sizeof(PeerHistory) - 2 * sizeof(SeriesHistory) + it.value().rateIn.memoryBytes() +
                 it.value().rateOut.memoryBytes();
    return total;
}

void HistoryStore::clear() {
    globalIn_.clear();
    globalOut_.clear();
    connections_.clear();
    peers_.clear();
    latestMs_ = -1;
    previousMs_ = -1;
    previousBytesIn_ = 0;
    previousBytesOut_ = 0;
}

} // namespace peerscope
