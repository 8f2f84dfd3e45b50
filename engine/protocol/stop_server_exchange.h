#pragma once

#include "engine/core/bytes.h"
#include "engine/protocol/circuit_relay_messages.h"

#include <optional>
#include <string>
#include <variant>

namespace peerscope {

// The target's side of one /libp2p/circuit/relay/0.2.0/stop stream: the relay announces a
// relayed connection from an initiator; the target answers with a STATUS.
class StopServerExchange final {
public:
    struct ConnectRequest {
        RelayPeerInfo initiator;
        std::optional<RelayLimit> limit;
    };
    // Answer with status(RelayStatus::MalformedMessage), then close.
    struct MalformedRequest {
        std::string reason;
    };
    // Answer with status(RelayStatus::UnexpectedMessage), then close.
    struct UnexpectedRequest {
        std::string reason;
    };
    using Request = std::variant<ConnectRequest, MalformedRequest, UnexpectedRequest>;

    // nullopt until the request is complete; then the request, once. Later bytes belong to
    // the relayed connection and go to takeLeftover().
    std::optional<Request> feed(ByteView bytes);
    Bytes takeLeftover();
    bool finished() const { return state_ != State::Reading; }

    static Bytes accept() { return status(RelayStatus::Ok); }
    static Bytes status(RelayStatus status);

private:
    // After a malformed or unexpected request the stream is answered and closed: later bytes
    // are dropped, not handed over.
    enum class State { Reading, Accepted, Rejected };

    std::optional<Request> reject(Request request);

    State state_ = State::Reading;
    Bytes buffer_;
    Bytes leftover_;
};

} // namespace peerscope
