#pragma once

#include "engine/core/bytes.h"
#include "engine/protocol/circuit_relay_messages.h"

#include <optional>
#include <string>
#include <variant>

namespace peerscope {

// The relay side of one /libp2p/circuit/relay/0.2.0/hop stream: reads the one request and
// builds the response. Deciding whether to accept is the relay service's business.
class HopServerExchange final {
public:
    struct ReserveRequest {};
    struct ConnectRequest {
        RelayPeerInfo target;
    };
    // Answer with status(RelayStatus::MalformedMessage), then close.
    struct MalformedRequest {
        std::string reason;
    };
    // A well-formed message that is not a request, or of a type we do not know: answer with
    // status(RelayStatus::UnexpectedMessage), then close.
    struct UnexpectedRequest {
        std::string reason;
    };
    using Request =
        std::variant<ReserveRequest, ConnectRequest, MalformedRequest, UnexpectedRequest>;

    // nullopt until the request is complete; then the request, once. Later bytes (an
    // initiator writing early on CONNECT) go to takeLeftover().
    std::optional<Request> feed(ByteView bytes);
    Bytes takeLeftover();
    bool finished() const { return state_ != State::Reading; }

    // Response frames.
    static Bytes status(RelayStatus status);
    static Bytes reservationAccepted(const ReservationInfo& reservation,
                                     const std::optional<RelayLimit>& limit);
    static Bytes connectAccepted(const std::optional<RelayLimit>& limit);

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
