#include "engine/protocol/length_prefixed.h"

#include <QtTest>
#include <string>

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

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& part : parts)
        append(out, part);
    return out;
}

} // namespace

class TestLengthPrefixed final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void encodes();
    void severalMessagesInOneFeed();
    void everySplitPoint();
    void emptyMessage();
    void oversizeRejected();
    void maximumAccepted();
    void badVarintRejected();
};

void TestLengthPrefixed::encodes() {
    QCOMPARE(lengthPrefixed(toBytes("abc")), fromHex("03616263"));
    QCOMPARE(lengthPrefixed({}), fromHex("00"));
    const Bytes big(300, 0x55);
    const Bytes framed = lengthPrefixed(big);
    QCOMPARE(framed.size(), std::size_t{302});
    QCOMPARE(Bytes(framed.begin(), framed.begin() + 2), fromHex("ac02")); // 300 = 0xac 0x02
    QCOMPARE(Bytes(framed.begin() + 2, framed.end()), big);
}

void TestLengthPrefixed::severalMessagesInOneFeed() {
    LengthPrefixedReader reader(1024);
    reader.feed(cat(
        {lengthPrefixed(toBytes("one")), lengthPrefixed(toBytes("second")), fromHex("05aabb")}));
    auto first = reader.next();
    QVERIFY(first.ok());
    QVERIFY(first->has_value());
    QCOMPARE(**first, toBytes("one"));
    auto second = reader.next();
    QVERIFY(second.ok());
    QVERIFY(second->has_value());
    QCOMPARE(**second, toBytes("second"));
    auto third = reader.next(); // 5 bytes announced, 2 present
    QVERIFY(third.ok());
    QVERIFY(!third->has_value());
    QCOMPARE(reader.buffered(), std::size_t{3});
    reader.feed(fromHex("ccddee"));
    auto completed = reader.next();
    QVERIFY(completed.ok());
    QVERIFY(completed->has_value());
    QCOMPARE(**completed, fromHex("aabbccddee"));
    QCOMPARE(reader.buffered(), std::size_t{0});
}

void TestLengthPrefixed::everySplitPoint() {
    const Bytes big(200, 0x42); // two-byte prefix, so a split can land inside the varint
    const Bytes input = cat({lengthPrefixed(big), lengthPrefixed(toBytes("x"))});
    for (std::size_t split = 0; split <= input.size(); ++split) {
        LengthPrefixedReader reader(1024);
        std::vector<Bytes> got;
        for (ByteView part : {ByteView(input).first(split), ByteView(input).subspan(split)}) {
            reader.feed(part);
            for (;;) {
                auto next = reader.next();
                QVERIFY(next.ok());
                if (!next->has_value())
                    break;
                got.push_back(**next);
            }
        }
        QCOMPARE(got.size(), std::size_t{2});
        QCOMPARE(got[0], big);
        QCOMPARE(got[1], toBytes("x"));
    }
}

void TestLengthPrefixed::emptyMessage() {
    LengthPrefixedReader reader(16);
    reader.feed(fromHex("00"));
    auto next = reader.next();
    QVERIFY(next.ok());
    QVERIFY(next->has_value());
    QVERIFY((*next)->empty());
}

void TestLengthPrefixed::oversizeRejected() {
    LengthPrefixedReader reader(100);
    reader.feed(fromHex("65")); // 101, checked before any body byte arrives
    auto next = reader.next();
    QVERIFY(!next.ok());
    QVERIFY2(qs(next.errorMessage()).contains(QStringLiteral("101 bytes exceeds the limit of 100")),
             next.errorMessage().c_str());
}

void TestLengthPrefixed::maximumAccepted() {
    LengthPrefixedReader reader(100);
    const Bytes body(100, 7);
    reader.feed(lengthPrefixed(body));
    auto next = reader.next();
    QVERIFY(next.ok());
    QVERIFY(next->has_value());
    QCOMPARE(**next, body);
}

void TestLengthPrefixed::badVarintRejected() {
    LengthPrefixedReader reader(100);
    reader.feed(fromHex("8000")); // zero, not minimally encoded
    auto next = reader.next();
    QVERIFY(!next.ok());
    QVERIFY2(qs(next.errorMessage()).startsWith(QStringLiteral("length prefix:")),
             next.errorMessage().c_str());
}

QTEST_APPLESS_MAIN(TestLengthPrefixed)
#include "tst_length_prefixed.moc"
