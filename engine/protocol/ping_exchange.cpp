#include "engine/protocol/ping_exchange.h"

#include <algorithm>
#include <openssl/rand.h>
#include <stdexcept>

namespace peerscope {

PingExchange::PingExchange(const std::array<std::uint8_t, payloadSize>& payload)
    : payload_(payload) {}

PingExchange PingExchange::withRandomPayload() {
    // RAND_bytes costs about a microsecond a call whatever the size, and the health monitor
    // pings thousands of times a second: draw 32 payloads at once, hand each out once.
    constexpr std::size_t batch = 32 * payloadSize;
    thread_local std::array<std::uint8_t, batch> pool{};
    thread_local std::size_t used = batch;
    if (used == batch) {
        // A failing CSPRNG means the process cannot do crypto either; do not ping with zeros.
        if (RAND_bytes(pool.data(), static_cast<int>(pool.size())) != 1)
            throw std::runtime_error("ping: RAND_bytes failed");
        used = 0;
    }
    std::array<std::uint8_t, payloadSize> payload{};
    std::copy_n(pool.begin() + static_cast<std::ptrdiff_t>(used), payloadSize, payload.begin());
    used += payloadSize;
    return PingExchange(payload);
}

Bytes PingExchange::request(MonoTime now) {
    sentAt_ = now;
    requested_ = true;
    received_.clear();
    complete_ = false;
    return Bytes(payload_.begin(), payload_.end());
}

std::optional<MonoTime> PingExchange::feed(ByteView bytes, MonoTime now) {
    if (failed_ || bytes.empty())
        return std::nullopt;
    // Bytes before the request, after the full echo, or beyond 32 were never sent by us.
    if (!requested_ || complete_ || received_.size() + bytes.size() > payloadSize) {
        failed_ = true;
        return std::nullopt;
    }
    // Compare as bytes arrive so a wrong echo fails without waiting for all 32.
    if (!std::equal(bytes.begin(), bytes.end(), payload_.begin() + received_.size())) {
        failed_ = true;
        return std::nullopt;
    }
    append(received_, bytes);
    if (received_.size() < payloadSize)
        return std::nullopt;
    complete_ = true;
    return now - sentAt_;
}

Bytes PingResponder::feed(ByteView bytes) {
    append(partial_, bytes);
    const std::size_t complete =
        partial_.size() / PingExchange::payloadSize * PingExchange::payloadSize;
    Bytes echo(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(complete));
    partial_.erase(partial_.begin(), partial_.begin() + static_cast<std::ptrdiff_t>(complete));
    return echo;
}

} // namespace peerscope
