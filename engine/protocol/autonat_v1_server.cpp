#include "engine/protocol/autonat_v1_server.h"

#include "engine/protocol/autonat_addr.h"

#include <algorithm>

namespace peerscope {

AutonatV1Server::AutonatV1Server(PeerId remote, Multiaddr observed)
    : remote_(std::move(remote)), observed_(std::move(observed)) {}

std::optional<AutonatV1Server::Request> AutonatV1Server::feed(ByteView bytes) {
    if (done_)
        return std::nullopt;
    append(buffer_, bytes);
    const AutonatFrame<AutonatV1Message> frame = decodeAutonatV1Frame(buffer_);
    if (frame.status == AutonatFrameStatus::Incomplete)
        return std::nullopt;
    done_ = true;
    buffer_.clear();
    if (frame.status == AutonatFrameStatus::Malformed)
        return answer(AutonatV1Status::BadRequest, frame.error);
    const auto* dial = std::get_if<AutonatV1Dial>(&frame.message);
    if (!dial)
        return answer(AutonatV1Status::BadRequest,
                      "autonat v1 message: DIAL_RESPONSE where a DIAL was expected");
    return decide(*dial);
}

AutonatV1Server::Request AutonatV1Server::decide(const AutonatV1Dial& dial) {
    if (dial.peer != remote_)
        return answer(AutonatV1Status::BadRequest,
                      "dial.peer.id is not the peer on the connection");
    if (autonatIsRelayed(observed_) || !autonatIpOf(observed_))
        return answer(AutonatV1Status::DialRefused,
                      "request over a connection without an observable IP (relayed?)");
    DialBack dialBack;
    for (const Multiaddr& addr : dial.addrs) {
        if (dialBack.addrs.size() == autonatV1MaxDialAddrs)
            break;
        if (autonatIsRelayed(addr) || !autonatSameIp(addr, observed_))
            continue;
        if (std::find(dialBack.addrs.begin(), dialBack.addrs.end(), addr) == dialBack.addrs.end())
            dialBack.addrs.push_back(addr);
    }
    if (dialBack.addrs.empty())
        return answer(AutonatV1Status::DialRefused, "no address on the observed IP");
    return dialBack;
}

AutonatV1Server::Request AutonatV1Server::answer(AutonatV1Status status, std::string reason) {
    return Answer{response(status, reason, std::nullopt), status, std::move(reason)};
}

Bytes AutonatV1Server::response(AutonatV1Status status, const std::string& statusText,
                                const std::optional<Multiaddr>& addr) {
    return encodeAutonatV1Frame(AutonatV1DialResponse{status, statusText, addr});
}

} // namespace peerscope
