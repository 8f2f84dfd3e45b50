#include "engine/net/stream.h"

#include "engine/net/connection.h"
#include "engine/protocol/multistream_select.h"

#include <cstring>

namespace peerscope {

const char* directionName(Direction direction) {
    return direction == Direction::Inbound ? "inbound" : "outbound";
}

Stream::Stream(Connection* connection, std::uint32_t id, Direction direction)
    : QObject(connection), connection_(connection), id_(id), direction_(direction) {}

Stream::~Stream() = default;

Connection* Stream::connection() const {
    return connection_.data();
}

Bytes Stream::readAll() {
    return read(bytesAvailable());
}

Bytes Stream::read(std::size_t max) {
    std::size_t count = std::min(max, bytesAvailable());
    Bytes out(readBuffer_.begin() + static_cast<std::ptrdiff_t>(readOffset_),
              readBuffer_.begin() + static_cast<std::ptrdiff_t>(readOffset_ + count));
    readOffset_ += count;
    if (readOffset_ == readBuffer_.size()) {
        readBuffer_.clear();
        readOffset_ = 0;
    }
    if (count > 0 && connection_)
        connection_->streamConsumed(id_, count);
    return out;
}

std::size_t Stream::read(std::uint8_t* data, std::size_t max) {
    const std::size_t count = std::min(max, bytesAvailable());
    if (count == 0)
        return 0;
    std::memcpy(data, readBuffer_.data() + readOffset_, count);
    readOffset_ += count;
    if (readOffset_ == readBuffer_.size()) {
        readBuffer_.clear();
        readOffset_ = 0;
    }
    if (connection_)
        connection_->streamConsumed(id_, count);
    return count;
}

std::size_t Stream::discardAll() {
    const std::size_t count = bytesAvailable();
    readBuffer_.clear();
    readOffset_ = 0;
    if (count > 0 && connection_)
        connection_->streamConsumed(id_, count);
    return count;
}

void Stream::write(ByteView data) {
    if (writeClosed_ || reset_ || data.empty())
        return;
    if (!negotiated_ && !optimistic_) {
        append(pendingWrites_, data);
        // Bounded like the yamux queue it goes to once the protocol is agreed.
        if (connection_ && pendingWrites_.size() > connection_->streamWriteBound())
            connection_->streamOverBound(id_);
        return;
    }
    if (!connection_)
        return;
    if (negotiated_) {
        if (protocolBytes_)
            protocolBytes_->out += data.size();
    } else
        optimisticBytesOut_ += data.size(); // its protocol is known once the answer comes
    connection_->streamWrite(id_, data);
}

std::size_t Stream::queuedBytes() const {
    std::size_t queued = pendingWrites_.size();
    if (connection_)
        queued += connection_->streamQueuedBytes(id_);
    return queued;
}

void Stream::closeWrite() {
    if (writeClosed_ || reset_)
        return;
    if (!negotiated_ && !optimistic_) {
        pendingCloseWrite_ = true;
        return;
    }
    writeClosed_ = true;
    if (connection_)
        connection_->streamCloseWrite(id_);
    if (readClosed_)
        markClosed();
}

void Stream::closeRead() {
    if (readClosed_ || reset_)
        return;
    if (negotiation_) {
        pendingCloseRead_ = true;
        return;
    }
    readClosed_ = true;
    Bytes().swap(readBuffer_);
    readOffset_ = 0;
    QPointer<Stream> self(this);
    if (connection_)
        connection_->streamCloseRead(id_);
    if (self && writeClosed_)
        markClosed();
}

void Stream::reset() {
    if (reset_ || closedEmitted_)
        return;
    reset_ = true;
    pendingWrites_.clear();
    if (connection_)
        connection_->streamReset(id_);
    markClosed();
}

void Stream::startNegotiation(std::unique_ptr<MultistreamSelect> negotiation,
                              StreamNegotiation mode) {
    negotiation_ = std::move(negotiation);
    optimistic_ = mode == StreamNegotiation::Optimistic;
    negotiation_->start();
    pumpNegotiation({});
}

void Stream::pumpNegotiation(ByteView input) {
    if (!input.empty())
        negotiation_->feed(input);
    // Negotiation bytes are credited to the yamux window at once; any application bytes that
    // came with them are credited when the application reads them.
    auto creditNegotiationBytes = [&](std::size_t applicationBytes) {
        if (connection_ && input.size() > applicationBytes)
            connection_->streamConsumed(id_, input.size() - applicationBytes);
    };
    Bytes out = negotiation_->takeOutput();
    if (!out.empty() && connection_)
        connection_->streamWrite(id_, out);
    // The write can find the connection dead and reset this stream, negotiation and all.
    if (!negotiation_)
        return;

    switch (negotiation_->state()) {
    case MultistreamSelect::State::Negotiating:
        creditNegotiationBytes(0);
        return;
    case MultistreamSelect::State::Failed: {
        creditNegotiationBytes(0);
        QString reason = QString::fromStdString(negotiation_->error());
        negotiation_.reset();
        Q_EMIT negotiationFailed(reason);
        reset();
        return;
    }
    case MultistreamSelect::State::Done:
        break;
    }
    protocol_ = negotiation_->protocol();
    Bytes remainder = negotiation_->takeRemainder();
    negotiation_.reset();
    negotiated_ = true;
    creditNegotiationBytes(remainder.size());
    if (!remainder.empty())
        append(readBuffer_, remainder);
    if (connection_ && !protocol_.empty()) {
        protocolBytes_ = &connection_->protocolBytesOf(protocol_);
        protocolBytes_->in += remainder.size();
        protocolBytes_->out += optimisticBytesOut_ + pendingWrites_.size();
    }
    optimisticBytesOut_ = 0;
    if (!pendingWrites_.empty() && connection_) {
        Bytes pending = std::move(pendingWrites_);
        pendingWrites_.clear();
        connection_->streamWrite(id_, pending);
    }
    QPointer<Stream> self(this);
    Q_EMIT negotiated(QString::fromStdString(protocol_));
    if (!self)
        return;
    if (pendingCloseWrite_)
        closeWrite();
    if (self && pendingCloseRead_)
        closeRead();
    if (self && bytesAvailable() > 0)
        Q_EMIT readyRead();
}

void Stream::deliver(Bytes& bytes) {
    if (reset_ || (readClosed_ && !negotiation_)) {
        bytes.clear();
        return;
    }
    if (negotiation_) {
        pumpNegotiation(bytes);
        bytes.clear();
        return;
    }
    if (connection_ && protocolBytes_)
        protocolBytes_->in += bytes.size();
    if (readOffset_ == readBuffer_.size()) {
        readBuffer_.swap(bytes);
        readOffset_ = 0;
    } else {
        // A reader that takes a little less than arrives (a bound per wakeup, a relay's queue
        // bound) never empties the buffer: drop the part already read once it is as large as
        // what is left, or the buffer grows with everything the stream carries, reallocated
        // and copied as it goes. Each byte is moved at most once more.
        if (readOffset_ >= bytesAvailable()) {
            readBuffer_.erase(readBuffer_.begin(),
                              readBuffer_.begin() + static_cast<std::ptrdiff_t>(readOffset_));
            readOffset_ = 0;
        }
        append(readBuffer_, bytes);
    }
    bytes.clear();
    Q_EMIT readyRead();
}

void Stream::markRemoteClosed() {
    if (readClosed_)
        return;
    readClosed_ = true;
    QPointer<Stream> self(this);
    if (negotiation_) {
        countDeclined();
        negotiation_.reset();
        Q_EMIT negotiationFailed(QStringLiteral("stream closed during protocol negotiation"));
        if (self)
            reset();
        return;
    }
    Q_EMIT remoteClosed();
    if (self && writeClosed_)
        markClosed();
}

void Stream::markReset() {
    if (reset_ || closedEmitted_)
        return;
    reset_ = true;
    QPointer<Stream> self(this);
    if (negotiation_) {
        countDeclined();
        negotiation_.reset();
        Q_EMIT negotiationFailed(QStringLiteral("stream reset during protocol negotiation"));
    }
    if (self)
        Q_EMIT wasReset();
    if (self)
        markClosed();
}

// An inbound stream whose proposals we all declined ends while negotiating: the peer asked for
// protocols we do not serve.
void Stream::countDeclined() {
    if (direction_ == Direction::Inbound && negotiation_ && negotiation_->declined() > 0 &&
        connection_)
        connection_->streamProtocolNotSupported();
}

void Stream::markWritable() {
    Q_EMIT writable();
}

void Stream::markClosed() {
    if (closedEmitted_)
        return;
    closedEmitted_ = true;
    reservation_.release();
    Q_EMIT closed();
    deleteLater();
}

} // namespace peerscope
