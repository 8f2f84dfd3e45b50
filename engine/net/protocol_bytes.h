#pragma once

#include <cstdint>

namespace peerscope {

// Application bytes of one protocol's streams on a connection (multistream-select, yamux and
// Noise overhead not included), over the connection's life.
struct ProtocolBytes {
    std::uint64_t in = 0;
    std::uint64_t out = 0;
};

} // namespace peerscope
