#include "engine/protocol/circuit_relay_messages.h"

#include <QtTest>
#include <string>

namespace QTest {
template <> inline char* toString(const peerscope::Bytes& bytes) {
    return qstrdup(peerscope::toHex(bytes).c_str());
}
} // namespace QTest

using namespace peerscope;

Q_DECLARE_METATYPE(peerscope::RelayStatus)
Q_DECLARE_METATYPE(peerscope::RelayFrameStatus)

namespace {

PeerId peerFromByte(std::uint8_t fill) {
    return PeerId::fromPublicKey(PrivateKey::fromEd25519Seed(Bytes(32, fill)).value().publicKey());
}

Multiaddr addr(const char* text) {
    return Multiaddr::parse(text).value();
}

const std::vector<RelayStatus> allStatuses{
    RelayStatus::Ok,
    RelayStatus::ReservationRefused,
    RelayStatus::ResourceLimitExceeded,
    RelayStatus::PermissionDenied,
    RelayStatus::ConnectionFailed,
    RelayStatus::NoReservation,
    RelayStatus::MalformedMessage,
    RelayStatus::UnexpectedMessage,
};

} // namespace

class TestCircuitRelayMessages final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void protocolIds();
    void knownWireBytes();
    void statusCodes_data();
    void statusCodes();
    void hopRoundTripAllFields();
    void stopRoundTripAllFields();
    void absentFieldsStayAbsent();
    void consumedStopsAtTheFrame();
    void truncatedFramesAreIncomplete();
    void sizeLimit();
    void undecodableAddressesAreSkipped();
    void unknownStatusReadsAsAbsent();
    void badHopFrames_data();
    void badHopFrames();
    void badStopFrames_data();
    void badStopFrames();
};

void TestCircuitRelayMessages::protocolIds() {
    QCOMPARE(std::string(circuitRelayHopProtocolId),
             std::string("/libp2p/circuit/relay/0.2.0/hop"));
    QCOMPARE(std::string(circuitRelayStopProtocolId),
             std::string("/libp2p/circuit/relay/0.2.0/stop"));
    QCOMPARE(circuitRelayMaxMessageSize, std::size_t{4096});
}

void TestCircuitRelayMessages::knownWireBytes() {
    RelayHopMessage reserve;
    reserve.type = RelayHopMessage::Type::Reserve;
    QCOMPARE(reserve.encodeFrame(), fromHex("020800"));

    RelayHopMessage ok;
    ok.type = RelayHopMessage::Type::Status;
    ok.status = RelayStatus::Ok;
    ok.limit = RelayLimit{120, 131072};
    // type 2, limit {duration 120, data 131072}, status 100 — fields in number order.
    QCOMPARE(ok.encodeFrame(), fromHex("0c"
                                       "0802"
                                       "2206087810808008"
                                       "2864"));

    RelayStopMessage refused;
    refused.type = RelayStopMessage::Type::Status;
    refused.status = RelayStatus::ConnectionFailed;
    QCOMPARE(refused.encodeFrame(), fromHex("05"
                                            "0801"
                                            "20cb01"));
}

void TestCircuitRelayMessages::statusCodes_data() {
    QTest::addColumn<RelayStatus>("status");
    QTest::addColumn<int>("wireValue");
    QTest::addColumn<QString>("name");
    QTest::newRow("OK") << RelayStatus::Ok << 100 << "OK";
    QTest::newRow("RESERVATION_REFUSED")
        << RelayStatus::ReservationRefused << 200 << "RESERVATION_REFUSED";
    QTest::newRow("RESOURCE_LIMIT_EXCEEDED")
        << RelayStatus::ResourceLimitExceeded << 201 << "RESOURCE_LIMIT_EXCEEDED";
    QTest::newRow("PERMISSION_DENIED")
        << RelayStatus::PermissionDenied << 202 << "PERMISSION_DENIED";
    QTest::newRow("CONNECTION_FAILED")
        << RelayStatus::ConnectionFailed << 203 << "CONNECTION_FAILED";
    QTest::newRow("NO_RESERVATION") << RelayStatus::NoReservation << 204 << "NO_RESERVATION";
    QTest::newRow("MALFORMED_MESSAGE")
        << RelayStatus::MalformedMessage << 400 << "MALFORMED_MESSAGE";
    QTest::newRow("UNEXPECTED_MESSAGE")
        << RelayStatus::UnexpectedMessage << 401 << "UNEXPECTED_MESSAGE";
}

