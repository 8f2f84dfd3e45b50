// Backpressure end to end on real loopback connections: a stream's write queue is bounded, a
// peer that does not read is held by windows and by pausing reads, handlers read only what
// they can process, and the bytes-buffered resource returns to zero.
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/perf_service.h"
#include "engine/net/ping_service.h"
#include "engine/net/stream.h"
#include "engine/protocol/identify_message.h"
#include "engine/protocol/length_prefixed.h"
#include "engine/protocol/multistream_select.h"
#include "engine/protocol/noise_handshake.h"
#include "engine/protocol/noise_transport.h"
#include "engine/protocol/ping_exchange.h"
#include "engine/protocol/yamux_frame.h"
#include "support/raw_client.h"

#include <QPointer>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <memory>
#include <optional>

using namespace peerscope;
using namespace std::chrono_literals;
using S = ResourceScope;
using R = Resource;

namespace {

constexpr const char* sinkProtocol = "/peerscope/test/sink/1.0.0";            // never reads
constexpr const char* closeReadProtocol = "/peerscope/test/close-read/1.0.0"; // closeRead()

Stream* findStream(Connection* connection, const char* protocol) {
    if (connection == nullptr)
        return nullptr;
    for (Stream* stream : connection->streams())
        if (stream->protocol() == protocol)
            return stream;
    return nullptr;
}

} // namespace

class TestBackpressure final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    std::unique_ptr<Host> a_;
    std::unique_ptr<Host> b_;
    Multiaddr bAddr_;

    void start(HostOptions aOptions, HostOptions bOptions) {
        a_ = std::make_unique<Host>(PrivateKey::generateEd25519(), aOptions, clock_);
        b_ = std::make_unique<Host>(PrivateKey::generateEd25519(), bOptions, clock_);
        Result<Multiaddr> bound = b_->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value());
        QVERIFY(bound.ok());
        bAddr_ = bound->withPeerId(b_->peerId());
        b_->setStreamHandler(sinkProtocol, [](Stream*) {});
        b_->setStreamHandler(closeReadProtocol, [](Stream* stream) { stream->closeRead(); });
    }

    Connection* dial() {
        std::optional<Result<Connection*>> result;
        a_->dial(bAddr_, [&](Result<Connection*> r) { result = std::move(r); });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 10000) || !*result)
            return nullptr;
        return result->value();
    }

    Stream* open(Connection* connection, const char* protocol) {
        std::optional<Result<Stream*>> opened;
        connection->openStream({protocol}, [&](Result<Stream*> s) { opened = std::move(s); });
        if (!QTest::qWaitFor([&] { return opened.has_value(); }, 5000) || !*opened)
            return nullptr;
        return opened->value();
    }

    // B's side of the connection from A (the first one B has).
    Connection* bSide() {
        for (Connection* connection : b_->connections())
            if (connection->remotePeer() == a_->peerId())
                return connection;
        return nullptr;
    }

    // One ping round trip A -> B: the event loop turned and B still answers.
    bool pingWorks(Connection* connection) {
        std::optional<Result<std::vector<MonoTime>>> rtts;
        a_->pingService().ping(connection, 1, 5000ms, [&](auto r) { rtts = std::move(r); });
        return QTest::qWaitFor([&] { return rtts.has_value(); }, 6000) && rtts->ok();
    }

