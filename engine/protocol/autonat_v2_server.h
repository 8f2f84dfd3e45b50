#pragma once

#include "engine/core/bytes.h"
#include "engine/core/multiaddr.h"
#include "engine/protocol/autonat_messages.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>

namespace peerscope {

// The spec's range for the dial data a server asks before dialling an IP other than the
// requester's: most handshakes cost under 10 kB, so 30 kB makes an amplification attack
// unattractive; more than 100 kB only burdens honest clients.
inline constexpr std::uint64_t autonatV2MinDialDataBytes = 30'000;
inline constexpr std::uint64_t autonatV2MaxAskedDialDataBytes = 100'000;
// Only the first this many addresses of a request are considered; a request lists its
// addresses in priority order, and looking further only costs us.
inline constexpr std::size_t autonatV2MaxRequestAddrs = 50;

// The server side of one /libp2p/autonat/2/dial-request stream. Picks the first address it
// can dial; when that address is on another IP than the requester's observed one it first
// asks for dial data (amplification guard) and counts it in. Whether to serve at all (rate
// limits) and the dialling are the caller's business. Sans-I/O: the caller writes
// takeOutput() after every feed().
class AutonatV2Server final {
public:
    // Dial addr, send a DialBack with nonce on /libp2p/autonat/2/dial-back, then write
    // respond(dialStatus) and close.
    struct Dial {
        std::uint32_t addrIdx = 0;
        Multiaddr addr;
        std::uint64_t nonce = 0;
    };
    // Write `response` and close.
    struct Answer {
        Bytes response;
        AutonatV2ResponseStatus status = AutonatV2ResponseStatus::InternalError;
        std::string reason;
    };
    // A malformed or unexpected message: reset the stream.
    struct Failed {
        std::string reason;
    };
    using Step = std::variant<Dial, Answer, Failed>;
    // Whether we would dial this address (transport, IP family, not private...).
    using CanDial = std::function<bool(const Multiaddr&)>;

    // observed: the requester's remote address. dialDataBytes is clamped to the spec's
    // 30-100 kB.
    AutonatV2Server(Multiaddr observed, CanDial canDial,
                    std::uint64_t dialDataBytes = autonatV2MinDialDataBytes);

    // nullopt until there is a step; then the step, once. Bytes after it are ignored.
    std::optional<Step> feed(ByteView bytes);
    // The DialDataRequest, when one is needed. Empties the store.
    Bytes takeOutput();
    // The DialResponse (status OK) after the dial.
    Bytes respond(AutonatV2DialStatus dialStatus) const;
    // A DialResponse without a dial: E_REQUEST_REJECTED (rate limited), E_DIAL_REFUSED,
    // E_INTERNAL_ERROR.
    static Bytes answer(AutonatV2ResponseStatus status);

    std::uint64_t dialDataReceived() const { return dialDataReceived_; }
    bool finished() const { return state_ == State::Done; }

private:
    enum class State { AwaitingRequest, AwaitingDialData, Done };

    std::optional<Step> handle(AutonatV2Message& message);
    std::optional<Step> handleRequest(const AutonatV2DialRequest& request);
    std::optional<Step> finish(Step step);
    Step refuse(AutonatV2ResponseStatus status, std::string reason);

    Multiaddr observed_;
    CanDial canDial_;
    std::uint64_t dialDataBytes_;
    State state_ = State::AwaitingRequest;
    Bytes buffer_;
    Bytes output_;
    Dial selected_;
    std::uint64_t dialDataReceived_ = 0;
};

} // namespace peerscope
