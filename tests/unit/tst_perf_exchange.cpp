#include "engine/protocol/perf_exchange.h"

#include <QtTest>
#include <limits>

// Failure messages show byte vectors as hex.
namespace QTest {
template <> inline char* toString(const peerscope::Bytes& bytes) {
    return qstrdup(peerscope::toHex(bytes).c_str());
}
} // namespace QTest

using namespace peerscope;

namespace {

QString qs(const std::string& text) {
    return QString::fromStdString(text);
}

} // namespace

class TestPerfExchange final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void headerEncoding();
    void serverReadsHeaderAndCountsUpload();
    void serverHeaderSplitByteByByte();
    void serverFinishWithoutFullHeader();
    void clientExactDelivery();
    void clientOverDelivery();
    void clientUnderDelivery();
    void clientNothingRequested();
};

void TestPerfExchange::headerEncoding() {
    QCOMPARE(PerfClientCore(0, 1024 * 1024).header(), fromHex("0000000000100000"));
    QCOMPARE(PerfClientCore(0, 0).header(), fromHex("0000000000000000"));
    QCOMPARE(PerfClientCore(0, 0x0102030405060708).header(), fromHex("0102030405060708"));
    QCOMPARE(PerfClientCore(0, std::numeric_limits<std::uint64_t>::max()).header(),
             fromHex("ffffffffffffffff"));
    QCOMPARE(PerfClientCore(77, 5).uploadBytes(), std::uint64_t{77});
}

void TestPerfExchange::serverReadsHeaderAndCountsUpload() {
    PerfServerCore server;
    Bytes input = fromHex("0000000000100000");
    append(input, Bytes(100, 0xab));
    server.feed(input);
    server.feed(Bytes(23, 0));
    QCOMPARE(server.uploadedBytes(), std::uint64_t{123});
    auto toSend = server.finish();
    QVERIFY(toSend.ok());
    QCOMPARE(*toSend, std::uint64_t{1024 * 1024});
}

void TestPerfExchange::serverHeaderSplitByteByByte() {
    PerfServerCore server;
    const Bytes input = fromHex("010203040506070809");
    for (std::uint8_t byte : input)
        server.feed(ByteView(&byte, 1));
    QCOMPARE(server.uploadedBytes(), std::uint64_t{1}); // the ninth byte is upload
    auto toSend = server.finish();
    QVERIFY(toSend.ok());
    QCOMPARE(*toSend, std::uint64_t{0x0102030405060708});
}

void TestPerfExchange::serverFinishWithoutFullHeader() {
    PerfServerCore server;
    server.feed(fromHex("00000000000010"));
    auto toSend = server.finish();
    QVERIFY(!toSend.ok());
    QVERIFY2(qs(toSend.errorMessage()).contains(QStringLiteral("7 of the 8 header bytes")),
             toSend.errorMessage().c_str());
    QCOMPARE(server.uploadedBytes(), std::uint64_t{0});

    PerfServerCore silent;
    QVERIFY(!silent.finish().ok());
}

void TestPerfExchange::clientExactDelivery() {
    PerfClientCore client(0, 1000);
    QVERIFY(client.feed(600).ok());
    QVERIFY(!client.finish().ok()); // not yet
    QVERIFY(client.feed(400).ok());
    QCOMPARE(client.downloaded(), std::uint64_t{1000});
    QVERIFY(client.finish().ok());
}

void TestPerfExchange::clientOverDelivery() {
    PerfClientCore client(0, 1000);
    QVERIFY(client.feed(999).ok());
    auto over = client.feed(2);
    QVERIFY(!over.ok());
    QVERIFY2(qs(over.errorMessage()).contains(QStringLiteral("1001 bytes, more than the 1000")),
             over.errorMessage().c_str());
}

void TestPerfExchange::clientUnderDelivery() {
    PerfClientCore client(0, 1000);
    QVERIFY(client.feed(10).ok());
    auto result = client.finish();
    QVERIFY(!result.ok());
    QVERIFY2(qs(result.errorMessage()).contains(QStringLiteral("after 10 of 1000")),
             result.errorMessage().c_str());
}

void TestPerfExchange::clientNothingRequested() {
    PerfClientCore client(1 << 20, 0);
    QVERIFY(client.finish().ok());
    QVERIFY(client.feed(0).ok());
    QVERIFY(!client.feed(1).ok());
}

QTEST_APPLESS_MAIN(TestPerfExchange)
#include "tst_perf_exchange.moc"
