#include "engine/protocol/perf_exchange.h"

#include <algorithm>
#include <limits>
#include <string>

namespace peerscope {

namespace {

constexpr std::size_t headerSize = 8;

std::uint64_t saturatingAdd(std::uint64_t a, std::uint64_t b) {
    return b > std::numeric_limits<std::uint64_t>::max() - a
               ? std::numeric_limits<std::uint64_t>::max()
               : a + b;
}

} // namespace

void PerfServerCore::feed(ByteView bytes) {
    const std::size_t take = std::min(headerSize - header_.size(), bytes.size());
    header_.insert(header_.end(), bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(take));
    uploaded_ = saturatingAdd(uploaded_, bytes.size() - take);
}

void PerfServerCore::countUpload(std::uint64_t count) {
    uploaded_ = saturatingAdd(uploaded_, count);
}

std::optional<std::uint64_t> PerfServerCore::requestedBytes() const {
    if (header_.size() < headerSize)
        return std::nullopt;
    std::uint64_t value = 0;
    for (std::uint8_t b : header_)
        value = value << 8 | b;
    return value;
}

Result<std::uint64_t> PerfServerCore::finish() {
    if (const std::optional<std::uint64_t> requested = requestedBytes())
        return *requested;
    return makeError("perf: stream ended after " + std::to_string(header_.size()) +
                     " of the 8 header bytes");
}

Bytes PerfClientCore::header() const {
    Bytes out(headerSize);
    for (std::size_t i = 0; i < headerSize; ++i)
        out[i] = static_cast<std::uint8_t>(download_ >> (8 * (headerSize - 1 - i)));
    return out;
}

Result<void> PerfClientCore::feed(std::size_t count) {
    received_ = saturatingAdd(received_, count);
    if (received_ > download_)
        return makeError("perf: server sent " + std::to_string(received_) +
                         " bytes, more than the " + std::to_string(download_) + " requested");
    return {};
}

Result<void> PerfClientCore::finish() const {
    if (received_ < download_)
        return makeError("perf: server closed after " + std::to_string(received_) + " of " +
                         std::to_string(download_) + " requested bytes");
    return {};
}

} // namespace peerscope
