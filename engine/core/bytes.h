#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace peerscope {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline Bytes toBytes(std::string_view text) { return Bytes(text.begin(), text.end()); }
inline std::string toString(ByteView bytes) { return std::string(bytes.begin(), bytes.end()); }
inline void append(Bytes& out, ByteView more) { out.insert(out.end(), more.begin(), more.end()); }

std::string toHex(ByteView bytes);
// Accepts upper or lower case; returns an empty vector for odd length or non-hex characters.
Bytes fromHex(std::string_view hex);

} // namespace peerscope
