#include "engine/core/circuit_addr.h"

#include <algorithm>

namespace peerscope {

namespace {
Multiaddr join(const std::vector<MultiaddrComponent>& components, std::size_t from,
               std::size_t to) {
    std::string text;
    for (std::size_t i = from; i < to; ++i) {
        text += '/' + components[i].name();
        if (!components[i].value.empty())
            text += '/' + components[i].valueString();
    }
    return text.empty() ? Multiaddr() : Multiaddr::parse(text).value();
}

PeerId peerOf(const MultiaddrComponent& component) {
    // A /p2p/ component of a parsed Multiaddr always holds a valid peer ID.
    return PeerId::fromBytes(component.value).value();
}
} // namespace

bool CircuitAddr::isCircuit(const Multiaddr& addr) {
    const auto& c = addr.components();
    return std::any_of(c.begin(), c.end(), [](const MultiaddrComponent& component) {
        return component.protocol == MultiaddrProtocol::P2pCircuit;
    });
}

Result<CircuitAddr> CircuitAddr::parse(const Multiaddr& addr) {
    const auto& c = addr.components();
    std::size_t circuit = c.size();
    for (std::size_t i = 0; i < c.size(); ++i) {
        if (c[i].protocol != MultiaddrProtocol::P2pCircuit)
            continue;
        if (circuit != c.size())
            return makeError("relay chains are not supported (more than one /p2p-circuit in " +
                             addr.toString() + ")");
        circuit = i;
    }
    if (circuit == c.size())
        return makeError("not a circuit address (no /p2p-circuit): " + addr.toString());
    if (circuit == 0 || c[circuit - 1].protocol != MultiaddrProtocol::P2p)
        return makeError("/p2p-circuit must follow /p2p/<relay id> in " + addr.toString());
    CircuitAddr out;
    out.relay = peerOf(c[circuit - 1]);
    out.relayAddr = join(c, 0, circuit - 1);
    if (!out.relayAddr.empty() && !out.relayAddr.tcpEndpoint())
        return makeError("the relay's address " + out.relayAddr.toString() +
                         " is not a TCP address (ip4, ip6 or dns, then tcp)");
    const std::size_t rest = c.size() - circuit - 1;
    if (rest == 0)
        return out;
    if (rest > 1 || c[circuit + 1].protocol != MultiaddrProtocol::P2p)
        return makeError("after /p2p-circuit only /p2p/<target id> may follow, got " +
                         join(c, circuit + 1, c.size()).toString());
    out.target = peerOf(c[circuit + 1]);
    if (*out.target == out.relay)
        return makeError("the relay and the target are the same peer in " + addr.toString());
    return out;
}

Multiaddr CircuitAddr::relayWithId() const {
    return relayAddr.withPeerId(relay);
}

Multiaddr CircuitAddr::toMultiaddr() const {
    Multiaddr out = relayWithId().encapsulate(Multiaddr::parse("/p2p-circuit").value());
    return target ? out.withPeerId(*target) : out;
}

std::string relayAddrProblem(const Multiaddr& addr, bool idAlone) {
    if (CircuitAddr::isCircuit(addr))
        return "is a circuit address; a relay is reached directly";
    if (!addr.peerId())
        return "has no /p2p/<relay id>";
    const Multiaddr transport = addr.withoutPeerId();
    if (!transport.tcpEndpoint() && !(idAlone && transport.empty()))
        return "is not ip4, ip6 or dns, then tcp, then /p2p/<relay id>";
    return {};
}

} // namespace peerscope
