// Two real Hosts on loopback TCP in one process: the full stack (mss, Noise, yamux, identify,
// ping, perf) end to end, plus hostile input on the listen port.
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/perf_service.h"
#include "engine/net/ping_service.h"
#include "engine/net/stream.h"
#include "engine/protocol/multistream_select.h"
#include "engine/protocol/noise_handshake.h"
#include "engine/protocol/noise_transport.h"
#include "engine/protocol/perf_exchange.h"
#include "support/raw_client.h"

#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>
#include <memory>
#include <optional>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {

constexpr const char* echoProtocol = "/peerscope/test/echo/1.0.0";
constexpr std::uint64_t perfLimit = 16 * 1024 * 1024; // B's per-stream perf limit

// Echoes everything back and closes its side when the remote does.
void serveEcho(Stream* stream) {
    QObject::connect(stream, &Stream::readyRead, stream,
                     [stream] { stream->write(stream->readAll()); });
    QObject::connect(stream, &Stream::remoteClosed, stream, [stream] { stream->closeWrite(); });
    if (stream->bytesAvailable() > 0)
        stream->write(stream->readAll());
}

} // namespace

class TestHostPair final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    std::unique_ptr<Host> a_;
    std::unique_ptr<Host> b_;
    Multiaddr bAddr_;
    Multiaddr aAddr_;

    Connection* dialBToA(Host& from, const Multiaddr& to) {
        std::optional<Result<Connection*>> result;
        from.dial(to, [&](Result<Connection*> r) { result = std::move(r); });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 10000))
            return nullptr;
        if (!*result) {
            qWarning("dial failed: %s", result->errorMessage().c_str());
            return nullptr;
        }
        return result->value();
    }

