#pragma once

#include "engine/core/bytes.h"
#include "engine/core/clock.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace peerscope {

inline constexpr const char* pingProtocolId = "/ipfs/ping/1.0.0";

// The ping protocol's client side for one round: 32 random bytes out, the same 32 back.
class PingExchange final {
public:
    static constexpr std::size_t payloadSize = 32;

    explicit PingExchange(const std::array<std::uint8_t, payloadSize>& payload);
    static PingExchange withRandomPayload();

    // The bytes to write, and when they were sent.
    Bytes request(MonoTime now);
    // Feed the reply; returns the RTT when all 32 bytes are back, nullopt while waiting.
    // A wrong echo, or bytes beyond the 32 sent, sets failed().
    std::optional<MonoTime> feed(ByteView bytes, MonoTime now);
    bool failed() const { return failed_; }

private:
    std::array<std::uint8_t, payloadSize> payload_;
    Bytes received_;
    MonoTime sentAt_{0};
    bool requested_ = false; // an echo before request() is unsolicited
    bool complete_ = false;  // all 32 bytes are back; more is a protocol violation
    bool failed_ = false;
};

// The server side echoes every complete 32-byte block back.
class PingResponder final {
public:
    // Returns the bytes to echo (multiples of 32; partial blocks wait for the rest).
    Bytes feed(ByteView bytes);

private:
    Bytes partial_;
};

} // namespace peerscope
