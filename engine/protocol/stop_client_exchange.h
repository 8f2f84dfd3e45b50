#pragma once

#include "engine/core/bytes.h"
#include "engine/protocol/circuit_relay_messages.h"

#include <optional>
#include <string>
#include <variant>

namespace peerscope {

// The relay's side of one /libp2p/circuit/relay/0.2.0/stop stream: it asks the target to
// accept a relayed connection from the initiator and reads the target's STATUS.
class StopClientExchange final {
public:
    // The stream now carries the relayed connection; see takeLeftover().
    struct Connected {};
    struct Refused {
        RelayStatus status;
    };
    // The target broke the protocol; the relay resets the stream.
    struct Failed {
        std::string reason;
    };
    using Outcome = std::variant<Connected, Refused, Failed>;

    Bytes connect(const RelayPeerInfo& initiator, const std::optional<RelayLimit>& limit);

    // nullopt until the whole response is in; then the outcome, once.
    std::optional<Outcome> feed(ByteView bytes);
    // Bytes that followed the STATUS: the target's first bytes on the relayed connection.
    Bytes takeLeftover();
    bool finished() const { return state_ == State::Done || state_ == State::Failed; }

private:
    enum class State { Idle, AwaitingStatus, Done, Failed };

    static Outcome interpret(const RelayFrame<RelayStopMessage>& frame);

    State state_ = State::Idle;
    Bytes buffer_;
    Bytes leftover_;
};

} // namespace peerscope
