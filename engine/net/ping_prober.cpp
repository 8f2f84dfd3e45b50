#include "engine/net/ping_prober.h"

#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/stream.h"

#include <QPointer>

namespace peerscope {

PingProber::PingProber(Host& host, Connection* connection, QObject* parent)
    : QObject(parent), host_(host), connection_(connection) {
    if (connection_ != nullptr)
        connect(connection_, &QObject::destroyed, this, [this] {
            connection_ = nullptr;
            stream_ = nullptr; // the connection's child, gone with it
        });
}

PingProber::~PingProber() {
    dropStream();
}

void PingProber::giveUp(const std::string& why) {
    if (!done_)
        return;
    dropStream();
    finish(makeError(why));
}

void PingProber::probe(Callback done) {
    if (done_) {
        done(makeError("ping: a probe is already under way"));
        return;
    }
    done_ = std::move(done);
    if (!connection_ || !connection_->isOpen()) {
        finish(makeError("ping: connection is closed"));
        return;
    }
    if (stream_ && !stream_->isReset() && !stream_->isWriteClosed()) {
        send();
        return;
    }
    // Optimistic: the proposal and the first ping leave together.
    QPointer<PingProber> self(this);
    connection_->openStream(
        {pingProtocolId},
        [self](Result<Stream*> opened) {
            if (!self)
                return;
            if (!opened) {
                self->finish(makeError("ping: " + opened.errorMessage()));
                return;
            }
            Stream* stream = *opened;
            stream->markHousekeeping();
            self->stream_ = stream;
            connect(stream, &Stream::readyRead, self, &PingProber::onData);
            // Only if it is still ours: a stream the peer closed goes later (deleteLater),
            // perhaps after the next probe opened another.
            connect(stream, &QObject::destroyed, self, [self, stream] {
                if (self->stream_ == stream)
                    self->stream_ = nullptr;
            });
            connect(stream, &Stream::negotiationFailed, self, [self](const QString& reason) {
                self->stream_ = nullptr;
                self->finish(makeError("ping: peer refused " + std::string(pingProtocolId) + ": " +
                                       reason.toStdString()));
            });
            connect(stream, &Stream::closed, self, [self] {
                self->stream_ = nullptr;
                self->finish(makeError("ping: stream closed by the peer"));
            });
            self->send();
        },
        StreamNegotiation::Optimistic);
}

void PingProber::send() {
    if (!stream_) {
        finish(makeError("ping: stream closed by the peer"));
        return;
    }
    exchange_ = PingExchange::withRandomPayload();
    stream_->write(exchange_->request(host_.clock().now()));
}

void PingProber::onData() {
    if (!stream_)
        return;
    if (!exchange_) {
        // An echo nobody asked for: the stream is out of step.
        dropStream();
        return;
    }
    std::optional<MonoTime> rtt = exchange_->feed(stream_->readAll(), host_.clock().now());
    if (exchange_->failed()) {
        dropStream();
        finish(makeError("ping: the peer echoed different bytes"));
        return;
    }
    if (!rtt)
        return;
    exchange_.reset();
    if (connection_ && connection_->isOpen()) {
        // The peer's record exists while any connection to it is open and is erased only when
        // the last one closes; its node never moves, so it is looked up (hashing the peer id)
        // once, not on every probe.
        if (!record_)
            record_ = host_.peerRecord(connection_->remotePeer());
        if (record_)
            record_->lastPingRtt = *rtt;
    }
    finish(*rtt);
}

void PingProber::finish(Result<MonoTime> result) {
    exchange_.reset();
    if (!done_)
        return;
    Callback call = std::move(done_);
    done_ = nullptr;
    call(std::move(result));
}

void PingProber::dropStream() {
    if (!stream_)
        return;
    Stream* stream = stream_;
    stream_ = nullptr;
    stream->disconnect(this);
    stream->reset();
}

} // namespace peerscope
