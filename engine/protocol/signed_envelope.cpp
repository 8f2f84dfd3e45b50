#include "engine/protocol/signed_envelope.h"

#include "engine/core/varint.h"
#include "envelope.pb.h"

namespace peerscope {

namespace {

std::string asString(ByteView bytes) {
    return std::string(bytes.begin(), bytes.end());
}

ByteView asView(const std::string& text) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

} // namespace

Bytes SignedEnvelope::signedData(std::string_view domain, ByteView payloadType, ByteView payload) {
    Bytes out;
    out.reserve(domain.size() + payloadType.size() + payload.size() + 3 * varint::maxLength);
    varint::append(out, domain.size());
    out.insert(out.end(), domain.begin(), domain.end());
    varint::append(out, payloadType.size());
    append(out, payloadType);
    varint::append(out, payload.size());
    append(out, payload);
    return out;
}

Result<Bytes> SignedEnvelope::seal(const PrivateKey& key, std::string_view domain,
                                   ByteView payloadType, ByteView payload) {
    if (domain.empty())
        return makeError("signed envelope: the domain must not be empty");
    wire::Envelope pb;
    pb.set_public_key(asString(key.publicKey().toProtobuf()));
    pb.set_payload_type(asString(payloadType));
    pb.set_payload(asString(payload));
    pb.set_signature(asString(key.sign(signedData(domain, payloadType, payload))));
    const std::string serialized = pb.SerializeAsString();
    return Bytes(serialized.begin(), serialized.end());
}

Result<OpenedEnvelope> SignedEnvelope::open(ByteView envelope, std::string_view expectedDomain) {
    if (expectedDomain.empty())
        return makeError("signed envelope: the expected domain must not be empty");
    if (envelope.empty())
        return makeError("signed envelope: empty input");
    if (envelope.size() > maxSize)
        return makeError("signed envelope: " + std::to_string(envelope.size()) +
                         " bytes exceeds the limit of " + std::to_string(maxSize));
    wire::Envelope pb;
    if (!pb.ParseFromArray(envelope.data(), static_cast<int>(envelope.size())))
        return makeError("signed envelope: malformed protobuf (" + std::to_string(envelope.size()) +
                         " bytes)");
    if (!pb.has_public_key() || pb.public_key().empty())
        return makeError("signed envelope: no public key");
    if (!pb.has_payload_type() || pb.payload_type().empty())
        return makeError("signed envelope: no payload type");
    if (!pb.has_signature() || pb.signature().empty())
        return makeError("signed envelope: no signature");
    // An absent payload is an empty one: proto3 writers (js) leave empty fields out.

    Result<PublicKey> key = PublicKey::fromProtobuf(asView(pb.public_key()));
    if (!key)
        return makeError("signed envelope: bad public key: " + key.errorMessage());
    const ByteView payloadType = asView(pb.payload_type());
    const ByteView payload = asView(pb.payload());
    if (!key->verify(signedData(expectedDomain, payloadType, payload), asView(pb.signature())))
        return makeError("signed envelope: the signature does not verify for domain \"" +
                         std::string(expectedDomain) + "\"");

    OpenedEnvelope opened;
    opened.signerId = PeerId::fromPublicKey(*key);
    opened.signer = std::move(key).value();
    opened.payloadType = Bytes(payloadType.begin(), payloadType.end());
    opened.payload = Bytes(payload.begin(), payload.end());
    return opened;
}

} // namespace peerscope
