#include "engine/api/snapshot_text_cache.h"

namespace peerscope {

namespace {

QStringList textOf(const std::vector<std::string>& values) {
    QStringList out;
    out.reserve(static_cast<qsizetype>(values.size()));
    for (const std::string& value : values)
        out << QString::fromStdString(value);
    return out;
}

QStringList textOf(const std::vector<Multiaddr>& addrs) {
    QStringList out;
    out.reserve(static_cast<qsizetype>(addrs.size()));
    for (const Multiaddr& addr : addrs)
        out << QString::fromStdString(addr.toString());
    return out;
}

} // namespace

SnapshotTextCache::SnapshotTextCache() = default;

SnapshotTextCache::~SnapshotTextCache() = default;

void SnapshotTextCache::beginSnapshot() {
    ++generation_;
}

void SnapshotTextCache::endSnapshot() {
    std::erase_if(connections_,
                  [this](const auto& entry) { return entry.second.usedIn != generation_; });
    std::erase_if(peers_, [this](const auto& entry) { return entry.second.usedIn != generation_; });
}

SnapshotTextCache::PeerText& SnapshotTextCache::peerText(const PeerId& id) {
    PeerText& text = peers_[id];
    if (text.id.isEmpty())
        text.id = QString::fromStdString(id.toBase58());
    text.usedIn = generation_;
    return text;
}

void SnapshotTextCache::fillConnection(ConnectionSnapshot& out, std::uint64_t id,
                                       const Connection::Info& info,
                                       const std::map<std::string, ProtocolBytes>& protocolBytes) {
    // A connection's Info is set when it opens and never changes: made once, on first sight.
    auto [it, inserted] = connections_.try_emplace(id);
    ConnectionText& text = it->second;
    if (inserted) {
        text.peerId = peerText(info.remotePeer).id;
        text.direction = directionText(info.direction);
        text.remoteAddr = QString::fromStdString(info.remoteAddr.toString());
        text.localAddr = QString::fromStdString(info.localAddr.toString());
        text.muxer = QString::fromStdString(info.muxer);
    } else {
        peerText(info.remotePeer); // its peer's entry stays while the connection does
    }
    text.usedIn = generation_;
    out.peerId = text.peerId;
    out.direction = text.direction;
    out.remoteAddr = text.remoteAddr;
    out.localAddr = text.localAddr;
    out.muxer = text.muxer;

    // The map only gains protocols, in name order: the names kept match it by position, and
    // from a new protocol on (the rest shift) they are made again, once.
    std::vector<ProtocolName>& names = text.protocols;
    std::size_t position = 0;
    out.protocolBytes.reserve(static_cast<qsizetype>(protocolBytes.size()));
    for (const auto& [protocol, bytes] : protocolBytes) {
        if (position == names.size() || names[position].source != protocol) {
            names.resize(position);
            names.push_back({protocol, QString::fromStdString(protocol)});
        }
        out.protocolBytes.push_back({names[position].text, bytes.in, bytes.out});
        ++position;
    }
    names.resize(position);
}

void SnapshotTextCache::fillPeer(PeerSnapshot& out, const PeerId& id, const PeerRecord& record) {
    // An entry starts with empty sources and strings: an empty field has nothing to make.
    PeerText& text = peerText(id);
    if (record.agentVersion != text.agentSource) {
        text.agentSource = record.agentVersion;
        text.agent = QString::fromStdString(record.agentVersion);
    }
    if (record.protocolVersion != text.protocolVersionSource) {
        text.protocolVersionSource = record.protocolVersion;
        text.protocolVersion = QString::fromStdString(record.protocolVersion);
    }
    if (record.protocols != text.protocolsSource) {
        text.protocolsSource = record.protocols;
        text.protocols = textOf(record.protocols);
    }
    if (record.listenAddrs != text.listenAddrsSource) {
        text.listenAddrsSource = record.listenAddrs;
        text.listenAddrs = textOf(record.listenAddrs);
    }
    out.peerId = text.id;
    out.agentVersion = text.agent;
    out.protocolVersion = text.protocolVersion;
    out.protocols = text.protocols;
    out.listenAddrs = text.listenAddrs;
}

QString SnapshotTextCache::healthStateText(HealthState state) {
    switch (state) {
    case HealthState::Degraded:
        return QStringLiteral("degraded");
    case HealthState::Failed:
        return QStringLiteral("failed");
    case HealthState::Healthy:
        break;
    }
    return QStringLiteral("healthy");
}

QString SnapshotTextCache::directionText(Direction direction) {
    return direction == Direction::Inbound ? QStringLiteral("inbound") : QStringLiteral("outbound");
}

} // namespace peerscope
