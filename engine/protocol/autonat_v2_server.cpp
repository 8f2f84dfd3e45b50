#include "engine/protocol/autonat_v2_server.h"

#include "engine/protocol/autonat_addr.h"

#include <algorithm>

namespace peerscope {

AutonatV2Server::AutonatV2Server(Multiaddr observed, CanDial canDial, std::uint64_t dialDataBytes)
    : observed_(std::move(observed)), canDial_(std::move(canDial)),
      dialDataBytes_(
          std::clamp(dialDataBytes, autonatV2MinDialDataBytes, autonatV2MaxAskedDialDataBytes)) {}

std::optional<AutonatV2Server::Step> AutonatV2Server::feed(ByteView bytes) {
    if (state_ == State::Done)
        return std::nullopt;
    append(buffer_, bytes);
    while (state_ != State::Done) {
        AutonatFrame<AutonatV2Message> frame = decodeAutonatV2Frame(buffer_);
        if (frame.status == AutonatFrameStatus::Incomplete)
            return std::nullopt;
        if (frame.status == AutonatFrameStatus::Malformed)
            return finish(Failed{frame.error});
        buffer_.erase(buffer_.begin(),
                      buffer_.begin() + static_cast<std::ptrdiff_t>(frame.consumed));
        if (auto step = handle(frame.message))
            return step;
    }
    return std::nullopt;
}

std::optional<AutonatV2Server::Step> AutonatV2Server::handle(AutonatV2Message& message) {
    if (state_ == State::AwaitingRequest) {
        if (const auto* request = std::get_if<AutonatV2DialRequest>(&message))
            return handleRequest(*request);
        return finish(Failed{"autonat v2: expected a dialRequest first"});
    }
    const auto* data = std::get_if<AutonatV2DialDataResponse>(&message);
    if (!data)
        return finish(Failed{"autonat v2: expected a dialDataResponse"});
    // Only the data field counts; the last message may overshoot (the spec asks servers to
    // accept that, so clients can reuse one serialized chunk).
    dialDataReceived_ += data->data.size();
    if (dialDataReceived_ < dialDataBytes_)
        return std::nullopt;
    return finish(selected_);
}

std::optional<AutonatV2Server::Step>
AutonatV2Server::handleRequest(const AutonatV2DialRequest& request) {
    // Without an IP of the requester every address would be "another IP"; a relayed
    // requester is refused outright, as v1 must.
    if (autonatIsRelayed(observed_) || !autonatIpOf(observed_))
        return finish(refuse(AutonatV2ResponseStatus::RequestRejected,
                             "request over a connection without an observable IP (relayed?)"));
    const std::size_t considered = std::min(request.addrs.size(), autonatV2MaxRequestAddrs);
    for (std::size_t i = 0; i < considered; ++i) {
        Result<Multiaddr> addr = Multiaddr::fromBytes(request.addrs[i]);
        if (!addr || !autonatIpOf(*addr) || autonatIsRelayed(*addr) || !canDial_(*addr))
            continue;
        selected_ = Dial{static_cast<std::uint32_t>(i), std::move(addr).value(), request.nonce};
        if (autonatSameIp(selected_.addr, observed_))
            return finish(selected_);
        state_ = State::AwaitingDialData;
        append(output_,
               encodeAutonatV2Frame(AutonatV2DialDataRequest{selected_.addrIdx, dialDataBytes_}));
        return std::nullopt;
    }
    return finish(
        refuse(AutonatV2ResponseStatus::DialRefused,
               "none of the first " + std::to_string(considered) + " addresses can be dialled"));
}

std::optional<AutonatV2Server::Step> AutonatV2Server::finish(Step step) {
    state_ = State::Done;
    buffer_.clear();
    return step;
}

AutonatV2Server::Step AutonatV2Server::refuse(AutonatV2ResponseStatus status, std::string reason) {
    return Answer{answer(status), status, std::move(reason)};
}

Bytes AutonatV2Server::takeOutput() {
    Bytes out;
    out.swap(output_);
    return out;
}

Bytes AutonatV2Server::respond(AutonatV2DialStatus dialStatus) const {
    return encodeAutonatV2Frame(
        AutonatV2DialResponse{AutonatV2ResponseStatus::Ok, selected_.addrIdx, dialStatus});
}

Bytes AutonatV2Server::answer(AutonatV2ResponseStatus status) {
    return encodeAutonatV2Frame(AutonatV2DialResponse{status, 0, AutonatV2DialStatus::Unused});
}

} // namespace peerscope
