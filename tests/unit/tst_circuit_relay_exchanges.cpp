#include "engine/protocol/hop_client_exchange.h"
#include "engine/protocol/hop_server_exchange.h"
#include "engine/protocol/stop_client_exchange.h"
#include "engine/protocol/stop_server_exchange.h"

#include <QtTest>
#include <string>

namespace QTest {
template <> inline char* toString(const peerscope::Bytes& bytes) {
    return qstrdup(peerscope::toHex(bytes).c_str());
}
} // namespace QTest

using namespace peerscope;

Q_DECLARE_METATYPE(peerscope::RelayStatus)

namespace {

constexpr std::uint64_t now = 1'800'000'000;

PrivateKey keyFromByte(std::uint8_t fill) {
    return PrivateKey::fromEd25519Seed(Bytes(32, fill)).value();
}

PeerId idOf(const PrivateKey& key) {
    return PeerId::fromPublicKey(key.publicKey());
}

Multiaddr addr(const char* text) {
    return Multiaddr::parse(text).value();
}

Bytes concat(Bytes a, const Bytes& b) {
    append(a, b);
    return a;
}

template <typename Variant> std::string describe(const Variant& outcome) {
    return "variant index " + std::to_string(outcome.index());
}

void addRefusalCodes() {
    QTest::addColumn<RelayStatus>("status");
    QTest::newRow("RESERVATION_REFUSED") << RelayStatus::ReservationRefused;
    QTest::newRow("RESOURCE_LIMIT_EXCEEDED") << RelayStatus::ResourceLimitExceeded;
    QTest::newRow("PERMISSION_DENIED") << RelayStatus::PermissionDenied;
    QTest::newRow("CONNECTION_FAILED") << RelayStatus::ConnectionFailed;
    QTest::newRow("NO_RESERVATION") << RelayStatus::NoReservation;
    QTest::newRow("MALFORMED_MESSAGE") << RelayStatus::MalformedMessage;
    QTest::newRow("UNEXPECTED_MESSAGE") << RelayStatus::UnexpectedMessage;
}

} // namespace

class TestCircuitRelayExchanges final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reserveRoundTrip();
    void reserveOneByteAtATime();
    void reserveVoucherProblemsAreReported_data();
    void reserveVoucherProblemsAreReported();
    void reserveBadResponses_data();
    void reserveBadResponses();
    void hopRefusals_data();
    void hopRefusals();
    void connectHandsOverLeftoverBytes();
    void hopClientRejectsBadInput_data();
    void hopClientRejectsBadInput();
    void hopServerRequests_data();
    void hopServerRequests();
    void hopServerWaitsForWholeRequest();

    void stopRoundTripWithLeftover();
    void stopRefusals_data();
    void stopRefusals();
    void stopClientRejectsBadInput_data();
    void stopClientRejectsBadInput();
    void stopServerRequests_data();
    void stopServerRequests();
};

void TestCircuitRelayExchanges::reserveRoundTrip() {
    const PrivateKey relayKey = keyFromByte(1);
    const PeerId self = idOf(keyFromByte(2));
    HopClientExchange client(self, idOf(relayKey));
    HopServerExchange server;

    const Bytes request = client.reserve(now);
    QVERIFY(!client.finished());
    auto received = server.feed(request);
    QVERIFY(received.has_value());
    QVERIFY(std::holds_alternative<HopServerExchange::ReserveRequest>(*received));
    QVERIFY(server.finished());
    QVERIFY(server.takeLeftover().empty());

    const ReservationInfo info{
        now + 3600,
        {addr("/ip4/203.0.113.5/tcp/4001"), addr("/ip4/203.0.113.5/udp/4001/quic-v1")},
        0,
        ReservationVoucher::make(relayKey, self, now + 3600)};
    const RelayLimit limit{120, 131072};
    auto outcome = client.feed(HopServerExchange::reservationAccepted(info, limit));
    QVERIFY(outcome.has_value());
    auto* reserved = std::get_if<HopClientExchange::Reserved>(&*outcome);
    QVERIFY2(reserved, describe(*outcome).c_str());
    QCOMPARE(reserved->expire, now + 3600);
    QVERIFY(reserved->addrs == info.addrs);
    QCOMPARE(reserved->skippedAddrs, std::size_t{0});
    QVERIFY2(reserved->voucher.has_value(), reserved->voucherError.c_str());
    QVERIFY(reserved->voucher->relay == idOf(relayKey));
    QVERIFY(reserved->voucher->peer == self);
    QCOMPARE(reserved->voucher->expiration, now + 3600);
    QVERIFY(reserved->limit == limit);
    QVERIFY(client.finished());
    // The outcome comes once.
    QVERIFY(!client.feed(Bytes{}).has_value());
}

