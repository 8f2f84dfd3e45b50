#pragma once

#include "engine/core/bytes.h"
#include "engine/core/peer_id.h"
#include "engine/core/result.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace peerscope {

// Protocol codes from the multiformats multicodec table.
enum class MultiaddrProtocol : std::uint32_t {
    Ip4 = 0x04,
    Tcp = 0x06,
    Dns = 0x35,
    Dns4 = 0x36,
    Dns6 = 0x37,
    Dnsaddr = 0x38,
    Ip6 = 0x29,
    Udp = 0x0111,
    P2pCircuit = 0x0122,
    Tls = 0x01c0,
    QuicV1 = 0x01cd, // 0x01cc is the pre-RFC "quic" draft
    Ws = 0x01dd,
    P2p = 0x01a5,
    WebrtcDirect = 0x0118,
    Certhash = 0x01d2,
};

struct MultiaddrComponent {
    MultiaddrProtocol protocol;
    Bytes value; // binary value as on the wire (without the length prefix); empty if none

    std::string name() const;        // "ip4", "tcp", ...
    std::string valueString() const; // text form of value ("127.0.0.1", "4001", ...)
    friend bool operator==(const MultiaddrComponent&, const MultiaddrComponent&) = default;
};

// A multiaddr (multiformats/multiaddr). Text and binary codecs round-trip.
// Errors name the bad component and its position, e.g.
//   "component 2 (tcp): port \"99999\" out of range 0-65535"
//   "component 1: unknown protocol \"ip5\""
class Multiaddr final {
public:
    Multiaddr() = default;

    static Result<Multiaddr> parse(std::string_view text);
    static Result<Multiaddr> fromBytes(ByteView bytes);

    std::string toString() const;
    Bytes toBytes() const;

    const std::vector<MultiaddrComponent>& components() const { return components_; }
    bool empty() const { return components_.empty(); }

    Multiaddr encapsulate(const Multiaddr& other) const;
    Multiaddr withPeerId(const PeerId& peer) const; // appends /p2p/<id>
    // The last /p2p/ component's peer, if any.
    std::optional<PeerId> peerId() const;
    // Without a trailing /p2p/<id>.
    Multiaddr withoutPeerId() const;

    // For TCP dialling/listening: host text (IP literal or DNS name), port, and whether the
    // host is an IP literal (ip4/ip6) or a name (dns/dns4/dns6). nullopt if the address is
    // not <ip4|ip6|dns|dns4|dns6>/tcp/<port>[/p2p/<id>].
    struct TcpEndpoint {
        std::string host;
        std::uint16_t port = 0;
        MultiaddrProtocol hostProtocol = MultiaddrProtocol::Ip4;
    };
    std::optional<TcpEndpoint> tcpEndpoint() const;
    static Multiaddr fromTcpEndpoint(const std::string& ipLiteral, std::uint16_t port);

    friend bool operator==(const Multiaddr&, const Multiaddr&) = default;

private:
    std::vector<MultiaddrComponent> components_;
};

} // namespace peerscope
