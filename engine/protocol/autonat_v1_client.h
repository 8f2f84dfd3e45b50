#pragma once

#include "engine/core/bytes.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "engine/protocol/autonat_messages.h"

#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace peerscope {

// The requester side of one /libp2p/autonat/1.0.0 stream: one DIAL with our peer id and the
// addresses to test, one DIAL_RESPONSE. Sans-I/O: the caller writes request() and feeds what
// it reads.
class AutonatV1Client final {
public:
    // The server's verdict. status Ok: we are reachable, on addr when the server names it.
    struct Answered {
        AutonatV1Status status = AutonatV1Status::InternalError;
        std::string statusText;
        std::optional<Multiaddr> addr;
    };
    // The server broke the protocol; the caller resets the stream.
    struct Failed {
        std::string reason;
    };
    using Outcome = std::variant<Answered, Failed>;

    AutonatV1Client(PeerId self, std::vector<Multiaddr> addrs);

    Bytes request();
    // nullopt until the whole response is in; then the outcome, once. Bytes fed afterwards
    // are ignored (the server closes the stream).
    std::optional<Outcome> feed(ByteView bytes);
    bool finished() const { return state_ == State::Done; }

private:
    enum class State { Idle, Awaiting, Done };

    PeerId self_;
    std::vector<Multiaddr> addrs_;
    State state_ = State::Idle;
    Bytes buffer_;
};

} // namespace peerscope
