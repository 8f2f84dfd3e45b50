#pragma once

#include "engine/core/bytes.h"
#include "engine/core/clock.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "engine/core/result.h"
#include "engine/net/stream.h"
#include "engine/resources/resource_manager.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace peerscope {

class BytePipe;
class NoiseTransport;
class YamuxSession;

// Picks the protocols this node serves on inbound streams; the Host supplies it.
class StreamHandlerRegistry {
public:
    virtual ~StreamHandlerRegistry() = default;
    virtual std::vector<std::string> supportedProtocols() const = 0;
    virtual void handleInboundStream(Stream* stream) = 0;
    // The limits streams count against (none: unlimited), and where refusals are reported.
    virtual ResourceManager* resourceManager() { return nullptr; }
    virtual void resourceRefused(const ResourceRefusal&) {}
    // Counters: a stream reset for passing one of our bounds ("write_queue_full"), an inbound
    // stream refused ("protocol_not_supported"), a connection that stopped reading its socket.
    virtual void countStreamReset(const std::string&) {}
    virtual void countStreamRefused(const std::string&) {}
    virtual void countReadPause() {}
};

// A secured, multiplexed connection to one peer: byte pipe (a TCP socket, a relayed stream) ->
// Noise transport -> yamux.
// Lives on the engine thread; every write to the socket goes through flush(), so frames are
// never interleaved.
//
// Backpressure: the socket queue is kept near outputHighWater by giving yamux only the room
// below it (data waits in its stream's queue, whose writer waits for writable()); each
// stream's queue is bounded (a write past it resets the stream); control frames the peer
// makes us answer are bounded by no longer reading its socket past readPauseBound.
class Connection final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Connection)

public:
    struct Info {
        PeerId remotePeer;
        Multiaddr remoteAddr;
        Multiaddr localAddr;
        Direction direction = Direction::Outbound;
        std::string muxer;             // "/yamux/1.0.0"
        bool muxerInHandshake = false; // negotiated inside Noise rather than with mss
        // The relay peer whose connection carries this one (a circuit, over a StreamPipe);
        // empty for a direct connection. Set by whoever hands the pipe to Host::upgradePipe.
        std::optional<PeerId> relay;
    };

    // Takes ownership of the pipe (already upgraded) and of the cipher state.
    Connection(std::uint64_t id, std::unique_ptr<BytePipe> pipe,
               std::unique_ptr<NoiseTransport> noise, bool yamuxClient, Info info,
               const Clock& clock, StreamHandlerRegistry* handlers, QObject* parent = nullptr);
    ~Connection() override;

    std::uint64_t id() const { return id_; }
    const Info& info() const { return info_; }
    const PeerId& remotePeer() const { return info_.remotePeer; }
    QDateTime openedAt() const { return openedAt_; }
    MonoTime openedAtMono() const { return openedAtMono_; } // on the injected clock
    bool isOpen() const { return open_; }

    // Opens a stream and negotiates one of `protocols` on it (multistream-select, in order).
    // `done` is called exactly once, on this thread: with the negotiated stream, or an error.
    // Optimistic applies only to a single protocol (see StreamNegotiation); `done` then runs
    // before this returns.
    using StreamCallback = std::function<void(Result<Stream*>)>;
    void openStream(std::vector<std::string> protocols, StreamCallback done,
                    StreamNegotiation mode = StreamNegotiation::Confirmed);

    std::vector<Stream*> streams() const;
    std::size_t streamCount() const { return streams_.size(); }
    // Streams opened for the user's work: all but the node's housekeeping (Stream).
    std::size_t activeStreamCount() const;
    // Since when it has had no user stream (its opening, or its last user stream's end); only
    // meaningful while activeStreamCount() is 0.
    MonoTime idleSince() const { return idleSince_; }
    std::uint64_t bytesIn() const { return bytesIn_; }   // wire bytes
    std::uint64_t bytesOut() const { return bytesOut_; } // wire bytes
    std::uint64_t streamsOpened() const { return streamsOpened_; }
    // Application bytes of the streams, by negotiated protocol.
    const std::map<std::string, ProtocolBytes>& protocolBytes() const { return protocolBytes_; }
    // The counter of one protocol's bytes on this connection; it lives as long as the
    // connection, so a stream keeps a reference to it.
    ProtocolBytes& protocolBytesOf(const std::string& protocol);

    // Sends a GoAway and closes the socket once written.
    void close(const QString& reason);
    // After closed(): "noise" or "yamux" when the peer sent bytes that broke that layer (the
    // connection was closed for it), empty otherwise.
    const char* protocolErrorLayer() const { return protocolErrorLayer_; }

    // Used by Stream.
    void streamWrite(std::uint32_t id, ByteView data);
    void streamCloseWrite(std::uint32_t id);
    void streamReset(std::uint32_t id);
    void streamConsumed(std::uint32_t id, std::size_t count);
    std::size_t streamQueuedBytes(std::uint32_t id) const;
    void streamCloseRead(std::uint32_t id);
    // The bound of one stream's unsent bytes (none without a resource manager), and what
    // happens past it: the stream is reset and counted.
    std::size_t streamWriteBound() const;
    void streamOverBound(std::uint32_t id);
    // An inbound stream ended while we had declined every protocol it proposed.
    void streamProtocolNotSupported();

    // What the socket may queue before yamux holds data back, where it gets room again, and
    // past which the socket is no longer read (see flush()). 1 MiB keeps several milliseconds
    // of a loopback transfer in flight, so the kernel never waits for us, while a thousand
    // peers that stop reading cost a bounded 2 GiB at worst, not whatever they asked for.
    static constexpr std::size_t outputHighWater = 1024 * 1024;
    static constexpr std::size_t outputLowWater = outputHighWater / 2;
    static constexpr std::size_t readPauseBound = outputHighWater + 1024 * 1024;
    bool readsPaused() const { return readsPaused_; }
    std::size_t socketQueuedBytes() const;
    std::size_t bufferedBytes() const { return buffered_.amount(); }

    // The connection's own reservation (an inbound or outbound connection), given back when
    // it closes.
    void holdReservation(ResourceReservation reservation) { reservation_ = std::move(reservation); }

    // Starts reading. `earlyPlaintext` is decrypted data that arrived during the upgrade,
    // after the handshake (the first yamux frames).
    void start(Bytes earlyPlaintext);

