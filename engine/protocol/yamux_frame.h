#pragma once

#include "engine/core/bytes.h"

#include <cstddef>
#include <cstdint>

namespace peerscope::yamux {

// The 12-byte yamux frame header (hashicorp yamux spec.md), all fields big-endian:
// version (1) | type (1) | flags (2) | stream id (4) | length (4).
inline constexpr std::size_t headerSize = 12;
inline constexpr std::uint8_t protocolVersion = 0;
// Both sides assume this window for every new stream before any update arrives.
inline constexpr std::uint32_t specInitialWindow = 256 * 1024;

enum class FrameType : std::uint8_t { Data = 0, WindowUpdate = 1, Ping = 2, GoAway = 3 };

namespace flag {
inline constexpr std::uint16_t syn = 0x1;
inline constexpr std::uint16_t ack = 0x2;
inline constexpr std::uint16_t fin = 0x4;
inline constexpr std::uint16_t rst = 0x8;
} // namespace flag

struct FrameHeader {
    std::uint8_t version = protocolVersion;
    std::uint8_t type = 0; // raw: may hold an unknown type when decoded
    std::uint16_t flags = 0;
    std::uint32_t streamId = 0;
    // Data: payload size. WindowUpdate: window delta. Ping: opaque value. GoAway: error code.
    std::uint32_t length = 0;

    bool has(std::uint16_t f) const { return (flags & f) != 0; }
};

// Writes exactly headerSize bytes at `out`.
void encodeHeader(const FrameHeader& header, std::uint8_t* out);
// Appends one header to `out`.
void appendHeader(Bytes& out, FrameType type, std::uint16_t flags, std::uint32_t streamId,
                  std::uint32_t length);
// Reads exactly headerSize bytes at `in`; no validation (the session judges the fields).
FrameHeader decodeHeader(const std::uint8_t* in);

} // namespace peerscope::yamux