private Q_SLOTS:
    void init() {
        a_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        HostOptions servingPerf;
        servingPerf.servePerf = true;
        servingPerf.perfMaxStreamBytes = perfLimit;
        b_ = std::make_unique<Host>(PrivateKey::generateEd25519(), servingPerf, clock_);
        Result<Multiaddr> bound = b_->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value());
        QVERIFY2(bound.ok(), bound.ok() ? "" : bound.errorMessage().c_str());
        bAddr_ = bound->withPeerId(b_->peerId());
        Result<Multiaddr> boundA = a_->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value());
        QVERIFY(boundA.ok());
        aAddr_ = boundA->withPeerId(a_->peerId());
        b_->setStreamHandler(echoProtocol, serveEcho);
    }

    void cleanup() {
        a_.reset();
        b_.reset();
    }

    void dialIdentifiesBothWays() {
        Connection* connection = dialBToA(*a_, bAddr_);
        QVERIFY(connection);
        QCOMPARE(connection->remotePeer(), b_->peerId());
        QCOMPARE(connection->info().direction, Direction::Outbound);
        QCOMPARE(connection->info().muxer, std::string("/yamux/1.0.0"));
        QVERIFY(connection->info().muxerInHandshake);
        QTRY_VERIFY_WITH_TIMEOUT(
            a_->peerRecord(b_->peerId()) && a_->peerRecord(b_->peerId())->identified, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(
            b_->peerRecord(a_->peerId()) && b_->peerRecord(a_->peerId())->identified, 5000);
        const PeerRecord* seenByA = a_->peerRecord(b_->peerId());
        QVERIFY(seenByA->agentVersion.rfind("peerscope/", 0) == 0);
        QVERIFY(std::find(seenByA->protocols.begin(), seenByA->protocols.end(),
                          std::string(echoProtocol)) != seenByA->protocols.end());
        QVERIFY(std::find(seenByA->protocols.begin(), seenByA->protocols.end(),
                          std::string("/ipfs/ping/1.0.0")) != seenByA->protocols.end());
        // B saw A's real source address and told it.
        QTRY_VERIFY_WITH_TIMEOUT(!a_->observedAddrs().empty(), 5000);
        QCOMPARE(a_->observedAddrs().front().tcpEndpoint()->host, std::string("127.0.0.1"));
    }

    // Identify is the node's upkeep: while its stream is open (it is, when the answer has
    // just been read) the connection still counts as idle and unloaded.
    void identifyStreamsAreHousekeeping() {
        std::optional<std::pair<std::size_t, std::size_t>> countsWhenIdentified;
        QObject::connect(a_.get(), &Host::peerIdentified, a_.get(), [&](const PeerId& peer) {
            const std::vector<Connection*> connections = a_->connectionsTo(peer);
            if (!countsWhenIdentified && connections.size() == 1)
                countsWhenIdentified = {connections.front()->streamCount(),
                                        connections.front()->activeStreamCount()};
        });
        QVERIFY(dialBToA(*a_, bAddr_));
        QTRY_VERIFY_WITH_TIMEOUT(countsWhenIdentified.has_value(), 5000);
        QVERIFY(countsWhenIdentified->first >= 1);
        QCOMPARE(countsWhenIdentified->second, std::size_t(0));
    }

    void identifyPushAnnouncesNewProtocols() {
        Connection* connection = dialBToA(*a_, bAddr_);
        QVERIFY(connection);
        QTRY_VERIFY_WITH_TIMEOUT(
            a_->peerRecord(b_->peerId()) && a_->peerRecord(b_->peerId())->identified, 5000);
        const std::string added = "/peerscope/test/added/1.0.0";
        auto knows = [&](const std::string& protocol) {
            const PeerRecord* record = a_->peerRecord(b_->peerId());
            return record && std::find(record->protocols.begin(), record->protocols.end(),
                                       protocol) != record->protocols.end();
        };
        QVERIFY(!knows(added));
        b_->setStreamHandler(added, [](Stream* stream) { stream->reset(); });
        QTRY_VERIFY_WITH_TIMEOUT(knows(added), 5000);
        b_->removeStreamHandler(echoProtocol);
        QTRY_VERIFY_WITH_TIMEOUT(!knows(echoProtocol), 5000);
    }

    void muxerNegotiatedWithMssWhenNotInNoise() {
        HostOptions options;
        options.muxerInNoise = false;
        Host c(PrivateKey::generateEd25519(), options, clock_);
        Connection* connection = dialBToA(c, bAddr_);
        QVERIFY(connection);
        QCOMPARE(connection->info().muxer, std::string("/yamux/1.0.0"));
        QVERIFY(!connection->info().muxerInHandshake);
        std::optional<Result<std::vector<MonoTime>>> rtts;
        c.pingService().ping(connection, 3, 5000ms, [&](auto r) { rtts = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(rtts.has_value(), 5000);
        QVERIFY2(rtts->ok(), rtts->ok() ? "" : rtts->errorMessage().c_str());
        QCOMPARE(rtts->value().size(), std::size_t(3));
    }

    void pingMeasuresRoundTrips() {
        Connection* connection = dialBToA(*a_, bAddr_);
        QVERIFY(connection);
        std::optional<Result<std::vector<MonoTime>>> rtts;
        a_->pingService().ping(b_->peerId(), 5, 5000ms, [&](auto r) { rtts = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(rtts.has_value(), 5000);
        QVERIFY2(rtts->ok(), rtts->ok() ? "" : rtts->errorMessage().c_str());
        QCOMPARE(rtts->value().size(), std::size_t(5));
        for (MonoTime rtt : rtts->value()) {
            QVERIFY(rtt > 0ns);
            QVERIFY(rtt < 1s);
        }
        QVERIFY(a_->peerRecord(b_->peerId())->lastPingRtt.has_value());
    }

    void hundredConcurrentStreams() {
        Connection* connection = dialBToA(*a_, bAddr_);
        QVERIFY(connection);
        constexpr int streams = 100;
        std::vector<Bytes> received(streams);
        int finished = 0;
        int failed = 0;
        for (int i = 0; i < streams; ++i) {
            connection->openStream({echoProtocol}, [&, i](Result<Stream*> opened) {
                if (!opened) {
                    ++failed;
                    return;
                }
                Stream* stream = *opened;
                QObject::connect(stream, &Stream::readyRead, stream,
                                 [&, stream, i] { append(received[i], stream->readAll()); });
                QObject::connect(stream, &Stream::remoteClosed, stream, [&] { ++finished; });
                Bytes payload(1000 + i, static_cast<std::uint8_t>(i));
                stream->write(payload);
                stream->closeWrite();
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(finished + failed, streams, 10000);
        QCOMPARE(failed, 0);
        for (int i = 0; i < streams; ++i)
            QCOMPARE(received[i], Bytes(1000 + i, static_cast<std::uint8_t>(i)));
    }

    void eightMebibytesEachWay() {
        Connection* connection = dialBToA(*a_, bAddr_);
        QVERIFY(connection);
        constexpr std::uint64_t size = 8 * 1024 * 1024;
        std::optional<Result<PerfResult>> result;
        a_->perfService().run(connection, size, size, [&](auto r) { result = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 30000);
        QVERIFY2(result->ok(), result->ok() ? "" : result->errorMessage().c_str());
        QCOMPARE((*result)->uploaded, size);
        QCOMPARE((*result)->downloaded, size);
        // Both directions crossed far more than one 256 KiB window.
        QVERIFY(connection->bytesOut() > size);
        QVERIFY(connection->bytesIn() > size);
    }

    // A reader that always leaves a byte unread (as a relay's bridge or a relayed connection
    // may, reading up to a bound per wakeup) never empties the stream's buffer: the part
    // already read is dropped as it goes, so the buffer stays near what is unread instead of
    // growing with everything that crossed the stream.
    void readerLeavingBytesKeepsBufferSmall() {
        constexpr const char* sink = "/peerscope/test/sink/1.0.0";
        constexpr std::size_t size = 32 * 1024 * 1024;
        std::size_t received = 0;
        std::size_t largestBuffer = 0;
        bool ended = false;
        b_->setStreamHandler(sink, [&](Stream* stream) {
            auto take = [&, stream] {
                const std::size_t available = stream->bytesAvailable();
                largestBuffer = std::max(largestBuffer, stream->readBufferBytes());
                const bool all = stream->isReadClosed();
                if (available > 1 || (all && available > 0))
                    received += stream->read(all ? available : available - 1).size();
                if (all && stream->bytesAvailable() == 0)
                    ended = true;
            };
            QObject::connect(stream, &Stream::readyRead, stream, take);
            QObject::connect(stream, &Stream::remoteClosed, stream, take);
            take();
        });
        Connection* connection = dialBToA(*a_, bAddr_);
        QVERIFY(connection);
        std::optional<Result<Stream*>> opened;
        connection->openStream({sink}, [&](Result<Stream*> r) { opened = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(opened.has_value(), 10000);
        QVERIFY(opened->ok());
        Stream* stream = opened->value();
        const Bytes chunk(256 * 1024, 0x5a);
        std::size_t written = 0;
        auto pump = [&] {
            while (written < size && stream->queuedBytes() < 1024 * 1024) {
                stream->write(chunk);
                written += chunk.size();
            }
            if (written == size)
                stream->closeWrite();
        };
        QObject::connect(stream, &Stream::writable, stream, pump);
        pump();
        QTRY_VERIFY_WITH_TIMEOUT(ended, 60000);
        QCOMPARE(received, size);
        // Without dropping what was read it reaches the whole 32 MiB.
        QVERIFY2(largestBuffer <= 4 * 1024 * 1024, qPrintable(QString::number(largestBuffer)));
    }

    // Perf is opt-in: a default host answers it as a protocol it does not know, and tells
    // its peers when that changes.
    void perfIsServedOnlyWhenTurnedOn() {
        QVERIFY(!HostOptions{}.servePerf);
        QVERIFY(!a_->perfService().isServing());
        Connection* connection = dialBToA(*b_, aAddr_);
        QVERIFY(connection);
        std::optional<Result<PerfResult>> result;
        b_->perfService().run(connection, 0, 1024, [&](auto r) { result = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 5000);
        QVERIFY(!result->ok());
        QVERIFY2(result->errorMessage().find("supports none of /perf/1.0.0") != std::string::npos,
                 result->errorMessage().c_str());
        QTRY_VERIFY_WITH_TIMEOUT(
            a_->peerRecord(b_->peerId()) && a_->peerRecord(b_->peerId())->identified, 5000);
        auto bKnowsAServesPerf = [&] {
            const PeerRecord* record = b_->peerRecord(a_->peerId());
            return record && std::find(record->protocols.begin(), record->protocols.end(),
                                       std::string(perfProtocolId)) != record->protocols.end();
        };
        QVERIFY(!bKnowsAServesPerf());

        a_->perfService().setServing(std::uint64_t(1) << 20);
        QTRY_VERIFY_WITH_TIMEOUT(bKnowsAServesPerf(), 5000);
        result.reset();
        b_->perfService().run(connection, 1000, 1024, [&](auto r) { result = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 5000);
        QVERIFY2(result->ok(), result->ok() ? "" : result->errorMessage().c_str());
        QCOMPARE((*result)->downloaded, std::uint64_t(1024));

        a_->perfService().setServing(std::nullopt);
        QTRY_VERIFY_WITH_TIMEOUT(!bKnowsAServesPerf(), 5000);
    }

    // Past the per-stream limit either way the stream is reset and counted; the connection
    // and its other streams go on.
    void perfBeyondItsLimitIsRefused_data() {
        QTest::addColumn<quint64>("upload");
        QTest::addColumn<quint64>("download");
        QTest::newRow("asks for 2^64-1 bytes") << quint64(0) << quint64(~std::uint64_t(0));
        QTest::newRow("asks for one byte too many") << quint64(0) << quint64(perfLimit + 1);
        QTest::newRow("uploads one byte too many") << quint64(perfLimit + 1) << quint64(0);
    }

    void perfBeyondItsLimitIsRefused() {
        QFETCH(quint64, upload);
        QFETCH(quint64, download);
        Connection* connection = dialBToA(*a_, bAddr_);
        QVERIFY(connection);
        std::optional<Result<PerfResult>> refused;
        a_->perfService().run(connection, upload, download, [&](auto r) { refused = r; });
        QTRY_VERIFY_WITH_TIMEOUT(refused.has_value(), 30000);
        QVERIFY(!refused->ok());
        QVERIFY2(refused->errorMessage().find("reset") != std::string::npos,
                 refused->errorMessage().c_str());
        QCOMPARE(b_->counters().streamsReset.at("perf_over_limit"), std::uint64_t(1));
        // Up to the limit is fine, on the same connection.
        std::optional<Result<PerfResult>> fine;
        a_->perfService().run(connection, 1 << 20, 1 << 20, [&](auto r) { fine = r; });
        QTRY_VERIFY_WITH_TIMEOUT(fine.has_value(), 30000);
        QVERIFY2(fine->ok(), fine->ok() ? "" : fine->errorMessage().c_str());
        QVERIFY(connection->isOpen());
        QCOMPARE(b_->counters().streamsReset.at("perf_over_limit"), std::uint64_t(1));
    }

    void wrongPeerIdFailsWithMismatch() {
        PeerId other = PeerId::fromPublicKey(PrivateKey::generateEd25519().publicKey());
        Multiaddr wrong = bAddr_.withoutPeerId().withPeerId(other);
        std::optional<Result<Connection*>> result;
        a_->dial(wrong, [&](Result<Connection*> r) { result = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000);
        QVERIFY(!result->ok());
        const std::string expected =
            "peer id mismatch: expected " + other.toBase58() + ", got " + b_->peerId().toBase58();
        QCOMPARE(QString::fromStdString(result->errorMessage()), QString::fromStdString(expected));
        QCOMPARE(a_->counters().handshakeFailures.at("peer_id_mismatch"), 1u);
    }

    void garbageAndTruncatedHandshakesCloseOnlyThatConnection() {
        // A healthy connection that must survive the abuse below.
        Connection* healthy = dialBToA(*a_, bAddr_);
        QVERIFY(healthy);
        const auto endpoint = bAddr_.tcpEndpoint().value();

        // Garbage instead of multistream-select.
        QTcpSocket garbage;
        garbage.connectToHost(QString::fromStdString(endpoint.host), endpoint.port);
        QVERIFY(garbage.waitForConnected(5000));
        garbage.write(QByteArray(200, '\xff'));
        QTRY_COMPARE_WITH_TIMEOUT(garbage.state(), QAbstractSocket::UnconnectedState, 5000);

        // A correct security negotiation followed by half a Noise message, then EOF.
        QTcpSocket truncated;
        truncated.connectToHost(QString::fromStdString(endpoint.host), endpoint.port);
        QVERIFY(truncated.waitForConnected(5000));
        MultistreamSelect mss = MultistreamSelect::initiator({"/noise"});
        mss.start();
        Bytes hello = mss.takeOutput();
        truncated.write(reinterpret_cast<const char*>(hello.data()), qint64(hello.size()));
        const char partialNoise[] = {0x00, 0x20, 0x01, 0x02, 0x03};
        truncated.write(partialNoise, sizeof partialNoise);
        QVERIFY(truncated.waitForBytesWritten(5000));
        QTest::qWait(50);
        truncated.disconnectFromHost();

        QTRY_COMPARE_WITH_TIMEOUT(b_->counters().handshakeFailures.count("security_negotiation"),
                                  std::size_t(1), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b_->counters().handshakeFailures.count("eof"), std::size_t(1),
                                  5000);
        // The healthy connection still works.
        QVERIFY(healthy->isOpen());
        std::optional<Result<std::vector<MonoTime>>> rtts;
        a_->pingService().ping(healthy, 2, 5000ms, [&](auto r) { rtts = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(rtts.has_value(), 5000);
        QVERIFY(rtts->ok());
        QCOMPARE(b_->connections().size(), std::size_t(1));
    }

    void malformedFramesAfterTheHandshakeCloseOnlyThatConnection_data() {
        QTest::addColumn<QString>("layer");
        QTest::newRow("yamux: bad version") << QStringLiteral("yamux");
        QTest::newRow("noise: bad tag") << QStringLiteral("noise");
    }

    void malformedFramesAfterTheHandshakeCloseOnlyThatConnection() {
        QFETCH(QString, layer);
        Connection* healthy = dialBToA(*a_, bAddr_);
        QVERIFY(healthy);
        test::RawClient raw;
        QVERIFY(raw.handshake(bAddr_));
        QTRY_COMPARE_WITH_TIMEOUT(b_->connections().size(), std::size_t(2), 5000);
        if (layer == QLatin1String("yamux"))
            raw.sendEncrypted(fromHex("010000000000000000000000")); // version 1 does not exist
        else {
            Bytes forged = fromHex("0020"); // a 32-byte frame that fails authentication
            forged.resize(2 + 32, 0xab);
            raw.write(forged);
        }
        QTRY_COMPARE_WITH_TIMEOUT(raw.socket().state(), QAbstractSocket::UnconnectedState, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b_->counters().protocolErrors.count(layer.toStdString()),
                                  std::size_t(1), 5000);
        QCOMPARE(b_->counters().protocolErrors.at(layer.toStdString()), 1u);
        // Nothing else was lost: the other connection still carries pings.
        QCOMPARE(b_->connections().size(), std::size_t(1));
        std::optional<Result<std::vector<MonoTime>>> rtts;
        a_->pingService().ping(healthy, 2, 5000ms, [&](auto r) { rtts = std::move(r); });
        QTRY_VERIFY_WITH_TIMEOUT(rtts.has_value(), 5000);
        QVERIFY(rtts->ok());
    }

    void closingConnectionEndsItsStreams() {
        Connection* connection = dialBToA(*a_, bAddr_);
        QVERIFY(connection);
        QPointer<Stream> opened;
        connection->openStream({echoProtocol}, [&](Result<Stream*> s) {
            if (s)
                opened = *s;
        });
        QTRY_VERIFY_WITH_TIMEOUT(opened, 5000);
        QSignalSpy reset(opened.data(), &Stream::wasReset);
        QSignalSpy closedOnB(b_.get(), &Host::connectionClosed);
        connection->close(QStringLiteral("test"));
        QCOMPARE(reset.count(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(closedOnB.count(), 1, 5000);
        QVERIFY(a_->connections().empty());
    }
};

QTEST_GUILESS_MAIN(TestHostPair)
#include "tst_host_pair.moc"
