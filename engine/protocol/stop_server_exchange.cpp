#include "engine/protocol/stop_server_exchange.h"

namespace peerscope {

std::optional<StopServerExchange::Request> StopServerExchange::feed(ByteView bytes) {
    if (done_) {
        append(leftover_, bytes);
        return std::nullopt;
    }
    append(buffer_, bytes);
    const RelayFrame<RelayStopMessage> frame = decodeStopFrame(buffer_);
    switch (frame.status) {
    case RelayFrameStatus::Incomplete:
        return std::nullopt;
    case RelayFrameStatus::Malformed:
        done_ = true;
        buffer_.clear();
        return MalformedRequest{frame.error};
    case RelayFrameStatus::UnknownType:
        done_ = true;
        buffer_.clear();
        return UnexpectedRequest{frame.error};
    case RelayFrameStatus::Message:
        break;
    }
    done_ = true;
    leftover_.assign(buffer_.begin() + static_cast<std::ptrdiff_t>(frame.consumed), buffer_.end());
    buffer_.clear();
    const RelayStopMessage& request = frame.message;
    if (request.type != RelayStopMessage::Type::Connect)
        return UnexpectedRequest{"stop message: STATUS where CONNECT was expected"};
    if (!request.peer)
        return MalformedRequest{"stop message: CONNECT without the initiator's peer"};
    return ConnectRequest{*request.peer, request.limit};
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
