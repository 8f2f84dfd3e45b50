#include "engine/net/connection.h"

#include "engine/net/byte_pipe.h"
#include "engine/protocol/multistream_select.h"
#include "engine/protocol/noise_transport.h"
#include "engine/protocol/yamux_session.h"

#include <QLoggingCategory>
#include <limits>
#include <string_view>
#include <type_traits>

Q_LOGGING_CATEGORY(lcConnection, "peerscope.engine.connection")

namespace peerscope {

namespace {
constexpr std::size_t readChunk = 256 * 1024;
// Each readyRead handles at most this much so one busy connection cannot starve the others.
constexpr std::size_t maxReadPerWakeup = 4 * 1024 * 1024;
} // namespace

Connection::Connection(std::uint64_t id, std::unique_ptr<BytePipe> pipe,
                       std::unique_ptr<NoiseTransport> noise, bool yamuxClient, Info info,
                       const Clock& clock, StreamHandlerRegistry* handlers, QObject* parent)
    : QObject(parent), id_(id), io_(pipe.release()), noise_(std::move(noise)),
      yamux_(std::make_unique<YamuxSession>(yamuxClient ? YamuxSession::Role::Client
                                                        : YamuxSession::Role::Server)),
      info_(std::move(info)), clock_(clock), handlers_(handlers),
      openedAt_(QDateTime::currentDateTimeUtc()), openedAtMono_(clock.now()),
      idleSince_(openedAtMono_) {
    io_->setParent(this);
}

Connection::~Connection() {
    io_->disconnect(this);
    io_->setReadHandler({});
    io_->setDrainHandler(0, {});
}

void Connection::start(Bytes earlyPlaintext) {
    io_->setReadHandler([this] { onReadyRead(); });
    io_->setDrainHandler(outputLowWater, [this] { onDrained(); });
    connect(io_, &BytePipe::failed, this, [this](const QString& reason) { fail(reason); });
    if (ResourceManager* manager = handlers_ ? handlers_->resourceManager() : nullptr)
        buffered_ = manager->account(Resource::BytesBuffered, {{}, &info_.remotePeer, id_});
    yamux_->setOutputRoom(outputHighWater);
    // A receive window that grows lets the peer make us hold more: only while within limits.
    yamux_->setGrowthGate([this](std::uint32_t, std::uint32_t bytes) {
        updateBuffered();
        return allowsBuffering(bytes);
    });
    if (!earlyPlaintext.empty()) {
        yamux_->feed(earlyPlaintext, clock_.now());
        dispatchEvents();
    }
    // A yamux ping gives the session its RTT, which receive-window growth is judged against.
    yamux_->ping(1, clock_.now());
    flush();
    // Ciphertext the transport read before the pipe took over (the Upgrader takes it first, so
    // only a pipe handed over directly has any).
    const QByteArray buffered = io_->takeBuffered();
    if (open_ && !buffered.isEmpty()) {
        bytesIn_ += static_cast<std::uint64_t>(buffered.size());
        handleCiphertext(ByteView(reinterpret_cast<const std::uint8_t*>(buffered.constData()),
                                  static_cast<std::size_t>(buffered.size())));
    }
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
    // The notifier is level-triggered: what is left after maxReadPerWakeup wakes us again on
    // the next turn of the event loop, after the other connections had theirs.
    while (open_ && !readsPaused_ && handled < maxReadPerWakeup) {
        const BytePipe::ReadResult got = io_->read(scratch.data(), scratch.size());
        if (got.status != BytePipe::ReadStatus::Data)
            return; // nothing more now, or closed (fail() has run)
        handled += got.count;
        bytesIn_ += static_cast<std::uint64_t>(got.count);
        if (!handleCiphertext(ByteView(scratch.data(), got.count)))
            return;
        // A short read emptied the kernel's buffer: no need to ask again and hear EAGAIN.
        if (got.count < scratch.size())
            return;
    }
}

// Decrypts what the socket gave and hands the frames to yamux; false once the connection is
// closed (by a bad frame or by a handler).
bool Connection::handleCiphertext(ByteView ciphertext) {
    plaintext_.clear();
    Result<void> decrypted = noise_->decrypt(ciphertext, plaintext_);
    if (!decrypted) {
        failProtocol("noise", QString::fromStdString(decrypted.errorMessage()));
        return false;
    }
    if (!plaintext_.empty()) {
        yamux_->feed(plaintext_, clock_.now());
        dispatchEvents();
    }
    return open_;
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
                        // Counted before any byte of it is read: over a limit it is reset
                        // while nothing but the session knows of it. A new stream may make
                        // us hold a window's worth of its data.
                        ResourceReservation reservation;
                        updateBuffered();
                        if (!allowsBuffering(YamuxConfig{}.initialWindow) ||
                            !reserveStream(Resource::InboundStreams, reservation)) {
                            yamux_->reset(e.id);
                            return;
                        }
                        auto* stream = new Stream(this, e.id, Direction::Inbound);
                        stream->reservation() = std::move(reservation);
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
                        forgetStream(e.id);
                    } else if constexpr (std::is_same_v<E, yamux::Writable>) {
                        if (Stream* stream = findStream(e.id))
                            stream->markWritable();
                    } else if constexpr (std::is_same_v<E, yamux::GoAway>) {
                        qCDebug(lcConnection) << "remote sent GoAway, code" << e.code;
                    } else if constexpr (std::is_same_v<E, yamux::InboundRejected>) {
                        // The session's own cap refused it before we saw it (a burst of SYNs
                        // in one read): a refusal of the connection's stream limit all the same.
                        if (!e.goingAway)
                            countSessionStreamRefusal();
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
    if (dispatching_ || !open_)
        return;
    // Each write gives yamux the room left below the high-water mark, which may let streams
    // that waited for it send: until yamux has nothing more or the socket is full.
    while (true) {
        yamuxOut_.clear();
        yamux_->takeOutput(yamuxOut_);
        if (yamuxOut_.empty())
            break;
        // Encrypt straight into a QByteArray: the socket queues it by reference, not by copy,
        // when the kernel does not take it all at once.
        QByteArray& wire = wireBuffer();
        wire.resize(static_cast<qsizetype>(NoiseTransport::wireSize(yamuxOut_.size())));
        noise_->encrypt(yamuxOut_, reinterpret_cast<std::uint8_t*>(wire.data()));
        bytesOut_ += static_cast<std::uint64_t>(wire.size());
        io_->write(wire);
        if (!open_)
            return; // the write found the connection dead
        giveRoom();
    }
    updateBuffered();
    // Data stops at the high-water mark, so only control frames (pongs, window updates, RSTs
    // answering the peer's pings, SYNs and data) can pass readPauseBound: a peer that makes us
    // answer without reading the answers. We stop reading it until the queue drains. Two
    // well-behaved peers cannot deadlock on this: each one's data waits at its high-water mark
    // and its control frames are a small fraction of what it reads, so a peer's queue passes
    // the bound only while the other side does not read at all, and a peer that reads (even
    // while its own reads are paused, since writing and reading are watched apart) drains it.
    if (!readsPaused_ && io_->queuedBytes() > readPauseBound) {
        readsPaused_ = true;
        io_->pauseReads(true);
        if (handlers_)
            handlers_->countReadPause();
    }
    // Room given back can owe writers their Writable: deliver it on the next turn, not from
    // inside a write.
    if (yamux_->hasEvents() && !dispatchQueued_) {
        dispatchQueued_ = true;
        QMetaObject::invokeMethod(
            this,
            [this] {
                dispatchQueued_ = false;
                if (open_ && !dispatching_)
                    dispatchEvents();
            },
            Qt::QueuedConnection);
    }
}

void Connection::giveRoom() {
    const std::size_t queued = io_->queuedBytes();
    yamux_->setOutputRoom(queued < outputHighWater ? outputHighWater - queued : 0);
}

// The socket queue fell to the low-water mark: read again, let waiting streams send.
void Connection::onDrained() {
    if (!open_)
        return;
    if (readsPaused_) {
        readsPaused_ = false;
        io_->pauseReads(false);
    }
    giveRoom();
    dispatchEvents(); // Writable for streams drained; flushes
}

void Connection::updateBuffered() {
    if (buffered_)
        buffered_.setAmount(yamux_->bufferedBytes() + io_->queuedBytes());
}

std::size_t Connection::socketQueuedBytes() const {
    return io_->queuedBytes();
}

// Whether `more` buffered bytes fit the connection's, its peer's and the node's limits; a
// refusal is counted and reported.
bool Connection::allowsBuffering(std::uint64_t more) {
    ResourceManager* manager = handlers_ ? handlers_->resourceManager() : nullptr;
    if (manager == nullptr)
        return true;
    ResourceRefusal refusal;
    if (manager->allows(Resource::BytesBuffered, {{}, &info_.remotePeer, id_}, more, &refusal))
        return true;
    handlers_->resourceRefused(refusal);
    refusalText_ = refusalReason(refusal);
    return false;
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
    ResourceReservation reservation;
    if (!reserveStream(Resource::OutboundStreams, reservation)) {
        done(makeError(refusalText_));
        return;
    }
    std::uint32_t id = yamux_->openStream();
    if (id == 0) {
        done(makeError("connection cannot open streams (going away)"));
        return;
    }
    auto* stream = new Stream(this, id, Direction::Outbound);
    stream->reservation() = std::move(reservation);
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

// In the system, peer and connection scopes; false (reported, and described in refusalText_)
// when a limit refuses it.
bool Connection::reserveStream(Resource resource, ResourceReservation& out) {
    ResourceManager* manager = handlers_ ? handlers_->resourceManager() : nullptr;
    if (manager == nullptr)
        return true;
    ResourceRefusal refusal;
    out = manager->reserve(resource, {{}, &info_.remotePeer, id_}, &refusal);
    if (out)
        return true;
    handlers_->resourceRefused(refusal);
    refusalText_ = refusalReason(refusal);
    return false;
}

std::vector<Stream*> Connection::streams() const {
    std::vector<Stream*> out;
    out.reserve(streams_.size());
    for (const auto& [id, stream] : streams_)
        if (stream)
            out.push_back(stream.data());
    return out;
}

void Connection::forgetStream(std::uint32_t id) {
    auto it = streams_.find(id);
    if (it == streams_.end())
        return;
    const bool userStream = !it->second || !it->second->isHousekeeping();
    streams_.erase(it);
    if (userStream && activeStreamCount() == 0)
        idleSince_ = clock_.now();
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
    if (yamux_->queuedBytes(id) > streamWriteBound()) {
        streamOverBound(id);
        return;
    }
    flush();
}

std::size_t Connection::streamWriteBound() const {
    ResourceManager* manager = handlers_ ? handlers_->resourceManager() : nullptr;
    if (manager == nullptr)
        return std::numeric_limits<std::size_t>::max();
    return manager->limit(ResourceScope::Stream, Resource::BytesBuffered)
        .value_or(std::numeric_limits<std::uint32_t>::max());
}

void Connection::countSessionStreamRefusal() {
    ResourceManager* manager = handlers_ ? handlers_->resourceManager() : nullptr;
    if (manager == nullptr)
        return;
    ResourceRefusal refusal;
    manager->countRefusal(ResourceScope::Connection, Resource::InboundStreams,
                          {{}, &info_.remotePeer, id_}, &refusal);
    handlers_->resourceRefused(refusal);
}

void Connection::streamOverBound(std::uint32_t id) {
    if (handlers_) {
        handlers_->countStreamReset("write_queue_full");
        if (ResourceManager* manager = handlers_->resourceManager()) {
            ResourceRefusal refusal;
            manager->countRefusal(ResourceScope::Stream, Resource::BytesBuffered,
                                  {{}, &info_.remotePeer, id_, {}, id}, &refusal);
            handlers_->resourceRefused(refusal);
        }
    }
    if (Stream* stream = findStream(id))
        stream->reset(); // its queue goes with it
    else
        streamReset(id);
}

void Connection::streamProtocolNotSupported() {
    if (handlers_)
        handlers_->countStreamRefused("protocol_not_supported");
}

void Connection::streamCloseRead(std::uint32_t id) {
    if (!open_)
        return;
    yamux_->closeRead(id);
    dispatchEvents();
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
    forgetStream(id);
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
    reservation_.release();
    buffered_.release();
    // What the kernel takes now still goes out (a GoAway, say); then FIN.
    io_->disconnect(this);
    io_->close();
    Q_EMIT closed(reason);
}

} // namespace peerscope
