#include "engine/protocol/reservation_voucher.h"
#include "engine/protocol/signed_envelope.h"
#include "envelope.pb.h"

#include <QtTest>
#include <string>

namespace QTest {
template <> inline char* toString(const peerscope::Bytes& bytes) {
    return qstrdup(peerscope::toHex(bytes).c_str());
}
} // namespace QTest

using namespace peerscope;

namespace {

PrivateKey keyFromByte(std::uint8_t fill) {
    return PrivateKey::fromEd25519Seed(Bytes(32, fill)).value();
}

PeerId idOf(const PrivateKey& key) {
    return PeerId::fromPublicKey(key.publicKey());
}

Bytes serialize(const wire::Envelope& pb) {
    const std::string text = pb.SerializeAsString();
    return Bytes(text.begin(), text.end());
}

std::string asString(const Bytes& bytes) {
    return std::string(bytes.begin(), bytes.end());
}

// A well-formed envelope protobuf, for tests that break one field of it.
wire::Envelope validEnvelope(const PrivateKey& key, std::string_view domain) {
    const Bytes type{0x03, 0x02};
    const Bytes payload = toBytes("payload");
    wire::Envelope pb;
    pb.set_public_key(asString(key.publicKey().toProtobuf()));
    pb.set_payload_type(asString(type));
    pb.set_payload(asString(payload));
    pb.set_signature(asString(key.sign(SignedEnvelope::signedData(domain, type, payload))));
    return pb;
}

constexpr std::uint64_t now = 1'800'000'000;

// A length-delimited protobuf field (lengths under 128).
void appendField(Bytes& out, std::uint8_t key, const Bytes& value) {
    out.reserve(out.size() + 2 + value.size());
    out.push_back(key);
    out.push_back(static_cast<std::uint8_t>(value.size()));
    append(out, value);
}

} // namespace

class TestSignedEnvelope final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void signedDataLayout();
    void sealOpenRoundTrip();
    void sealRefusesEmptyDomain();
    void openRejectsWrongDomain();
    void openRejectsTampering_data();
    void openRejectsTampering();
    void openRejectsBadInput_data();
    void openRejectsBadInput();
    void emptyPayloadIsAllowed();

    void voucherPayloadWireBytes();
    void voucherRoundTrip();
    void voucherRejects_data();
    void voucherRejects();
    void voucherPayloadRejectsGarbage_data();
    void voucherPayloadRejectsGarbage();
};

void TestSignedEnvelope::signedDataLayout() {
    // uvarint(len) || domain || uvarint(len) || type || uvarint(len) || payload
    const Bytes data = SignedEnvelope::signedData("ab", Bytes{0x03, 0x02}, Bytes{0xaa});
    QCOMPARE(data, fromHex("02616202030201aa"));
    // A 200-byte payload takes a two-byte length.
    const Bytes longer = SignedEnvelope::signedData("d", Bytes{0x01}, Bytes(200, 0x55));
    QCOMPARE(Bytes(longer.begin(), longer.begin() + 6), fromHex("01640101c801"));
}

void TestSignedEnvelope::sealOpenRoundTrip() {
    const PrivateKey key = keyFromByte(0x11);
    const Bytes type{0x03, 0x01};
    const Bytes payload = toBytes("a routing record");
    Result<Bytes> sealed = SignedEnvelope::seal(key, "libp2p-routing-state", type, payload);
    QVERIFY(sealed.ok());
    Result<OpenedEnvelope> opened = SignedEnvelope::open(*sealed, "libp2p-routing-state");
    QVERIFY2(opened.ok(), opened.ok() ? "" : opened.errorMessage().c_str());
    QCOMPARE(opened->payloadType, type);
    QCOMPARE(opened->payload, payload);
    QVERIFY(opened->signer == key.publicKey());
    QVERIFY(opened->signerId == idOf(key));
    // Ed25519 signatures are deterministic, so sealing is too.
    QCOMPARE(SignedEnvelope::seal(key, "libp2p-routing-state", type, payload).value(), *sealed);
}

void TestSignedEnvelope::sealRefusesEmptyDomain() {
    Result<Bytes> sealed = SignedEnvelope::seal(keyFromByte(1), "", Bytes{1}, Bytes{2});
    QVERIFY(!sealed.ok());
    QVERIFY(sealed.errorMessage().find("domain") != std::string::npos);
    Result<OpenedEnvelope> opened = SignedEnvelope::open(Bytes{0x0a}, "");
    QVERIFY(!opened.ok());
    QVERIFY(opened.errorMessage().find("domain") != std::string::npos);
}