void TestCircuitRelayMessages::statusCodes() {
    QFETCH(RelayStatus, status);
    QFETCH(int, wireValue);
    QFETCH(QString, name);
    QCOMPARE(static_cast<int>(status), wireValue);
    QCOMPARE(QString(relayStatusName(status)), name);

    RelayHopMessage hop;
    hop.type = RelayHopMessage::Type::Status;
    hop.status = status;
    const auto hopFrame = decodeHopFrame(hop.encodeFrame());
    QCOMPARE(hopFrame.status, RelayFrameStatus::Message);
    QVERIFY(hopFrame.message.status == status);

    RelayStopMessage stop;
    stop.type = RelayStopMessage::Type::Status;
    stop.status = status;
    const Bytes stopBytes = stop.encodeFrame();
    // The status is field 4 of a stop message, a two-byte varint for every code.
    Bytes statusField{0x20};
    append(statusField, Bytes{static_cast<std::uint8_t>(0x80 | (wireValue & 0x7f)),
                              static_cast<std::uint8_t>(wireValue >> 7)});
    if (wireValue < 128)
        statusField = Bytes{0x20, static_cast<std::uint8_t>(wireValue)};
    QVERIFY(std::search(stopBytes.begin(), stopBytes.end(), statusField.begin(),
                        statusField.end()) != stopBytes.end());
    const auto stopFrame = decodeStopFrame(stopBytes);
    QCOMPARE(stopFrame.status, RelayFrameStatus::Message);
    QVERIFY(stopFrame.message.status == status);
}

void TestCircuitRelayMessages::hopRoundTripAllFields() {
    RelayHopMessage message;
    message.type = RelayHopMessage::Type::Status;
    message.peer = RelayPeerInfo{peerFromByte(1), {addr("/ip4/10.0.0.1/tcp/4001")}, 0};
    message.reservation =
        ReservationInfo{1'800'000'000,
                        {addr("/ip4/1.2.3.4/tcp/4001"), addr("/ip6/::1/udp/4001/quic-v1")},
                        0,
                        Bytes{0x0a, 0x01, 0x02}};
    message.limit = RelayLimit{120, std::nullopt};
    message.status = RelayStatus::Ok;

    const Bytes frame = message.encodeFrame();
    const auto decoded = decodeHopFrame(frame);
    QCOMPARE(decoded.status, RelayFrameStatus::Message);
    QCOMPARE(decoded.consumed, frame.size());
    QVERIFY(decoded.error.empty());
    QVERIFY(decoded.message == message);

    for (auto type : {RelayHopMessage::Type::Reserve, RelayHopMessage::Type::Connect}) {
        RelayHopMessage request;
        request.type = type;
        const auto again = decodeHopFrame(request.encodeFrame());
        QCOMPARE(again.status, RelayFrameStatus::Message);
        QVERIFY(again.message.type == type);
    }
}

void TestCircuitRelayMessages::stopRoundTripAllFields() {
    RelayStopMessage message;
    message.type = RelayStopMessage::Type::Connect;
    message.peer = RelayPeerInfo{peerFromByte(2), {}, 0};
    message.limit = RelayLimit{std::nullopt, 1 << 20};
    const Bytes frame = message.encodeFrame();
    const auto decoded = decodeStopFrame(frame);
    QCOMPARE(decoded.status, RelayFrameStatus::Message);
    QCOMPARE(decoded.consumed, frame.size());
    QVERIFY(decoded.message == message);
}

void TestCircuitRelayMessages::absentFieldsStayAbsent() {
    RelayHopMessage reserve;
    reserve.type = RelayHopMessage::Type::Reserve;
    const auto decoded = decodeHopFrame(reserve.encodeFrame());
    QCOMPARE(decoded.status, RelayFrameStatus::Message);
    QVERIFY(!decoded.message.peer);
    QVERIFY(!decoded.message.reservation);
    QVERIFY(!decoded.message.limit);
    QVERIFY(!decoded.message.status);

    // An empty Limit is present but sets neither bound.
    const auto emptyLimit = decodeHopFrame(fromHex("04"
                                                   "0802"
                                                   "2200"));
    QCOMPARE(emptyLimit.status, RelayFrameStatus::Message);
    QVERIFY(emptyLimit.message.limit.has_value());
    QVERIFY(!emptyLimit.message.limit->durationSeconds);
    QVERIFY(!emptyLimit.message.limit->dataBytes);
}

