#pragma once

#include <cstdint>

namespace peerscope::littleEndian {

// Byte-order loads and stores for the ciphers, independent of the host's order (compilers turn
// them into single moves on little-endian machines).
inline std::uint32_t load32(const std::uint8_t* p) {
    return std::uint32_t(p[0]) | std::uint32_t(p[1]) << 8 | std::uint32_t(p[2]) << 16 |
           std::uint32_t(p[3]) << 24;
}

inline std::uint64_t load64(const std::uint8_t* p) {
    return std::uint64_t(load32(p)) | std::uint64_t(load32(p + 4)) << 32;
}

inline void store32(std::uint8_t* p, std::uint32_t v) {
    p[0] = std::uint8_t(v);
    p[1] = std::uint8_t(v >> 8);
    p[2] = std::uint8_t(v >> 16);
    p[3] = std::uint8_t(v >> 24);
}

inline void store64(std::uint8_t* p, std::uint64_t v) {
    store32(p, std::uint32_t(v));
    store32(p + 4, std::uint32_t(v >> 32));
}

} // namespace peerscope::littleEndian
