#include "engine/protocol/hop_server_exchange.h"

namespace peerscope {

std::optional<HopServerExchange::Request> HopServerExchange::feed(ByteView bytes) {
    if (state_ == State::Accepted)
        append(leftover_, bytes);
    if (state_ != State::Reading)
        return std::nullopt;
    append(buffer_, bytes);
    const RelayFrame<RelayHopMessage> frame = decodeHopFrame(buffer_);
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
    const RelayHopMessage& request = frame.message;
    switch (request.type) {
    case RelayHopMessage::Type::Reserve:
        return ReserveRequest{};
    case RelayHopMessage::Type::Connect:
        if (!request.peer)
            return reject(MalformedRequest{"hop message: CONNECT without a peer"});
        return ConnectRequest{*request.peer};
    case RelayHopMessage::Type::Status:
        break;
    }
    return reject(UnexpectedRequest{"hop message: STATUS where a request was expected"});
}

std::optional<HopServerExchange::Request> HopServerExchange::reject(Request request) {
    state_ = State::Rejected;
    buffer_.clear();
    leftover_.clear();
    return request;
}

Bytes HopServerExchange::takeLeftover() {
    Bytes out;
    out.swap(leftover_);
    return out;
}

Bytes HopServerExchange::status(RelayStatus status) {
    RelayHopMessage response;
    response.type = RelayHopMessage::Type::Status;
    response.status = status;
    return response.encodeFrame();
}

Bytes HopServerExchange::reservationAccepted(const ReservationInfo& reservation,
                                             const std::optional<RelayLimit>& limit) {
    RelayHopMessage response;
    response.type = RelayHopMessage::Type::Status;
    response.status = RelayStatus::Ok;
    response.reservation = reservation;
    response.limit = limit;
    return response.encodeFrame();
}

Bytes HopServerExchange::connectAccepted(const std::optional<RelayLimit>& limit) {
    RelayHopMessage response;
    response.type = RelayHopMessage::Type::Status;
    response.status = RelayStatus::Ok;
    response.limit = limit;
    return response.encodeFrame();
}

} // namespace peerscope