void TestCircuitRelayMessages::consumedStopsAtTheFrame() {
    Bytes buffer = fromHex("020800");
    append(buffer, toBytes("relayed bytes"));
    const auto decoded = decodeHopFrame(buffer);
    QCOMPARE(decoded.status, RelayFrameStatus::Message);
    QCOMPARE(decoded.consumed, std::size_t{3});
}

void TestCircuitRelayMessages::truncatedFramesAreIncomplete() {
    RelayHopMessage message;
    message.type = RelayHopMessage::Type::Connect;
    message.peer = RelayPeerInfo{peerFromByte(3), {addr("/ip4/10.0.0.1/tcp/4001")}, 0};
    const Bytes frame = message.encodeFrame();
    for (std::size_t size = 0; size < frame.size(); ++size) {
        const auto decoded = decodeHopFrame(ByteView(frame).first(size));
        QCOMPARE(decoded.status, RelayFrameStatus::Incomplete);
        QCOMPARE(decoded.consumed, std::size_t{0});
    }
    RelayStopMessage stop;
    stop.type = RelayStopMessage::Type::Connect;
    stop.peer = message.peer;
    const Bytes stopFrame = stop.encodeFrame();
    for (std::size_t size = 0; size < stopFrame.size(); ++size)
        QCOMPARE(decodeStopFrame(ByteView(stopFrame).first(size)).status,
                 RelayFrameStatus::Incomplete);
}

void TestCircuitRelayMessages::sizeLimit() {
    // A 4096-byte claim waits for its body; 4097 is refused before any body arrives.
    QCOMPARE(decodeHopFrame(fromHex("8020")).status, RelayFrameStatus::Incomplete);
    const auto oversize = decodeHopFrame(fromHex("8120"));
    QCOMPARE(oversize.status, RelayFrameStatus::Malformed);
    QVERIFY2(oversize.error.find("exceeds the limit") != std::string::npos, oversize.error.c_str());
    QCOMPARE(decodeStopFrame(fromHex("ffffffff0f")).status, RelayFrameStatus::Malformed);

    // A message of exactly 4096 bytes is accepted: a voucher padded to fit.
    RelayHopMessage big;
    big.type = RelayHopMessage::Type::Status;
    big.status = RelayStatus::Ok;
    big.reservation = ReservationInfo{};
    // body = 0802 2864 1a <len2> 1a <len2> voucher: 4 + 1 + 2 + 1 + 2 + n = 4096
    big.reservation->voucher = Bytes(4096 - 10, 0x42);
    const Bytes frame = big.encodeFrame();
    QCOMPARE(frame.size(), std::size_t{4096 + 2});
    QCOMPARE(decodeHopFrame(frame).status, RelayFrameStatus::Message);
    big.reservation->voucher->push_back(0x42);
    QCOMPARE(decodeHopFrame(big.encodeFrame()).status, RelayFrameStatus::Malformed);
}

void TestCircuitRelayMessages::undecodableAddressesAreSkipped() {
    // Reservation {expire 5, addrs [garbage, /ip4/127.0.0.1/tcp/4001]}
    const Bytes good = addr("/ip4/127.0.0.1/tcp/4001").toBytes();
    Bytes reservation = fromHex("0805"
                                "1203ffffff");
    reservation.push_back(0x12);
    reservation.push_back(static_cast<std::uint8_t>(good.size()));
    append(reservation, good);
    Bytes body = fromHex("0802"
                         "2864");
    body.push_back(0x1a);
    body.push_back(static_cast<std::uint8_t>(reservation.size()));
    append(body, reservation);
    Bytes frame{static_cast<std::uint8_t>(body.size())};
    append(frame, body);

    const auto decoded = decodeHopFrame(frame);
    QCOMPARE(decoded.status, RelayFrameStatus::Message);
    QVERIFY(decoded.message.reservation.has_value());
    QCOMPARE(decoded.message.reservation->skippedAddrs, std::size_t{1});
    QCOMPARE(decoded.message.reservation->addrs.size(), std::size_t{1});
    QVERIFY(decoded.message.reservation->addrs[0] == addr("/ip4/127.0.0.1/tcp/4001"));
}

