#pragma once

namespace peerscope {

// Hard caps the ResourceManager enforces, by scope. A new handshake, connection or stream over
// one of them is refused before it costs anything; use already above a lowered limit stays.
// Sized from go-libp2p's resource manager (8 connections and 512 streams per peer) and the
// pool's defaults (200 inbound, 200 outbound connections).
struct ResourceLimits {
    int systemPendingHandshakes = 64; // TCP accepted or dialled, handshake not finished
    int ipPendingHandshakes = 8;      // from one IPv4 address or IPv6 /64
    int systemInboundConnections = 200;
    int systemOutboundConnections = 200;
    // go allows 8 per IPv4 /32; the pool keeps up to max_connections_per_peer (3) per peer,
    // and a NAT or a lab machine puts several peers behind one address.
    int ipInboundConnections = 16;
    int peerConnections = 8; // inbound and outbound together
    int systemInboundStreams = 8192;
    int systemOutboundStreams = 8192;
    int peerInboundStreams = 512;
    int peerOutboundStreams = 512;
    int connectionInboundStreams = 256;
    // Of one protocol from one peer, counted once agreed; go has 64, which a peer opening
    // 100 concurrent streams to one service would already hit.
    int protocolInboundStreams = 128;

    bool operator==(const ResourceLimits&) const = default;
};

} // namespace peerscope
