#pragma once

#include "engine/core/bytes.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace peerscope {

inline constexpr const char* circuitRelayHopProtocolId = "/libp2p/circuit/relay/0.2.0/hop";
inline constexpr const char* circuitRelayStopProtocolId = "/libp2p/circuit/relay/0.2.0/stop";

// go-libp2p's limit for one hop or stop message; larger length prefixes are refused unread.
inline constexpr std::size_t circuitRelayMaxMessageSize = 4096;

// The spec's Status codes.
enum class RelayStatus : std::uint32_t {
    Ok = 100,
    ReservationRefused = 200,
    ResourceLimitExceeded = 201,
    PermissionDenied = 202,
    ConnectionFailed = 203,
    NoReservation = 204,
    MalformedMessage = 400,
    UnexpectedMessage = 401,
};

const char* relayStatusName(RelayStatus status); // "OK", "RESERVATION_REFUSED", ...

// Limits of one relayed connection; an absent field means the relay sets none.
struct RelayLimit {
    std::optional<std::uint32_t> durationSeconds;
    std::optional<std::uint64_t> dataBytes; // each way

    friend bool operator==(const RelayLimit&, const RelayLimit&) = default;
};

// Addresses that do not decode as a multiaddr (a protocol we do not know, or garbage) are
// skipped and counted rather than failing the message: relays advertise every transport they
// have, and one unknown address must not cost the reservation.
struct RelayPeerInfo {
    PeerId id;
    std::vector<Multiaddr> addrs;
    std::size_t skippedAddrs = 0;

    friend bool operator==(const RelayPeerInfo&, const RelayPeerInfo&) = default;
};

struct ReservationInfo {
    std::optional<std::uint64_t> expire; // unix seconds (UTC)
    std::vector<Multiaddr> addrs;
    std::size_t skippedAddrs = 0;
    std::optional<Bytes> voucher; // signed envelope, see ReservationVoucher

    friend bool operator==(const ReservationInfo&, const ReservationInfo&) = default;
};

// One message of /libp2p/circuit/relay/0.2.0/hop.
struct RelayHopMessage {
    enum class Type { Reserve, Connect, Status };

    Type type = Type::Status;
    std::optional<RelayPeerInfo> peer;
    std::optional<ReservationInfo> reservation;
    std::optional<RelayLimit> limit;
    std::optional<RelayStatus> status;

    Bytes encode() const;      // protobuf
    Bytes encodeFrame() const; // uvarint length prefix + protobuf, as sent on the stream

    friend bool operator==(const RelayHopMessage&, const RelayHopMessage&) = default;
};

// One message of /libp2p/circuit/relay/0.2.0/stop.
struct RelayStopMessage {
    enum class Type { Connect, Status };

    Type type = Type::Status;
    std::optional<RelayPeerInfo> peer;
    std::optional<RelayLimit> limit;
    std::optional<RelayStatus> status;

    Bytes encode() const;
    Bytes encodeFrame() const;

    friend bool operator==(const RelayStopMessage&, const RelayStopMessage&) = default;
};

// What reading one frame from the front of a buffer gave.
enum class RelayFrameStatus {
    Incomplete,  // more bytes needed; nothing consumed
    Message,     // `message` holds it; `consumed` bytes were the frame
    Malformed,   // bad length prefix, oversize, bad protobuf, missing or bad fields: the
                 // caller answers MALFORMED_MESSAGE (when it may answer) and ends the stream
    UnknownType, // a well-formed frame whose type we do not know: UNEXPECTED_MESSAGE
};

template <typename Message> struct RelayFrame {
    RelayFrameStatus status = RelayFrameStatus::Incomplete;
    Message message;
    std::size_t consumed = 0;
    std::string error; // why, for Malformed and UnknownType
};

RelayFrame<RelayHopMessage> decodeHopFrame(ByteView buffer);
RelayFrame<RelayStopMessage> decodeStopFrame(ByteView buffer);

} // namespace peerscope
