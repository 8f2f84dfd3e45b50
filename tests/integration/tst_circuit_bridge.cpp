// The relay's circuit bridge between real streams: three Hosts on loopback (source S, relay R,
// destination D). S opens a stream to R, R opens one to D and joins them with a CircuitBridge,
// as the relay service does with a hop and a stop stream. Data flows both ways, half-closes
// pass through, the data and duration limits reset both ends, a reset crosses over, and a
// destination that does not read holds the source back without growing R's queues.
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/nat/circuit_bridge.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/stream.h"

#include <QPointer>
#include <QTest>
#include <memory>
#include <optional>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {

constexpr const char* hopLike = "/peerscope/test/bridge-in/1.0.0";
constexpr const char* stopLike = "/peerscope/test/bridge-out/1.0.0";

Bytes pattern(std::size_t size) {
    Bytes out(size);
    for (std::size_t i = 0; i < size; ++i)
        out[i] = static_cast<std::uint8_t>((i * 131 + 7) & 0xff);
    return out;
}

} // namespace

class TestCircuitBridge final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    ManualClock bridgeClock_;
    std::unique_ptr<Host> s_, r_, d_;
    CircuitBridge::Limit limit_;
    QPointer<CircuitBridge> bridge_;
    std::optional<CircuitBridge::Outcome> outcome_;
    QPointer<Stream> atDestination_; // D's end
    std::function<void(Stream*)> destinationHandler_;

    Connection* dial(Host& from, Host& to, const Multiaddr& addr) {
        std::optional<Result<Connection*>> result;
        from.dial(addr.withPeerId(to.peerId()),
                  [&](Result<Connection*> r) { result = std::move(r); });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 10000) || !*result)
            return nullptr;
        return result->value();
    }

    // S's end of a fresh circuit S -> R -> D.
    Stream* openCircuit() {
        std::optional<Result<Stream*>> opened;
        s_->openStream(r_->peerId(), {hopLike}, [&](Result<Stream*> r) { opened = std::move(r); });
        if (!QTest::qWaitFor([&] { return opened.has_value(); }, 10000) || !*opened)
            return nullptr;
        if (!QTest::qWaitFor([&] { return bridge_ && atDestination_; }, 10000))
            return nullptr;
        return opened->value();
    }

    // Writes `data` to `stream` as its queue allows (at most 1 MiB waiting), like a bulk sender.
    static void writePaced(Stream* stream, const Bytes& data, std::size_t* written) {
        while (*written < data.size() && stream->queuedBytes() < 1024 * 1024) {
            const std::size_t n = std::min<std::size_t>(64 * 1024, data.size() - *written);
            stream->write(ByteView(data.data() + *written, n));
            *written += n;
        }
    }

