#include "engine/protocol/hop_client_exchange.h"

namespace peerscope {

HopClientExchange::HopClientExchange(PeerId self, PeerId relay)
    : self_(std::move(self)), relay_(std::move(relay)) {}

Bytes HopClientExchange::reserve(std::uint64_t nowUnixSeconds) {
    state_ = State::AwaitingReservation;
    nowUnixSeconds_ = nowUnixSeconds;
    RelayHopMessage request;
    request.type = RelayHopMessage::Type::Reserve;
    return request.encodeFrame();
}

Bytes HopClientExchange::connect(const PeerId& target) {
    state_ = State::AwaitingConnect;
    RelayHopMessage request;
    request.type = RelayHopMessage::Type::Connect;
    request.peer = RelayPeerInfo{target, {}, 0};
    return request.encodeFrame();
}

std::optional<HopClientExchange::Outcome> HopClientExchange::feed(ByteView bytes) {
    switch (state_) {
    case State::Done:
        append(leftover_, bytes);
        return std::nullopt;
    case State::Failed:
        return std::nullopt;
    case State::Idle:
        state_ = State::Failed;
        return Failed{"the relay sent bytes before our request"};
    case State::AwaitingReservation:
    case State::AwaitingConnect:
        break;
    }
    append(buffer_, bytes);
    const RelayFrame<RelayHopMessage> frame = decodeHopFrame(buffer_);
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

Bytes HopClientExchange::takeLeftover() {
    Bytes out;
    out.swap(leftover_);
    return out;
}

HopClientExchange::Outcome HopClientExchange::interpret(const RelayFrame<RelayHopMessage>& frame) {
    if (frame.status != RelayFrameStatus::Message)
        return Failed{"bad response: " + frame.error};
    const RelayHopMessage& response = frame.message;
    if (response.type != RelayHopMessage::Type::Status)
        return Failed{
            "bad response: expected STATUS, got " +
            std::string(response.type == RelayHopMessage::Type::Reserve ? "RESERVE" : "CONNECT")};
    if (!response.status)
        return Failed{"bad response: STATUS without a known status code"};
    if (*response.status != RelayStatus::Ok)
        return Refused{*response.status};
    if (state_ == State::AwaitingConnect)
        return Connected{response.limit};
    return interpretReservation(response);
}

HopClientExchange::Outcome
HopClientExchange::interpretReservation(const RelayHopMessage& response) {
    if (!response.reservation)
        return Failed{"bad response: OK without a reservation"};
    const ReservationInfo& info = *response.reservation;
    if (!info.expire)
        return Failed{"bad response: reservation without an expiry"};
    if (*info.expire <= nowUnixSeconds_)
        return Failed{"bad response: reservation expired at " + std::to_string(*info.expire) +
                      " (now " + std::to_string(nowUnixSeconds_) + ")"};

    Reserved reserved;
    reserved.expire = *info.expire;
    reserved.addrs = info.addrs;
    reserved.skippedAddrs = info.skippedAddrs;
    reserved.limit = response.limit;
    if (!info.voucher) {
        reserved.voucherError = "no voucher";
    } else {
        Result<ReservationVoucher> voucher =
            ReservationVoucher::verify(*info.voucher, relay_, self_, nowUnixSeconds_);
        if (voucher)
            reserved.voucher = std::move(voucher).value();
        else
            reserved.voucherError = voucher.errorMessage();
    }
    return reserved;
}

} // namespace peerscope
