#pragma once

#include "engine/core/bytes.h"
#include "engine/core/result.h"

#include <cstddef>
#include <optional>

namespace peerscope {

// Unsigned-varint length-prefixed messages, as identify and most libp2p protocols frame
// protobufs on a stream.
Bytes lengthPrefixed(ByteView message);

class LengthPrefixedReader final {
public:
    explicit LengthPrefixedReader(std::size_t maxMessageSize) : maxMessageSize_(maxMessageSize) {}

    void feed(ByteView bytes);
    // The next complete message, nullopt if more bytes are needed, or an error for a bad
    // varint or a length over the maximum.
    Result<std::optional<Bytes>> next();
    std::size_t buffered() const { return buffer_.size() - offset_; }

private:
    std::size_t maxMessageSize_;
    Bytes buffer_;
    std::size_t offset_ = 0;
};

} // namespace peerscope
