#include "engine/protocol/stop_server_exchange.h"

namespace peerscope {

std::optional<StopServerExchange::Request> StopServerExchange::feed(ByteView bytes) {
    if (state_ == State::Accepted)
        append(leftover_, bytes);
    if (state_ != State::Reading)
        return std::nullopt;
    append(buffer_, bytes);
    const RelayFrame<RelayStopMessage> frame = decodeStopFrame(buffer_);
    switch (frame.status) {
    case RelayFrameStatus::Incomplete:
        return std::nullopt;
    case RelayFrameStatus::Malformed:
        return reject(MalformedRequest{frame.error});
    case RelayFrameStatus::UnknownType:
        return reject(UnexpectedRequest{frame.error});
    case RelayFrameStatus::Message:
        break;
    }
    state_ = State::Accepted;
    leftover_.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(frame.consumed), buffer_.end());
    buffer_.clear();
    const RelayStopMessage& request = frame.message;
    if (request.type != RelayStopMessage::Type::Connect)
        return reject(UnexpectedRequest{"stop message: STATUS where CONNECT was expected"});
    if (!request.peer)
        return reject(MalformedRequest{"stop message: CONNECT without the initiator's peer"});
    return ConnectRequest{*request.peer, request.limit};
}

std::optional<StopServerExchange::Request> StopServerExchange::reject(Request request) {
    state_ = State::Rejected;
    buffer_.clear();
    leftover_.clear();
    return request;
}

Bytes StopServerExchange::takeLeftover() {
    Bytes out;
    out.swap(leftover_);
    return out;
}

Bytes StopServerExchange::status(RelayStatus status) {
    RelayStopMessage response;
    response.type = RelayStopMessage::Type::Status;
    response.status = status;
    return response.encodeFrame();
}

} // namespace peerscope
