#include "engine/protocol/ping_exchange.h"

#include <QtTest>
#include <chrono>

// Failure messages show byte vectors as hex.
namespace QTest {
template <> inline char* toString(const peerscope::Bytes& bytes) {
    return qstrdup(peerscope::toHex(bytes).c_str());
}
} // namespace QTest

using namespace peerscope;
using namespace std::chrono_literals;

namespace {

std::array<std::uint8_t, PingExchange::payloadSize> countingPayload() {
    std::array<std::uint8_t, PingExchange::payloadSize> payload{};
    for (std::size_t i = 0; i < payload.size(); ++i)
        payload[i] = static_cast<std::uint8_t>(i + 1);
    return payload;
}

Bytes countingBytes() {
    const auto payload = countingPayload();
    return Bytes(payload.begin(), payload.end());
}

} // namespace

class TestPingExchange final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void requestIsPayload();
    void rttFromSuppliedTimes();
    void rttWhenEchoArrivesInPieces();
    void mismatchingEchoFails();
    void lateMismatchFails();
    void extraBytesFail();
    void echoBeforeRequestFails();
    void randomPayloadsDiffer();
    void responderEchoesWholeBlocks();
    void responderArbitrarySplits();
    void exchangeThroughResponder();
};

void TestPingExchange::requestIsPayload() {
    PingExchange ping(countingPayload());
    const Bytes request = ping.request(MonoTime{5ms});
    QCOMPARE(request.size(), std::size_t{32});
    QCOMPARE(request, countingBytes());
}

void TestPingExchange::rttFromSuppliedTimes() {
    PingExchange ping(countingPayload());
    const Bytes request = ping.request(MonoTime{1000ms});
    const auto rtt = ping.feed(request, MonoTime{1042ms});
    QVERIFY(rtt.has_value());
    QCOMPARE(rtt->count(), MonoTime{42ms}.count());
    QVERIFY(!ping.failed());
}

void TestPingExchange::rttWhenEchoArrivesInPieces() {
    PingExchange ping(countingPayload());
    const Bytes request = ping.request(MonoTime{10ms});
    QVERIFY(!ping.feed(ByteView(request).first(1), MonoTime{11ms}).has_value());
    QVERIFY(!ping.feed(ByteView(request).subspan(1, 30), MonoTime{12ms}).has_value());
    QVERIFY(!ping.failed());
    const auto rtt = ping.feed(ByteView(request).subspan(31), MonoTime{17ms});
    QVERIFY(rtt.has_value());
    QCOMPARE(rtt->count(), MonoTime{7ms}.count()); // measured to the last byte
}

void TestPingExchange::mismatchingEchoFails() {
    PingExchange ping(countingPayload());
    Bytes echo = ping.request(MonoTime{0});
    echo[31] ^= 0x01;
    QVERIFY(!ping.feed(echo, MonoTime{1ms}).has_value());
    QVERIFY(ping.failed());
}

void TestPingExchange::lateMismatchFails() {
    PingExchange ping(countingPayload());
    Bytes echo = ping.request(MonoTime{0});
    QVERIFY(!ping.feed(ByteView(echo).first(16), MonoTime{1ms}).has_value());
    QVERIFY(!ping.failed());
    echo[20] = 0;
    QVERIFY(!ping.feed(ByteView(echo).subspan(16), MonoTime{2ms}).has_value());
    QVERIFY(ping.failed());
    // Once failed, even the right bytes do not produce an RTT.
    const Bytes good = countingBytes();
    QVERIFY(!ping.feed(good, MonoTime{3ms}).has_value());
}

void TestPingExchange::extraBytesFail() {
    PingExchange ping(countingPayload());
    Bytes echo = ping.request(MonoTime{0});
    echo.push_back(0x21);
    QVERIFY(!ping.feed(echo, MonoTime{1ms}).has_value());
    QVERIFY(ping.failed());

    PingExchange after(countingPayload());
    const Bytes request = after.request(MonoTime{0});
    QVERIFY(after.feed(request, MonoTime{1ms}).has_value());
    QVERIFY(!after.failed());
    QVERIFY(!after.feed(fromHex("01"), MonoTime{2ms}).has_value());
    QVERIFY(after.failed());
}

void TestPingExchange::echoBeforeRequestFails() {
    PingExchange ping(countingPayload());
    const Bytes payload = countingBytes();
    QVERIFY(!ping.feed(payload, MonoTime{1ms}).has_value());
    QVERIFY(ping.failed());
}

void TestPingExchange::randomPayloadsDiffer() {
    auto a = PingExchange::withRandomPayload();
    auto b = PingExchange::withRandomPayload();
    const Bytes ra = a.request(MonoTime{0});
    const Bytes rb = b.request(MonoTime{0});
    QCOMPARE(ra.size(), std::size_t{32});
    QVERIFY(ra != rb); // 2^-256 chance of a false failure
    QVERIFY(ra != Bytes(32, 0));
}

void TestPingExchange::responderEchoesWholeBlocks() {
    PingResponder responder;
    Bytes input(70);
    for (std::size_t i = 0; i < input.size(); ++i)
        input[i] = static_cast<std::uint8_t>(i);
    const Bytes echo = responder.feed(input);
    QCOMPARE(echo, Bytes(input.begin(), input.begin() + 64));
    QVERIFY(responder.feed(fromHex("aabbcc")).empty()); // 9 buffered, still short
    Bytes rest(23, 0xee);
    const Bytes second = responder.feed(rest);
    Bytes expected(input.begin() + 64, input.end());
    append(expected, fromHex("aabbcc"));
    append(expected, rest);
    QCOMPARE(second, expected);
    QVERIFY(responder.feed({}).empty());
}

void TestPingExchange::responderArbitrarySplits() {
    Bytes input(96);
    for (std::size_t i = 0; i < input.size(); ++i)
        input[i] = static_cast<std::uint8_t>(i * 7 + 3);
    for (std::size_t a = 0; a <= input.size(); ++a) {
        for (std::size_t b = a; b <= input.size(); b += 5) {
            PingResponder responder;
            Bytes out;
            for (ByteView part : {ByteView(input).first(a), ByteView(input).subspan(a, b - a),
                                  ByteView(input).subspan(b)}) {
                const Bytes echoed = responder.feed(part);
                QVERIFY(echoed.size() % 32 == 0);
                append(out, echoed);
            }
            QCOMPARE(out, input);
        }
    }
}

void TestPingExchange::exchangeThroughResponder() {
    PingResponder responder;
    auto ping = PingExchange::withRandomPayload();
    const Bytes request = ping.request(MonoTime{100ms});
    QVERIFY(responder.feed(ByteView(request).first(10)).empty());
    const Bytes echo = responder.feed(ByteView(request).subspan(10));
    const auto rtt = ping.feed(echo, MonoTime{130ms});
    QVERIFY(rtt.has_value());
    QCOMPARE(rtt->count(), MonoTime{30ms}.count());
}

QTEST_APPLESS_MAIN(TestPingExchange)
#include "tst_ping_exchange.moc"
