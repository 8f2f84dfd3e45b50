#include "engine/protocol/autonat_v1_client.h"

namespace peerscope {

AutonatV1Client::AutonatV1Client(PeerId self, std::vector<Multiaddr> addrs)
    : self_(std::move(self)), addrs_(std::move(addrs)) {}

Bytes AutonatV1Client::request() {
    state_ = State::Awaiting;
    return encodeAutonatV1Frame(AutonatV1Dial{self_, addrs_, 0});
}

std::optional<AutonatV1Client::Outcome> AutonatV1Client::feed(ByteView bytes) {
    if (state_ != State::Awaiting)
        return std::nullopt;
    append(buffer_, bytes);
    AutonatFrame<AutonatV1Message> frame = decodeAutonatV1Frame(buffer_);
    if (frame.status == AutonatFrameStatus::Incomplete)
        return std::nullopt;
    state_ = State::Done;
    buffer_.clear();
    if (frame.status == AutonatFrameStatus::Malformed)
        return Failed{frame.error};
    auto* response = std::get_if<AutonatV1DialResponse>(&frame.message);
    if (!response)
        return Failed{"autonat v1 message: DIAL where a DIAL_RESPONSE was expected"};
    return Answered{response->status, std::move(response->statusText), std::move(response->addr)};
}

} // namespace peerscope
