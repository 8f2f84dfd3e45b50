#pragma once

#include "engine/core/bytes.h"
#include "engine/core/result.h"

#include <cstddef>
#include <cstdint>
#include <optional>

namespace peerscope::varint {

// Unsigned LEB128 as multiformats/unsigned-varint defines it: at most 9 bytes (63 bits),
// minimal encoding only.
inline constexpr std::size_t maxLength = 9;

void append(Bytes& out, std::uint64_t value);
Bytes encode(std::uint64_t value);
std::size_t encodedLength(std::uint64_t value);

struct Decoded {
    std::uint64_t value = 0;
    std::size_t length = 0; // bytes consumed
};

// nullopt: the input ends before the varint does (feed more bytes).
// Error: overlong (more than 9 bytes) or not minimally encoded.
Result<std::optional<Decoded>> decode(ByteView input);

} // namespace peerscope::varint
