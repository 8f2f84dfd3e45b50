#include "engine/protocol/autonat_v2_dial_back_sender.h"

namespace peerscope {

Bytes AutonatV2DialBackSender::request() const {
    return encodeAutonatV2Frame(AutonatV2DialBack{nonce_});
}

std::optional<AutonatV2DialStatus> AutonatV2DialBackSender::feed(ByteView bytes) {
    if (done_)
        return std::nullopt;
    append(buffer_, bytes);
    const AutonatFrame<AutonatV2DialBackResponse> frame =
        decodeAutonatV2DialBackResponseFrame(buffer_);
    if (frame.status == AutonatFrameStatus::Incomplete)
        return std::nullopt;
    done_ = true;
    buffer_.clear();
    if (frame.status == AutonatFrameStatus::Malformed) {
        error_ = frame.error;
        return AutonatV2DialStatus::DialBackError;
    }
    return AutonatV2DialStatus::Ok;
}

} // namespace peerscope
