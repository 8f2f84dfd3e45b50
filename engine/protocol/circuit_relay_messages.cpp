#include "engine/protocol/circuit_relay_messages.h"

#include "circuit.pb.h"
#include "engine/core/varint.h"
#include "engine/protocol/length_prefixed.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

namespace peerscope {

namespace {

using google::protobuf::internal::WireFormatLite;

std::string asString(ByteView bytes) {
    return std::string(bytes.begin(), bytes.end());
}

ByteView asView(const std::string& text) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

std::optional<RelayStatus> statusFromWire(int value) {
    switch (value) {
    case 100:
    case 200:
    case 201:
    case 202:
    case 203:
    case 204:
    case 400:
    case 401:
        return static_cast<RelayStatus>(value);
    default:
        return std::nullopt;
    }
}

void toWire(const RelayLimit& limit, wire::Limit& pb) {
    if (limit.durationSeconds)
        pb.set_duration(*limit.durationSeconds);
    if (limit.dataBytes)
        pb.set_data(*limit.dataBytes);
}

RelayLimit fromWire(const wire::Limit& pb) {
    RelayLimit limit;
    if (pb.has_duration())
        limit.durationSeconds = pb.duration();
    if (pb.has_data())
        limit.dataBytes = pb.data();
    return limit;
}

void toWire(const RelayPeerInfo& peer, wire::Peer& pb) {
    pb.set_id(asString(peer.id.bytes()));
    for (const Multiaddr& addr : peer.addrs)
        pb.add_addrs(asString(addr.toBytes()));
}

void decodeAddrs(const google::protobuf::RepeatedPtrField<std::string>& wireAddrs,
                 std::vector<Multiaddr>& addrs, std::size_t& skipped) {
    for (const std::string& bytes : wireAddrs) {
        Result<Multiaddr> addr = Multiaddr::fromBytes(asView(bytes));
        if (addr)
            addrs.push_back(std::move(addr).value());
        else
            ++skipped;
    }
}

Result<RelayPeerInfo> fromWire(const wire::Peer& pb) {
    Result<PeerId> id = PeerId::fromBytes(asView(pb.id()));
    if (!id)
        return makeError("peer id: " + id.errorMessage());
    RelayPeerInfo peer;
    peer.id = std::move(id).value();
    decodeAddrs(pb.addrs(), peer.addrs, peer.skippedAddrs);
    return peer;
}

void toWire(const ReservationInfo& reservation, wire::Reservation& pb) {
    if (reservation.expire)
        pb.set_expire(*reservation.expire);
    for (const Multiaddr& addr : reservation.addrs)
        pb.add_addrs(asString(addr.toBytes()));
    if (reservation.voucher)
        pb.set_voucher(asString(*reservation.voucher));
}

ReservationInfo fromWire(const wire::Reservation& pb) {
    ReservationInfo reservation;
    if (pb.has_expire())
        reservation.expire = pb.expire();
    decodeAddrs(pb.addrs(), reservation.addrs, reservation.skippedAddrs);
    if (pb.has_voucher())
        reservation.voucher = Bytes(pb.voucher().begin(), pb.voucher().end());
    return reservation;
}

Bytes serialize(const google::protobuf::MessageLite& pb) {
    const std::string serialized = pb.SerializeAsString();
    return Bytes(serialized.begin(), serialized.end());
}

// proto2 keeps an enum value it does not know among the unknown fields, so a message whose
// `type` (field 1) is new to us parses as one without a type. Finding field 1 there tells an
// unknown type (UNEXPECTED_MESSAGE) from a missing one (MALFORMED_MESSAGE).
bool hasUnknownField1(const std::string& unknownFields) {
    google::protobuf::io::CodedInputStream input(
        reinterpret_cast<const std::uint8_t*>(unknownFields.data()),
        static_cast<int>(unknownFields.size()));
    while (const std::uint32_t tag = input.ReadTag()) {
        // Field 1 with another wire type is a broken message, not a new type.
        if (tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_VARINT))
            return true;
        if (!WireFormatLite::SkipField(&input, tag))
            return false;
    }
    return false;
}

// The framing and protobuf steps both messages share. Returns the body once it parsed with a
// known type, or fills frame's status and error.
template <typename Pb, typename Message>
bool parseFrame(ByteView buffer, const char* what, Pb& pb, RelayFrame<Message>& frame) {
    auto fail = [&](RelayFrameStatus status, std::string error) {
        frame.status = status;
        frame.error = std::string(what) + ": " + error;
        return false;
    };
    auto decoded = varint::decode(buffer);
    if (!decoded)
        return fail(RelayFrameStatus::Malformed, "length prefix: " + decoded.errorMessage());
    if (!decoded->has_value()) {
        frame.status = RelayFrameStatus::Incomplete;
        return false;
    }
    const std::uint64_t length = (*decoded)->value;
    const std::size_t prefix = (*decoded)->length;
    if (length > circuitRelayMaxMessageSize)
        return fail(RelayFrameStatus::Malformed, "message of " + std::to_string(length) +
                                                     " bytes exceeds the limit of " +
                                                     std::to_string(circuitRelayMaxMessageSize));
    if (buffer.size() - prefix < length) {
        frame.status = RelayFrameStatus::Incomplete;
        return false;
    }
    frame.consumed = prefix + static_cast<std::size_t>(length);
    const ByteView body = buffer.subspan(prefix, static_cast<std::size_t>(length));
    if (!pb.ParsePartialFromArray(body.data(), static_cast<int>(body.size())))
        return fail(RelayFrameStatus::Malformed,
                    "malformed protobuf (" + std::to_string(body.size()) + " bytes)");
    if (!pb.has_type()) {
        if (hasUnknownField1(pb.unknown_fields()))
            return fail(RelayFrameStatus::UnknownType, "unknown message type");
        return fail(RelayFrameStatus::Malformed, "no message type");
    }
    // Peer.id is the only other required field; the lite runtime cannot name what is missing.
    if (pb.has_peer() && !pb.peer().has_id())
        return fail(RelayFrameStatus::Malformed, "peer without an id");
    if (!pb.IsInitialized())
        return fail(RelayFrameStatus::Malformed, "a required field is missing");
    return true;
}

} // namespace

