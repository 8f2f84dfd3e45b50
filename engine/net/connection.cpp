#include "engine/net/connection.h"

#include "engine/protocol/multistream_select.h"
#include "engine/protocol/noise_transport.h"
#include "engine/protocol/yamux_session.h"

#include <QLoggingCategory>
#include <QTcpSocket>
#include <string_view>
#include <sys/socket.h>
#include <type_traits>

Q_LOGGING_CATEGORY(lcConnection, "peerscope.engine.connection")

namespace peerscope {

namespace {
constexpr std::size_t readChunk = 256 * 1024;
// Each readyRead handles at most this much so one busy connection cannot starve the others.
constexpr std::size_t maxReadPerWakeup = 4 * 1024 * 1024;
} // namespace

Connection::Connection(std::uint64_t id, QTcpSocket* socket, std::unique_ptr<NoiseTransport> noise,
                       bool yamuxClient, Info info, const Clock& clock,
                       StreamHandlerRegistry* handlers, QObject* parent)
    : QObject(parent), id_(id), socket_(socket), noise_(std::move(noise)),
      yamux_(std::make_unique<YamuxSession>(yamuxClient ? YamuxSession::Role::Client
                                                        : YamuxSession::Role::Server)),
      info_(std::move(info)), clock_(clock), handlers_(handlers),
      openedAt_(QDateTime::currentDateTimeUtc()), openedAtMono_(clock.now()) {
    socket_->setParent(this);
}

Connection::~Connection() {
    if (socket_) {
        socket_->disconnect(this);
        socket_->abort();
    }
}

void Connection::start(Bytes earlyPlaintext) {
    // Bounds Qt's read chunks: unbounded, Qt reads all the kernel holds (megabytes on
    // loopback) into a fresh buffer per wakeup and frees it after, a page fault per 4 KiB.
    socket_->setReadBufferSize(static_cast<qint64>(readChunk));
    connect(socket_, &QTcpSocket::readyRead, this, &Connection::onReadyRead);
    connect(socket_, &QTcpSocket::disconnected, this,
            [this] { fail(QStringLiteral("remote closed the connection")); });
    connect(socket_, &QTcpSocket::errorOccurred, this, [this](QAbstractSocket::SocketError error) {
        if (error == QAbstractSocket::RemoteHostClosedError)
            fail(QStringLiteral("remote closed the connection"));
        else
            fail(QStringLiteral("socket error: ") + socket_->errorString());
    });
    if (!earlyPlaintext.empty()) {
        yamux_->feed(earlyPlaintext, clock_.now());
        dispatchEvents();
    }
    // A yamux ping gives the session its RTT, which receive-window growth is judged against.
    yamux_->ping(1, clock_.now());
    flush();
    if (socket_ && socket_->bytesAvailable() > 0)
        onReadyRead();
}

// One read buffer per thread, shared by its connections (they read one at a time): a buffer
// per connection would cost 256 KiB each, 750 MiB at 3,000 connections.
Bytes& Connection::readScratch() {
    thread_local Bytes scratch(readChunk);
    return scratch;
}

void Connection::onReadyRead() {
    Bytes& scratch = readScratch();
    std::size_t handled = 0;
    while (open_ && socket_ && socket_->bytesAvailable() > 0 && handled < maxReadPerWakeup) {
        qint64 count = socket_->read(reinterpret_cast<char*>(scratch.data()),
                                     static_cast<qint64>(scratch.size()));
        if (count <= 0)
            break;
        handled += static_cast<std::size_t>(count);
        bytesIn_ += static_cast<std::uint64_t>(count);
        plaintext_.clear();
        Result<void> decrypted =
            noise_->decrypt(ByteView(scratch.data(), static_cast<std::size_t>(count)), plaintext_);
        if (!decrypted) {
            failProtocol("noise", QString::fromStdString(decrypted.errorMessage()));
            return;
        }
        if (plaintext_.empty())
            continue;
        yamux_->feed(plaintext_, clock_.now());
        dispatchEvents();
    }
    // Leave the rest for the next turn of the event loop.
    if (open_ && socket_ && socket_->bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &Connection::onReadyRead, Qt::QueuedConnection);
}

Stream* Connection::findStream(std::uint32_t id) const {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : it->second.data();
}

void Connection::dispatchEvents() {
    // Handlers may write, close or open streams while we dispatch; flush once at the end.
    bool outer = !dispatching_;
    dispatching_ = true;
    QPointer<Connection> self(this);
    // Bounded: each round handles the events the previous one produced.
    for (int round = 0; round < 64 && self && open_; ++round) {
        std::vector<yamux::Event> events = yamux_->takeEvents();
        if (events.empty())
            break;
        for (yamux::Event& event : events) {
            if (!self || !open_)
                break;
            std::visit(
                [this](auto& e) {
                    using E = std::decay_t<decltype(e)>;
                    if constexpr (std::is_same_v<E, yamux::StreamOpened>) {
                        auto* stream = new Stream(this, e.id, Direction::Inbound);
                        streams_[e.id] = stream;
                        ++streamsOpened_;
                        connect(stream, &Stream::negotiated, this, [this, stream] {
                            if (handlers_)
                                handlers_->handleInboundStream(stream);
                        });
                        stream->startNegotiation(std::make_unique<MultistreamSelect>(
                            MultistreamSelect::responder(handlers_ ? handlers_->supportedProtocols()
                                                                   : std::vector<std::string>{})));
                        Q_EMIT streamOpened(stream);
                    } else if constexpr (std::is_same_v<E, yamux::Data>) {
                        if (Stream* stream = findStream(e.id))
                            stream->deliver(e.bytes);
                        else
                            yamux_->consumed(e.id, e.bytes.size(), clock_.now());
                        yamux_->recycle(std::move(e.bytes));
                    } else if constexpr (std::is_same_v<E, yamux::RemoteClosed>) {
                        if (Stream* stream = findStream(e.id))
                            stream->markRemoteClosed();
                    } else if constexpr (std::is_same_v<E, yamux::StreamReset>) {
                        if (Stream* stream = findStream(e.id))
                            stream->markReset();
                    } else if constexpr (std::is_same_v<E, yamux::StreamClosed>) {
                        if (Stream* stream = findStream(e.id))
                            stream->markClosed();
                        streams_.erase(e.id);
                    } else if constexpr (std::is_same_v<E, yamux::Writable>) {
                        if (Stream* stream = findStream(e.id))
                            stream->markWritable();
                    } else if constexpr (std::is_same_v<E, yamux::GoAway>) {
                        qCDebug(lcConnection) << "remote sent GoAway, code" << e.code;
                    } else if constexpr (std::is_same_v<E, yamux::InboundRejected>) {
                        qCDebug(lcConnection)
                            << "rejected inbound stream" << e.id << ": too many streams";
                    }
                },
                event);
        }
    }
    if (!self)
        return;
    if (outer) {
        dispatching_ = false;
        if (yamux_->failed()) {
            failProtocol("yamux", QString::fromStdString(yamux_->error()));
            return;
        }
        flush();
    }
}

void Connection::flush() {
    if (dispatching_ || !socket_)
        return;
    yamuxOut_.clear();
    yamux_->takeOutput(yamuxOut_);
    if (yamuxOut_.empty())
        return;
    // Encrypt straight into a QByteArray: QTcpSocket queues it by reference, not by copy.
    QByteArray& wire = wireBuffer();
    wire.resize(static_cast<qsizetype>(NoiseTransport::wireSize(yamuxOut_.size())));
    noise_->encrypt(yamuxOut_, reinterpret_cast<std::uint8_t*>(wire.data()));
    bytesOut_ += static_cast<std::uint64_t>(wire.size());
    // QTcpSocket::write() switches the socket's write notifier on and flush() switches it off
    // again, and each switch is a linear search through the event dispatcher's notifiers: with
    // thousands of connections that cost more than the probe itself. While Qt has nothing
    // queued, the bytes go to the kernel directly; only what the kernel does not take now is
    // queued in Qt (which keeps the order and reports any socket error as before).
    if (socket_->bytesToWrite() == 0 && socket_->socketDescriptor() >= 0) {
        const ssize_t sent =
            ::send(static_cast<int>(socket_->socketDescriptor()), wire.constData(),
                   static_cast<std::size_t>(wire.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent == wire.size())
            return;
        if (sent > 0) {
            socket_->write(wire.constData() + sent, wire.size() - sent);
            socket_->flush();
            return;
        }
    }
    socket_->write(wire);
    socket_->flush();
}

QByteArray& Connection::wireBuffer() {
    // The socket holds a reference to a buffer until the kernel has taken all of it. A buffer
    // only we reference again is reused with its capacity: a bulk sender would otherwise
    // allocate and free a large buffer per flush, and the allocator hands such buffers back
    // to the kernel, so every page faults in anew.
    for (QByteArray& buffer : wireBuffers_)
        if (buffer.isDetached())
            return buffer;
    if (wireBuffers_.size() < maxWireBuffers) {
        wireBuffers_.emplace_back();
        return wireBuffers_.back();
    }
    // All are queued in the socket (a slow peer): use a fresh one for this flush.
    wireOverflow_ = QByteArray();
    return wireOverflow_;
}

void Connection::openStream(std::vector<std::string> protocols, StreamCallback done,
                            StreamNegotiation mode) {
    if (!open_) {
        done(makeError("connection is closed"));
        return;
    }
    std::uint32_t id = yamux_->openStream();
    if (id == 0) {
        done(makeError("connection cannot open streams (going away)"));
        return;
    }
    auto* stream = new Stream(this, id, Direction::Outbound);
    streams_[id] = stream;
    ++streamsOpened_;
    // `done` runs exactly once: on negotiation, on failure, or if the stream dies first.
    auto callback = std::make_shared<StreamCallback>(std::move(done));
    // Takes the stream, or null and the reason; the Result is built only at the call.
    auto finish = [callback](Stream* negotiated, const std::string& error) {
        if (!*callback)
            return;
        StreamCallback call = std::move(*callback);
        *callback = nullptr;
        if (negotiated)
            call(Result<Stream*>(negotiated));
        else
            call(Result<Stream*>(Error{error}));
    };
    connect(stream, &Stream::negotiated, this, [finish, stream] { finish(stream, {}); });
    connect(stream, &Stream::negotiationFailed, this,
            [finish](const QString& reason) { finish(nullptr, reason.toStdString()); });
    connect(stream, &Stream::closed, this,
            [finish] { finish(nullptr, "stream closed before protocol negotiation finished"); });
    if (protocols.size() != 1)
        mode = StreamNegotiation::Confirmed;
    stream->startNegotiation(
        std::make_unique<MultistreamSelect>(MultistreamSelect::initiator(std::move(protocols))),
        mode);
    if (mode == StreamNegotiation::Optimistic) {
        // Hold the flush: the caller's first writes join the proposal in one frame batch.
        const bool wasDispatching = dispatching_;
        dispatching_ = true;
        finish(stream, {});
        dispatching_ = wasDispatching;
    }
    flush();
}

std::vector<Stream*> Connection::streams() const {
    std::vector<Stream*> out;
    out.reserve(streams_.size());
    for (const auto& [id, stream] : streams_)
        if (stream)
            out.push_back(stream.data());
    return out;
}

std::size_t Connection::activeStreamCount() const {
    std::size_t count = 0;
    for (const auto& [id, stream] : streams_)
        if (stream && !stream->isHousekeeping())
            ++count;
    return count;
}

ProtocolBytes& Connection::protocolBytesOf(const std::string& protocol) {
    return protocolBytes_[protocol];
}

void Connection::streamWrite(std::uint32_t id, ByteView data) {
    if (!open_)
        return;
    yamux_->write(id, data);
    flush();
}

void Connection::streamCloseWrite(std::uint32_t id) {
    if (!open_)
        return;
    yamux_->closeWrite(id);
    dispatchEvents();
    flush();
}

void Connection::streamReset(std::uint32_t id) {
    if (!open_)
        return;
    yamux_->reset(id);
    streams_.erase(id);
    flush();
}

void Connection::streamConsumed(std::uint32_t id, std::size_t count) {
    if (!open_)
        return;
    yamux_->consumed(id, count, clock_.now());
    flush();
}

std::size_t Connection::streamQueuedBytes(std::uint32_t id) const {
    return open_ ? yamux_->queuedBytes(id) : 0;
}

void Connection::close(const QString& reason) {
    if (!open_)
        return;
    yamux_->goAway(0);
    flush();
    if (socket_)
        socket_->disconnectFromHost();
    fail(reason);
}

void Connection::failProtocol(const char* layer, const QString& reason) {
    if (!open_)
        return;
    protocolErrorLayer_ = layer;
    // Tell the peer why (yamux GoAway with protocol error is queued by the session) if the
    // channel still works, then drop only this connection.
    if (std::string_view(layer) == "yamux")
        flush();
    fail(QString::fromLatin1(layer) + QStringLiteral(": ") + reason);
}

void Connection::fail(const QString& reason) {
    if (!open_)
        return;
    open_ = false;
    qCDebug(lcConnection) << "connection" << id_ << "closed:" << reason;
    // Every stream learns it is gone, so no caller waits on a dead connection.
    auto streams = std::move(streams_);
    streams_.clear();
    for (auto& [id, stream] : streams)
        if (stream)
            stream->markReset();
    if (socket_) {
        socket_->disconnect(this);
        if (socket_->state() != QAbstractSocket::UnconnectedState && socket_->bytesToWrite() == 0)
            socket_->abort();
    }
    Q_EMIT closed(reason);
}

} // namespace peerscope
