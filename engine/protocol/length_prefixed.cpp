#include "engine/protocol/length_prefixed.h"

#include "engine/core/varint.h"

namespace peerscope {

Bytes lengthPrefixed(ByteView message) {
    Bytes out;
    out.reserve(varint::encodedLength(message.size()) + message.size());
    varint::append(out, message.size());
    append(out, message);
    return out;
}

void LengthPrefixedReader::feed(ByteView bytes) {
    // Drop consumed bytes before growing, so a long-lived stream does not keep its history.
    if (offset_ > 0 && offset_ == buffer_.size()) {
        buffer_.clear();
        offset_ = 0;
    } else if (offset_ >= 4096 && offset_ * 2 >= buffer_.size()) {
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(offset_));
        offset_ = 0;
    }
    append(buffer_, bytes);
}

Result<std::optional<Bytes>> LengthPrefixedReader::next() {
    const ByteView rest = ByteView(buffer_).subspan(offset_);
    auto decoded = varint::decode(rest);
    if (!decoded)
        return makeError("length prefix: " + decoded.errorMessage());
    if (!decoded->has_value())
        return std::optional<Bytes>();
    const std::uint64_t length = (*decoded)->value;
    const std::size_t prefix = (*decoded)->length;
    // Checked before waiting for the body, so an oversize claim fails without buffering it.
    if (length > maxMessageSize_)
        return makeError("length prefix: message of " + std::to_string(length) +
                         " bytes exceeds the limit of " + std::to_string(maxMessageSize_));
    if (rest.size() - prefix < length)
        return std::optional<Bytes>();
    const ByteView body = rest.subspan(prefix, static_cast<std::size_t>(length));
    offset_ += prefix + body.size();
    return std::optional<Bytes>(Bytes(body.begin(), body.end()));
}

} // namespace peerscope
