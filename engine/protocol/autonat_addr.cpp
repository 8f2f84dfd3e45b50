#include "engine/protocol/autonat_addr.h"

#include <algorithm>

namespace peerscope {

std::optional<MultiaddrComponent> autonatIpOf(const Multiaddr& addr) {
    if (addr.empty())
        return std::nullopt;
    const MultiaddrComponent& first = addr.components().front();
    if (first.protocol != MultiaddrProtocol::Ip4 && first.protocol != MultiaddrProtocol::Ip6)
        return std::nullopt;
    return first;
}

bool autonatIsRelayed(const Multiaddr& addr) {
    return std::any_of(addr.components().begin(), addr.components().end(),
                       [](const MultiaddrComponent& component) {
                           return component.protocol == MultiaddrProtocol::P2pCircuit;
                       });
}

bool autonatSameIp(const Multiaddr& a, const Multiaddr& b) {
    const auto ipA = autonatIpOf(a);
    const auto ipB = autonatIpOf(b);
    return ipA && ipB && *ipA == *ipB;
}

} // namespace peerscope
