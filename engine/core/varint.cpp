#include "engine/core/varint.h"

namespace peerscope::varint {

void append(Bytes& out, std::uint64_t value) {
    while (value >= 0x80) {
        out.push_back(static_cast<std::uint8_t>(value | 0x80));
        value >>= 7;
    }
    out.push_back(static_cast<std::uint8_t>(value));
}

Bytes encode(std::uint64_t value) {
    Bytes out;
    out.reserve(encodedLength(value));
    append(out, value);
    return out;
}

std::size_t encodedLength(std::uint64_t value) {
    std::size_t length = 1;
    while (value >= 0x80) {
        value >>= 7;
        ++length;
    }
    return length;
}

Result<std::optional<Decoded>> decode(ByteView input) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < input.size(); ++i) {
        if (i == maxLength)
            return makeError("varint longer than 9 bytes");
        const std::uint8_t byte = input[i];
        value |= static_cast<std::uint64_t>(byte & 0x7f) << (7 * i);
        if ((byte & 0x80) == 0) {
            // A zero final byte after other bytes means the sender padded the number.
            if (byte == 0 && i > 0)
                return makeError("varint not minimally encoded");
            return std::optional<Decoded>(Decoded{value, i + 1});
        }
    }
    // The spec caps varints at 9 bytes, so 9 continuation bytes are already an error.
    if (input.size() >= maxLength)
        return makeError("varint longer than 9 bytes");
    return std::optional<Decoded>();
}

} // namespace peerscope::varint