void TestCircuitRelayExchanges::reserveOneByteAtATime() {
    const PrivateKey relayKey = keyFromByte(1);
    const PeerId self = idOf(keyFromByte(2));
    HopClientExchange client(self, idOf(relayKey));
    HopServerExchange server;

    const Bytes request = client.reserve(now);
    for (std::size_t i = 0; i + 1 < request.size(); ++i)
        QVERIFY(!server.feed(ByteView(request).subspan(i, 1)).has_value());
    QVERIFY(server.feed(ByteView(request).last(1)).has_value());

    const Bytes response = HopServerExchange::reservationAccepted(
        ReservationInfo{now + 60, {}, 0, ReservationVoucher::make(relayKey, self, now + 60)},
        std::nullopt);
    for (std::size_t i = 0; i + 1 < response.size(); ++i)
        QVERIFY(!client.feed(ByteView(response).subspan(i, 1)).has_value());
    auto outcome = client.feed(ByteView(response).last(1));
    QVERIFY(outcome.has_value());
    auto* reserved = std::get_if<HopClientExchange::Reserved>(&*outcome);
    QVERIFY(reserved);
    QVERIFY(reserved->voucher.has_value());
    QVERIFY(!reserved->limit.has_value());
}

void TestCircuitRelayExchanges::reserveVoucherProblemsAreReported_data() {
    QTest::addColumn<std::optional<Bytes>>("voucher");
    QTest::addColumn<QString>("error");
    const PrivateKey relayKey = keyFromByte(1);
    const PeerId self = idOf(keyFromByte(2));
    QTest::newRow("none") << std::optional<Bytes>() << "no voucher";
    QTest::newRow("for another peer")
        << std::optional<Bytes>(ReservationVoucher::make(relayKey, idOf(keyFromByte(3)), now + 60))
        << "not for us";
    QTest::newRow("signed by another relay")
        << std::optional<Bytes>(ReservationVoucher::make(keyFromByte(4), self, now + 60))
        << "expected";
    QTest::newRow("expired") << std::optional<Bytes>(ReservationVoucher::make(relayKey, self, now))
                             << "expired";
    QTest::newRow("garbage") << std::optional<Bytes>(Bytes{0xff, 0x00}) << "malformed";
}

void TestCircuitRelayExchanges::reserveVoucherProblemsAreReported() {
    QFETCH(std::optional<Bytes>, voucher);
    QFETCH(QString, error);
    const PrivateKey relayKey = keyFromByte(1);
    HopClientExchange client(idOf(keyFromByte(2)), idOf(relayKey));
    (void)client.reserve(now);
    auto outcome = client.feed(HopServerExchange::reservationAccepted(
        ReservationInfo{now + 60, {}, 0, voucher}, std::nullopt));
    QVERIFY(outcome.has_value());
    // Vouchers are advisory: the reservation stands, the problem is reported.
    auto* reserved = std::get_if<HopClientExchange::Reserved>(&*outcome);
    QVERIFY2(reserved, describe(*outcome).c_str());
    QVERIFY(!reserved->voucher.has_value());
    QVERIFY2(reserved->voucherError.find(error.toStdString()) != std::string::npos,
             reserved->voucherError.c_str());
}

void TestCircuitRelayExchanges::reserveBadResponses_data() {
    QTest::addColumn<Bytes>("response");
    QTest::addColumn<QString>("error");
    RelayHopMessage noReservation;
    noReservation.type = RelayHopMessage::Type::Status;
    noReservation.status = RelayStatus::Ok;
    QTest::newRow("OK without reservation")
        << noReservation.encodeFrame() << "without a reservation";
    RelayHopMessage noExpiry = noReservation;
    noExpiry.reservation = ReservationInfo{};
    QTest::newRow("reservation without expiry") << noExpiry.encodeFrame() << "without an expiry";
    RelayHopMessage expired = noReservation;
    expired.reservation = ReservationInfo{now, {}, 0, std::nullopt};
    QTest::newRow("reservation already expired") << expired.encodeFrame() << "expired";
    RelayHopMessage noStatus;
    noStatus.type = RelayHopMessage::Type::Status;
    QTest::newRow("STATUS without status") << noStatus.encodeFrame() << "without a known status";
    QTest::newRow("unknown status code") << fromHex("050802"
                                                    "28e707")
                                         << "without a known status";
    RelayHopMessage connect;
    connect.type = RelayHopMessage::Type::Connect;
    connect.peer = RelayPeerInfo{idOf(keyFromByte(5)), {}, 0};
    QTest::newRow("CONNECT instead of STATUS") << connect.encodeFrame() << "expected STATUS";
    QTest::newRow("RESERVE instead of STATUS") << fromHex("020800") << "expected STATUS";
    QTest::newRow("unknown type") << fromHex("020809") << "unknown message type";
    QTest::newRow("garbage") << fromHex("03ffffff") << "malformed protobuf";
    QTest::newRow("oversize") << fromHex("ffff03") << "exceeds the limit";
}

