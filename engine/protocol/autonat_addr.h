#pragma once

#include "engine/core/multiaddr.h"

#include <optional>

namespace peerscope {

// Address checks both AutoNAT servers make before dialling back.

// The leading ip4 or ip6 component, or nullopt (dns names, garbage).
std::optional<MultiaddrComponent> autonatIpOf(const Multiaddr& addr);
// Whether the address goes through a relay: no IP of the requester can be checked on it.
bool autonatIsRelayed(const Multiaddr& addr);
// Both addresses start with the same IP (ip4 and ip6 never compare equal).
bool autonatSameIp(const Multiaddr& a, const Multiaddr& b);

} // namespace peerscope