void TestSignedEnvelope::openRejectsWrongDomain() {
    const Bytes sealed =
        SignedEnvelope::seal(keyFromByte(2), "libp2p-routing-state", Bytes{1}, Bytes{2}).value();
    Result<OpenedEnvelope> opened = SignedEnvelope::open(sealed, "libp2p-relay-rsvp");
    QVERIFY(!opened.ok());
    QVERIFY2(opened.errorMessage().find("libp2p-relay-rsvp") != std::string::npos,
             opened.errorMessage().c_str());
}

void TestSignedEnvelope::openRejectsTampering_data() {
    QTest::addColumn<int>("field");
    QTest::newRow("payload") << 3;
    QTest::newRow("payload type") << 2;
    QTest::newRow("signature") << 5;
    QTest::newRow("public key of another peer") << 1;
}

void TestSignedEnvelope::openRejectsTampering() {
    QFETCH(int, field);
    wire::Envelope pb = validEnvelope(keyFromByte(3), "test-domain");
    QVERIFY(SignedEnvelope::open(serialize(pb), "test-domain").ok());
    switch (field) {
    case 1:
        pb.set_public_key(asString(keyFromByte(4).publicKey().toProtobuf()));
        break;
    case 2:
        pb.set_payload_type("\x03\x03");
        break;
    case 3:
        pb.mutable_payload()->back() ^= 1;
        break;
    case 5:
        pb.mutable_signature()->front() ^= 1;
        break;
    }
    Result<OpenedEnvelope> opened = SignedEnvelope::open(serialize(pb), "test-domain");
    QVERIFY(!opened.ok());
    QVERIFY2(opened.errorMessage().find("signature does not verify") != std::string::npos,
             opened.errorMessage().c_str());
}

void TestSignedEnvelope::openRejectsBadInput_data() {
    QTest::addColumn<Bytes>("input");
    QTest::addColumn<QString>("expected");

    const PrivateKey key = keyFromByte(5);
    QTest::newRow("empty") << Bytes{} << "empty input";
    QTest::newRow("garbage") << fromHex("ffffffff") << "malformed protobuf";
    QTest::newRow("truncated field") << fromHex("0a0501") << "malformed protobuf";
    QTest::newRow("oversize") << Bytes(SignedEnvelope::maxSize + 1, 0) << "exceeds the limit";

    wire::Envelope noKey = validEnvelope(key, "test-domain");
    noKey.clear_public_key();
    QTest::newRow("no public key") << serialize(noKey) << "no public key";
    wire::Envelope noType = validEnvelope(key, "test-domain");
    noType.clear_payload_type();
    QTest::newRow("no payload type") << serialize(noType) << "no payload type";
    wire::Envelope noSignature = validEnvelope(key, "test-domain");
    noSignature.clear_signature();
    QTest::newRow("no signature") << serialize(noSignature) << "no signature";
    wire::Envelope badKey = validEnvelope(key, "test-domain");
    badKey.set_public_key("\x08\x01\x12\x03"
                          "abc");
    QTest::newRow("bad public key") << serialize(badKey) << "bad public key";
    wire::Envelope notAKey = validEnvelope(key, "test-domain");
    notAKey.set_public_key("\xff\xff");
    QTest::newRow("public key not a protobuf") << serialize(notAKey) << "bad public key";
}

void TestSignedEnvelope::openRejectsBadInput() {
    QFETCH(Bytes, input);
    QFETCH(QString, expected);
    Result<OpenedEnvelope> opened = SignedEnvelope::open(input, "test-domain");
    QVERIFY(!opened.ok());
    QVERIFY2(opened.errorMessage().find(expected.toStdString()) != std::string::npos,
             opened.errorMessage().c_str());
}

void TestSignedEnvelope::emptyPayloadIsAllowed() {
    // proto3 writers leave an empty payload out entirely; it still verifies.
    const PrivateKey key = keyFromByte(6);
    wire::Envelope pb = validEnvelope(key, "test-domain");
    pb.clear_payload();
    pb.set_signature(
        asString(key.sign(SignedEnvelope::signedData("test-domain", Bytes{3, 2}, {}))));
    Result<OpenedEnvelope> opened = SignedEnvelope::open(serialize(pb), "test-domain");
    QVERIFY2(opened.ok(), opened.ok() ? "" : opened.errorMessage().c_str());
    QVERIFY(opened->payload.empty());
}

void TestSignedEnvelope::voucherPayloadWireBytes() {
    const PeerId relay = idOf(keyFromByte(7));
    const PeerId peer = idOf(keyFromByte(8));
    const ReservationVoucher voucher{relay, peer, 300};
    // Field order: relay (1), peer (2), expiration (3) as a varint.
    Bytes expected;
    appendField(expected, 0x0a, relay.bytes());
    appendField(expected, 0x12, peer.bytes());
    append(expected, fromHex("18ac02"));
    QCOMPARE(voucher.encodePayload(), expected);
    QVERIFY(ReservationVoucher::decodePayload(expected).value() == voucher);
}

