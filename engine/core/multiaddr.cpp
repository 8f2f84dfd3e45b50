#include "engine/core/multiaddr.h"

#include "engine/core/base58.h"
#include "engine/core/multibase.h"
#include "engine/core/varint.h"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <cstring>

namespace peerscope {

namespace {

// How a protocol's value looks on the wire and in text.
enum class ValueKind { None, Ip4, Ip6, Port, Name, PeerId, Multihash };

struct ProtocolInfo {
    MultiaddrProtocol protocol;
    const char* name;
    ValueKind kind;
};

constexpr std::array<ProtocolInfo, 15> protocols{{
    {MultiaddrProtocol::Ip4, "ip4", ValueKind::Ip4},
    {MultiaddrProtocol::Tcp, "tcp", ValueKind::Port},
    {MultiaddrProtocol::Dns, "dns", ValueKind::Name},
    {MultiaddrProtocol::Dns4, "dns4", ValueKind::Name},
    {MultiaddrProtocol::Dns6, "dns6", ValueKind::Name},
    {MultiaddrProtocol::Dnsaddr, "dnsaddr", ValueKind::Name},
    {MultiaddrProtocol::Ip6, "ip6", ValueKind::Ip6},
    {MultiaddrProtocol::Udp, "udp", ValueKind::Port},
    {MultiaddrProtocol::P2pCircuit, "p2p-circuit", ValueKind::None},
    {MultiaddrProtocol::Tls, "tls", ValueKind::None},
    {MultiaddrProtocol::QuicV1, "quic-v1", ValueKind::None},
    {MultiaddrProtocol::Ws, "ws", ValueKind::None},
    {MultiaddrProtocol::P2p, "p2p", ValueKind::PeerId},
    {MultiaddrProtocol::WebrtcDirect, "webrtc-direct", ValueKind::None},
    {MultiaddrProtocol::Certhash, "certhash", ValueKind::Multihash},
}};

const ProtocolInfo* findByCode(std::uint64_t code) {
    for (const auto& info : protocols)
        if (static_cast<std::uint64_t>(info.protocol) == code)
            return &info;
    return nullptr;
}

const ProtocolInfo* findByName(std::string_view name) {
    if (name == "ipfs") // the old name of p2p, still found in configs and docs
        name = "p2p";
    for (const auto& info : protocols)
        if (name == info.name)
            return &info;
    return nullptr;
}

// Fixed value sizes; 0 for None, -1 for length-prefixed values.
int fixedSize(ValueKind kind) {
    switch (kind) {
    case ValueKind::None:
        return 0;
    case ValueKind::Ip4:
        return 4;
    case ValueKind::Ip6:
        return 16;
    case ValueKind::Port:
        return 2;
    default:
        return -1;
    }
}

std::string hexCode(std::uint64_t code) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[code & 0xf]);
        code >>= 4;
    } while (code != 0);
    if (out.size() % 2 != 0)
        out.insert(out.begin(), '0');
    return "0x" + out;
}

std::string quoted(std::string_view text) {
    std::string out = "\"";
    out.append(text);
    out.push_back('"');
    return out;
}

// A multihash whose declared digest length matches what follows (certhash values).
Result<void> checkMultihash(ByteView bytes) {
    auto code = varint::decode(bytes);
    if (!code || !code->has_value())
        return makeError("invalid multihash: bad hash code");
    auto length = varint::decode(bytes.subspan((*code)->length));
    if (!length || !length->has_value())
        return makeError("invalid multihash: bad digest length");
    const std::size_t digest = bytes.size() - (*code)->length - (*length)->length;
    if ((*length)->value != digest)
        return makeError("invalid multihash: says " + std::to_string((*length)->value) +
                         " digest bytes but " + std::to_string(digest) + " follow");
    return {};
}