private Q_SLOTS:
    void init() {
        outcome_.reset();
        limit_ = {};
        s_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        r_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        d_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        const Multiaddr any = Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value();
        Result<Multiaddr> rAddr = r_->listen(any);
        Result<Multiaddr> dAddr = d_->listen(any);
        QVERIFY(rAddr.ok() && dAddr.ok());
        // R joins each inbound "hop" stream to a fresh stream to D.
        r_->setStreamHandler(hopLike, [this](Stream* in) {
            r_->openStream(
                d_->peerId(), {stopLike}, [this, in = QPointer<Stream>(in)](Result<Stream*> out) {
                    if (!out || !in) {
                        if (in)
                            in->reset();
                        return;
                    }
                    bridge_ =
                        new CircuitBridge(in, out.value(), limit_, bridgeClock_.now(), r_.get());
                    connect(bridge_, &CircuitBridge::finished, this,
                            [this](CircuitBridge::Outcome o) { outcome_ = o; });
                    bridge_->start(in->readAll(), {});
                });
        });
        d_->setStreamHandler(stopLike, [this](Stream* stream) {
            atDestination_ = stream;
            if (destinationHandler_)
                destinationHandler_(stream);
        });
        QVERIFY(dial(*s_, *r_, rAddr.value()));
        QVERIFY(dial(*r_, *d_, dAddr.value()));
    }

    void cleanup() {
        destinationHandler_ = nullptr;
        delete bridge_.data();
        s_.reset();
        r_.reset();
        d_.reset();
    }

    void relaysBothWaysAndPassesTheHalfClose() {
        // D echoes and closes when S does.
        destinationHandler_ = [](Stream* stream) {
            connect(stream, &Stream::readyRead, stream,
                    [stream] { stream->write(stream->readAll()); });
            connect(stream, &Stream::remoteClosed, stream, [stream] { stream->closeWrite(); });
        };
        Stream* s = openCircuit();
        QVERIFY(s);
        const Bytes sent = pattern(3 * 1024 * 1024 + 17);
        std::size_t written = 0;
        Bytes echoed;
        bool remoteClosed = false;
        connect(s, &Stream::writable, this, [&] { writePaced(s, sent, &written); });
        connect(s, &Stream::readyRead, this, [&] { append(echoed, s->readAll()); });
        connect(s, &Stream::remoteClosed, this, [&] { remoteClosed = true; });
        writePaced(s, sent, &written);
        QTRY_VERIFY_WITH_TIMEOUT(written == sent.size(), 20000);
        s->closeWrite();
        QTRY_VERIFY_WITH_TIMEOUT(remoteClosed, 20000);
        QCOMPARE(echoed.size(), sent.size());
        QVERIFY(echoed == sent);
        QTRY_VERIFY(outcome_.has_value());
        QCOMPARE(*outcome_, CircuitBridge::Outcome::Closed);
        QCOMPARE(bridge_->bytesToDestination(), std::uint64_t(sent.size()));
        QCOMPARE(bridge_->bytesToSource(), std::uint64_t(sent.size()));
    }

    void dataLimitResetsBothEnds() {
        limit_.dataBytes = 128 * 1024;
        std::uint64_t received = 0;
        bool destinationReset = false;
        destinationHandler_ = [&](Stream* stream) {
            connect(stream, &Stream::readyRead, stream,
                    [&received, stream] { received += stream->discardAll(); });
            connect(stream, &Stream::wasReset, this, [&] { destinationReset = true; });
        };
        Stream* s = openCircuit();
        QVERIFY(s);
        bool sourceReset = false;
        connect(s, &Stream::wasReset, this, [&] { sourceReset = true; });
        const Bytes sent = pattern(200 * 1024);
        s->write(ByteView(sent.data(), sent.size()));
        QTRY_VERIFY_WITH_TIMEOUT(outcome_.has_value(), 10000);
        QCOMPARE(*outcome_, CircuitBridge::Outcome::DataLimit);
        QCOMPARE(bridge_->bytesToDestination(), std::uint64_t(128 * 1024));
        QTRY_VERIFY(sourceReset);
        QTRY_VERIFY(destinationReset);
        QVERIFY2(received <= 128 * 1024, QByteArray::number(quint64(received)));
    }

    void exactlyTheLimitStillPasses() {
        limit_.dataBytes = 64 * 1024;
        std::uint64_t received = 0;
        destinationHandler_ = [&](Stream* stream) {
            connect(stream, &Stream::readyRead, stream,
                    [&received, stream] { received += stream->discardAll(); });
        };
        Stream* s = openCircuit();
        QVERIFY(s);
        const Bytes sent = pattern(64 * 1024);
        s->write(ByteView(sent.data(), sent.size()));
        QTRY_COMPARE(received, std::uint64_t(64 * 1024));
        QTest::qWait(100); // no reset follows: nothing went past the limit
        QVERIFY(!outcome_.has_value());
        QVERIFY(!s->isReset());
    }

    void durationLimitResetsBothEnds() {
        limit_.duration = 120s;
        bool destinationReset = false;
        destinationHandler_ = [&](Stream* stream) {
            connect(stream, &Stream::wasReset, this, [&] { destinationReset = true; });
        };
        Stream* s = openCircuit();
        QVERIFY(s);
        bool sourceReset = false;
        connect(s, &Stream::wasReset, this, [&] { sourceReset = true; });
        bridgeClock_.advance(119s);
        bridge_->checkDeadline(bridgeClock_.now());
        QVERIFY(!outcome_.has_value());
        bridgeClock_.advance(1s);
        bridge_->checkDeadline(bridgeClock_.now());
        QVERIFY(outcome_.has_value());
        QCOMPARE(*outcome_, CircuitBridge::Outcome::DurationLimit);
        QTRY_VERIFY(sourceReset);
        QTRY_VERIFY(destinationReset);
    }

    void resetCrossesOver() {
        Stream* s = openCircuit();
        QVERIFY(s);
        bool sourceReset = false;
        connect(s, &Stream::wasReset, this, [&] { sourceReset = true; });
        atDestination_->reset();
        QTRY_VERIFY(outcome_.has_value());
        QCOMPARE(*outcome_, CircuitBridge::Outcome::ResetByDestination);
        QTRY_VERIFY(sourceReset);
    }

    void destinationThatDoesNotReadHoldsTheSourceBack() {
        destinationHandler_ = [](Stream*) {}; // reads nothing, for now
        Stream* s = openCircuit();
        QVERIFY(s);
        const Bytes sent = pattern(8 * 1024 * 1024);
        std::size_t written = 0;
        connect(s, &Stream::writable, this, [&] { writePaced(s, sent, &written); });
        writePaced(s, sent, &written);
        // Wait until the flow has stopped: S keeps data queued that nobody takes.
        std::uint64_t relayed = 0;
        for (int i = 0; i < 50; ++i) {
            QTest::qWait(100);
            if (bridge_->bytesToDestination() == relayed && s->queuedBytes() > 0)
                break;
            relayed = bridge_->bytesToDestination();
        }
        QVERIFY(s->queuedBytes() > 0);
        QVERIFY(written < sent.size());
        // What R holds for this circuit: its queue toward D and what it has not read from S,
        // each bounded (the queue bound, a yamux receive window), whatever S tries to send.
        Stream* toD = nullptr;
        Stream* fromS = nullptr;
        for (Connection* c : r_->connections())
            for (Stream* stream : c->streams()) {
                if (stream->protocol() == stopLike)
                    toD = stream;
                if (stream->protocol() == hopLike)
                    fromS = stream;
            }
        QVERIFY(toD && fromS);
        QVERIFY2(toD->queuedBytes() <= CircuitBridge::queueBound + 64 * 1024,
                 QByteArray::number(quint64(toD->queuedBytes())));
        // The window S may fill grows only while the bridge keeps it drained (from 256 KiB).
        QVERIFY2(fromS->bytesAvailable() <= 1024 * 1024,
                 QByteArray::number(quint64(fromS->bytesAvailable())));
        QVERIFY2(relayed < 2 * 1024 * 1024, QByteArray::number(quint64(relayed)));
        // D starts reading: everything arrives, in order.
        Bytes received;
        connect(atDestination_, &Stream::readyRead, this,
                [&] { append(received, atDestination_->readAll()); });
        append(received, atDestination_->readAll());
        QTRY_VERIFY_WITH_TIMEOUT(received.size() == sent.size(), 30000);
        QVERIFY(received == sent);
        QVERIFY(!outcome_.has_value());
    }
};

QTEST_GUILESS_MAIN(TestCircuitBridge)
#include "tst_circuit_bridge.moc"
