// A connection inside a stream, as a circuit through a relay will be: two real Hosts on
// loopback TCP; A opens a stream to B with a test protocol, both ends wrap it in a StreamPipe
// and upgrade it (A Initiator, B Responder) into a second, nested Connection (Noise and yamux
// inside the outer yamux stream), a first-class connection of each host. Runs on the engine's
// epoll dispatcher (PEERSCOPE_EVENT_DISPATCHER=qt: Qt's own).
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/net/connection.h"
#include "engine/net/epoll_event_dispatcher.h"
#include "engine/net/host.h"
#include "engine/net/ping_service.h"
#include "engine/net/stream.h"
#include "engine/net/stream_pipe.h"
#include "engine/protocol/yamux_session.h"

#include <QCoreApplication>
#include <QPointer>
#include <QSignalSpy>
#include <QTest>
#include <memory>
#include <optional>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {

constexpr const char* tunnelProtocol = "/peerscope/test/tunnel/1.0.0";
constexpr const char* echoProtocol = "/peerscope/test/echo/1.0.0";
constexpr const char* sinkProtocol = "/peerscope/test/sink/1.0.0";

// Echoes everything back and closes its side when the remote does.
void serveEcho(Stream* stream) {
    QObject::connect(stream, &Stream::readyRead, stream,
                     [stream] { stream->write(stream->readAll()); });
    QObject::connect(stream, &Stream::remoteClosed, stream, [stream] { stream->closeWrite(); });
    if (stream->bytesAvailable() > 0)
        stream->write(stream->readAll());
}

// Writes `total` bytes as the stream takes them (never more than 64 KiB queued).
struct Writer {
    QPointer<Stream> stream;
    std::uint64_t total = 0;
    std::uint64_t written = 0;

    void pump() {
        const Bytes chunk(16 * 1024, 0x5a);
        while (stream && written < total && stream->queuedBytes() < 64 * 1024) {
            const std::size_t n =
                static_cast<std::size_t>(std::min<std::uint64_t>(chunk.size(), total - written));
            stream->write(ByteView(chunk.data(), n));
            written += n;
        }
    }
};

Multiaddr circuitAddr(const Multiaddr& carrier) {
    Result<Multiaddr> parsed = Multiaddr::parse(carrier.toString() + "/p2p-circuit");
    return parsed ? parsed.value() : carrier;
}

bool contains(const std::vector<Connection*>& connections, const Connection* connection) {
    return std::find(connections.begin(), connections.end(), connection) != connections.end();
}

} // namespace

class TestConnectionOverStream final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    std::unique_ptr<Host> a_;
    std::unique_ptr<Host> b_;
    Multiaddr bAddr_;
    QPointer<Connection> outerA_;                  // A's TCP connection to B
    QPointer<Connection> nestedA_;                 // A's connection inside the carrier stream
    QPointer<Connection> nestedB_;                 // B's end of it
    QPointer<Stream> carrierA_;                    // the carrier stream, A's end
    QPointer<Stream> carrierB_;                    // B's end
    QPointer<StreamPipe> pipeB_;                   // B's pipe over it (owned by nestedB_)
    std::optional<Result<Connection*>> upgradedB_; // B's upgradePipe result
    std::uint64_t sunk_ = 0;                       // bytes B's sink handler read

    std::optional<Result<std::vector<MonoTime>>> ping(Connection* connection) {
        std::optional<Result<std::vector<MonoTime>>> result;
        a_->pingService().ping(connection, 2, 5000ms,
                               [&](Result<std::vector<MonoTime>> r) { result = std::move(r); });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 10000))
            return std::nullopt;
        return result;
    }

    // Opens `protocol` on `connection` and waits for it.
    Stream* openOn(Connection* connection, const char* protocol) {
        std::optional<Result<Stream*>> opened;
        connection->openStream({protocol}, [&](Result<Stream*> r) { opened = std::move(r); });
        if (!QTest::qWaitFor([&] { return opened.has_value(); }, 10000) || !*opened)
            return nullptr;
        return opened->value();
    }

    // A sends `size` bytes on a new echo stream of `connection` and reads them all back.
    bool echoes(Connection* connection, std::size_t size) {
        Stream* stream = openOn(connection, echoProtocol);
        if (!stream)
            return false;
        QPointer<Stream> guard(stream);
        Bytes sent(size);
        for (std::size_t i = 0; i < size; ++i)
            sent[i] = static_cast<std::uint8_t>(i * 7 + 3);
        Bytes received;
        QObject::connect(stream, &Stream::readyRead, stream,
                         [&] { append(received, stream->readAll()); });
        stream->write(sent);
        stream->closeWrite();
        if (!QTest::qWaitFor([&] { return received.size() >= size || !guard; }, 15000))
            return false;
        return received == sent;
    }