void TestCircuitRelayExchanges::reserveBadResponses() {
    QFETCH(Bytes, response);
    QFETCH(QString, error);
    HopClientExchange client(idOf(keyFromByte(2)), idOf(keyFromByte(1)));
    (void)client.reserve(now);
    auto outcome = client.feed(concat(response, toBytes("trailing")));
    QVERIFY(outcome.has_value());
    auto* failed = std::get_if<HopClientExchange::Failed>(&*outcome);
    QVERIFY2(failed, describe(*outcome).c_str());
    QVERIFY2(failed->reason.find(error.toStdString()) != std::string::npos, failed->reason.c_str());
    QVERIFY(client.finished());
    // A failed stream hands nothing over.
    QVERIFY(client.takeLeftover().empty());
    QVERIFY(!client.feed(toBytes("more")).has_value());
    QVERIFY(client.takeLeftover().empty());
}

void TestCircuitRelayExchanges::hopRefusals_data() {
    addRefusalCodes();
}

void TestCircuitRelayExchanges::hopRefusals() {
    QFETCH(RelayStatus, status);
    for (bool reserve : {true, false}) {
        HopClientExchange client(idOf(keyFromByte(2)), idOf(keyFromByte(1)));
        (void)(reserve ? client.reserve(now) : client.connect(idOf(keyFromByte(3))));
        auto outcome = client.feed(HopServerExchange::status(status));
        QVERIFY(outcome.has_value());
        auto* refused = std::get_if<HopClientExchange::Refused>(&*outcome);
        QVERIFY2(refused, describe(*outcome).c_str());
        QCOMPARE(refused->status, status);
    }
}

void TestCircuitRelayExchanges::connectHandsOverLeftoverBytes() {
    const PeerId target = idOf(keyFromByte(3));
    HopClientExchange client(idOf(keyFromByte(2)), idOf(keyFromByte(1)));
    HopServerExchange server;

    // The initiator writes early: its first relayed bytes follow the CONNECT request.
    auto request = server.feed(concat(client.connect(target), toBytes("early")));
    QVERIFY(request.has_value());
    auto* connect = std::get_if<HopServerExchange::ConnectRequest>(&*request);
    QVERIFY(connect);
    QVERIFY(connect->target.id == target);
    QCOMPARE(server.takeLeftover(), toBytes("early"));
    QVERIFY(!server.feed(toBytes(" and later")).has_value());
    QCOMPARE(server.takeLeftover(), toBytes(" and later"));
    QVERIFY(server.takeLeftover().empty());

    const RelayLimit limit{120, std::nullopt};
    Bytes response = concat(HopServerExchange::connectAccepted(limit), toBytes("hello"));
    // Split inside the STATUS frame: nothing is decided until it is whole.
    QVERIFY(!client.feed(ByteView(response).first(3)).has_value());
    auto outcome = client.feed(ByteView(response).subspan(3));
    QVERIFY(outcome.has_value());
    auto* connected = std::get_if<HopClientExchange::Connected>(&*outcome);
    QVERIFY2(connected, describe(*outcome).c_str());
    QVERIFY(connected->limit == limit);
    QCOMPARE(client.takeLeftover(), toBytes("hello"));
    // Bytes fed after the outcome belong to the relayed connection too.
    QVERIFY(!client.feed(toBytes(" world")).has_value());
    QCOMPARE(client.takeLeftover(), toBytes(" world"));
}

void TestCircuitRelayExchanges::hopClientRejectsBadInput_data() {
    QTest::addColumn<Bytes>("input");
    QTest::newRow("empty") << Bytes{};
    QTest::newRow("a STATUS") << HopServerExchange::status(RelayStatus::Ok);
}

