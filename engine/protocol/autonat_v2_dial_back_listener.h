#pragma once

#include "engine/core/bytes.h"
#include "engine/protocol/autonat_messages.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace peerscope {

// The requester side of one /libp2p/autonat/2/dial-back stream, opened by the server that
// tests an address: reads the DialBack, answers OK and closes. Which request the nonce belongs
// to is the caller's business (AutonatV2Client::dialBackReceived); the server may dial back
// with another peer id, so only the nonce counts.
class AutonatV2DialBackListener final {
public:
    // Write `response`, close, and hand `nonce` to the clients waiting for one.
    struct Received {
        std::uint64_t nonce = 0;
        Bytes response;
    };
    // Reset the stream.
    struct Failed {
        std::string reason;
    };
    using Outcome = std::variant<Received, Failed>;

    // nullopt until the DialBack is complete; then the outcome, once.
    std::optional<Outcome> feed(ByteView bytes);
    bool finished() const { return done_; }

private:
    bool done_ = false;
    Bytes buffer_;
};

} // namespace peerscope
