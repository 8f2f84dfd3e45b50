#pragma once

#include "engine/core/bytes.h"
#include "engine/core/peer_id.h"
#include "engine/protocol/circuit_relay_messages.h"
#include "engine/protocol/reservation_voucher.h"

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace peerscope {

// The client side of one /libp2p/circuit/relay/0.2.0/hop stream: one RESERVE or CONNECT
// request, one STATUS response. Sans-I/O: the caller writes the request bytes and feeds what
// it reads.
class HopClientExchange final {
public:
    struct Reserved {
        std::uint64_t expire = 0; // unix seconds (UTC)
        std::vector<Multiaddr> addrs;
        std::size_t skippedAddrs = 0;
        // Vouchers are advisory in the spec, so a bad or missing one does not fail the
        // reservation: it is reported for the caller to show or act on.
        std::optional<ReservationVoucher> voucher;
        std::string voucherError;
        std::optional<RelayLimit> limit;
    };
    // The stream now carries the relayed connection; see takeLeftover().
    struct Connected {
        std::optional<RelayLimit> limit;
    };
    struct Refused {
        RelayStatus status;
    };
    // The relay broke the protocol; the caller resets the stream.
    struct Failed {
        std::string reason;
    };
    using Outcome = std::variant<Reserved, Connected, Refused, Failed>;

    HopClientExchange(PeerId self, PeerId relay);

    // The request bytes. nowUnixSeconds is the wall-clock time the response's expiry and
    // voucher are checked against.
    Bytes reserve(std::uint64_t nowUnixSeconds);
    Bytes connect(const PeerId& target);

    // nullopt until the whole response is in; then the outcome, once. Bytes fed after a
    // Connected belong to the relayed connection and go to takeLeftover().
    std::optional<Outcome> feed(ByteView bytes);
    // Bytes that followed the response (on CONNECT: the first bytes of the relayed
    // connection). Empties the store.
    Bytes takeLeftover();
    bool finished() const { return state_ == State::Done || state_ == State::Failed; }

private:
    enum class State { Idle, AwaitingReservation, AwaitingConnect, Done, Failed };

    Outcome interpret(const RelayFrame<RelayHopMessage>& frame);
    Outcome interpretReservation(const RelayHopMessage& response);

    PeerId self_;
    PeerId relay_;
    State state_ = State::Idle;
    std::uint64_t nowUnixSeconds_ = 0;
    Bytes buffer_;
    Bytes leftover_;
};

} // namespace peerscope