void TestCircuitRelayExchanges::hopClientRejectsBadInput() {
    // Bytes before any request are a protocol violation.
    QFETCH(Bytes, input);
    HopClientExchange client(idOf(keyFromByte(2)), idOf(keyFromByte(1)));
    auto outcome = client.feed(input);
    QVERIFY(outcome.has_value());
    QVERIFY(std::holds_alternative<HopClientExchange::Failed>(*outcome));
    QVERIFY(client.finished());
}

void TestCircuitRelayExchanges::hopServerRequests_data() {
    QTest::addColumn<Bytes>("input");
    QTest::addColumn<int>("kind"); // index in HopServerExchange::Request
    QTest::addColumn<QString>("reason");
    QTest::newRow("connect without peer") << fromHex("020801") << 2 << "without a peer";
    QTest::newRow("status") << HopServerExchange::status(RelayStatus::Ok) << 3
                            << "where a request was expected";
    QTest::newRow("unknown type") << fromHex("020803") << 3 << "unknown message type";
    QTest::newRow("garbage") << fromHex("03ffffff") << 2 << "malformed protobuf";
    QTest::newRow("no type") << fromHex("00") << 2 << "no message type";
    QTest::newRow("peer without id") << fromHex("0408011200") << 2 << "peer without an id";
    QTest::newRow("oversize length prefix") << fromHex("a0c001") << 2 << "exceeds the limit";
    QTest::newRow("bad length varint") << fromHex("80808080808080808080") << 2 << "length prefix";
}

void TestCircuitRelayExchanges::hopServerRequests() {
    QFETCH(Bytes, input);
    QFETCH(int, kind);
    QFETCH(QString, reason);
    HopServerExchange server;
    auto request = server.feed(input);
    QVERIFY(request.has_value());
    QCOMPARE(static_cast<int>(request->index()), kind);
    const std::string text = kind == 2
                                 ? std::get<HopServerExchange::MalformedRequest>(*request).reason
                                 : std::get<HopServerExchange::UnexpectedRequest>(*request).reason;
    QVERIFY2(text.find(reason.toStdString()) != std::string::npos, text.c_str());
    QVERIFY(server.finished());
    // A rejected stream is answered and closed: nothing is handed over.
    QVERIFY(!server.feed(toBytes("more")).has_value());
    QVERIFY(server.takeLeftover().empty());
    // The answer the caller then writes.
    const auto answer = decodeHopFrame(HopServerExchange::status(
        kind == 2 ? RelayStatus::MalformedMessage : RelayStatus::UnexpectedMessage));
    QCOMPARE(answer.status, RelayFrameStatus::Message);
    QVERIFY(answer.message.status ==
            (kind == 2 ? RelayStatus::MalformedMessage : RelayStatus::UnexpectedMessage));
}

void TestCircuitRelayExchanges::hopServerWaitsForWholeRequest() {
    HopServerExchange server;
    HopClientExchange client(idOf(keyFromByte(2)), idOf(keyFromByte(1)));
    const Bytes request = client.connect(idOf(keyFromByte(3)));
    QVERIFY(!server.feed(ByteView(request).first(request.size() - 1)).has_value());
    QVERIFY(!server.finished());
    QVERIFY(server.feed(ByteView(request).last(1)).has_value());
}

void TestCircuitRelayExchanges::stopRoundTripWithLeftover() {
    const RelayPeerInfo initiator{idOf(keyFromByte(6)), {addr("/ip4/198.51.100.7/tcp/4001")}, 0};
    const RelayLimit limit{120, 131072};
    StopClientExchange relay;
    StopServerExchange target;

    auto request = target.feed(relay.connect(initiator, limit));
    QVERIFY(request.has_value());
    auto* connect = std::get_if<StopServerExchange::ConnectRequest>(&*request);
    QVERIFY(connect);
    QVERIFY(connect->initiator == initiator);
    QVERIFY(connect->limit == limit);
    QVERIFY(target.takeLeftover().empty());
    QVERIFY(!target.feed(toBytes("from the initiator")).has_value());
    QCOMPARE(target.takeLeftover(), toBytes("from the initiator"));

    auto outcome = relay.feed(concat(StopServerExchange::accept(), toBytes("first")));
    QVERIFY(outcome.has_value());
    QVERIFY(std::holds_alternative<StopClientExchange::Connected>(*outcome));
    QCOMPARE(relay.takeLeftover(), toBytes("first"));
    QVERIFY(!relay.feed(toBytes("second")).has_value());
    QCOMPARE(relay.takeLeftover(), toBytes("second"));
    QVERIFY(relay.finished());
}