// Checks a binary value that passed the size checks; shared by both codecs so they accept
// exactly the same set of addresses (and so always round-trip).
Result<void> checkValue(ValueKind kind, ByteView value) {
    switch (kind) {
    case ValueKind::Name:
        if (value.empty())
            return makeError("empty name");
        if (std::find(value.begin(), value.end(), '/') != value.end())
            return makeError("name " + quoted(toString(value)) + " contains \"/\"");
        return {};
    case ValueKind::PeerId: {
        auto peer = PeerId::fromBytes(value);
        if (!peer)
            return peer.error();
        return {};
    }
    case ValueKind::Multihash:
        return checkMultihash(value);
    default:
        return {};
    }
}

Result<Bytes> parseValue(ValueKind kind, std::string_view text) {
    switch (kind) {
    case ValueKind::None:
        return Bytes{};
    case ValueKind::Ip4:
    case ValueKind::Ip6: {
        const bool v4 = kind == ValueKind::Ip4;
        Bytes out(v4 ? 4 : 16);
        const std::string copy(text); // inet_pton wants a NUL-terminated string
        if (copy.size() != text.size() ||
            inet_pton(v4 ? AF_INET : AF_INET6, copy.c_str(), out.data()) != 1)
            return makeError(std::string("invalid ") + (v4 ? "IPv4" : "IPv6") + " address " +
                             quoted(text));
        return out;
    }
    case ValueKind::Port: {
        if (text.empty())
            return makeError("port " + quoted(text) + " is not a number");
        std::uint32_t port = 0;
        bool overflow = false;
        for (char c : text) {
            if (c < '0' || c > '9')
                return makeError("port " + quoted(text) + " is not a number");
            port = port * 10 + static_cast<std::uint32_t>(c - '0');
            if (port > 65535) {
                overflow = true;
                port = 65536; // keeps scanning for non-digits without wrapping
            }
        }
        if (overflow)
            return makeError("port " + quoted(text) + " out of range 0-65535");
        return Bytes{static_cast<std::uint8_t>(port >> 8), static_cast<std::uint8_t>(port)};
    }
    case ValueKind::Name: {
        Bytes out = toBytes(text);
        if (auto ok = checkValue(kind, out); !ok)
            return ok.error();
        return out;
    }
    case ValueKind::PeerId: {
        auto peer = PeerId::parse(text);
        if (!peer)
            return peer.error();
        return peer->bytes();
    }
    case ValueKind::Multihash: {
        auto bytes = multibase::decode(text);
        if (!bytes)
            return makeError("invalid multibase " + quoted(text) + ": " + bytes.errorMessage());
        if (auto ok = checkMultihash(*bytes); !ok)
            return ok.error();
        return std::move(bytes).value();
    }
    }
    return makeError("unsupported value");
}

std::string componentPrefix(std::size_t position, const ProtocolInfo* info) {
    std::string out = "component " + std::to_string(position);
    if (info) {
        out += " (";
        out += info->name;
        out += ")";
    }
    return out + ": ";
}

} // namespace

// ---- MultiaddrComponent ----

std::string MultiaddrComponent::name() const {
    const ProtocolInfo* info = findByCode(static_cast<std::uint64_t>(protocol));
    return info ? info->name : hexCode(static_cast<std::uint64_t>(protocol));
}

std::string MultiaddrComponent::valueString() const {
    const ProtocolInfo* info = findByCode(static_cast<std::uint64_t>(protocol));
    if (!info)
        return toHex(value);
    switch (info->kind) {
    case ValueKind::None:
        return {};
    case ValueKind::Ip4:
    case ValueKind::Ip6: {
        const bool v4 = info->kind == ValueKind::Ip4;
        if (value.size() != (v4 ? 4u : 16u))
            return toHex(value);
        char text[INET6_ADDRSTRLEN] = {};
        inet_ntop(v4 ? AF_INET : AF_INET6, value.data(), text, sizeof text);
        return text;
    }
    case ValueKind::Port:
        if (value.size() != 2)
            return toHex(value);
        return std::to_string(value[0] << 8 | value[1]);
    case ValueKind::Name:
        return toString(value);
    case ValueKind::PeerId:
        return base58::encode(value);
    case ValueKind::Multihash:
        // go-multiaddr and js-multiaddr print certhash as base64url.
        return std::string("u").append(multibase::encodeBase64Url(value));
    }
    return {};
}

