// unsigned-varint rules from github.com/multiformats/unsigned-varint (README examples).
#include "engine/core/varint.h"

#include <QtTest>

using namespace peerscope;

class TestVarint final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void specExamples_data();
    void specExamples();
    void maxValue();
    void rejectsNonMinimal();
    void rejectsOverlong();
    void incompleteInputAsksForMore();
    void decodesPrefixOnly();
    void encodedLengthMatches();
};

void TestVarint::specExamples_data() {
    QTest::addColumn<quint64>("value");
    QTest::addColumn<QString>("hex");
    QTest::newRow("0") << quint64(0) << "00";
    QTest::newRow("1") << quint64(1) << "01";
    QTest::newRow("127") << quint64(127) << "7f";
    QTest::newRow("128") << quint64(128) << "8001";
    QTest::newRow("255") << quint64(255) << "ff01";
    QTest::newRow("300") << quint64(300) << "ac02";
    QTest::newRow("16384") << quint64(16384) << "808001";
}

void TestVarint::specExamples() {
    QFETCH(quint64, value);
    QFETCH(QString, hex);
    const Bytes encoded = varint::encode(value);
    QCOMPARE(QString::fromStdString(toHex(encoded)), hex);
    auto decoded = varint::decode(encoded);
    QVERIFY(decoded.ok());
    QVERIFY(decoded->has_value());
    QCOMPARE((*decoded)->value, value);
    QCOMPARE((*decoded)->length, encoded.size());
}

void TestVarint::maxValue() {
    const std::uint64_t max = (std::uint64_t{1} << 63) - 1;
    const Bytes encoded = varint::encode(max);
    QCOMPARE(encoded.size(), std::size_t(9));
    QCOMPARE(toHex(encoded), std::string("ffffffffffffffff7f"));
    auto decoded = varint::decode(encoded);
    QVERIFY(decoded.ok());
    QCOMPARE((*decoded)->value, max);
    QCOMPARE((*decoded)->length, std::size_t(9));
}

void TestVarint::rejectsNonMinimal() {
    // The README's example: {0x81 0x00} is a Go varint for 1 but not a minimal one.
    for (const char* hex : {"8000", "8100", "ff00", "808000", "ffffffffffffffff00"}) {
        auto decoded = varint::decode(fromHex(hex));
        QVERIFY2(!decoded.ok(), hex);
        QCOMPARE(decoded.errorMessage(), std::string("varint not minimally encoded"));
    }
}

void TestVarint::rejectsOverlong() {
    // 2^63 needs 10 bytes: beyond the spec's 9-byte practical maximum.
    auto tenBytes = varint::decode(fromHex("80808080808080808001"));
    QVERIFY(!tenBytes.ok());
    QCOMPARE(tenBytes.errorMessage(), std::string("varint longer than 9 bytes"));
    // Nine continuation bytes are already an error, no need to wait for a tenth.
    auto nineContinuations = varint::decode(fromHex("ffffffffffffffffff"));
    QVERIFY(!nineContinuations.ok());
    QCOMPARE(nineContinuations.errorMessage(), std::string("varint longer than 9 bytes"));
}

void TestVarint::incompleteInputAsksForMore() {
    for (const char* hex : {"", "80", "ff", "8080", "ffffffffffffffff"}) {
        auto decoded = varint::decode(fromHex(hex));
        QVERIFY2(decoded.ok(), hex);
        QVERIFY2(!decoded->has_value(), hex);
    }
}

void TestVarint::decodesPrefixOnly() {
    auto decoded = varint::decode(fromHex("ac02ffff"));
    QVERIFY(decoded.ok());
    QCOMPARE((*decoded)->value, quint64(300));
    QCOMPARE((*decoded)->length, std::size_t(2));
}

void TestVarint::encodedLengthMatches() {
    for (int shift = 0; shift < 63; ++shift) {
        for (std::uint64_t delta : {0, 1}) {
            const std::uint64_t value = (std::uint64_t{1} << shift) - delta;
            const Bytes encoded = varint::encode(value);
            QCOMPARE(varint::encodedLength(value), encoded.size());
            Bytes appended{0xaa};
            varint::append(appended, value);
            QCOMPARE(Bytes(appended.begin() + 1, appended.end()), encoded);
            auto decoded = varint::decode(encoded);
            QVERIFY(decoded.ok() && decoded->has_value());
            QCOMPARE((*decoded)->value, value);
        }
    }
}

QTEST_APPLESS_MAIN(TestVarint)
#include "tst_varint.moc"
