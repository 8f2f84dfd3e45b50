#include "engine/protocol/identify_message.h"

#include <QtTest>
#include <string>

// Failure messages show byte vectors as hex.
namespace QTest {
template <> inline char* toString(const peerscope::Bytes& bytes) {
    return qstrdup(peerscope::toHex(bytes).c_str());
}
} // namespace QTest

using namespace peerscope;

class TestIdentifyMessage final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundTripAllFields();
    void absentFieldsStayAbsent();
    void emptyValuesArePresent();
    void knownWireBytes();
    void garbageRejected_data();
    void garbageRejected();
};

void TestIdentifyMessage::roundTripAllFields() {
    IdentifyMessage message;
    message.protocolVersion = "ipfs/0.1.0";
    message.agentVersion = "peerscope/0.1.0";
    message.publicKey = fromHex("080112201122334455");
    message.listenAddrs = {fromHex("047f000001060fa1"),
                           fromHex("29000000000000000000000000000000010601bb")};
    message.observedAddr = fromHex("04c0a80001060fa2");
    message.protocols = {"/ipfs/id/1.0.0", "/ipfs/ping/1.0.0", "/yamux/1.0.0"};
    message.signedPeerRecord = Bytes{0x00, 0x01, 0xff, 0x00};

    const Bytes encoded = message.encode();
    QVERIFY(!encoded.empty());
    auto decoded = IdentifyMessage::decode(encoded);
    QVERIFY2(decoded.ok(), decoded.ok() ? "" : decoded.errorMessage().c_str());
    QCOMPARE(decoded->protocolVersion.value_or(""), std::string("ipfs/0.1.0"));
    QCOMPARE(decoded->agentVersion.value_or(""), std::string("peerscope/0.1.0"));
    QVERIFY(decoded->publicKey.has_value());
    QCOMPARE(*decoded->publicKey, *message.publicKey);
    QCOMPARE(decoded->listenAddrs.size(), std::size_t{2});
    QCOMPARE(decoded->listenAddrs[0], message.listenAddrs[0]);
    QCOMPARE(decoded->listenAddrs[1], message.listenAddrs[1]);
    QVERIFY(decoded->observedAddr.has_value());
    QCOMPARE(*decoded->observedAddr, *message.observedAddr);
    QVERIFY(decoded->protocols == message.protocols);
    QVERIFY(decoded->signedPeerRecord.has_value());
    QCOMPARE(*decoded->signedPeerRecord, *message.signedPeerRecord);
}

void TestIdentifyMessage::absentFieldsStayAbsent() {
    IdentifyMessage push; // an identify push that only announces protocols
    push.protocols = {"/ipfs/kad/1.0.0"};
    const Bytes encoded = push.encode();
    // Only field 3 on the wire: 0x1a, length 15, text.
    QCOMPARE(encoded, fromHex("1a0f2f697066732f6b61642f312e302e30"));
    auto decoded = IdentifyMessage::decode(encoded);
    QVERIFY(decoded.ok());
    QVERIFY(!decoded->protocolVersion.has_value());
    QVERIFY(!decoded->agentVersion.has_value());
    QVERIFY(!decoded->publicKey.has_value());
    QVERIFY(decoded->listenAddrs.empty());
    QVERIFY(!decoded->observedAddr.has_value());
    QVERIFY(!decoded->signedPeerRecord.has_value());
    QCOMPARE(decoded->protocols.size(), std::size_t{1});

    auto empty = IdentifyMessage::decode({});
    QVERIFY(empty.ok());
    QVERIFY(!empty->agentVersion.has_value());
    QVERIFY(empty->protocols.empty());
}

void TestIdentifyMessage::emptyValuesArePresent() {
    // Present-but-empty differs from absent (proto2 presence).
    IdentifyMessage message;
    message.agentVersion = "";
    message.observedAddr = Bytes{};
    const Bytes encoded = message.encode();
    QCOMPARE(encoded, fromHex("22003200")); // field 4 and field 6, both empty
    auto decoded = IdentifyMessage::decode(encoded);
    QVERIFY(decoded.ok());
    QVERIFY(decoded->agentVersion.has_value());
    QVERIFY(decoded->agentVersion->empty());
    QVERIFY(decoded->observedAddr.has_value());
    QVERIFY(!decoded->protocolVersion.has_value());
}

void TestIdentifyMessage::knownWireBytes() {
    // Hand-built: protocolVersion (5) "p", agentVersion (6) "a", listenAddrs (2) twice,
    // unknown field 99 (varint), which must be skipped.
    const Bytes wire = fromHex("2a0170"
                               "320161"
                               "12020102"
                               "120103"
                               "980601");
    auto decoded = IdentifyMessage::decode(wire);
    QVERIFY(decoded.ok());
    QCOMPARE(decoded->protocolVersion.value_or("?"), std::string("p"));
    QCOMPARE(decoded->agentVersion.value_or("?"), std::string("a"));
    QCOMPARE(decoded->listenAddrs.size(), std::size_t{2});
    QCOMPARE(decoded->listenAddrs[0], fromHex("0102"));
    QCOMPARE(decoded->listenAddrs[1], fromHex("03"));
}

void TestIdentifyMessage::garbageRejected_data() {
    QTest::addColumn<QByteArray>("hex");
    QTest::newRow("truncated length-delimited") << QByteArray("0a0561");
    QTest::newRow("wire type 7") << QByteArray("0f");
    QTest::newRow("field number 0") << QByteArray("0201");
    QTest::newRow("truncated varint") << QByteArray("08ff");
    QTest::newRow("end group without start") << QByteArray("0c");
}

void TestIdentifyMessage::garbageRejected() {
    QFETCH(QByteArray, hex);
    auto decoded = IdentifyMessage::decode(fromHex(hex.toStdString()));
    QVERIFY(!decoded.ok());
    QVERIFY2(QString::fromStdString(decoded.errorMessage()).startsWith(QStringLiteral("identify:")),
             decoded.errorMessage().c_str());
}

QTEST_APPLESS_MAIN(TestIdentifyMessage)
#include "tst_identify_message.moc"
