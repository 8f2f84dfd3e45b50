#pragma once

#include "engine/core/bytes.h"
#include "engine/core/keys.h"
#include "engine/core/peer_id.h"
#include "engine/core/result.h"

#include <array>
#include <cstdint>
#include <string_view>

namespace peerscope {

// A circuit relay v2 reservation voucher (libp2p/specs relay/circuit-v2.md): the relay's signed
// statement that it serves `peer` until `expiration`. Vouchers are advisory in the spec; the
// client checks them so a bad one can be reported.
struct ReservationVoucher {
    static constexpr std::string_view domain = "libp2p-relay-rsvp";
    // The payload type go and js write: the two bytes 0x03 0x02 (the multicodec 0x0302 as raw
    // big-endian bytes, not as a varint), so that is what we write and require.
    static constexpr std::array<std::uint8_t, 2> payloadType{0x03, 0x02};

    PeerId relay;
    PeerId peer;
    std::uint64_t expiration = 0; // unix seconds (UTC)

    // The payload protobuf, in field order.
    Bytes encodePayload() const;
    static Result<ReservationVoucher> decodePayload(ByteView payload);

    // The signed envelope; the relay is the key's own PeerId.
    static Bytes make(const PrivateKey& relayKey, const PeerId& peer, std::uint64_t expiration);
    // Opens the envelope and checks domain, payload type, that the relay signed it and is
    // `expectedRelay`, that it is for `self`, and that it has not expired at nowUnixSeconds.
    static Result<ReservationVoucher> verify(ByteView envelope, const PeerId& expectedRelay,
                                             const PeerId& self, std::uint64_t nowUnixSeconds);

    friend bool operator==(const ReservationVoucher&, const ReservationVoucher&) = default;
};

} // namespace peerscope
