#include "engine/protocol/multistream_select.h"

#include <QtTest>
#include <string>
#include <vector>

// Failure messages show byte vectors as hex.
namespace QTest {
template <> inline char* toString(const peerscope::Bytes& bytes) {
    return qstrdup(peerscope::toHex(bytes).c_str());
}
} // namespace QTest

using namespace peerscope;
using State = MultistreamSelect::State;

namespace {

QString hex(ByteView bytes) {
    return QString::fromStdString(toHex(bytes));
}
QString qs(const std::string& text) {
    return QString::fromStdString(text);
}

// Independent of the varint codec on purpose: every message in these tests is under 128 bytes.
Bytes msg(const std::string& text) {
    Bytes out{static_cast<std::uint8_t>(text.size() + 1)};
    append(out, toBytes(text));
    out.push_back('\n');
    return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& part : parts)
        append(out, part);
    return out;
}

const Bytes headerMsg = msg("/multistream/1.0.0");

// Moves bytes both ways until neither side has anything to say.
void pump(MultistreamSelect& a, MultistreamSelect& b) {
    for (int i = 0; i < 100; ++i) {
        const Bytes fromA = a.takeOutput();
        const Bytes fromB = b.takeOutput();
        if (fromA.empty() && fromB.empty())
            return;
        b.feed(fromA);
        a.feed(fromB);
    }
    QFAIL("pump did not settle");
}

} // namespace

class TestMultistreamSelect final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void exactWireBytes();
    void naWireBytes();
    void responderStartSendsHeader();
    void responderNotStartedAnswersHeader();
    void inProcessFirstChoice();
    void naThenSuccess();
    void noCommonProtocol();
    void initiatorRemainderAfterDone();
    void responderRemainderAfterDone();
    void responderEverySplitPoint();
    void initiatorEverySplitPoint();
    void malformed_data();
    void malformed();
    void oversizeFailsBeforeBody();
    void lsAnsweredWithNa();
    void responderRoundLimit();
    void initiatorRoundLimit();
    void emptyProposalList();
    void feedAfterFailureIgnored();
};

void TestMultistreamSelect::exactWireBytes() {
    auto initiator = MultistreamSelect::initiator({"/noise"});
    QVERIFY(initiator.isInitiator());
    initiator.start();
    // 0x13 "/multistream/1.0.0\n" then 0x07 "/noise\n", in one buffer.
    QCOMPARE(hex(initiator.takeOutput()), QStringLiteral("132f6d756c746973747265616d2f312e302e300a"
                                                         "072f6e6f6973650a"));
    QVERIFY(initiator.takeOutput().empty());
    QCOMPARE(initiator.state(), State::Negotiating);
}

void TestMultistreamSelect::naWireBytes() {
    auto responder = MultistreamSelect::responder({"/noise"});
    QVERIFY(!responder.isInitiator());
    responder.start();
    QCOMPARE(responder.takeOutput(), headerMsg);
    responder.feed(cat({headerMsg, msg("/tls/1.0.0")}));
    QCOMPARE(hex(responder.takeOutput()), QStringLiteral("036e610a")); // spec example for "na"
    QCOMPARE(responder.state(), State::Negotiating);
}

void TestMultistreamSelect::responderStartSendsHeader() {
    auto responder = MultistreamSelect::responder({"/noise"});
    responder.start();
    QCOMPARE(hex(responder.takeOutput()),
             QStringLiteral("132f6d756c746973747265616d2f312e302e300a"));
    responder.feed(headerMsg);
    QVERIFY(responder.takeOutput().empty()); // the header is not sent twice
}

void TestMultistreamSelect::responderNotStartedAnswersHeader() {
    auto responder = MultistreamSelect::responder({"/noise"});
    responder.feed(cat({headerMsg, msg("/noise")}));
    QCOMPARE(responder.takeOutput(), cat({headerMsg, msg("/noise")}));
    QCOMPARE(responder.state(), State::Done);
}