private Q_SLOTS:
    void cleanup() {
        a_.reset();
        b_.reset();
    }

    void writeBeyondTheStreamBoundResetsAndCounts() {
        HostOptions writer;
        writer.resources.streamBufferedBytes = 2 * 1024 * 1024;
        start(writer, {});
        Connection* connection = dial();
        QVERIFY(connection);
        QPointer<Stream> stream = open(connection, sinkProtocol);
        QVERIFY(stream);
        QSignalSpy closed(stream.data(), &Stream::closed);
        // B never reads: after its window, every write waits in A's queue until the bound.
        const Bytes chunk(512 * 1024, 0x42);
        int writes = 0;
        while (stream && !stream->isReset() && writes < 16) {
            stream->write(chunk);
            ++writes;
        }
        QCOMPARE(writes, 5); // 2.5 MiB written, 256 KiB of it sent: the fifth passes 2 MiB
        QCOMPARE(closed.count(), 1);
        QCOMPARE(a_->counters().streamsReset.at("write_queue_full"), 1u);
        QCOMPARE(a_->resources().refused(S::Stream, R::BytesBuffered), std::uint64_t(1));
        // The peer hears of it, and the queue is gone.
        QTRY_VERIFY_WITH_TIMEOUT(findStream(bSide(), sinkProtocol) == nullptr, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(connection->bufferedBytes(), std::size_t(0), 5000);
        QVERIFY(pingWorks(connection));
    }

    void pingFloodNotReadIsHeldByTheWindow() {
        start({}, {});
        Connection* connection = dial();
        QVERIFY(connection);
        QPointer<Stream> flood = open(connection, pingProtocolId);
        QVERIFY(flood);
        // A sends 4 MiB of pings and never reads an echo.
        const Bytes pings(4 * 1024 * 1024, 0x17);
        flood->write(pings);
        Stream* served = nullptr;
        // B stops reading once an echo waits: its unread pings stop A, by the window.
        QTRY_VERIFY_WITH_TIMEOUT((served = findStream(bSide(), pingProtocolId)) != nullptr &&
                                     served->bytesAvailable() > 0 && served->queuedBytes() > 0,
                                 10000);
        QVERIFY(pingWorks(connection)); // other streams still work; a turn of the loop passes
        const std::size_t heldByA = flood->queuedBytes();
        QVERIFY2(heldByA >= 2 * 1024 * 1024, qPrintable(QString::number(heldByA)));
        // B holds one chunk's echo beyond the window, not the flood.
        QVERIFY2(served->queuedBytes() <= 4096, qPrintable(QString::number(served->queuedBytes())));
        QVERIFY(bSide()->bufferedBytes() < 4 * 1024 * 1024 - heldByA + 4096);
        QCOMPARE(flood->queuedBytes(), heldByA); // nothing moves while nobody reads
        // A reads the echoes: everything flows again and B echoes every ping.
        std::size_t echoed = 0;
        connect(flood, &Stream::readyRead, this, [&] { echoed += flood->discardAll(); });
        echoed += flood->discardAll();
        QTRY_COMPARE_WITH_TIMEOUT(echoed, pings.size(), 10000);
    }

    void identifyPushOverEightKibIsResetAndCounted() {
        start({}, {});
        Connection* connection = dial();
        QVERIFY(connection);
        QPointer<Stream> big = open(connection, identifyPushProtocolId);
        QVERIFY(big);
        QSignalSpy reset(big.data(), &Stream::wasReset);
        big->write(lengthPrefixed(Bytes(8 * 1024 + 1, 0x0a)));
        QTRY_COMPARE_WITH_TIMEOUT(reset.count(), 1, 5000);
        QCOMPARE(b_->counters().streamsReset.at("identify_push_too_large"), 1u);

        // One good message, then a second: reset too.
        QPointer<Stream> twice = open(connection, identifyPushProtocolId);
        QVERIFY(twice);
        QSignalSpy resetTwice(twice.data(), &Stream::wasReset);
        IdentifyMessage message;
        message.agentVersion = "test";
        Bytes two = lengthPrefixed(message.encode());
        append(two, lengthPrefixed(message.encode()));
        twice->write(two);
        QTRY_COMPARE_WITH_TIMEOUT(resetTwice.count(), 1, 5000);
        QCOMPARE(b_->counters().streamsReset.at("identify_push_too_large"), 2u);

        // One message of 8 KiB exactly is taken, and the stream closed by B.
        QPointer<Stream> fine = open(connection, identifyPushProtocolId);
        QVERIFY(fine);
        QSignalSpy remoteClosed(fine.data(), &Stream::remoteClosed);
        message.agentVersion = std::string(8 * 1024 - 3, 'x'); // tag and 2-byte length
        QCOMPARE(message.encode().size(), std::size_t(8 * 1024));
        fine->write(lengthPrefixed(message.encode()));
        QTRY_COMPARE_WITH_TIMEOUT(remoteClosed.count(), 1, 5000);
        QVERIFY(!fine->isReset());
        QTRY_COMPARE_WITH_TIMEOUT(b_->peerRecord(a_->peerId())->agentVersion, *message.agentVersion,
                                  5000);
        QCOMPARE(b_->counters().streamsReset.at("identify_push_too_large"), 2u);
    }

    void closeReadDropsInputWithoutCredit() {
        start({}, {});
        Connection* connection = dial();
        QVERIFY(connection);
        QPointer<Stream> stream = open(connection, closeReadProtocol);
        QVERIFY(stream);
        stream->write(Bytes(1024 * 1024, 0x33));
        // B dropped what came and credited nothing: A holds the rest of its megabyte.
        QTRY_VERIFY_WITH_TIMEOUT(stream->queuedBytes() < 1024 * 1024, 5000);
        QVERIFY(pingWorks(connection));
        QVERIFY2(stream->queuedBytes() >= 768 * 1024,
                 qPrintable(QString::number(stream->queuedBytes())));
        QCOMPARE(bSide()->bufferedBytes(), std::size_t(0));
        Stream* served = findStream(bSide(), closeReadProtocol);
        QVERIFY(served);
        QCOMPARE(served->bytesAvailable(), std::size_t(0));
        QVERIFY(served->isReadClosed());
    }

    void protocolNotSupportedIsCounted() {
        start({}, {});
        Connection* connection = dial();
        QVERIFY(connection);
        // A does not serve perf; B asks for it.
        std::optional<Result<PerfResult>> result;
        QTRY_VERIFY_WITH_TIMEOUT(bSide() != nullptr, 5000);
        b_->perfService().run(bSide(), 10, 10,
                              [&](Result<PerfResult> r) { result = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 5000);
        QVERIFY(!result->ok());
        QTRY_COMPARE_WITH_TIMEOUT(a_->counters().streamsRefused.count("protocol_not_supported"),
                                  std::size_t(1), 5000);
        QCOMPARE(a_->counters().streamsRefused.at("protocol_not_supported"), 1u);
        QVERIFY(b_->counters().streamsRefused.empty());
    }

    void newStreamsRefusedOverBufferedBytesAndAccountingReturnsToZero() {
        HostOptions holder;
        holder.resources.connectionBufferedBytes = 400 * 1024;
        start({}, holder);
        Connection* connection = dial();
        QVERIFY(connection);
        QPointer<Stream> first = open(connection, sinkProtocol);
        QVERIFY(first);
        first->write(Bytes(300 * 1024, 0x01));
        // B holds a window (256 KiB) of it unread.
        QTRY_VERIFY_WITH_TIMEOUT(
            b_->resources().connectionUse(bSide()->id(), R::BytesBuffered) >= 200 * 1024, 5000);
        QVERIFY(b_->resources().systemUse(R::BytesBuffered) >= 200 * 1024);
        // Another window would pass the connection's 400 KiB: refused before any handler.
        std::optional<Result<Stream*>> second;
        connection->openStream({sinkProtocol}, [&](Result<Stream*> s) { second = std::move(s); });
        QTRY_VERIFY_WITH_TIMEOUT(second.has_value(), 5000);
        QVERIFY(!second->ok());
        QCOMPARE(b_->resources().refused(S::Connection, R::BytesBuffered), std::uint64_t(1));
        // Every byte is given back once the connections are gone.
        a_->closeAll(QStringLiteral("test"));
        QTRY_VERIFY_WITH_TIMEOUT(b_->connections().empty(), 5000);
        QCOMPARE(b_->resources().systemUse(R::BytesBuffered), std::uint64_t(0));
        QCOMPARE(a_->resources().systemUse(R::BytesBuffered), std::uint64_t(0));
        QCOMPARE(b_->resources().entryCount(S::Connection), std::size_t(0));
        QCOMPARE(b_->resources().entryCount(S::Peer), std::size_t(0));
    }

    void readsPauseWhenThePeerFloodsPingsWithoutReading() {
        start({}, {});
        Connection* healthy = dial();
        QVERIFY(healthy);
        // A client that reads nothing after its handshake: a small kernel receive buffer, and
        // from then on Qt takes at most 64 KiB from the kernel, so what the node sends piles up
        // in the kernel and then in the node.
        test::RawClient raw;
        raw.socket().setSocketOption(QAbstractSocket::ReceiveBufferSizeSocketOption, 64 * 1024);
        QVERIFY(raw.handshake(bAddr_));
        raw.socket().setReadBufferSize(64 * 1024);
        QTRY_COMPARE_WITH_TIMEOUT(b_->connections().size(), std::size_t(2), 5000);
        Connection* flooded = nullptr;
        for (Connection* connection : b_->connections())
            if (connection != bSide())
                flooded = connection;
        QVERIFY(flooded);
        // 32 MiB of yamux pings, each answered with a pong the raw client never reads.
        Bytes pings;
        pings.reserve(32 * 1024 * 1024);
        for (std::uint32_t i = 0; pings.size() < 32 * 1024 * 1024; ++i)
            yamux::appendHeader(pings, yamux::FrameType::Ping, yamux::flag::syn, 0, i);
        raw.sendEncrypted(pings);
        QTRY_VERIFY_WITH_TIMEOUT(b_->counters().readPauses >= 1, 20000);
        QVERIFY(flooded->readsPaused());
        // The queue stopped near the bound (at most one read's answers past it), and is what
        // the node counts as buffered for that connection.
        const std::size_t bound = Connection::readPauseBound + 512 * 1024;
        QVERIFY2(flooded->socketQueuedBytes() <= bound,
                 qPrintable(QString::number(flooded->socketQueuedBytes())));
        QVERIFY(b_->resources().connectionUse(flooded->id(), R::BytesBuffered) >
                Connection::readPauseBound);
        // Other connections keep working, and the flooded queue stays bounded meanwhile.
        QVERIFY(pingWorks(healthy));
        QVERIFY(pingWorks(healthy));
        QVERIFY(flooded->socketQueuedBytes() <= bound);
        QVERIFY(flooded->isOpen());
    }
};

QTEST_GUILESS_MAIN(TestBackpressure)
#include "tst_backpressure.moc"
