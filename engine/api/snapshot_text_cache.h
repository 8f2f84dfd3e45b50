#pragma once

#include "engine/api/snapshot.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "engine/health/connection_health.h"
#include "engine/net/connection.h"
#include "engine/net/peer_record.h"
#include "engine/net/protocol_bytes.h"

#include <QString>
#include <QStringList>
#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

namespace peerscope {

// The text of snapshots that stays the same from one snapshot to the next (ids, addresses,
// muxer, protocol names, identify strings), kept between them so that every snapshot carries
// the same implicitly shared QString instances. At 4 Hz x thousands of connections, making
// them anew cost the engine base58 and multiaddr formatting of every one, and the GUI a free
// of the previous snapshot's strings and a character-by-character comparison of the new ones;
// a shared string is a reference count to drop and a pointer to compare.
//
// Entries live while their connection or peer is in the snapshots: endSnapshot() drops every
// one the snapshot since beginSnapshot() did not use, so the cache holds what is open, no more.
// Engine thread only (the strings it hands out may be read and dropped on any thread).
class SnapshotTextCache final {
public:
    SnapshotTextCache();
    ~SnapshotTextCache();
    SnapshotTextCache(const SnapshotTextCache&) = delete;
    SnapshotTextCache& operator=(const SnapshotTextCache&) = delete;

    // Around one full snapshot (every open connection and known peer filled in between).
    void beginSnapshot();
    void endSnapshot();

    // The connection's peer id, direction, addresses and muxer (fixed for its life), and its
    // bytes by protocol with the names kept from before.
    void fillConnection(ConnectionSnapshot& out, std::uint64_t id, const Connection::Info& info,
                        const std::map<std::string, ProtocolBytes>& protocolBytes);
    // The peer's id and identify strings; a field that changed since the last snapshot
    // (identify push) is made anew, the others are kept.
    void fillPeer(PeerSnapshot& out, const PeerId& id, const PeerRecord& record);

    // "healthy", "degraded", "failed" and "inbound", "outbound" (snapshot.h): string
    // literals, so copies share static data and touch no reference count.
    static QString healthStateText(HealthState state);
    static QString directionText(Direction direction);

    std::size_t connectionCount() const { return connections_.size(); }
    std::size_t peerCount() const { return peers_.size(); }

private:
    struct PeerText {
        QString id;
        // Each field with what it was made from, to tell when the record changed.
        std::string agentSource;
        QString agent;
        std::string protocolVersionSource;
        QString protocolVersion;
        std::vector<std::string> protocolsSource;
        QStringList protocols;
        std::vector<Multiaddr> listenAddrsSource;
        QStringList listenAddrs;
        std::uint64_t usedIn = 0; // the generation of the last snapshot that used it
    };

    struct ProtocolName {
        std::string source;
        QString text;
    };

    struct ConnectionText {
        QString peerId; // shared with its peer's entry
        QString direction;
        QString remoteAddr;
        QString localAddr;
        QString muxer;
        std::vector<ProtocolName> protocols; // in protocolBytes' order (by name)
        std::uint64_t usedIn = 0;
    };

    PeerText& peerText(const PeerId& id);

    std::unordered_map<std::uint64_t, ConnectionText> connections_;
    std::unordered_map<PeerId, PeerText> peers_;
    std::uint64_t generation_ = 0;
};

} // namespace peerscope
