#include "engine/protocol/autonat_messages.h"

#include "autonat_v1.pb.h"
#include "autonat_v2.pb.h"
#include "engine/core/varint.h"
#include "engine/protocol/length_prefixed.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>

namespace peerscope {

namespace {

using google::protobuf::internal::WireFormatLite;
namespace v1 = wire::autonatv1;
namespace v2 = wire::autonatv2;

std::string asString(ByteView bytes) {
    return std::string(bytes.begin(), bytes.end());
}

ByteView asView(const std::string& text) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

Bytes serialize(const google::protobuf::MessageLite& pb) {
    const std::string serialized = pb.SerializeAsString();
    return Bytes(serialized.begin(), serialized.end());
}

std::optional<AutonatV1Status> v1StatusFromWire(int value) {
    switch (value) {
    case 0:
    case 100:
    case 101:
    case 200:
    case 300:
        return static_cast<AutonatV1Status>(value);
    default:
        return std::nullopt;
    }
}

std::optional<AutonatV2ResponseStatus> v2ResponseStatusFromWire(int value) {
    switch (value) {
    case 0:
    case 100:
    case 101:
    case 200:
        return static_cast<AutonatV2ResponseStatus>(value);
    default:
        return std::nullopt;
    }
}

std::optional<AutonatV2DialStatus> v2DialStatusFromWire(int value) {
    switch (value) {
    case 0:
    case 100:
    case 101:
    case 200:
        return static_cast<AutonatV2DialStatus>(value);
    default:
        return std::nullopt;
    }
}

// proto2 keeps an enum value it does not know among the unknown fields: finding the field
// there tells "an unknown value" from "absent" for the error text.
bool hasUnknownVarintField(const std::string& unknownFields, int field) {
    google::protobuf::io::CodedInputStream input(
        reinterpret_cast<const std::uint8_t*>(unknownFields.data()),
        static_cast<int>(unknownFields.size()));
    while (const std::uint32_t tag = input.ReadTag()) {
        if (tag == WireFormatLite::MakeTag(field, WireFormatLite::WIRETYPE_VARINT))
            return true;
        if (!WireFormatLite::SkipField(&input, tag))
            return false;
    }
    return false;
}

// The framing step every AutoNAT message shares: the length prefix, the size limit, then
// the protobuf. Returns true once pb parsed; otherwise fills frame's status and error.
template <typename Pb, typename Message>
bool parseFrame(ByteView buffer, const char* what, std::size_t maxSize, Pb& pb,
                AutonatFrame<Message>& frame) {
    auto fail = [&](const std::string& error) {
        frame.status = AutonatFrameStatus::Malformed;
        frame.error = std::string(what) + ": " + error;
        return false;
    };
    auto decoded = varint::decode(buffer);
    if (!decoded)
        return fail("length prefix: " + decoded.errorMessage());
    if (!decoded->has_value()) {
        frame.status = AutonatFrameStatus::Incomplete;
        return false;
    }
    const std::uint64_t length = (*decoded)->value;
    const std::size_t prefix = (*decoded)->length;
    if (length > maxSize)
        return fail("message of " + std::to_string(length) + " bytes exceeds the limit of " +
                    std::to_string(maxSize));
    if (buffer.size() - prefix < length) {
        frame.status = AutonatFrameStatus::Incomplete;
        return false;
    }
    frame.consumed = prefix + static_cast<std::size_t>(length);
    const ByteView body = buffer.subspan(prefix, static_cast<std::size_t>(length));
    if (!pb.ParsePartialFromArray(body.data(), static_cast<int>(body.size())))
        return fail("malformed protobuf (" + std::to_string(body.size()) + " bytes)");
    return true;
}

template <typename Message>
AutonatFrame<Message> malformed(AutonatFrame<Message> frame, const char* what,
                                const std::string& error) {
    frame.status = AutonatFrameStatus::Malformed;
    frame.error = std::string(what) + ": " + error;
    return frame;
}

template <typename Message, typename Value>
AutonatFrame<Message> accepted(AutonatFrame<Message> frame, Value value) {
    frame.status = AutonatFrameStatus::Message;
    frame.message = std::move(value);
    return frame;
}

} // namespace

const char* autonatV1StatusName(AutonatV1Status status) {
    switch (status) {
    case AutonatV1Status::Ok:
        return "OK";
    case AutonatV1Status::DialError:
        return "E_DIAL_ERROR";
    case AutonatV1Status::DialRefused:
        return "E_DIAL_REFUSED";
    case AutonatV1Status::BadRequest:
        return "E_BAD_REQUEST";
    case AutonatV1Status::InternalError:
        return "E_INTERNAL_ERROR";
    }
    return "UNKNOWN";
}

const char* autonatV2ResponseStatusName(AutonatV2ResponseStatus status) {
    switch (status) {
    case AutonatV2ResponseStatus::InternalError:
        return "E_INTERNAL_ERROR";
    case AutonatV2ResponseStatus::RequestRejected:
        return "E_REQUEST_REJECTED";
    case AutonatV2ResponseStatus::DialRefused:
        return "E_DIAL_REFUSED";
    case AutonatV2ResponseStatus::Ok:
        return "OK";
    }
    return "UNKNOWN";
}

const char* autonatV2DialStatusName(AutonatV2DialStatus status) {
    switch (status) {
    case AutonatV2DialStatus::Unused:
        return "UNUSED";
    case AutonatV2DialStatus::DialError:
        return "E_DIAL_ERROR";
    case AutonatV2DialStatus::DialBackError:
        return "E_DIAL_BACK_ERROR";
    case AutonatV2DialStatus::Ok:
        return "OK";
    }
    return "UNKNOWN";
}

// ---- v1 ----

Bytes encodeAutonatV1(const AutonatV1Message& message) {
    v1::Message pb;
    if (const auto* dial = std::get_if<AutonatV1Dial>(&message)) {
        pb.set_type(v1::Message::DIAL);
        v1::Message::PeerInfo& peer = *pb.mutable_dial()->mutable_peer();
        peer.set_id(asString(dial->peer.bytes()));
        for (const Multiaddr& addr : dial->addrs)
            peer.add_addrs(asString(addr.toBytes()));
    } else {
        const auto& response = std::get<AutonatV1DialResponse>(message);
        pb.set_type(v1::Message::DIAL_RESPONSE);
        v1::Message::DialResponse& out = *pb.mutable_dialresponse();
        out.set_status(static_cast<v1::Message::ResponseStatus>(response.status));
        if (!response.statusText.empty())
            out.set_statustext(response.statusText);
        if (response.addr)
            out.set_addr(asString(response.addr->toBytes()));
    }
    return serialize(pb);
}

Bytes encodeAutonatV1Frame(const AutonatV1Message& message) {
    return lengthPrefixed(encodeAutonatV1(message));
}

AutonatFrame<AutonatV1Message> decodeAutonatV1Frame(ByteView buffer) {
    constexpr const char* what = "autonat v1 message";
    AutonatFrame<AutonatV1Message> frame;
    v1::Message pb;
    if (!parseFrame(buffer, what, autonatV1MaxMessageSize, pb, frame))
        return frame;
    if (!pb.has_type()) {
        if (hasUnknownVarintField(pb.unknown_fields(), 1))
            return malformed(frame, what, "unknown message type");
        return malformed(frame, what, "no message type");
    }
    if (pb.type() == v1::Message::DIAL) {
        if (!pb.has_dial() || !pb.dial().has_peer())
            return malformed(frame, what, "DIAL without dial.peer");
        const v1::Message::PeerInfo& info = pb.dial().peer();
        if (!info.has_id())
            return malformed(frame, what, "DIAL without dial.peer.id");
        Result<PeerId> id = PeerId::fromBytes(asView(info.id()));
        if (!id)
            return malformed(frame, what, "dial.peer.id: " + id.errorMessage());
        AutonatV1Dial dial;
        dial.peer = std::move(id).value();
        for (const std::string& bytes : info.addrs()) {
            Result<Multiaddr> addr = Multiaddr::fromBytes(asView(bytes));
            if (addr)
                dial.addrs.push_back(std::move(addr).value());
            else
                ++dial.skippedAddrs;
        }
        return accepted(std::move(frame), std::move(dial));
    }
    if (!pb.has_dialresponse())
        return malformed(frame, what, "DIAL_RESPONSE without dialResponse");
    const v1::Message::DialResponse& in = pb.dialresponse();
    if (!in.has_status()) {
        if (hasUnknownVarintField(in.unknown_fields(), 1))
            return malformed(frame, what, "dialResponse.status is not a status the spec lists");
        return malformed(frame, what, "dialResponse without a status");
    }
    AutonatV1DialResponse response;
    // has_status() means proto2 knew the value, and the proto lists only the spec's codes.
    response.status = v1StatusFromWire(in.status()).value_or(AutonatV1Status::InternalError);
    response.statusText = in.statustext();
    if (in.has_addr()) {
        Result<Multiaddr> addr = Multiaddr::fromBytes(asView(in.addr()));
        if (!addr)
            return malformed(frame, what, "dialResponse.addr: " + addr.errorMessage());
        response.addr = std::move(addr).value();
    }
    return accepted(std::move(frame), std::move(response));
}

// ---- v2 ----

Bytes encodeAutonatV2(const AutonatV2Message& message) {
    v2::Message pb;
    if (const auto* request = std::get_if<AutonatV2DialRequest>(&message)) {
        v2::DialRequest& out = *pb.mutable_dialrequest();
        for (const Bytes& addr : request->addrs)
            out.add_addrs(asString(addr));
        out.set_nonce(request->nonce);
    } else if (const auto* response = std::get_if<AutonatV2DialResponse>(&message)) {
        v2::DialResponse& out = *pb.mutable_dialresponse();
        out.set_status(static_cast<v2::DialResponse::ResponseStatus>(response->status));
        out.set_addridx(response->addrIdx);
        out.set_dialstatus(static_cast<v2::DialStatus>(response->dialStatus));
    } else if (const auto* dataRequest = std::get_if<AutonatV2DialDataRequest>(&message)) {
        v2::DialDataRequest& out = *pb.mutable_dialdatarequest();
        out.set_addridx(dataRequest->addrIdx);
        out.set_numbytes(dataRequest->numBytes);
    } else {
        const auto& data = std::get<AutonatV2DialDataResponse>(message);
        pb.mutable_dialdataresponse()->set_data(asString(data.data));
    }
    return serialize(pb);
}

Bytes encodeAutonatV2Frame(const AutonatV2Message& message) {
    return lengthPrefixed(encodeAutonatV2(message));
}

Bytes encodeAutonatV2Frame(const AutonatV2DialBack& message) {
    v2::DialBack pb;
    pb.set_nonce(message.nonce);
    return lengthPrefixed(serialize(pb));
}

Bytes encodeAutonatV2Frame(const AutonatV2DialBackResponse&) {
    v2::DialBackResponse pb;
    pb.set_status(v2::DialBackResponse::OK);
    return lengthPrefixed(serialize(pb));
}

AutonatFrame<AutonatV2Message> decodeAutonatV2Frame(ByteView buffer) {
    constexpr const char* what = "autonat v2 message";
    AutonatFrame<AutonatV2Message> frame;
    v2::Message pb;
    if (!parseFrame(buffer, what, autonatV2MaxMessageSize, pb, frame))
        return frame;
    switch (pb.msg_case()) {
    case v2::Message::kDialRequest: {
        const v2::DialRequest& in = pb.dialrequest();
        if (in.addrs().empty())
            return malformed(frame, what, "dialRequest without addresses");
        AutonatV2DialRequest request;
        request.nonce = in.nonce();
        for (const std::string& addr : in.addrs())
            request.addrs.emplace_back(addr.begin(), addr.end());
        return accepted(std::move(frame), std::move(request));
    }
    case v2::Message::kDialResponse: {
        const v2::DialResponse& in = pb.dialresponse();
        const auto status = v2ResponseStatusFromWire(in.status());
        if (!status)
            return malformed(frame, what,
                             "dialResponse.status " + std::to_string(in.status()) +
                                 " is not a status the spec lists");
        const auto dialStatus = v2DialStatusFromWire(in.dialstatus());
        if (!dialStatus)
            return malformed(frame, what,
                             "dialResponse.dialStatus " + std::to_string(in.dialstatus()) +
                                 " is not a status the spec lists");
        return accepted(std::move(frame),
                        AutonatV2DialResponse{*status, in.addridx(), *dialStatus});
    }
    case v2::Message::kDialDataRequest:
        return accepted(std::move(frame),
                        AutonatV2DialDataRequest{pb.dialdatarequest().addridx(),
                                                 pb.dialdatarequest().numbytes()});
    case v2::Message::kDialDataResponse: {
        const std::string& data = pb.dialdataresponse().data();
        if (data.size() > autonatV2MaxDialDataChunk)
            return malformed(frame, what,
                             "dialDataResponse.data of " + std::to_string(data.size()) +
                                 " bytes exceeds the limit of " +
                                 std::to_string(autonatV2MaxDialDataChunk));
        return accepted(std::move(frame),
                        AutonatV2DialDataResponse{Bytes(data.begin(), data.end())});
    }
    case v2::Message::MSG_NOT_SET:
        break;
    }
    return malformed(frame, what, "no message set in the oneof");
}

AutonatFrame<AutonatV2DialBack> decodeAutonatV2DialBackFrame(ByteView buffer) {
    AutonatFrame<AutonatV2DialBack> frame;
    v2::DialBack pb;
    if (!parseFrame(buffer, "autonat v2 dial-back", autonatV2MaxMessageSize, pb, frame))
        return frame;
    return accepted(std::move(frame), AutonatV2DialBack{pb.nonce()});
}

AutonatFrame<AutonatV2DialBackResponse> decodeAutonatV2DialBackResponseFrame(ByteView buffer) {
    constexpr const char* what = "autonat v2 dial-back response";
    AutonatFrame<AutonatV2DialBackResponse> frame;
    v2::DialBackResponse pb;
    if (!parseFrame(buffer, what, autonatV2MaxMessageSize, pb, frame))
        return frame;
    if (pb.status() != v2::DialBackResponse::OK)
        return malformed(frame, what,
                         "status " + std::to_string(pb.status()) +
                             " is not a status the spec lists");
    return accepted(std::move(frame), AutonatV2DialBackResponse{});
}

} // namespace peerscope
