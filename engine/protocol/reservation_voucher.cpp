#include "engine/protocol/reservation_voucher.h"

#include "circuit.pb.h"
#include "engine/protocol/signed_envelope.h"

#include <algorithm>
#include <climits>

namespace peerscope {

namespace {

std::string asString(const Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

ByteView asView(const std::string& text) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

} // namespace

Bytes ReservationVoucher::encodePayload() const {
    wire::ReservationVoucher pb;
    pb.set_relay(asString(relay.bytes()));
    pb.set_peer(asString(peer.bytes()));
    pb.set_expiration(expiration);
    const std::string serialized = pb.SerializeAsString();
    return Bytes(serialized.begin(), serialized.end());
}

Result<ReservationVoucher> ReservationVoucher::decodePayload(ByteView payload) {
    if (payload.size() > static_cast<std::size_t>(INT_MAX))
        return makeError("reservation voucher: payload too large");
    wire::ReservationVoucher pb;
    if (!pb.ParsePartialFromArray(payload.data(), static_cast<int>(payload.size())))
        return makeError("reservation voucher: malformed payload protobuf");
    // The lite runtime cannot name a missing required field, so each is checked here.
    if (!pb.has_relay())
        return makeError("reservation voucher: missing relay");
    if (!pb.has_peer())
        return makeError("reservation voucher: missing peer");
    if (!pb.has_expiration())
        return makeError("reservation voucher: missing expiration");
    Result<PeerId> relay = PeerId::fromBytes(asView(pb.relay()));
    if (!relay)
        return makeError("reservation voucher: bad relay id: " + relay.errorMessage());
    Result<PeerId> peer = PeerId::fromBytes(asView(pb.peer()));
    if (!peer)
        return makeError("reservation voucher: bad peer id: " + peer.errorMessage());
    return ReservationVoucher{*relay, *peer, pb.expiration()};
}

Bytes ReservationVoucher::make(const PrivateKey& relayKey, const PeerId& peer,
                               std::uint64_t expiration) {
    const ReservationVoucher voucher{PeerId::fromPublicKey(relayKey.publicKey()), peer, expiration};
    // The domain is a non-empty constant, so sealing cannot fail.
    return SignedEnvelope::seal(relayKey, domain, payloadType, voucher.encodePayload()).value();
}

Result<ReservationVoucher> ReservationVoucher::verify(ByteView envelope,
                                                      const PeerId& expectedRelay,
                                                      const PeerId& self,
                                                      std::uint64_t nowUnixSeconds) {
    Result<OpenedEnvelope> opened = SignedEnvelope::open(envelope, domain);
    if (!opened)
        return makeError("reservation voucher: " + opened.errorMessage());
    if (!std::ranges::equal(opened->payloadType, payloadType))
        return makeError("reservation voucher: payload type " + toHex(opened->payloadType) +
                         ", expected 0302");
    Result<ReservationVoucher> voucher = decodePayload(opened->payload);
    if (!voucher)
        return voucher;
    if (voucher->relay != opened->signerId)
        return makeError("reservation voucher: names relay " + voucher->relay.toBase58() +
                         " but is signed by " + opened->signerId.toBase58());
    if (voucher->relay != expectedRelay)
        return makeError("reservation voucher: from relay " + voucher->relay.toBase58() +
                         ", expected " + expectedRelay.toBase58());
    if (voucher->peer != self)
        return makeError("reservation voucher: for peer " + voucher->peer.toBase58() +
                         ", not for us (" + self.toBase58() + ")");
    if (voucher->expiration <= nowUnixSeconds)
        return makeError("reservation voucher: expired at " + std::to_string(voucher->expiration) +
                         " (now " + std::to_string(nowUnixSeconds) + ")");
    return voucher;
}

} // namespace peerscope
