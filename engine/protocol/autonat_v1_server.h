#pragma once

#include "engine/core/bytes.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "engine/protocol/autonat_messages.h"

#include <cstddef>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace peerscope {

// At most this many addresses of one request are dialled back (the ones on the observed IP,
// in the requester's order); more only multiplies the dials one request costs us.
inline constexpr std::size_t autonatV1MaxDialAddrs = 16;

// The server side of one /libp2p/autonat/1.0.0 stream: reads the DIAL and decides which
// addresses may be dialled. The spec allows dialling only addresses on the IP the requester
// is observed as, and no request over a relayed connection (its IP cannot be checked).
// Whether to serve at all (rate limits) is the caller's business, as is the dialling.
class AutonatV1Server final {
public:
    // Dial these (all on the observed IP), then write response() and close.
    struct DialBack {
        std::vector<Multiaddr> addrs;
    };
    // Write `response` and close: E_BAD_REQUEST for a malformed or mismatched request,
    // E_DIAL_REFUSED when nothing may be dialled.
    struct Answer {
        Bytes response;
        AutonatV1Status status = AutonatV1Status::InternalError;
        std::string reason;
    };
    using Request = std::variant<DialBack, Answer>;

    // remote: the peer on the connection; observed: its remote address.
    AutonatV1Server(PeerId remote, Multiaddr observed);

    // nullopt until the request is complete; then the request, once. Later bytes are ignored.
    std::optional<Request> feed(ByteView bytes);
    bool finished() const { return done_; }

    static Bytes response(AutonatV1Status status, const std::string& statusText,
                          const std::optional<Multiaddr>& addr);

private:
    Request answer(AutonatV1Status status, std::string reason);
    Request decide(const AutonatV1Dial& dial);

    PeerId remote_;
    Multiaddr observed_;
    bool done_ = false;
    Bytes buffer_;
};

} // namespace peerscope
