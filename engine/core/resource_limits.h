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
    // Bytes held for connections that the kernel does not hold (socket and yamux send queues,
    // stream data not yet read). Over a limit new inbound streams are refused and receive
    // windows stop growing. A connection's queues are bounded by its flow control (about
    // 2 MiB of socket queue, each stream's window and bound): 32 MiB is a busy connection's
    // worth many times over, while 256 MiB caps what a crowd of slow peers can make us hold.
    int systemBufferedBytes = 256 * 1024 * 1024;
    int peerBufferedBytes = 64 * 1024 * 1024;
    int connectionBufferedBytes = 32 * 1024 * 1024;
    // One stream's unsent writes; a write past it resets the stream. Above StreamFiller's
    // 1 MiB queue target, so a writer that waits for writable() never reaches it.
    int streamBufferedBytes = 4 * 1024 * 1024;

    bool operator==(const ResourceLimits&) const = default;
};

} // namespace peerscope