Q_SIGNALS:
    void streamOpened(peerscope::Stream* stream);
    void closed(const QString& reason);

private:
    void onReadyRead();
    bool handleCiphertext(ByteView ciphertext);
    static Bytes& readScratch();
    void processPlaintext();
    void dispatchEvents();
    void flush();
    void giveRoom();
    void onDrained();
    void updateBuffered();
    bool allowsBuffering(std::uint64_t more);
    QByteArray& wireBuffer();
    void fail(const QString& reason);
    void failProtocol(const char* layer, const QString& reason);
    Stream* findStream(std::uint32_t id) const;
    void forgetStream(std::uint32_t id);
    bool reserveStream(Resource resource, ResourceReservation& out);
    void countSessionStreamRefusal();

    std::uint64_t id_;
    BytePipe* io_; // a child: it goes with the connection
    std::unique_ptr<NoiseTransport> noise_;
    std::unique_ptr<YamuxSession> yamux_;
    Info info_;
    const Clock& clock_;
    StreamHandlerRegistry* handlers_;
    QDateTime openedAt_;
    MonoTime openedAtMono_;
    std::map<std::uint32_t, QPointer<Stream>> streams_;
    MonoTime idleSince_;
    Bytes plaintext_;
    Bytes yamuxOut_;
    static constexpr std::size_t maxWireBuffers = 4;
    std::vector<QByteArray> wireBuffers_; // encrypted output, reused once the socket lets go
    QByteArray wireOverflow_;
    std::uint64_t bytesIn_ = 0;
    std::uint64_t bytesOut_ = 0;
    std::uint64_t streamsOpened_ = 0;
    std::map<std::string, ProtocolBytes> protocolBytes_;
    bool open_ = true;
    const char* protocolErrorLayer_ = "";
    bool dispatching_ = false;
    ResourceReservation reservation_;
    ResourceReservation buffered_; // BytesBuffered account, kept by updateBuffered()
    bool readsPaused_ = false;
    bool dispatchQueued_ = false;
    std::string refusalText_; // the last stream refused, for the error of openStream()
};

} // namespace peerscope