// ---- Multiaddr ----

Result<Multiaddr> Multiaddr::parse(std::string_view text) {
    if (text.empty() || text.front() != '/')
        return makeError("must start with \"/\"");
    std::vector<std::string_view> parts;
    for (std::size_t start = 1;;) {
        const std::size_t slash = text.find('/', start);
        parts.push_back(text.substr(start, slash - start));
        if (slash == std::string_view::npos)
            break;
        start = slash + 1;
    }
    // One trailing slash is tolerated, as go-multiaddr and js-multiaddr do.
    if (parts.back().empty())
        parts.pop_back();
    if (parts.empty())
        return makeError("empty multiaddr");

    Multiaddr out;
    std::size_t position = 0;
    for (std::size_t i = 0; i < parts.size(); ++i) {
        ++position;
        const std::string_view name = parts[i];
        if (name.empty())
            return makeError(componentPrefix(position, nullptr) + "empty protocol name");
        const ProtocolInfo* info = findByName(name);
        if (!info)
            return makeError(componentPrefix(position, nullptr) + "unknown protocol " +
                             quoted(name));
        std::string_view valueText;
        if (info->kind != ValueKind::None) {
            if (i + 1 >= parts.size())
                return makeError(componentPrefix(position, info) + "missing value");
            valueText = parts[++i];
        }
        auto value = parseValue(info->kind, valueText);
        if (!value)
            return makeError(componentPrefix(position, info) + value.errorMessage());
        out.components_.push_back({info->protocol, std::move(value).value()});
    }
    return out;
}

Result<Multiaddr> Multiaddr::fromBytes(ByteView bytes) {
    if (bytes.empty())
        return makeError("empty multiaddr");
    Multiaddr out;
    std::size_t position = 0;
    while (!bytes.empty()) {
        ++position;
        auto code = varint::decode(bytes);
        if (!code)
            return makeError(componentPrefix(position, nullptr) +
                             "bad protocol code: " + code.errorMessage());
        if (!code->has_value())
            return makeError(componentPrefix(position, nullptr) + "truncated protocol code");
        const ProtocolInfo* info = findByCode((*code)->value);
        if (!info)
            return makeError(componentPrefix(position, nullptr) + "unknown protocol code " +
                             hexCode((*code)->value));
        bytes = bytes.subspan((*code)->length);

        std::size_t size = 0;
        if (const int fixed = fixedSize(info->kind); fixed >= 0) {
            size = static_cast<std::size_t>(fixed);
        } else {
            auto length = varint::decode(bytes);
            if (!length)
                return makeError(componentPrefix(position, info) +
                                 "bad value length: " + length.errorMessage());
            if (!length->has_value())
                return makeError(componentPrefix(position, info) + "truncated value length");
            bytes = bytes.subspan((*length)->length);
            if ((*length)->value > bytes.size())
                return makeError(componentPrefix(position, info) + "truncated value: need " +
                                 std::to_string((*length)->value) + " bytes, have " +
                                 std::to_string(bytes.size()));
            size = static_cast<std::size_t>((*length)->value);
        }
        if (size > bytes.size())
            return makeError(componentPrefix(position, info) + "truncated value: need " +
                             std::to_string(size) + " bytes, have " + std::to_string(bytes.size()));
        const ByteView value = bytes.first(size);
        if (auto ok = checkValue(info->kind, value); !ok)
            return makeError(componentPrefix(position, info) + ok.errorMessage());
        out.components_.push_back({info->protocol, Bytes(value.begin(), value.end())});
        bytes = bytes.subspan(size);
    }
    return out;
}

std::string Multiaddr::toString() const {
    std::string out;
    for (const auto& component : components_) {
        out += '/';
        out += component.name();
        const ProtocolInfo* info = findByCode(static_cast<std::uint64_t>(component.protocol));
        if (!info || info->kind != ValueKind::None) {
            out += '/';
            out += component.valueString();
        }
    }
    return out;
}

