#include "engine/net/ping_service.h"

#include "engine/net/host.h"
#include "engine/protocol/ping_exchange.h"

#include <QTimer>

namespace peerscope {

PingService::PingService(Host& host) : QObject(&host), host_(host) {
    host_.setStreamHandler(pingProtocolId, [this](Stream* stream) { serve(stream); });
}

PingService::~PingService() = default;

namespace {
// The responder reads this much at a time, and only while no echo waits to be sent.
constexpr std::size_t echoChunk = 4096;
} // namespace

void PingService::serve(Stream* stream) {
    struct Echo {
        PingResponder responder;
        bool remoteDone = false;
    };
    auto state = std::make_shared<Echo>();
    // A peer that sends pings without reading the echoes shuts our send window; we then stop
    // reading (and crediting) its pings, so its own window stops it: what we hold for it is
    // one chunk's echo and one window of pings, not everything it sends.
    auto echo = [stream, state] {
        while (stream->bytesAvailable() > 0 && stream->queuedBytes() == 0 && !stream->isReset()) {
            Bytes reply = state->responder.feed(stream->read(echoChunk));
            if (!reply.empty())
                stream->write(reply);
        }
        // Pings that came before the remote's FIN are echoed before ours.
        if (state->remoteDone && stream->bytesAvailable() == 0)
            stream->closeWrite();
    };
    connect(stream, &Stream::readyRead, this, echo);
    connect(stream, &Stream::writable, this, echo);
    connect(stream, &Stream::remoteClosed, this, [state, echo] {
        state->remoteDone = true;
        echo();
    });
    if (stream->bytesAvailable() > 0)
        echo();
}

namespace {

// One ping run: sequential round trips on one stream, with a deadline per round.
struct PingRun {
    Host* host = nullptr;
    QPointer<Stream> stream;
    PeerId peer;
    int remaining = 0;
    std::chrono::milliseconds timeout{0};
    std::vector<MonoTime> rtts;
    std::optional<PingExchange> exchange;
    QTimer* timer = nullptr;
    PingService::PingCallback done;

    void finish(Result<std::vector<MonoTime>> result) {
        if (!done)
            return;
        if (timer) {
            timer->stop();
            timer->deleteLater(); // its slot holds the last reference to this run
            timer = nullptr;
        }
        PingService::PingCallback call = std::move(done);
        done = nullptr;
        if (stream) {
            stream->disconnect();
            if (result)
                stream->closeWrite();
            else
                stream->reset();
        }
        call(std::move(result));
    }

    void next() {
        if (remaining == 0) {
            if (PeerRecord* record = host->peerRecord(peer); record && !rtts.empty())
                record->lastPingRtt = rtts.back();
            finish(rtts);
            return;
        }
        --remaining;
        exchange = PingExchange::withRandomPayload();
        stream->write(exchange->request(host->clock().now()));
        timer->start(timeout);
    }

    void onData() {
        if (!exchange || !stream)
            return;
        std::optional<MonoTime> rtt = exchange->feed(stream->readAll(), host->clock().now());
        if (exchange->failed()) {
            finish(makeError("ping: the peer echoed different bytes"));
            return;
        }
        if (!rtt)
            return;
        timer->stop();
        rtts.push_back(*rtt);
        exchange.reset();
        next();
    }
};

} // namespace

void PingService::ping(Connection* connection, int count, std::chrono::milliseconds timeout,
                       PingCallback done) {
    if (count < 1) {
        done(makeError("ping: count must be at least 1"));
        return;
    }
    auto run = std::make_shared<PingRun>();
    run->host = &host_;
    run->peer = connection->remotePeer();
    run->remaining = count;
    run->timeout = timeout;
    run->done = std::move(done);
    run->timer = new QTimer(this);
    run->timer->setSingleShot(true);
    connect(run->timer, &QTimer::timeout, this, [run] {
        run->finish(
            makeError("ping: no reply within " + std::to_string(run->timeout.count()) + " ms"));
    });
    connection->openStream(
        {pingProtocolId},
        [this, run](Result<Stream*> opened) {
            if (!opened) {
                run->finish(makeError("ping: " + opened.errorMessage()));
                return;
            }
            run->stream = *opened;
            connect(run->stream, &Stream::negotiationFailed, this, [run](const QString& reason) {
                run->finish(makeError("ping: peer refused " + std::string(pingProtocolId) + ": " +
                                      reason.toStdString()));
            });
            connect(run->stream, &Stream::readyRead, this, [run] { run->onData(); });
            connect(run->stream, &Stream::closed, this,
                    [run] { run->finish(makeError("ping: stream closed by the peer")); });
            run->next();
        },
        StreamNegotiation::Optimistic);
}

void PingService::ping(const PeerId& peer, int count, std::chrono::milliseconds timeout,
                       PingCallback done) {
    std::vector<Connection*> connections = host_.connectionsTo(peer);
    if (connections.empty()) {
        done(makeError("ping: not connected to " + peer.toBase58()));
        return;
    }
    ping(connections.front(), count, timeout, std::move(done));
}

} // namespace peerscope
