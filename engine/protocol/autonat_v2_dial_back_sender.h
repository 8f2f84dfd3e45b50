#pragma once

#include "engine/core/bytes.h"
#include "engine/protocol/autonat_messages.h"

#include <cstdint>
#include <optional>
#include <string>

namespace peerscope {

// The server side of one /libp2p/autonat/2/dial-back stream, on the connection it dialled to
// test an address: sends the DialBack with the request's nonce and waits for the OK. The
// answer is what the DialResponse's dialStatus reports: Ok when the requester confirmed,
// DialBackError when the stream broke or the answer was malformed (the caller also reports
// DialBackError when the stream cannot be opened or times out).
class AutonatV2DialBackSender final {
public:
    explicit AutonatV2DialBackSender(std::uint64_t nonce) : nonce_(nonce) {}

    Bytes request() const;
    // nullopt until the DialBackResponse is complete; then the dial status, once.
    std::optional<AutonatV2DialStatus> feed(ByteView bytes);
    bool finished() const { return done_; }
    // Why the dial-back failed, for the log; empty otherwise.
    const std::string& error() const { return error_; }

private:
    std::uint64_t nonce_;
    bool done_ = false;
    Bytes buffer_;
    std::string error_;
};

} // namespace peerscope
