#include "engine/protocol/stop_client_exchange.h"

namespace peerscope {

Bytes StopClientExchange::connect(const RelayPeerInfo& initiator,
                                  const std::optional<RelayLimit>& limit) {
    state_ = State::AwaitingStatus;
    RelayStopMessage request;
    request.type = RelayStopMessage::Type::Connect;
    request.peer = initiator;
    request.limit = limit;
    return request.encodeFrame();
}

std::optional<StopClientExchange::Outcome> StopClientExchange::feed(ByteView bytes) {
    switch (state_) {
    case State::Done:
        append(leftover_, bytes);
        return std::nullopt;
    case State::Failed:
        return std::nullopt;
    case State::Idle:
        state_ = State::Failed;
        return Failed{"the target sent bytes before our request"};
    case State::AwaitingStatus:
        break;
    }
    append(buffer_, bytes);
    const RelayFrame<RelayStopMessage> frame = decodeStopFrame(buffer_);
    if (frame.status == RelayFrameStatus::Incomplete)
        return std::nullopt;
    if (frame.status == RelayFrameStatus::Message)
        leftover_.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(frame.consumed),
                         buffer_.end());
    buffer_.clear();
    Outcome outcome = interpret(frame);
    state_ = std::holds_alternative<Failed>(outcome) ? State::Failed : State::Done;
    if (state_ == State::Failed)
        leftover_.clear();
    return outcome;
}

Bytes StopClientExchange::takeLeftover() {
    Bytes out;
    out.swap(leftover_);
    return out;
}

StopClientExchange::Outcome
StopClientExchange::interpret(const RelayFrame<RelayStopMessage>& frame) {
    if (frame.status != RelayFrameStatus::Message)
        return Failed{"bad response: " + frame.error};
    const RelayStopMessage& response = frame.message;
    if (response.type != RelayStopMessage::Type::Status)
        return Failed{"bad response: expected STATUS, got CONNECT"};
    if (!response.status)
        return Failed{"bad response: STATUS without a known status code"};
    if (*response.status != RelayStatus::Ok)
        return Refused{*response.status};
    return Connected{};
}

} // namespace peerscope