void TestMultistreamSelect::inProcessFirstChoice() {
    auto initiator = MultistreamSelect::initiator({"/noise", "/tls/1.0.0"});
    auto responder = MultistreamSelect::responder({"/tls/1.0.0", "/noise"});
    initiator.start();
    responder.start();
    pump(initiator, responder);
    QCOMPARE(initiator.state(), State::Done);
    QCOMPARE(responder.state(), State::Done);
    QCOMPARE(qs(initiator.protocol()), QStringLiteral("/noise"));
    QCOMPARE(qs(responder.protocol()), QStringLiteral("/noise"));
    QVERIFY(initiator.takeRemainder().empty());
    QVERIFY(responder.takeRemainder().empty());
}

void TestMultistreamSelect::naThenSuccess() {
    auto initiator = MultistreamSelect::initiator({"/tls/1.0.0", "/noise"});
    auto responder = MultistreamSelect::responder({"/noise"});
    initiator.start();
    responder.start();
    QCOMPARE(initiator.takeOutput(), cat({headerMsg, msg("/tls/1.0.0")}));

    responder.feed(cat({headerMsg, msg("/tls/1.0.0")}));
    QCOMPARE(responder.takeOutput(), cat({headerMsg, msg("na")}));

    initiator.feed(cat({headerMsg, msg("na")}));
    QCOMPARE(initiator.state(), State::Negotiating);
    QCOMPARE(initiator.takeOutput(), msg("/noise"));

    responder.feed(msg("/noise"));
    QCOMPARE(responder.state(), State::Done);
    QCOMPARE(responder.takeOutput(), msg("/noise"));
    initiator.feed(msg("/noise"));
    QCOMPARE(initiator.state(), State::Done);
    QCOMPARE(qs(initiator.protocol()), QStringLiteral("/noise"));
    QCOMPARE(qs(responder.protocol()), QStringLiteral("/noise"));
}

void TestMultistreamSelect::noCommonProtocol() {
    auto initiator = MultistreamSelect::initiator({"/a", "/b"});
    auto responder = MultistreamSelect::responder({"/c"});
    initiator.start();
    responder.start();
    pump(initiator, responder);
    QCOMPARE(initiator.state(), State::Failed);
    QCOMPARE(qs(initiator.error()),
             QStringLiteral("protocol negotiation failed: remote supports none of /a, /b"));
    QCOMPARE(responder.state(), State::Negotiating); // it waits for the initiator to give up
    QVERIFY(initiator.protocol().empty());
}

void TestMultistreamSelect::initiatorRemainderAfterDone() {
    auto initiator = MultistreamSelect::initiator({"/noise"});
    initiator.start();
    initiator.takeOutput();
    const Bytes noise = fromHex("0020aabbccdd0a0a");
    initiator.feed(cat({headerMsg, msg("/noise"), noise}));
    QCOMPARE(initiator.state(), State::Done);
    QCOMPARE(initiator.takeRemainder(), noise);
    QVERIFY(initiator.takeRemainder().empty()); // drained
    // Later bytes are never parsed as mss: they go to the remainder untouched.
    initiator.feed(headerMsg);
    QCOMPARE(initiator.takeRemainder(), headerMsg);
    QVERIFY(initiator.takeOutput().empty());
    QCOMPARE(initiator.state(), State::Done);
}

void TestMultistreamSelect::responderRemainderAfterDone() {
    auto responder = MultistreamSelect::responder({"/noise"});
    responder.start();
    responder.takeOutput();
    const Bytes pipelined = cat({fromHex("0020"), msg("/not-for-mss")});
    responder.feed(cat({headerMsg, msg("/noise"), pipelined}));
    QCOMPARE(responder.state(), State::Done);
    QCOMPARE(responder.takeOutput(), msg("/noise"));
    QCOMPARE(responder.takeRemainder(), pipelined);
}

