#include "engine/net/stream_pipe.h"

#include "engine/net/connection.h"
#include "engine/net/stream.h"

namespace peerscope {

StreamPipe::StreamPipe(Stream* stream, QObject* parent) : BytePipe(parent), stream_(stream) {
    if (!stream || stream->isReset() || !stream->connection()) {
        open_ = false;
        // Reported on the next turn, once the owner has connected to failed().
        QMetaObject::invokeMethod(
            this, [this] { Q_EMIT failed(QStringLiteral("carrier stream reset")); },
            Qt::QueuedConnection);
        return;
    }
    connect(stream, &Stream::readyRead, this, &StreamPipe::onReadyRead);
    connect(stream, &Stream::remoteClosed, this, &StreamPipe::onReadyRead);
    connect(stream, &Stream::writable, this, &StreamPipe::onWritable);
    connect(stream, &Stream::wasReset, this, &StreamPipe::onReset);
    connect(stream, &Stream::closed, this, &StreamPipe::onClosed);
    // Its streams are reset first, then it says why it closed: that is the reason we give.
    connect(stream->connection(), &Connection::closed, this, [this](const QString& reason) {
        fail(QStringLiteral("carrier connection closed: ") + reason);
    });
    // What arrived before the pipe existed is read like anything after it.
    if (stream->bytesAvailable() > 0 || stream->isReadClosed())
        scheduleReadable();
}

void StreamPipe::setEarlyBytes(QByteArray bytes) {
    buffered_ = std::move(bytes);
    if (!buffered_.isEmpty())
        scheduleReadable();
}

StreamPipe::~StreamPipe() {
    if (!open_ || !stream_)
        return;
    // Gone without close(): the far end learns it at once.
    Stream* stream = stream_.data();
    release();
    stream->reset();
}

BytePipe::ReadResult StreamPipe::read(std::uint8_t* data, std::size_t max) {
    if (!open_)
        return {ReadStatus::Closed, 0};
    if (!stream_) {
        fail(QStringLiteral("carrier stream reset"));
        return {ReadStatus::Closed, 0};
    }
    const std::size_t got = stream_->read(data, max); // credits the carrier's window
    if (got > 0)
        return {ReadStatus::Data, got};
    if (stream_ && !stream_->isReadClosed() && !stream_->isReset())
        return {ReadStatus::WouldBlock, 0};
    checkEnd();
    return {ReadStatus::Closed, 0};
}

void StreamPipe::write(const QByteArray& bytes) {
    if (!open_ || !stream_ || bytes.isEmpty())
        return;
    // The stream copies into its yamux queue; a queue past its bound resets it (onClosed).
    stream_->write(ByteView(reinterpret_cast<const std::uint8_t*>(bytes.constData()),
                            static_cast<std::size_t>(bytes.size())));
    if (open_ && queuedBytes() > lowWater_)
        aboveLowWater_ = true;
}

std::size_t StreamPipe::queuedBytes() const {
    return open_ && stream_ ? stream_->queuedBytes() : 0;
}

void StreamPipe::setDrainHandler(std::size_t lowWater, std::function<void()> handler) {
    lowWater_ = lowWater;
    drainHandler_ = std::move(handler);
    aboveLowWater_ = queuedBytes() > lowWater_;
}

void StreamPipe::pauseReads(bool paused) {
    if (readsPaused_ == paused)
        return;
    readsPaused_ = paused;
    // Nothing new may arrive while the window is used up: look at what waits.
    if (!paused && open_)
        scheduleReadable();
}

void StreamPipe::close() {
    if (!open_)
        return;
    open_ = false;
    drainHandler_ = nullptr;
    Stream* stream = stream_.data();
    release();
    if (!stream)
        return;
    // FIN after what is queued; what the far end still sends is dropped without crediting
    // the window, so it is soon held back. The stream goes once both sides are closed.
    QPointer<Stream> guard(stream);
    stream->closeWrite();
    if (guard)
        stream->closeRead();
}

void StreamPipe::onReadyRead() {
    if (!readsPaused_)
        readable();
}

void StreamPipe::readable() {
    if (!open_ || !stream_)
        return;
    const std::size_t before = stream_->bytesAvailable();
    notifyReadable();
    if (!open_ || !stream_ || readsPaused_)
        return;
    const std::size_t after = stream_->bytesAvailable();
    // A reader may stop at its bound per wakeup: it hears again on the next turn, like a
    // level-triggered socket. A reader that made no progress is not called in a loop.
    if (after > 0 && after < before)
        scheduleReadable();
    else if (after == 0)
        checkEnd(); // a reader that stops at a short read would not hear of the end
}

void StreamPipe::scheduleReadable() {
    if (readableQueued_)
        return;
    readableQueued_ = true;
    QMetaObject::invokeMethod(
        this,
        [this] {
            readableQueued_ = false;
            if (!readsPaused_)
                readable();
        },
        Qt::QueuedConnection);
}

// Everything before the far end's FIN (or reset) has been read: the pipe has ended.
void StreamPipe::checkEnd() {
    if (!open_)
        return;
    if (!stream_ || stream_->isReset())
        onReset();
    else if (stream_->isReadClosed() && stream_->bytesAvailable() == 0)
        fail(QStringLiteral("carrier stream closed by the remote"));
}

void StreamPipe::onWritable() {
    if (!open_ || !aboveLowWater_ || queuedBytes() > lowWater_)
        return;
    aboveLowWater_ = false;
    if (drainHandler_)
        drainHandler_();
}

// When the carrier connection closes, its streams are reset before it says why: its
// closed() gives the reason.
bool StreamPipe::carrierClosing() const {
    return stream_ && stream_->connection() && !stream_->connection()->isOpen();
}

void StreamPipe::onReset() {
    if (!carrierClosing())
        fail(QStringLiteral("carrier stream reset"));
}

void StreamPipe::onClosed() {
    if (carrierClosing())
        return;
    // Reset without wasReset(): by us (its write queue passed its bound, say).
    if (!stream_ || stream_->isReset())
        fail(QStringLiteral("carrier stream reset on our side"));
    else
        fail(QStringLiteral("carrier stream closed"));
}

void StreamPipe::fail(const QString& reason) {
    if (!open_)
        return; // reported once, and not after close()
    open_ = false;
    drainHandler_ = nullptr;
    Stream* stream = stream_.data();
    release();
    // Whatever is left of the stream goes: our side closes too.
    if (stream && !stream->isReset()) {
        QPointer<Stream> guard(stream);
        stream->closeWrite();
        if (guard)
            stream->closeRead();
    }
    Q_EMIT failed(reason);
}

// The stream's signals no longer reach the pipe.
void StreamPipe::release() {
    if (stream_) {
        stream_->disconnect(this);
        if (Connection* connection = stream_->connection())
            connection->disconnect(this);
    }
    stream_ = nullptr;
}

} // namespace peerscope