void TestCircuitRelayMessages::unknownStatusReadsAsAbsent() {
    // type STATUS, status 999: not a code we know.
    const auto decoded = decodeHopFrame(fromHex("05"
                                                "0802"
                                                "28e707"));
    QCOMPARE(decoded.status, RelayFrameStatus::Message);
    QVERIFY(!decoded.message.status);
}

void TestCircuitRelayMessages::badHopFrames_data() {
    QTest::addColumn<Bytes>("frame");
    QTest::addColumn<RelayFrameStatus>("expected");
    QTest::addColumn<QString>("error");

    QTest::newRow("overlong length varint")
        << fromHex("80808080808080808080") << RelayFrameStatus::Malformed << "length prefix";
    QTest::newRow("non-minimal length varint")
        << fromHex("8000") << RelayFrameStatus::Malformed << "length prefix";
    QTest::newRow("empty body") << fromHex("00") << RelayFrameStatus::Malformed
                                << "no message type";
    QTest::newRow("garbage protobuf")
        << fromHex("03ffffff") << RelayFrameStatus::Malformed << "malformed protobuf";
    QTest::newRow("truncated inner field")
        << fromHex("040801120a") << RelayFrameStatus::Malformed << "malformed protobuf";
    QTest::newRow("peer without id")
        << fromHex("0408011200") << RelayFrameStatus::Malformed << "peer without an id";
    QTest::newRow("peer id not a multihash")
        << fromHex("08080112040a027878") << RelayFrameStatus::Malformed << "peer id";
    QTest::newRow("type as the wrong wire type")
        << fromHex("020a00") << RelayFrameStatus::Malformed << "no message type";
    QTest::newRow("unknown type 3")
        << fromHex("020803") << RelayFrameStatus::UnknownType << "unknown message type";
    QTest::newRow("unknown type, huge")
        << fromHex("0608ffffffff0f") << RelayFrameStatus::UnknownType << "unknown message type";
    QTest::newRow("unknown type after other fields")
        << fromHex("0628e70708ff01") << RelayFrameStatus::UnknownType << "unknown message type";
}

void TestCircuitRelayMessages::badHopFrames() {
    QFETCH(Bytes, frame);
    QFETCH(RelayFrameStatus, expected);
    QFETCH(QString, error);
    const auto decoded = decodeHopFrame(frame);
    QCOMPARE(decoded.status, expected);
    QVERIFY2(decoded.error.find(error.toStdString()) != std::string::npos, decoded.error.c_str());
    QVERIFY(!decoded.error.empty());
}

void TestCircuitRelayMessages::badStopFrames_data() {
    QTest::addColumn<Bytes>("frame");
    QTest::addColumn<RelayFrameStatus>("expected");
    QTest::addColumn<QString>("error");
    QTest::newRow("empty body") << fromHex("00") << RelayFrameStatus::Malformed
                                << "no message type";
    QTest::newRow("garbage") << fromHex("02ffff") << RelayFrameStatus::Malformed
                             << "malformed protobuf";
    QTest::newRow("unknown type 2")
        << fromHex("020802") << RelayFrameStatus::UnknownType << "unknown message type";
    QTest::newRow("peer without id")
        << fromHex("0408001200") << RelayFrameStatus::Malformed << "peer without an id";
    QTest::newRow("oversize") << fromHex("ff7f") << RelayFrameStatus::Malformed
                              << "exceeds the limit";
}

void TestCircuitRelayMessages::badStopFrames() {
    QFETCH(Bytes, frame);
    QFETCH(RelayFrameStatus, expected);
    QFETCH(QString, error);
    const auto decoded = decodeStopFrame(frame);
    QCOMPARE(decoded.status, expected);
    QVERIFY2(decoded.error.find(error.toStdString()) != std::string::npos, decoded.error.c_str());
    QVERIFY(decoded.error.rfind("stop message: ", 0) == 0);
}

QTEST_GUILESS_MAIN(TestCircuitRelayMessages)
#include "tst_circuit_relay_messages.moc"