void TestSignedEnvelope::voucherRoundTrip() {
    const PrivateKey relayKey = keyFromByte(9);
    const PeerId peer = idOf(keyFromByte(10));
    const Bytes envelope = ReservationVoucher::make(relayKey, peer, now + 3600);
    Result<ReservationVoucher> voucher =
        ReservationVoucher::verify(envelope, idOf(relayKey), peer, now);
    QVERIFY2(voucher.ok(), voucher.ok() ? "" : voucher.errorMessage().c_str());
    QVERIFY(voucher->relay == idOf(relayKey));
    QVERIFY(voucher->peer == peer);
    QCOMPARE(voucher->expiration, now + 3600);
    // The envelope carries the literal payload type bytes 03 02.
    Result<OpenedEnvelope> opened = SignedEnvelope::open(envelope, "libp2p-relay-rsvp");
    QVERIFY(opened.ok());
    QCOMPARE(opened->payloadType, fromHex("0302"));
}

void TestSignedEnvelope::voucherRejects_data() {
    QTest::addColumn<Bytes>("envelope");
    QTest::addColumn<QString>("expected");

    const PrivateKey relayKey = keyFromByte(9);
    const PrivateKey otherKey = keyFromByte(11);
    const PeerId relay = idOf(relayKey);
    const PeerId self = idOf(keyFromByte(10));
    const Bytes goodPayload = ReservationVoucher{relay, self, now + 60}.encodePayload();
    const Bytes type{0x03, 0x02};

    QTest::newRow("signed by another key")
        << SignedEnvelope::seal(otherKey, "libp2p-relay-rsvp", type, goodPayload).value()
        << "but is signed by";
    QTest::newRow("from another relay")
        << ReservationVoucher::make(otherKey, self, now + 60) << "expected";
    QTest::newRow("wrong domain")
        << SignedEnvelope::seal(relayKey, "libp2p-routing-state", type, goodPayload).value()
        << "signature does not verify";
    QTest::newRow("payload type as a varint")
        << SignedEnvelope::seal(relayKey, "libp2p-relay-rsvp", fromHex("8206"), goodPayload).value()
        << "payload type 8206";
    QTest::newRow("peer record payload type")
        << SignedEnvelope::seal(relayKey, "libp2p-relay-rsvp", fromHex("0301"), goodPayload).value()
        << "payload type 0301";
    QTest::newRow("expired") << ReservationVoucher::make(relayKey, self, now - 1) << "expired";
    QTest::newRow("expires now") << ReservationVoucher::make(relayKey, self, now) << "expired";
    QTest::newRow("for another peer")
        << ReservationVoucher::make(relayKey, idOf(otherKey), now + 60) << "not for us";
    QTest::newRow("garbage payload")
        << SignedEnvelope::seal(relayKey, "libp2p-relay-rsvp", type, fromHex("ffff")).value()
        << "malformed payload";
    QTest::newRow("not an envelope") << fromHex("0a0a0a") << "malformed protobuf";
}

void TestSignedEnvelope::voucherRejects() {
    QFETCH(Bytes, envelope);
    QFETCH(QString, expected);
    const PeerId relay = idOf(keyFromByte(9));
    const PeerId self = idOf(keyFromByte(10));
    Result<ReservationVoucher> voucher = ReservationVoucher::verify(envelope, relay, self, now);
    QVERIFY(!voucher.ok());
    QVERIFY2(voucher.errorMessage().find(expected.toStdString()) != std::string::npos,
             voucher.errorMessage().c_str());
}

void TestSignedEnvelope::voucherPayloadRejectsGarbage_data() {
    QTest::addColumn<Bytes>("payload");
    QTest::addColumn<QString>("expected");
    const PeerId id = idOf(keyFromByte(12));
    Bytes noExpiration;
    appendField(noExpiration, 0x0a, id.bytes());
    appendField(noExpiration, 0x12, id.bytes());
    QTest::newRow("missing expiration") << noExpiration << "missing expiration";
    QTest::newRow("empty") << Bytes{} << "missing";
    QTest::newRow("bad peer ids") << fromHex("0a02abcd1202abcd1801") << "bad relay id";
    QTest::newRow("truncated") << fromHex("0a05ab") << "malformed payload";
}

void TestSignedEnvelope::voucherPayloadRejectsGarbage() {
    QFETCH(Bytes, payload);
    QFETCH(QString, expected);
    Result<ReservationVoucher> voucher = ReservationVoucher::decodePayload(payload);
    QVERIFY(!voucher.ok());
    QVERIFY2(voucher.errorMessage().find(expected.toStdString()) != std::string::npos,
             voucher.errorMessage().c_str());
}

QTEST_GUILESS_MAIN(TestSignedEnvelope)
#include "tst_signed_envelope.moc"
