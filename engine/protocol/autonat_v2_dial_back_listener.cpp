#include "engine/protocol/autonat_v2_dial_back_listener.h"

namespace peerscope {

std::optional<AutonatV2DialBackListener::Outcome> AutonatV2DialBackListener::feed(ByteView bytes) {
    if (done_)
        return std::nullopt;
    append(buffer_, bytes);
    const AutonatFrame<AutonatV2DialBack> frame = decodeAutonatV2DialBackFrame(buffer_);
    if (frame.status == AutonatFrameStatus::Incomplete)
        return std::nullopt;
    done_ = true;
    buffer_.clear();
    if (frame.status == AutonatFrameStatus::Malformed)
        return Failed{frame.error};
    return Received{frame.message.nonce, encodeAutonatV2Frame(AutonatV2DialBackResponse{})};
}

} // namespace peerscope
