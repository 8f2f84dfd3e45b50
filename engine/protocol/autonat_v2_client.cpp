#include "engine/protocol/autonat_v2_client.h"

#include <algorithm>
#include <openssl/rand.h>
#include <stdexcept>

namespace peerscope {

AutonatV2Client::AutonatV2Client(std::vector<Multiaddr> addrs, std::uint64_t nonce,
                                 std::uint64_t maxDialDataBytes)
    : addrs_(std::move(addrs)), nonce_(nonce), maxDialDataBytes_(maxDialDataBytes) {}

std::uint64_t AutonatV2Client::randomNonce() {
    std::uint64_t nonce = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&nonce), sizeof nonce) != 1)
        throw std::runtime_error("autonat: RAND_bytes failed");
    return nonce;
}

Bytes AutonatV2Client::request() {
    state_ = State::Awaiting;
    AutonatV2DialRequest request;
    request.nonce = nonce_;
    for (const Multiaddr& addr : addrs_)
        request.addrs.push_back(addr.toBytes());
    return encodeAutonatV2Frame(request);
}

std::optional<AutonatV2Client::Outcome> AutonatV2Client::feed(ByteView bytes) {
    if (state_ != State::Awaiting)
        return std::nullopt;
    append(buffer_, bytes);
    while (state_ == State::Awaiting) {
        const AutonatFrame<AutonatV2Message> frame = decodeAutonatV2Frame(buffer_);
        if (frame.status == AutonatFrameStatus::Incomplete)
            return std::nullopt;
        if (frame.status == AutonatFrameStatus::Malformed)
            return finish(Failed{frame.error});
        buffer_.erase(buffer_.begin(),
                      buffer_.begin() + static_cast<std::ptrdiff_t>(frame.consumed));
        if (auto outcome = handle(frame.message))
            return outcome;
    }
    return std::nullopt;
}

std::optional<AutonatV2Client::Outcome> AutonatV2Client::handle(const AutonatV2Message& message) {
    if (const auto* dataRequest = std::get_if<AutonatV2DialDataRequest>(&message))
        return handleDataRequest(*dataRequest);
    if (const auto* response = std::get_if<AutonatV2DialResponse>(&message))
        return finish(handleResponse(*response));
    return finish(Failed{std::holds_alternative<AutonatV2DialRequest>(message)
                             ? "autonat v2: dialRequest from the server"
                             : "autonat v2: dialDataResponse from the server"});
}

std::optional<AutonatV2Client::Outcome>
AutonatV2Client::handleDataRequest(const AutonatV2DialDataRequest& request) {
    if (dialDataAddrIdx_)
        return finish(Failed{"autonat v2: a second dialDataRequest"});
    if (request.addrIdx >= addrs_.size())
        return finish(Failed{"autonat v2: dialDataRequest.addrIdx " +
                             std::to_string(request.addrIdx) + " is past our " +
                             std::to_string(addrs_.size()) + " addresses"});
    if (request.numBytes > maxDialDataBytes_)
        return finish(Failed{"autonat v2: server asks " + std::to_string(request.numBytes) +
                             " bytes of dial data, more than the " +
                             std::to_string(maxDialDataBytes_) + " we send"});
    dialDataAddrIdx_ = request.addrIdx;
    // Zeros: the server counts the bytes, it does not read them.
    std::uint64_t left = request.numBytes;
    while (left > 0) {
        const auto chunk =
            static_cast<std::size_t>(std::min<std::uint64_t>(left, autonatV2MaxDialDataChunk));
        append(output_, encodeAutonatV2Frame(AutonatV2DialDataResponse{Bytes(chunk, 0)}));
        left -= chunk;
        dialDataSent_ += chunk;
    }
    return std::nullopt;
}

AutonatV2Client::Outcome AutonatV2Client::handleResponse(const AutonatV2DialResponse& response) {
    if (response.status != AutonatV2ResponseStatus::Ok)
        return Refused{response.status};
    if (response.addrIdx >= addrs_.size())
        return Failed{"autonat v2: dialResponse.addrIdx " + std::to_string(response.addrIdx) +
                      " is past our " + std::to_string(addrs_.size()) + " addresses"};
    if (dialDataAddrIdx_ && *dialDataAddrIdx_ != response.addrIdx)
        return Failed{"autonat v2: dialResponse.addrIdx " + std::to_string(response.addrIdx) +
                      " is not the address " + std::to_string(*dialDataAddrIdx_) +
                      " the dial data paid for"};
    const Multiaddr& addr = addrs_[response.addrIdx];
    switch (response.dialStatus) {
    case AutonatV2DialStatus::Unused:
        return Failed{"autonat v2: OK dialResponse with dialStatus UNUSED"};
    case AutonatV2DialStatus::Ok:
        if (!dialBackVerified_)
            return Failed{"autonat v2: server reports a dial to " + addr.toString() +
                          " but no dial-back carried our nonce"};
        break;
    case AutonatV2DialStatus::DialError:
    case AutonatV2DialStatus::DialBackError:
        break;
    }
    return Tested{response.addrIdx, addr, response.dialStatus};
}

std::optional<AutonatV2Client::Outcome> AutonatV2Client::finish(Outcome outcome) {
    state_ = State::Done;
    buffer_.clear();
    return outcome;
}

Bytes AutonatV2Client::takeOutput() {
    Bytes out;
    out.swap(output_);
    return out;
}

bool AutonatV2Client::dialBackReceived(std::uint64_t nonce) {
    if (nonce != nonce_)
        return false;
    dialBackVerified_ = true;
    return true;
}

} // namespace peerscope