const char* relayStatusName(RelayStatus status) {
    switch (status) {
    case RelayStatus::Ok:
        return "OK";
    case RelayStatus::ReservationRefused:
        return "RESERVATION_REFUSED";
    case RelayStatus::ResourceLimitExceeded:
        return "RESOURCE_LIMIT_EXCEEDED";
    case RelayStatus::PermissionDenied:
        return "PERMISSION_DENIED";
    case RelayStatus::ConnectionFailed:
        return "CONNECTION_FAILED";
    case RelayStatus::NoReservation:
        return "NO_RESERVATION";
    case RelayStatus::MalformedMessage:
        return "MALFORMED_MESSAGE";
    case RelayStatus::UnexpectedMessage:
        return "UNEXPECTED_MESSAGE";
    }
    return "UNKNOWN";
}

Bytes RelayHopMessage::encode() const {
    wire::HopMessage pb;
    switch (type) {
    case Type::Reserve:
        pb.set_type(wire::HopMessage::RESERVE);
        break;
    case Type::Connect:
        pb.set_type(wire::HopMessage::CONNECT);
        break;
    case Type::Status:
        pb.set_type(wire::HopMessage::STATUS);
        break;
    }
    if (peer)
        toWire(*peer, *pb.mutable_peer());
    if (reservation)
        toWire(*reservation, *pb.mutable_reservation());
    if (limit)
        toWire(*limit, *pb.mutable_limit());
    if (status)
        pb.set_status(static_cast<wire::Status>(*status));
    return serialize(pb);
}

Bytes RelayHopMessage::encodeFrame() const {
    return lengthPrefixed(encode());
}

Bytes RelayStopMessage::encode() const {
    wire::StopMessage pb;
    pb.set_type(type == Type::Connect ? wire::StopMessage::CONNECT : wire::StopMessage::STATUS);
    if (peer)
        toWire(*peer, *pb.mutable_peer());
    if (limit)
        toWire(*limit, *pb.mutable_limit());
    if (status)
        pb.set_status(static_cast<wire::Status>(*status));
    return serialize(pb);
}

Bytes RelayStopMessage::encodeFrame() const {
    return lengthPrefixed(encode());
}

RelayFrame<RelayHopMessage> decodeHopFrame(ByteView buffer) {
    RelayFrame<RelayHopMessage> frame;
    wire::HopMessage pb;
    if (!parseFrame(buffer, "hop message", pb, frame))
        return frame;
    RelayHopMessage& message = frame.message;
    switch (pb.type()) {
    case wire::HopMessage::RESERVE:
        message.type = RelayHopMessage::Type::Reserve;
        break;
    case wire::HopMessage::CONNECT:
        message.type = RelayHopMessage::Type::Connect;
        break;
    case wire::HopMessage::STATUS:
        message.type = RelayHopMessage::Type::Status;
        break;
    }
    if (pb.has_peer()) {
        Result<RelayPeerInfo> peer = fromWire(pb.peer());
        if (!peer) {
            frame.status = RelayFrameStatus::Malformed;
            frame.error = "hop message: " + peer.errorMessage();
            return frame;
        }
        message.peer = std::move(peer).value();
    }
    if (pb.has_reservation())
        message.reservation = fromWire(pb.reservation());
    if (pb.has_limit())
        message.limit = fromWire(pb.limit());
    // An unknown status code lands among the unknown fields and reads as absent; the
    // exchanges treat a STATUS without a known code as malformed.
    if (pb.has_status())
        message.status = statusFromWire(pb.status());
    frame.status = RelayFrameStatus::Message;
    return frame;
}

RelayFrame<RelayStopMessage> decodeStopFrame(ByteView buffer) {
    RelayFrame<RelayStopMessage> frame;
    wire::StopMessage pb;
    if (!parseFrame(buffer, "stop message", pb, frame))
        return frame;
    RelayStopMessage& message = frame.message;
    message.type = pb.type() == wire::StopMessage::CONNECT ? RelayStopMessage::Type::Connect
                                                           : RelayStopMessage::Type::Status;
    if (pb.has_peer()) {
        Result<RelayPeerInfo> peer = fromWire(pb.peer());
        if (!peer) {
            frame.status = RelayFrameStatus::Malformed;
            frame.error = "stop message: " + peer.errorMessage();
            return frame;
        }
        message.peer = std::move(peer).value();
    }
    if (pb.has_limit())
        message.limit = fromWire(pb.limit());
    if (pb.has_status())
        message.status = statusFromWire(pb.status());
    frame.status = RelayFrameStatus::Message;
    return frame;
}

} // namespace peerscope