Bytes Multiaddr::toBytes() const {
    Bytes out;
    for (const auto& component : components_) {
        varint::append(out, static_cast<std::uint64_t>(component.protocol));
        const ProtocolInfo* info = findByCode(static_cast<std::uint64_t>(component.protocol));
        if (!info || fixedSize(info->kind) < 0)
            varint::append(out, component.value.size());
        append(out, component.value);
    }
    return out;
}

Multiaddr Multiaddr::encapsulate(const Multiaddr& other) const {
    Multiaddr out = *this;
    out.components_.insert(out.components_.end(), other.components_.begin(),
                           other.components_.end());
    return out;
}

Multiaddr Multiaddr::withPeerId(const PeerId& peer) const {
    Multiaddr out = *this;
    out.components_.push_back({MultiaddrProtocol::P2p, peer.bytes()});
    return out;
}

std::optional<PeerId> Multiaddr::peerId() const {
    for (auto it = components_.rbegin(); it != components_.rend(); ++it) {
        if (it->protocol != MultiaddrProtocol::P2p)
            continue;
        auto peer = PeerId::fromBytes(it->value);
        if (!peer)
            return std::nullopt;
        return std::move(peer).value();
    }
    return std::nullopt;
}

Multiaddr Multiaddr::withoutPeerId() const {
    Multiaddr out = *this;
    if (!out.components_.empty() && out.components_.back().protocol == MultiaddrProtocol::P2p)
        out.components_.pop_back();
    return out;
}

std::optional<Multiaddr::TcpEndpoint> Multiaddr::tcpEndpoint() const {
    const auto& c = components_;
    if (c.size() < 2 || c.size() > 3 || c[1].protocol != MultiaddrProtocol::Tcp)
        return std::nullopt;
    if (c.size() == 3 && c[2].protocol != MultiaddrProtocol::P2p)
        return std::nullopt;
    switch (c[0].protocol) {
    case MultiaddrProtocol::Ip4:
    case MultiaddrProtocol::Ip6:
    case MultiaddrProtocol::Dns:
    case MultiaddrProtocol::Dns4:
    case MultiaddrProtocol::Dns6:
        break;
    default:
        return std::nullopt;
    }
    if (c[1].value.size() != 2)
        return std::nullopt;
    TcpEndpoint endpoint;
    endpoint.host = c[0].valueString();
    endpoint.port = static_cast<std::uint16_t>(c[1].value[0] << 8 | c[1].value[1]);
    endpoint.hostProtocol = c[0].protocol;
    return endpoint;
}

Multiaddr Multiaddr::fromTcpEndpoint(const std::string& ipLiteral, std::uint16_t port) {
    std::string host = ipLiteral;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    // Multiaddrs have no zone in ip6 (that is a separate ip6zone protocol we do not speak).
    if (const auto percent = host.find('%'); percent != std::string::npos)
        host.erase(percent);

    MultiaddrComponent hostComponent;
    std::uint8_t v6[16];
    std::uint8_t v4[4];
    static constexpr std::uint8_t mappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (inet_pton(AF_INET, host.c_str(), v4) == 1) {
        hostComponent = {MultiaddrProtocol::Ip4, Bytes(v4, v4 + 4)};
    } else if (inet_pton(AF_INET6, host.c_str(), v6) == 1) {
        // Dual-stack sockets report IPv4 peers as ::ffff:a.b.c.d; libp2p calls those ip4.
        if (std::memcmp(v6, mappedPrefix, sizeof mappedPrefix) == 0)
            hostComponent = {MultiaddrProtocol::Ip4, Bytes(v6 + 12, v6 + 16)};
        else
            hostComponent = {MultiaddrProtocol::Ip6, Bytes(v6, v6 + 16)};
    } else {
        hostComponent = {MultiaddrProtocol::Dns, peerscope::toBytes(host)};
    }
    Multiaddr out;
    out.components_.push_back(std::move(hostComponent));
    out.components_.push_back({MultiaddrProtocol::Tcp, Bytes{static_cast<std::uint8_t>(port >> 8),
                                                             static_cast<std::uint8_t>(port)}});
    return out;
}

} // namespace peerscope
