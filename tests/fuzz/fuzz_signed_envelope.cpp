// libFuzzer target for signed envelopes and reservation vouchers from peers: any bytes either
// fail to open or open consistently; voucher payloads that decode re-encode to themselves.
#include "engine/protocol/reservation_voucher.h"
#include "engine/protocol/signed_envelope.h"

#include <cstddef>
#include <cstdint>

using namespace peerscope;

namespace {

void check(bool condition) {
    if (!condition)
        __builtin_trap();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const PrivateKey relayKey = PrivateKey::fromEd25519Seed(Bytes(32, 0x01)).value();
    static const PeerId relay = PeerId::fromPublicKey(relayKey.publicKey());
    static const PeerId self =
        PeerId::fromPublicKey(PrivateKey::fromEd25519Seed(Bytes(32, 0x02)).value().publicKey());
    const ByteView input(data, size);

    Result<OpenedEnvelope> opened = SignedEnvelope::open(input, ReservationVoucher::domain);
    if (opened) {
        check(opened->signerId == PeerId::fromPublicKey(opened->signer));
        check(!opened->payloadType.empty());
    } else {
        check(!opened.errorMessage().empty());
    }

    Result<ReservationVoucher> voucher =
        ReservationVoucher::verify(input, relay, self, 1'800'000'000);
    if (voucher) {
        // Only the relay's key can have signed it: fuzzing must never forge one.
        check(opened.ok());
        check(opened->signerId == relay);
        check(voucher->peer == self);
    }

    Result<ReservationVoucher> payload = ReservationVoucher::decodePayload(input);
    if (payload) {
        Result<ReservationVoucher> again =
            ReservationVoucher::decodePayload(payload->encodePayload());
        check(again.ok());
        check(*again == *payload);
    }
    return 0;
}
