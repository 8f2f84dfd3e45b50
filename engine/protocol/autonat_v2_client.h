#pragma once

#include "engine/core/bytes.h"
#include "engine/core/multiaddr.h"
#include "engine/protocol/autonat_messages.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace peerscope {

// The most dial data we send for one request; the spec tells servers to ask 30-100 kB.
inline constexpr std::uint64_t autonatV2MaxDialDataBytes = 100'000;

// The requester side of one /libp2p/autonat/2/dial-request stream. Sends the addresses to test
// in priority order with a random nonce, pays for a dial to another IP with dial data when
// the server asks, and believes an OK dial only when a dial-back carried our nonce (the
// caller hands those over with dialBackReceived(); the server waits for our dial-back
// response before it answers, so the dial-back comes first). Sans-I/O: the caller writes
// request() and, after every feed(), takeOutput().
class AutonatV2Client final {
public:
    // The server dialled addrs[addrIdx]. dialStatus Ok (reachable, dial-back verified),
    // DialError (not reachable) or DialBackError (connected but the nonce did not get
    // through: no verdict).
    struct Tested {
        std::size_t addrIdx = 0;
        Multiaddr addr;
        AutonatV2DialStatus dialStatus = AutonatV2DialStatus::Unused;
    };
    // The server did not test: E_REQUEST_REJECTED, E_DIAL_REFUSED or E_INTERNAL_ERROR.
    struct Refused {
        AutonatV2ResponseStatus status = AutonatV2ResponseStatus::InternalError;
    };
    // The server broke the protocol, asked more dial data than we pay, or claimed a dial no
    // dial-back confirmed; the caller resets the stream.
    struct Failed {
        std::string reason;
    };
    using Outcome = std::variant<Tested, Refused, Failed>;

    AutonatV2Client(std::vector<Multiaddr> addrs, std::uint64_t nonce,
                    std::uint64_t maxDialDataBytes = autonatV2MaxDialDataBytes);

    static std::uint64_t randomNonce();

    Bytes request();
    // nullopt until the response is in; then the outcome, once.
    std::optional<Outcome> feed(ByteView bytes);
    // Dial data frames to write, after a DialDataRequest. Empties the store.
    Bytes takeOutput();
    // A DialBack's nonce arrived on a dial-back stream. True when it is ours; another nonce
    // is discarded, as the spec says.
    bool dialBackReceived(std::uint64_t nonce);

    std::uint64_t nonce() const { return nonce_; }
    bool dialBackVerified() const { return dialBackVerified_; }
    std::uint64_t dialDataSent() const { return dialDataSent_; }
    bool finished() const { return state_ == State::Done; }

private:
    enum class State { Idle, Awaiting, Done };

    std::optional<Outcome> handle(const AutonatV2Message& message);
    std::optional<Outcome> handleDataRequest(const AutonatV2DialDataRequest& request);
    Outcome handleResponse(const AutonatV2DialResponse& response);
    std::optional<Outcome> finish(Outcome outcome);

    std::vector<Multiaddr> addrs_;
    std::uint64_t nonce_;
    std::uint64_t maxDialDataBytes_;
    State state_ = State::Idle;
    Bytes buffer_;
    Bytes output_;
    std::optional<std::uint32_t> dialDataAddrIdx_;
    std::uint64_t dialDataSent_ = 0;
    bool dialBackVerified_ = false;
};

} // namespace peerscope
