#pragma once

#include "engine/core/bytes.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace peerscope {

// AutoNAT v1 and v2 messages (libp2p/specs autonat/autonat-v1.md, autonat-v2.md), framed with a
// uvarint length prefix as sent on the stream.

inline constexpr const char* autonatV1ProtocolId = "/libp2p/autonat/1.0.0";
inline constexpr const char* autonatV2DialRequestProtocolId = "/libp2p/autonat/2/dial-request";
inline constexpr const char* autonatV2DialBackProtocolId = "/libp2p/autonat/2/dial-back";

// A v1 message is a peer id and a handful of addresses (or one address and a status text):
// 4 KiB, go-libp2p's limit, is plenty and keeps a hostile peer from making us buffer more.
inline constexpr std::size_t autonatV1MaxMessageSize = 4096;
// A v2 frame must hold a DialDataResponse with a full 4096-byte data chunk plus its few bytes
// of protobuf, and a DialRequest with a few dozen addresses: 8 KiB.
inline constexpr std::size_t autonatV2MaxMessageSize = 8192;
// The spec caps the data field of one DialDataResponse at 4096 bytes.
inline constexpr std::size_t autonatV2MaxDialDataChunk = 4096;

// ---- v1 ----

enum class AutonatV1Status : std::uint32_t {
    Ok = 0,
    DialError = 100,
    DialRefused = 101,
    BadRequest = 200,
    InternalError = 300,
};

const char* autonatV1StatusName(AutonatV1Status status); // "OK", "E_DIAL_ERROR", ...

// Message{type DIAL, dial{peer{id, addrs}}}. Addresses that do not decode as a multiaddr are
// skipped and counted: the server cannot dial them, and the rest of the request still holds.
struct AutonatV1Dial {
    PeerId peer;
    std::vector<Multiaddr> addrs;
    std::size_t skippedAddrs = 0;

    friend bool operator==(const AutonatV1Dial&, const AutonatV1Dial&) = default;
};

// Message{type DIAL_RESPONSE, dialResponse{status, statusText, addr}}.
struct AutonatV1DialResponse {
    AutonatV1Status status = AutonatV1Status::InternalError;
    std::string statusText;
    std::optional<Multiaddr> addr; // the address the server reached, on OK

    friend bool operator==(const AutonatV1DialResponse&, const AutonatV1DialResponse&) = default;
};

using AutonatV1Message = std::variant<AutonatV1Dial, AutonatV1DialResponse>;

Bytes encodeAutonatV1(const AutonatV1Message& message);      // protobuf
Bytes encodeAutonatV1Frame(const AutonatV1Message& message); // length prefix + protobuf

// ---- v2 ----

// DialResponse.status.
enum class AutonatV2ResponseStatus : std::uint32_t {
    InternalError = 0,
    RequestRejected = 100,
    DialRefused = 101,
    Ok = 200,
};

// DialResponse.dialStatus: what happened to the one address the server picked.
enum class AutonatV2DialStatus : std::uint32_t {
    Unused = 0,
    DialError = 100,
    DialBackError = 101,
    Ok = 200,
};

const char* autonatV2ResponseStatusName(AutonatV2ResponseStatus status);
const char* autonatV2DialStatusName(AutonatV2DialStatus status);

// Addresses stay in wire form: addrIdx counts positions in this list, including addresses we
// cannot decode.
struct AutonatV2DialRequest {
    std::vector<Bytes> addrs;
    std::uint64_t nonce = 0;

    friend bool operator==(const AutonatV2DialRequest&, const AutonatV2DialRequest&) = default;
};

struct AutonatV2DialResponse {
    AutonatV2ResponseStatus status = AutonatV2ResponseStatus::InternalError;
    std::uint32_t addrIdx = 0;
    AutonatV2DialStatus dialStatus = AutonatV2DialStatus::Unused;

    friend bool operator==(const AutonatV2DialResponse&, const AutonatV2DialResponse&) = default;
};

struct AutonatV2DialDataRequest {
    std::uint32_t addrIdx = 0;
    std::uint64_t numBytes = 0;

    friend bool operator==(const AutonatV2DialDataRequest&,
                           const AutonatV2DialDataRequest&) = default;
};

struct AutonatV2DialDataResponse {
    Bytes data;

    friend bool operator==(const AutonatV2DialDataResponse&,
                           const AutonatV2DialDataResponse&) = default;
};

// One Message of /libp2p/autonat/2/dial-request: exactly one of the oneof.
using AutonatV2Message = std::variant<AutonatV2DialRequest, AutonatV2DialResponse,
                                      AutonatV2DialDataRequest, AutonatV2DialDataResponse>;

// /libp2p/autonat/2/dial-back: the server sends DialBack, the client answers DialBackResponse
// (whose only status is OK).
struct AutonatV2DialBack {
    std::uint64_t nonce = 0;

    friend bool operator==(const AutonatV2DialBack&, const AutonatV2DialBack&) = default;
};

struct AutonatV2DialBackResponse {
    friend bool operator==(const AutonatV2DialBackResponse&,
                           const AutonatV2DialBackResponse&) = default;
};

Bytes encodeAutonatV2(const AutonatV2Message& message);
Bytes encodeAutonatV2Frame(const AutonatV2Message& message);
Bytes encodeAutonatV2Frame(const AutonatV2DialBack& message);
Bytes encodeAutonatV2Frame(const AutonatV2DialBackResponse& message);

// ---- decoding ----

enum class AutonatFrameStatus {
    Incomplete, // more bytes needed; nothing consumed
    Message,    // `message` holds it; `consumed` bytes were the frame
    Malformed,  // bad length prefix, oversize, bad protobuf, missing or unknown fields: the
                // stream is closed (v1 servers answer E_BAD_REQUEST first)
};

template <typename Message> struct AutonatFrame {
    AutonatFrameStatus status = AutonatFrameStatus::Incomplete;
    Message message{};
    std::size_t consumed = 0;
    std::string error; // for Malformed: names the message and the bad part
};

// Malformed: no or an unknown type; DIAL without dial.peer or a peer id that does not decode;
// DIAL_RESPONSE without dialResponse, without a status, with a status the spec does not list,
// or with an addr that does not decode.
AutonatFrame<AutonatV1Message> decodeAutonatV1Frame(ByteView buffer);

// Malformed: no message in the oneof, a DialRequest without addresses, a status or dialStatus
// the spec does not list, dial data over autonatV2MaxDialDataChunk.
AutonatFrame<AutonatV2Message> decodeAutonatV2Frame(ByteView buffer);
AutonatFrame<AutonatV2DialBack> decodeAutonatV2DialBackFrame(ByteView buffer);
// Malformed: a status other than OK.
AutonatFrame<AutonatV2DialBackResponse> decodeAutonatV2DialBackResponseFrame(ByteView buffer);

} // namespace peerscope
