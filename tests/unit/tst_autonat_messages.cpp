#include "autonat_v1.pb.h"
#include "autonat_v2.pb.h"
#include "engine/core/keys.h"
#include "engine/core/varint.h"
#include "engine/protocol/autonat_messages.h"
#include "engine/protocol/length_prefixed.h"

#include <QtTest>
#include <string>

using namespace peerscope;
namespace v1 = peerscope::wire::autonatv1;
namespace v2 = peerscope::wire::autonatv2;

namespace {

PeerId peerFromByte(std::uint8_t fill) {
    return PeerId::fromPublicKey(PrivateKey::fromEd25519Seed(Bytes(32, fill)).value().publicKey());
}

Multiaddr addr(const char* text) {
    return Multiaddr::parse(text).value();
}

Bytes frameOf(const google::protobuf::MessageLite& pb) {
    const std::string body = pb.SerializeAsString();
    return lengthPrefixed(Bytes(body.begin(), body.end()));
}

Bytes frameOfRaw(const Bytes& body) {
    return lengthPrefixed(body);
}

bool startsWith(const std::string& text, const std::string& prefix) {
    return text.rfind(prefix, 0) == 0;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

Q_DECLARE_METATYPE(peerscope::AutonatV1Status)
Q_DECLARE_METATYPE(peerscope::AutonatV2ResponseStatus)
Q_DECLARE_METATYPE(peerscope::AutonatV2DialStatus)

class TestAutonatMessages final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void protocolIds() {
        QCOMPARE(std::string(autonatV1ProtocolId), std::string("/libp2p/autonat/1.0.0"));
        QCOMPARE(std::string(autonatV2DialRequestProtocolId),
                 std::string("/libp2p/autonat/2/dial-request"));
        QCOMPARE(std::string(autonatV2DialBackProtocolId),
                 std::string("/libp2p/autonat/2/dial-back"));
    }

    // The numbers on the wire are the specs', not just whatever our enums say.
    void wireNumbersAreTheSpecs() {
        QCOMPARE(int(v1::Message::DIAL), 0);
        QCOMPARE(int(v1::Message::DIAL_RESPONSE), 1);
        QCOMPARE(int(v1::Message::OK), 0);
        QCOMPARE(int(v1::Message::E_DIAL_ERROR), 100);
        QCOMPARE(int(v1::Message::E_DIAL_REFUSED), 101);
        QCOMPARE(int(v1::Message::E_BAD_REQUEST), 200);
        QCOMPARE(int(v1::Message::E_INTERNAL_ERROR), 300);
        QCOMPARE(int(v2::DialResponse::E_INTERNAL_ERROR), 0);
        QCOMPARE(int(v2::DialResponse::E_REQUEST_REJECTED), 100);
        QCOMPARE(int(v2::DialResponse::E_DIAL_REFUSED), 101);
        QCOMPARE(int(v2::DialResponse::OK), 200);
        QCOMPARE(int(v2::UNUSED), 0);
        QCOMPARE(int(v2::E_DIAL_ERROR), 100);
        QCOMPARE(int(v2::E_DIAL_BACK_ERROR), 101);
        QCOMPARE(int(v2::OK), 200);

        // A DIAL by hand: field 1 varint 0, field 2 {field 1 {field 1 id, field 2 addr}}.
        const PeerId peer = peerFromByte(1);
        const Bytes a = addr("/ip4/1.2.3.4/tcp/4001").toBytes();
        Bytes info{0x0a, static_cast<std::uint8_t>(peer.bytes().size())};
        append(info, peer.bytes());
        info.push_back(0x12);
        info.push_back(static_cast<std::uint8_t>(a.size()));
        append(info, a);
        Bytes dial{0x0a, static_cast<std::uint8_t>(info.size())};
        append(dial, info);
        Bytes body{0x08, 0x00, 0x12, static_cast<std::uint8_t>(dial.size())};
        append(body, dial);
        QCOMPARE(toHex(encodeAutonatV1(AutonatV1Dial{peer, {addr("/ip4/1.2.3.4/tcp/4001")}, 0})),
                 toHex(body));

        // v2 nonce is fixed64 (wire type 1, little endian) in field 2 of DialRequest.
        const Bytes encoded = encodeAutonatV2(AutonatV2DialRequest{{a}, 0x0102030405060708});
        Bytes request{0x0a, static_cast<std::uint8_t>(a.size())};
        append(request, a);
        append(request, Bytes{0x11, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01});
        Bytes message{0x0a, static_cast<std::uint8_t>(request.size())};
        append(message, request);
        QCOMPARE(toHex(encoded), toHex(message));
    }

    void v1DialRoundTrip() {
        const AutonatV1Message dial = AutonatV1Dial{
            peerFromByte(1), {addr("/ip4/1.2.3.4/tcp/4001"), addr("/ip6/::1/udp/4001/quic-v1")}, 0};
        const Bytes frame = encodeAutonatV1Frame(dial);
        const auto decoded = decodeAutonatV1Frame(frame);
        QCOMPARE(decoded.status, AutonatFrameStatus::Message);
        QCOMPARE(decoded.consumed, frame.size());
        QVERIFY(decoded.message == dial);
    }

    void v1ResponseRoundTrip_data() {
        QTest::addColumn<AutonatV1Status>("status");
        QTest::newRow("OK") << AutonatV1Status::Ok;
        QTest::newRow("E_DIAL_ERROR") << AutonatV1Status::DialError;
        QTest::newRow("E_DIAL_REFUSED") << AutonatV1Status::DialRefused;
        QTest::newRow("E_BAD_REQUEST") << AutonatV1Status::BadRequest;
        QTest::newRow("E_INTERNAL_ERROR") << AutonatV1Status::InternalError;
    }
    void v1ResponseRoundTrip() {
        QFETCH(AutonatV1Status, status);
        QCOMPARE(std::string(autonatV1StatusName(status)), std::string(QTest::currentDataTag()));
        AutonatV1DialResponse response{status, "why", std::nullopt};
        if (status == AutonatV1Status::Ok)
            response.addr = addr("/ip4/1.2.3.4/tcp/4001");
        const Bytes frame = encodeAutonatV1Frame(response);
        const auto decoded = decodeAutonatV1Frame(frame);
        QCOMPARE(decoded.status, AutonatFrameStatus::Message);
        QVERIFY(decoded.message == AutonatV1Message(response));
    }

    void v1SkipsUndecodableAddrs() {
        v1::Message pb;
        pb.set_type(v1::Message::DIAL);
        auto& peer = *pb.mutable_dial()->mutable_peer();
        const PeerId id = peerFromByte(1);
        peer.set_id(std::string(id.bytes().begin(), id.bytes().end()));
        peer.add_addrs("\xff\xff garbage");
        const Bytes good = addr("/ip4/1.2.3.4/tcp/1").toBytes();
        peer.add_addrs(std::string(good.begin(), good.end()));
        const auto decoded = decodeAutonatV1Frame(frameOf(pb));
        QCOMPARE(decoded.status, AutonatFrameStatus::Message);
        const auto& dial = std::get<AutonatV1Dial>(decoded.message);
        QCOMPARE(dial.addrs.size(), std::size_t(1));
        QCOMPARE(dial.skippedAddrs, std::size_t(1));
    }

    void v1Malformed_data() {
        QTest::addColumn<Bytes>("frame");
        QTest::addColumn<QString>("error");
        {
            v1::Message pb;
            QTest::newRow("no type") << frameOf(pb) << "no message type";
        }
        // field 1 = 7: proto2 keeps the unknown enum value aside.
        QTest::newRow("unknown type") << frameOfRaw(Bytes{0x08, 0x07}) << "unknown message type";
        {
            v1::Message pb;
            pb.set_type(v1::Message::DIAL);
            QTest::newRow("dial without dial") << frameOf(pb) << "DIAL without dial.peer";
            pb.mutable_dial();
            QTest::newRow("dial without peer") << frameOf(pb) << "DIAL without dial.peer";
            pb.mutable_dial()->mutable_peer();
            QTest::newRow("peer without id") << frameOf(pb) << "DIAL without dial.peer.id";
            pb.mutable_dial()->mutable_peer()->set_id("nope");
            QTest::newRow("bad peer id") << frameOf(pb) << "dial.peer.id: ";
        }
        {
            v1::Message pb;
            pb.set_type(v1::Message::DIAL_RESPONSE);
            QTest::newRow("response without dialResponse")
                << frameOf(pb) << "DIAL_RESPONSE without dialResponse";
            pb.mutable_dialresponse();
            QTest::newRow("response without status") << frameOf(pb) << "without a status";
            pb.mutable_dialresponse()->set_status(v1::Message::OK);
            pb.mutable_dialresponse()->set_addr("\xff\xff");
            QTest::newRow("bad addr") << frameOf(pb) << "dialResponse.addr: ";
        }
        // type DIAL_RESPONSE, dialResponse{status 150}
        QTest::newRow("unknown status")
            << frameOfRaw(Bytes{0x08, 0x01, 0x1a, 0x03, 0x08, 0x96, 0x01})
            << "dialResponse.status is not a status the spec lists";
        QTest::newRow("not protobuf")
            << frameOfRaw(Bytes{0x0a, 0x05, 0x01}) << "malformed protobuf";
        QTest::newRow("bad varint") << Bytes{0x80, 0x00} << "length prefix: ";
        QTest::newRow("overlong varint") << Bytes(10, 0xff) << "length prefix: ";
        Bytes oversized = varint::encode(autonatV1MaxMessageSize + 1);
        QTest::newRow("oversized") << oversized << "exceeds the limit of 4096";
    }
    void v1Malformed() {
        QFETCH(Bytes, frame);
        QFETCH(QString, error);
        const auto decoded = decodeAutonatV1Frame(frame);
        QCOMPARE(decoded.status, AutonatFrameStatus::Malformed);
        QVERIFY2(startsWith(decoded.error, "autonat v1 message: "), decoded.error.c_str());
        QVERIFY2(contains(decoded.error, error.toStdString()), decoded.error.c_str());
    }

    void v1Truncated() {
        const Bytes frame =
            encodeAutonatV1Frame(AutonatV1Dial{peerFromByte(1), {addr("/ip4/1.2.3.4/tcp/1")}, 0});
        for (std::size_t size = 0; size < frame.size(); ++size) {
            const auto decoded = decodeAutonatV1Frame(ByteView(frame).first(size));
            QCOMPARE(decoded.status, AutonatFrameStatus::Incomplete);
            QCOMPARE(decoded.consumed, std::size_t(0));
        }
    }

    void v2RoundTrip() {
        const Bytes a = addr("/ip4/1.2.3.4/tcp/4001").toBytes();
        const std::vector<AutonatV2Message> messages{
            AutonatV2DialRequest{{a, Bytes{0xff, 0xee}}, 0xfedcba9876543210},
            AutonatV2DialResponse{AutonatV2ResponseStatus::Ok, 1, AutonatV2DialStatus::Ok},
            AutonatV2DialDataRequest{2, 30'000},
            AutonatV2DialDataResponse{Bytes(autonatV2MaxDialDataChunk, 0)},
        };
        for (const AutonatV2Message& message : messages) {
            const Bytes frame = encodeAutonatV2Frame(message);
            QVERIFY(frame.size() <= autonatV2MaxMessageSize + varint::maxLength);
            const auto decoded = decodeAutonatV2Frame(frame);
            QCOMPARE(decoded.status, AutonatFrameStatus::Message);
            QCOMPARE(decoded.consumed, frame.size());
            QVERIFY(decoded.message == message);
        }
        const auto back = decodeAutonatV2DialBackFrame(encodeAutonatV2Frame(AutonatV2DialBack{42}));
        QCOMPARE(back.status, AutonatFrameStatus::Message);
        QCOMPARE(back.message.nonce, std::uint64_t(42));
        const auto ok =
            decodeAutonatV2DialBackResponseFrame(encodeAutonatV2Frame(AutonatV2DialBackResponse{}));
        QCOMPARE(ok.status, AutonatFrameStatus::Message);
    }

    void v2EveryStatus_data() {
        QTest::addColumn<AutonatV2ResponseStatus>("status");
        QTest::addColumn<AutonatV2DialStatus>("dialStatus");
        QTest::newRow("E_INTERNAL_ERROR/UNUSED")
            << AutonatV2ResponseStatus::InternalError << AutonatV2DialStatus::Unused;
        QTest::newRow("E_REQUEST_REJECTED/UNUSED")
            << AutonatV2ResponseStatus::RequestRejected << AutonatV2DialStatus::Unused;
        QTest::newRow("E_DIAL_REFUSED/UNUSED")
            << AutonatV2ResponseStatus::DialRefused << AutonatV2DialStatus::Unused;
        QTest::newRow("OK/E_DIAL_ERROR")
            << AutonatV2ResponseStatus::Ok << AutonatV2DialStatus::DialError;
        QTest::newRow("OK/E_DIAL_BACK_ERROR")
            << AutonatV2ResponseStatus::Ok << AutonatV2DialStatus::DialBackError;
        QTest::newRow("OK/OK") << AutonatV2ResponseStatus::Ok << AutonatV2DialStatus::Ok;
    }
    void v2EveryStatus() {
        QFETCH(AutonatV2ResponseStatus, status);
        QFETCH(AutonatV2DialStatus, dialStatus);
        const std::string name = std::string(autonatV2ResponseStatusName(status)) + "/" +
                                 autonatV2DialStatusName(dialStatus);
        QCOMPARE(name, std::string(QTest::currentDataTag()));
        const AutonatV2Message message = AutonatV2DialResponse{status, 3, dialStatus};
        const auto decoded = decodeAutonatV2Frame(encodeAutonatV2Frame(message));
        QCOMPARE(decoded.status, AutonatFrameStatus::Message);
        QVERIFY(decoded.message == message);
    }

    void v2Malformed_data() {
        QTest::addColumn<Bytes>("frame");
        QTest::addColumn<QString>("error");
        QTest::newRow("empty message") << frameOf(v2::Message()) << "no message set in the oneof";
        // field 9, length 0: a oneof member we do not know.
        QTest::newRow("unknown oneof") << frameOfRaw(Bytes{0x4a, 0x00}) << "no message set";
        {
            v2::Message pb;
            pb.mutable_dialrequest()->set_nonce(1);
            QTest::newRow("request without addrs")
                << frameOf(pb) << "dialRequest without addresses";
        }
        {
            v2::Message pb;
            pb.mutable_dialresponse()->set_status(static_cast<v2::DialResponse::ResponseStatus>(7));
            QTest::newRow("unknown status") << frameOf(pb) << "dialResponse.status 7";
        }
        {
            v2::Message pb;
            pb.mutable_dialresponse()->set_status(v2::DialResponse::OK);
            pb.mutable_dialresponse()->set_dialstatus(static_cast<v2::DialStatus>(300));
            QTest::newRow("unknown dialStatus") << frameOf(pb) << "dialResponse.dialStatus 300";
        }
        {
            v2::Message pb;
            pb.mutable_dialdataresponse()->set_data(
                std::string(autonatV2MaxDialDataChunk + 1, 'x'));
            QTest::newRow("data chunk too big") << frameOf(pb) << "dialDataResponse.data of 4097";
        }
        QTest::newRow("not protobuf") << frameOfRaw(Bytes{0xff}) << "malformed protobuf";
        QTest::newRow("bad varint") << Bytes{0x81, 0x00} << "length prefix: ";
        QTest::newRow("oversized")
            << varint::encode(autonatV2MaxMessageSize + 1) << "exceeds the limit of 8192";
    }
    void v2Malformed() {
        QFETCH(Bytes, frame);
        QFETCH(QString, error);
        const auto decoded = decodeAutonatV2Frame(frame);
        QCOMPARE(decoded.status, AutonatFrameStatus::Malformed);
        QVERIFY2(startsWith(decoded.error, "autonat v2 message: "), decoded.error.c_str());
        QVERIFY2(contains(decoded.error, error.toStdString()), decoded.error.c_str());
    }

    void v2DialBackResponseWithUnknownStatusIsMalformed() {
        v2::DialBackResponse pb;
        pb.set_status(static_cast<v2::DialBackResponse::DialBackStatus>(5));
        const auto decoded = decodeAutonatV2DialBackResponseFrame(frameOf(pb));
        QCOMPARE(decoded.status, AutonatFrameStatus::Malformed);
        QVERIFY2(contains(decoded.error, "status 5"), decoded.error.c_str());
    }

    void v2Truncated() {
        const Bytes frame =
            encodeAutonatV2Frame(AutonatV2DialRequest{{addr("/ip4/1.2.3.4/tcp/1").toBytes()}, 99});
        for (std::size_t size = 0; size < frame.size(); ++size)
            QCOMPARE(decodeAutonatV2Frame(ByteView(frame).first(size)).status,
                     AutonatFrameStatus::Incomplete);
    }
};

QTEST_GUILESS_MAIN(TestAutonatMessages)
#include "tst_autonat_messages.moc"