private Q_SLOTS:
    void init() {
        a_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        b_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        Result<Multiaddr> bound = b_->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value());
        QVERIFY(bound.ok());
        bAddr_ = bound->withPeerId(b_->peerId());
        upgradedB_.reset();
        sunk_ = 0;
        for (Host* host : {a_.get(), b_.get()})
            host->setStreamHandler(echoProtocol, serveEcho);
        b_->setStreamHandler(sinkProtocol, [this](Stream* stream) {
            QObject::connect(stream, &Stream::readyRead, stream,
                             [this, stream] { sunk_ += stream->discardAll(); });
            sunk_ += stream->discardAll();
        });
        // B: the carrier stream becomes a pipe, the pipe a connection of B's (Responder).
        b_->setStreamHandler(tunnelProtocol, [this](Stream* stream) {
            carrierB_ = stream;
            auto pipe = std::make_unique<StreamPipe>(stream);
            pipeB_ = pipe.get();
            PipeOrigin origin;
            origin.remoteAddr = circuitAddr(stream->connection()->info().remoteAddr);
            origin.relay = stream->connection()->remotePeer();
            b_->upgradePipe(std::move(pipe), Upgrader::Role::Responder, std::nullopt,
                            std::move(origin),
                            [this](Result<Connection*> r) { upgradedB_ = std::move(r); });
        });

        // A: dial B, open the carrier stream, upgrade it as the Initiator.
        std::optional<Result<Connection*>> dialed;
        a_->dial(bAddr_, [&](Result<Connection*> r) { dialed = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(dialed.has_value(), 10000);
        QVERIFY2(dialed->ok(), dialed->ok() ? "" : dialed->errorMessage().c_str());
        outerA_ = dialed->value();
        carrierA_ = openOn(outerA_, tunnelProtocol);
        QVERIFY(carrierA_);

        QSignalSpy openedA(a_.get(), &Host::connectionOpened);
        std::optional<Result<Connection*>> upgradedA;
        PipeOrigin origin;
        origin.remoteAddr = circuitAddr(bAddr_);
        origin.relay = b_->peerId();
        a_->upgradePipe(std::make_unique<StreamPipe>(carrierA_.data()), Upgrader::Role::Initiator,
                        b_->peerId(), std::move(origin),
                        [&](Result<Connection*> r) { upgradedA = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(upgradedA.has_value() && upgradedB_.has_value(), 10000);
        QVERIFY2(upgradedA->ok(), upgradedA->ok() ? "" : upgradedA->errorMessage().c_str());
        QVERIFY2(upgradedB_->ok(), upgradedB_->ok() ? "" : upgradedB_->errorMessage().c_str());
        nestedA_ = upgradedA->value();
        nestedB_ = upgradedB_->value();
        QCOMPARE(openedA.count(), 1);
    }

    void cleanup() {
        a_.reset();
        b_.reset();
    }

    // The nested connection is one of each host's connections, told apart by its relay, and
    // identify ran on it like on any other.
    void nestedConnectionIsFirstClass() {
        QVERIFY(nestedA_ && nestedB_);
        QVERIFY(nestedA_ != outerA_);
        QCOMPARE(nestedA_->remotePeer(), b_->peerId());
        QCOMPARE(nestedB_->remotePeer(), a_->peerId());
        QCOMPARE(nestedA_->info().direction, Direction::Outbound);
        QCOMPARE(nestedB_->info().direction, Direction::Inbound);
        QCOMPARE(nestedA_->info().relay, std::optional<PeerId>(b_->peerId()));
        QCOMPARE(nestedB_->info().relay, std::optional<PeerId>(a_->peerId()));
        QVERIFY(!outerA_->info().relay.has_value());
        QCOMPARE(nestedA_->info().remoteAddr.toString(), circuitAddr(bAddr_).toString());
        QVERIFY(nestedA_->info().muxerInHandshake);
        QCOMPARE(a_->connectionsTo(b_->peerId()).size(), std::size_t(2));
        QVERIFY(contains(a_->connections(), nestedA_));
        QVERIFY(contains(b_->connections(), nestedB_));
        // Counted as connections, no longer as handshakes.
        QCOMPARE(a_->resources().systemUse(Resource::PendingHandshakes), std::uint32_t(0));
        QCOMPARE(b_->resources().systemUse(Resource::PendingHandshakes), std::uint32_t(0));
        QCOMPARE(a_->resources().systemUse(Resource::OutboundConnections), std::uint32_t(2));
        QCOMPARE(b_->resources().systemUse(Resource::InboundConnections), std::uint32_t(2));
        QTRY_VERIFY_WITH_TIMEOUT(nestedA_->protocolBytes().count("/ipfs/id/1.0.0") == 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(nestedB_->protocolBytes().count("/ipfs/id/1.0.0") == 1, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(nestedA_->protocolBytes().at("/ipfs/id/1.0.0").in > 0, 5000);
        // What B observed of A through the carrier is no address of A's own.
        QTRY_VERIFY_WITH_TIMEOUT(!a_->observedAddrs().empty(), 5000);
        for (const Multiaddr& observed : a_->observedAddrs())
            QVERIFY2(observed.toString().find("p2p-circuit") == std::string::npos,
                     observed.toString().c_str());
    }

    // Ping and streams both ways over the nested connection; its bytes travel in the carrier.
    void dataFlowsBothWays() {
        const std::uint64_t carrierInBefore = outerA_->bytesIn();
        std::optional<Result<std::vector<MonoTime>>> pinged = ping(nestedA_);
        QVERIFY(pinged.has_value());
        QVERIFY2(pinged->ok(), pinged->ok() ? "" : pinged->errorMessage().c_str());
        QCOMPARE(pinged->value().size(), std::size_t(2));
        QVERIFY(echoes(nestedA_, 3 * 1024 * 1024 + 17)); // many windows, both directions
        // And B opens streams on it towards A.
        Stream* fromB = openOn(nestedB_, echoProtocol);
        QVERIFY(fromB);
        Bytes back;
        QObject::connect(fromB, &Stream::readyRead, fromB, [&] { append(back, fromB->readAll()); });
        fromB->write(Bytes{1, 2, 3, 4});
        QTRY_COMPARE_WITH_TIMEOUT(back, (Bytes{1, 2, 3, 4}), 5000);
        QVERIFY(outerA_->bytesIn() - carrierInBefore > 3 * 1024 * 1024);
        QVERIFY(nestedA_->bytesIn() > 3 * 1024 * 1024);
    }

    // Closing the carrier stream closes the nested connection on both sides, saying why; the
    // outer connection and its other streams go on.
    void closingTheCarrierClosesTheNestedConnection() {
        QSignalSpy closedA(nestedA_.data(), &Connection::closed);
        QSignalSpy closedB(nestedB_.data(), &Connection::closed);
        QSignalSpy hostClosedA(a_.get(), &Host::connectionClosed);
        carrierA_->reset();
        QTRY_COMPARE_WITH_TIMEOUT(closedA.count(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(closedB.count(), 1, 5000);
        const QString reasonA = closedA.at(0).at(0).toString();
        const QString reasonB = closedB.at(0).at(0).toString();
        QVERIFY2(reasonA.startsWith("carrier stream reset"), qPrintable(reasonA));
        QCOMPARE(reasonB, QStringLiteral("carrier stream reset"));
        QTRY_COMPARE_WITH_TIMEOUT(hostClosedA.count(), 1, 5000);
        QVERIFY(outerA_ && outerA_->isOpen());
        QTRY_COMPARE_WITH_TIMEOUT(a_->connectionsTo(b_->peerId()).size(), std::size_t(1), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b_->connectionsTo(a_->peerId()).size(), std::size_t(1), 5000);
        std::optional<Result<std::vector<MonoTime>>> pinged = ping(outerA_);
        QVERIFY(pinged.has_value() && pinged->ok());
        QVERIFY(echoes(outerA_, 100 * 1024));
    }

    // The far end closing its side of the carrier (a FIN) ends the pipe too.
    void remoteCloseOfTheCarrierClosesTheNestedConnection() {
        QSignalSpy closedA(nestedA_.data(), &Connection::closed);
        QVERIFY(carrierB_);
        carrierB_->closeWrite();
        QTRY_COMPARE_WITH_TIMEOUT(closedA.count(), 1, 5000);
        QCOMPARE(closedA.at(0).at(0).toString(),
                 QStringLiteral("carrier stream closed by the remote"));
        QTRY_VERIFY_WITH_TIMEOUT(!nestedB_ || !nestedB_->isOpen(), 5000);
        QVERIFY(outerA_ && outerA_->isOpen());
    }

    // The carrier's connection closing takes the nested one with it, with its reason.
    void closingTheCarrierConnectionClosesTheNestedConnection() {
        QSignalSpy closedA(nestedA_.data(), &Connection::closed);
        outerA_->close(QStringLiteral("test closes the carrier"));
        QTRY_COMPARE_WITH_TIMEOUT(closedA.count(), 1, 5000);
        QCOMPARE(closedA.at(0).at(0).toString(),
                 QStringLiteral("carrier connection closed: test closes the carrier"));
        QTRY_VERIFY_WITH_TIMEOUT(!nestedB_ || !nestedB_->isOpen(), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(a_->connectionCount(), std::size_t(0), 5000);
    }

    // The carrier stream's queue is bounded like any stream's: with a bound below what the
    // nested connection queues, a B that does not read gets A's carrier stream reset, and the
    // nested connection closes on both sides, while the outer one goes on.
    void theCarrierStreamsQueueIsBounded() {
        QVERIFY(pipeB_);
        ResourceLimits limits;
        limits.streamBufferedBytes = 512 * 1024;
        a_->setResourceLimits(limits);
        QSignalSpy closedA(nestedA_.data(), &Connection::closed);
        QSignalSpy closedB(nestedB_.data(), &Connection::closed);
        const auto resetsBefore = a_->counters().streamsReset.count("write_queue_full");
        pipeB_->pauseReads(true);
        std::vector<std::unique_ptr<Writer>> writers;
        // The bound may be passed before all eight are open.
        for (int i = 0; i < 8 && nestedA_ && nestedA_->isOpen(); ++i) {
            std::optional<Result<Stream*>> opened;
            nestedA_->openStream(
                {sinkProtocol}, [&](Result<Stream*> r) { opened = std::move(r); },
                StreamNegotiation::Optimistic);
            QVERIFY(opened.has_value() && opened->ok());
            auto writer = std::make_unique<Writer>();
            writer->stream = opened->value();
            writer->total = 1024 * 1024;
            Writer* w = writer.get();
            QObject::connect(w->stream, &Stream::writable, w->stream, [w] { w->pump(); });
            w->pump();
            writers.push_back(std::move(writer));
        }
        QTRY_COMPARE_WITH_TIMEOUT(closedA.count(), 1, 10000);
        QCOMPARE(closedA.at(0).at(0).toString(),
                 QStringLiteral("carrier stream reset on our side"));
        QTRY_COMPARE_WITH_TIMEOUT(closedB.count(), 1, 10000);
        QCOMPARE(closedB.at(0).at(0).toString(), QStringLiteral("carrier stream reset"));
        QCOMPARE(a_->counters().streamsReset.count("write_queue_full"), resetsBefore + 1);
        QVERIFY(outerA_ && outerA_->isOpen());
        QVERIFY(echoes(outerA_, 64 * 1024));
    }

    // B's nested connection stops reading its pipe: the carrier's yamux window holds A back
    // after a window's worth, not the nested streams' windows (eight of them, 2 MiB in all),
    // so what waits anywhere is bounded. The outer connection serves its other streams
    // meanwhile; once B reads again everything arrives.
    void aNestedPeerThatStopsReadingIsHeldBackByTheCarrierWindow() {
        QVERIFY(pipeB_ && carrierB_);
        pipeB_->pauseReads(true);
        constexpr int streams = 8;
        constexpr std::uint64_t perStream = 1024 * 1024;
        std::vector<std::unique_ptr<Writer>> writers;
        // Optimistic opens: the writes do not wait for B's answer, which cannot come now.
        for (int i = 0; i < streams; ++i) {
            std::optional<Result<Stream*>> opened;
            nestedA_->openStream(
                {sinkProtocol}, [&](Result<Stream*> r) { opened = std::move(r); },
                StreamNegotiation::Optimistic);
            QVERIFY(opened.has_value() && opened->ok());
            auto writer = std::make_unique<Writer>();
            writer->stream = opened->value();
            writer->total = perStream;
            Writer* w = writer.get();
            QObject::connect(w->stream, &Stream::writable, w->stream, [w] { w->pump(); });
            w->pump();
            writers.push_back(std::move(writer));
        }
        const std::size_t window = YamuxConfig{}.initialWindow;
        // B's end of the carrier fills up to its window and no further.
        QTRY_VERIFY_WITH_TIMEOUT(carrierB_->bytesAvailable() + 64 * 1024 >= window, 10000);
        QTest::qWait(300); // time for anything unbounded to show
        QVERIFY(carrierB_->bytesAvailable() <= window);
        QCOMPARE(sunk_, std::uint64_t(0));
        // A's side waits within its bounds: the carrier stream's queue below the outer stream
        // limit, the nested connection's pipe near its high-water mark.
        QVERIFY(carrierA_->queuedBytes() <=
                Connection::readPauseBound + YamuxConfig{}.maxFrameData);
        std::uint64_t written = 0;
        for (const auto& w : writers)
            written += w->written;
        qInfo("held back: %zu bytes waiting at B's end of the carrier, %zu queued at A's, %llu of "
              "%llu written by A's nested streams",
              carrierB_->bytesAvailable(), carrierA_->queuedBytes(),
              static_cast<unsigned long long>(written),
              static_cast<unsigned long long>(streams * perStream));
        QVERIFY2(written < streams * perStream, qPrintable(QString::number(written)));
        // The outer connection is not held: ping and an echo stream on it work meanwhile.
        std::optional<Result<std::vector<MonoTime>>> pinged = ping(outerA_);
        QVERIFY(pinged.has_value() && pinged->ok());
        QVERIFY(echoes(outerA_, 512 * 1024));
        QVERIFY(nestedA_->isOpen() && nestedB_->isOpen());

        pipeB_->pauseReads(false);
        QTRY_COMPARE_WITH_TIMEOUT(sunk_, streams * perStream, 20000);
        for (const auto& w : writers)
            QCOMPARE(w->written, perStream);
        QVERIFY(nestedA_->isOpen() && nestedB_->isOpen());
    }
};

int main(int argc, char** argv) {
    // The engine thread's dispatcher, as in the engine: the TCP sockets are watched by epoll
    // from the handshake on. The main thread's can only be chosen before the application.
    if (qEnvironmentVariable("PEERSCOPE_EVENT_DISPATCHER") != QStringLiteral("qt"))
        QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TestConnectionOverStream test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_connection_over_stream.moc"
