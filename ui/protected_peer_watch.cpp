#include "ui/protected_peer_watch.h"

#include <QSet>

namespace peerscope {

ProtectedPeerWatch::ProtectedPeerWatch() = default;

ProtectedPeerWatch::~ProtectedPeerWatch() = default;

bool ProtectedPeerWatch::isUp(const PeerSnapshot& peer) {
    for (const ConnectionSnapshot& connection : peer.connections) {
        if (connection.healthState == QLatin1String("healthy") ||
            connection.healthState == QLatin1String("degraded"))
            return true;
    }
    return false;
}

QList<ProtectedPeerTransition> ProtectedPeerWatch::applySnapshot(const NodeSnapshot& snapshot) {
    QList<ProtectedPeerTransition> transitions;
    QSet<QString> present;
    present.reserve(watched_.size());
    for (const PeerSnapshot& peer : snapshot.peers) {
        if (!peer.isProtected) {
            watched_.remove(peer.peerId);
            continue;
        }
        present.insert(peer.peerId);
        update(peer.peerId, isUp(peer), transitions);
    }
    // A watched peer the engine no longer lists has no connection at all.
    for (auto it = watched_.begin(); it != watched_.end(); ++it) {
        if (!present.contains(it.key()) && it->up) {
            it->up = false;
            it->failureReported = true;
            transitions << ProtectedPeerTransition{it.key(), ProtectedPeerTransition::Kind::Failed};
        }
    }
    return transitions;
}

void ProtectedPeerWatch::update(const QString& peerId, bool up,
                                QList<ProtectedPeerTransition>& out) {
    const auto it = watched_.find(peerId);
    if (it == watched_.end()) {
        watched_.insert(peerId, PeerState{up, false});
        return;
    }
    if (it->up && !up) {
        it->failureReported = true;
        out << ProtectedPeerTransition{peerId, ProtectedPeerTransition::Kind::Failed};
    } else if (!it->up && up && it->failureReported) {
        it->failureReported = false;
        out << ProtectedPeerTransition{peerId, ProtectedPeerTransition::Kind::Recovered};
    }
    it->up = up;
}

} // namespace peerscope