void TestMultistreamSelect::responderEverySplitPoint() {
    const Bytes tail = fromHex("00ff7f800a");
    const Bytes input = cat({headerMsg, msg("/tls/1.0.0"), msg("/noise"), tail});
    const Bytes expectedOutput = cat({headerMsg, msg("na"), msg("/noise")});
    for (std::size_t split = 0; split <= input.size(); ++split) {
        auto responder = MultistreamSelect::responder({"/noise"});
        responder.start();
        responder.feed(ByteView(input).first(split));
        responder.feed(ByteView(input).subspan(split));
        QVERIFY2(responder.state() == State::Done, qPrintable(QString::number(split)));
        QCOMPARE(responder.takeOutput(), expectedOutput);
        QCOMPARE(responder.takeRemainder(), tail);
    }
    // One byte at a time: the remainder is collected across feeds after Done.
    auto responder = MultistreamSelect::responder({"/noise"});
    responder.start();
    for (std::uint8_t byte : input)
        responder.feed(ByteView(&byte, 1));
    QCOMPARE(responder.state(), State::Done);
    QCOMPARE(responder.takeOutput(), expectedOutput);
    QCOMPARE(responder.takeRemainder(), tail);
}

void TestMultistreamSelect::initiatorEverySplitPoint() {
    const Bytes tail = fromHex("0102030405");
    const Bytes input = cat({headerMsg, msg("na"), msg("/noise"), tail});
    for (std::size_t split = 0; split <= input.size(); ++split) {
        auto initiator = MultistreamSelect::initiator({"/tls/1.0.0", "/noise"});
        initiator.start();
        initiator.feed(ByteView(input).first(split));
        initiator.feed(ByteView(input).subspan(split));
        QVERIFY2(initiator.state() == State::Done, qPrintable(QString::number(split)));
        QCOMPARE(initiator.takeOutput(), cat({headerMsg, msg("/tls/1.0.0"), msg("/noise")}));
        QCOMPARE(initiator.takeRemainder(), tail);
    }
}

void TestMultistreamSelect::malformed_data() {
    QTest::addColumn<bool>("initiator");
    QTest::addColumn<QByteArray>("input");
    QTest::addColumn<QString>("errorPart");
    const auto raw = [](const Bytes& bytes) {
        return QByteArray(reinterpret_cast<const char*>(bytes.data()),
                          static_cast<qsizetype>(bytes.size()));
    };
    QTest::newRow("non-minimal varint")
        << false << raw(fromHex("8000")) << QStringLiteral("bad message length");
    QTest::newRow("overlong varint")
        << false << raw(fromHex("ffffffffffffffffff01")) << QStringLiteral("bad message length");
    QTest::newRow("oversize") << false << raw(cat({fromHex("8108"), Bytes(1025, 'a')}))
                              << QStringLiteral("1025 bytes exceeds the limit of 1024");
    QTest::newRow("missing newline")
        << false << raw(fromHex("03616263")) << QStringLiteral("does not end in a newline");
    QTest::newRow("empty message")
        << false << raw(fromHex("00")) << QStringLiteral("does not end in a newline");
    QTest::newRow("wrong header")
        << false << raw(msg("/multistream/2.0.0"))
        << QStringLiteral("expected header '/multistream/1.0.0', got '/multistream/2.0.0'");
    QTest::newRow("proposal before header")
        << false << raw(msg("/noise")) << QStringLiteral("expected header");
    QTest::newRow("na instead of header")
        << true << raw(msg("na"))
        << QStringLiteral("expected header '/multistream/1.0.0', got 'na'");
    QTest::newRow("unexpected answer")
        << true << raw(cat({headerMsg, msg("/yamux/1.0.0")}))
        << QStringLiteral("unexpected answer '/yamux/1.0.0' to proposal '/noise'");
    QTest::newRow("missing newline after header")
        << true << raw(cat({headerMsg, fromHex("076e6f6973652f2f")}))
        << QStringLiteral("does not end in a newline");
    QTest::newRow("control bytes are escaped")
        << true << raw(fromHex("03010a0a")) << QStringLiteral("got '\\x01\\x0a'");
}