void TestCircuitRelayExchanges::stopRefusals_data() {
    addRefusalCodes();
}

void TestCircuitRelayExchanges::stopRefusals() {
    QFETCH(RelayStatus, status);
    StopClientExchange relay;
    (void)relay.connect(RelayPeerInfo{idOf(keyFromByte(6)), {}, 0}, std::nullopt);
    auto outcome = relay.feed(StopServerExchange::status(status));
    QVERIFY(outcome.has_value());
    auto* refused = std::get_if<StopClientExchange::Refused>(&*outcome);
    QVERIFY2(refused, describe(*outcome).c_str());
    QCOMPARE(refused->status, status);
}

void TestCircuitRelayExchanges::stopClientRejectsBadInput_data() {
    QTest::addColumn<Bytes>("response");
    QTest::addColumn<QString>("error");
    QTest::addColumn<bool>("requested");
    StopClientExchange other;
    const Bytes connect = other.connect(RelayPeerInfo{idOf(keyFromByte(6)), {}, 0}, std::nullopt);
    QTest::newRow("CONNECT instead of STATUS") << connect << "expected STATUS" << true;
    QTest::newRow("STATUS without status") << fromHex("020801") << "without a known status" << true;
    QTest::newRow("unknown type") << fromHex("020807") << "unknown message type" << true;
    QTest::newRow("garbage") << fromHex("02ffff") << "malformed protobuf" << true;
    QTest::newRow("oversize") << fromHex("808001") << "exceeds the limit" << true;
    QTest::newRow("before the request")
        << StopServerExchange::accept() << "before our request" << false;
}

void TestCircuitRelayExchanges::stopClientRejectsBadInput() {
    QFETCH(Bytes, response);
    QFETCH(QString, error);
    QFETCH(bool, requested);
    StopClientExchange relay;
    if (requested)
        (void)relay.connect(RelayPeerInfo{idOf(keyFromByte(6)), {}, 0}, std::nullopt);
    auto outcome = relay.feed(response);
    QVERIFY(outcome.has_value());
    auto* failed = std::get_if<StopClientExchange::Failed>(&*outcome);
    QVERIFY2(failed, describe(*outcome).c_str());
    QVERIFY2(failed->reason.find(error.toStdString()) != std::string::npos, failed->reason.c_str());
    QVERIFY(relay.finished());
    QVERIFY(!relay.feed(toBytes("more")).has_value());
    QVERIFY(relay.takeLeftover().empty());
}

void TestCircuitRelayExchanges::stopServerRequests_data() {
    QTest::addColumn<Bytes>("input");
    QTest::addColumn<int>("kind"); // index in StopServerExchange::Request
    QTest::addColumn<QString>("reason");
    QTest::newRow("connect without peer") << fromHex("020800") << 1 << "without the initiator";
    QTest::newRow("status") << StopServerExchange::accept() << 2 << "where CONNECT was expected";
    QTest::newRow("unknown type") << fromHex("020805") << 2 << "unknown message type";
    QTest::newRow("garbage") << fromHex("02ffff") << 1 << "malformed protobuf";
    QTest::newRow("peer id not a multihash") << fromHex("08080012040a027878") << 1 << "peer id";
    QTest::newRow("oversize") << fromHex("ffff7f") << 1 << "exceeds the limit";
}

void TestCircuitRelayExchanges::stopServerRequests() {
    QFETCH(Bytes, input);
    QFETCH(int, kind);
    QFETCH(QString, reason);
    StopServerExchange target;
    auto request = target.feed(input);
    QVERIFY(request.has_value());
    QCOMPARE(static_cast<int>(request->index()), kind);
    const std::string text = kind == 1
                                 ? std::get<StopServerExchange::MalformedRequest>(*request).reason
                                 : std::get<StopServerExchange::UnexpectedRequest>(*request).reason;
    QVERIFY2(text.find(reason.toStdString()) != std::string::npos, text.c_str());
    QVERIFY(target.finished());
    QVERIFY(!target.feed(toBytes("more")).has_value());
    QVERIFY(target.takeLeftover().empty());
}

QTEST_GUILESS_MAIN(TestCircuitRelayExchanges)
#include "tst_circuit_relay_exchanges.moc"
