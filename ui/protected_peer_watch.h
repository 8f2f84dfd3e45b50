#pragma once

#include "engine/api/snapshot.h"

#include <QHash>
#include <QList>
#include <QString>

namespace peerscope {

struct ProtectedPeerTransition {
    enum class Kind { Failed, Recovered };
    QString peerId;
    Kind kind = Kind::Failed;

    bool operator==(const ProtectedPeerTransition&) const = default;
};

// Decides when a protected peer is worth a notification. A protected peer is up while it has
// at least one healthy or degraded connection; it fails when it goes from up to no connection
// or only failed ones (or leaves the snapshot), and recovers when it is up again after such a
// failure. The first snapshot a peer appears in only records its state: starting the app or
// protecting a peer is not news. Unprotecting a peer forgets it.
class ProtectedPeerWatch final {
public:
    ProtectedPeerWatch();
    ~ProtectedPeerWatch();

    // The transitions since the previous snapshot: listed peers in the snapshot's order, then
    // watched peers that left it.
    QList<ProtectedPeerTransition> applySnapshot(const NodeSnapshot& snapshot);

    // How many protected peers are being watched.
    int watchedCount() const { return static_cast<int>(watched_.size()); }

    // Whether a peer has a healthy or degraded connection.
    static bool isUp(const PeerSnapshot& peer);

private:
    struct PeerState {
        bool up = false;
        bool failureReported = false;
    };

    void update(const QString& peerId, bool up, QList<ProtectedPeerTransition>& out);

    QHash<QString, PeerState> watched_;
};

} // namespace peerscope