void TestMultistreamSelect::malformed() {
    QFETCH(bool, initiator);
    QFETCH(QByteArray, input);
    QFETCH(QString, errorPart);
    auto mss = initiator ? MultistreamSelect::initiator({"/noise"})
                         : MultistreamSelect::responder({"/noise"});
    mss.start();
    mss.feed(ByteView(reinterpret_cast<const std::uint8_t*>(input.constData()),
                      static_cast<std::size_t>(input.size())));
    QCOMPARE(mss.state(), State::Failed);
    QVERIFY2(qs(mss.error()).contains(errorPart), mss.error().c_str());
    QVERIFY(mss.takeRemainder().empty());
}

void TestMultistreamSelect::oversizeFailsBeforeBody() {
    auto responder = MultistreamSelect::responder({"/noise"});
    responder.feed(fromHex("8108")); // claims 1025 bytes; the body never needs to arrive
    QCOMPARE(responder.state(), State::Failed);
    // 1024 itself is allowed: it waits for the body.
    auto ok = MultistreamSelect::responder({"/noise"});
    ok.feed(fromHex("8008"));
    QCOMPARE(ok.state(), State::Negotiating);
}

void TestMultistreamSelect::lsAnsweredWithNa() {
    auto responder = MultistreamSelect::responder({"/noise", "ls"});
    responder.start();
    responder.takeOutput();
    responder.feed(cat({headerMsg, msg("ls")}));
    QCOMPARE(responder.state(), State::Negotiating);
    QCOMPARE(responder.takeOutput(), msg("na"));
    responder.feed(msg("/noise"));
    QCOMPARE(responder.state(), State::Done);
    QCOMPARE(responder.takeOutput(), msg("/noise"));
}

void TestMultistreamSelect::responderRoundLimit() {
    auto responder = MultistreamSelect::responder({"/noise"});
    responder.start();
    responder.takeOutput();
    responder.feed(headerMsg);
    Bytes expected;
    for (int i = 0; i < 32; ++i) {
        responder.feed(msg("/p" + std::to_string(i)));
        append(expected, msg("na"));
    }
    QCOMPARE(responder.state(), State::Negotiating);
    responder.feed(msg("/noise")); // would match, but it is round 33
    QCOMPARE(responder.state(), State::Failed);
    QVERIFY2(qs(responder.error()).contains(QStringLiteral("more than 32 proposals")),
             responder.error().c_str());
    QCOMPARE(responder.takeOutput(), expected);
}

void TestMultistreamSelect::initiatorRoundLimit() {
    std::vector<std::string> proposals;
    for (int i = 0; i < 40; ++i)
        proposals.push_back("/p" + std::to_string(i));
    auto initiator = MultistreamSelect::initiator(proposals);
    initiator.start();
    initiator.feed(headerMsg);
    int sent = 1;
    initiator.takeOutput();
    for (int i = 0; i < 40 && initiator.state() == State::Negotiating; ++i) {
        initiator.feed(msg("na"));
        if (!initiator.takeOutput().empty())
            ++sent;
    }
    QCOMPARE(initiator.state(), State::Failed);
    QCOMPARE(sent, 32);
    QVERIFY2(qs(initiator.error()).contains(QStringLiteral("32 rounds")),
             initiator.error().c_str());
}

void TestMultistreamSelect::emptyProposalList() {
    auto initiator = MultistreamSelect::initiator({});
    initiator.start();
    QCOMPARE(initiator.state(), State::Failed);
    QVERIFY(initiator.takeOutput().empty());
    QVERIFY(qs(initiator.error()).contains(QStringLiteral("no protocols")));
}

void TestMultistreamSelect::feedAfterFailureIgnored() {
    auto responder = MultistreamSelect::responder({"/noise"});
    responder.start();
    responder.takeOutput();
    responder.feed(msg("/wrong"));
    QCOMPARE(responder.state(), State::Failed);
    const std::string error = responder.error();
    responder.feed(cat({headerMsg, msg("/noise")}));
    QCOMPARE(responder.state(), State::Failed);
    QCOMPARE(qs(responder.error()), qs(error));
    QVERIFY(responder.takeOutput().empty());
    QVERIFY(responder.takeRemainder().empty());
}

QTEST_APPLESS_MAIN(TestMultistreamSelect)
#include "tst_multistream_select.moc"
