#pragma once

#include "engine/core/bytes.h"
#include "engine/net/protocol_bytes.h"
#include "engine/resources/resource_manager.h"

#include <QObject>
#include <QPointer>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace peerscope {

class Connection;
class MultistreamSelect;

enum class Direction { Inbound, Outbound };

// How an outbound stream's protocol is agreed. Confirmed: the stream is handed over once the
// peer echoed the protocol. Optimistic (one protocol only): handed over at once; the
// proposal and the first writes leave together and save a round trip, and a refusal arrives
// as negotiationFailed followed by a reset (go-libp2p's lazy negotiation).
enum class StreamNegotiation { Confirmed, Optimistic };
const char* directionName(Direction direction);

// One yamux stream of a Connection, after (or during) multistream-select negotiation of its
// protocol. Owned by its Connection; it is deleted (deleteLater) once both sides have closed or
// it was reset, so keep it in a QPointer.
class Stream final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Stream)

public:
    Stream(Connection* connection, std::uint32_t id, Direction direction);
    ~Stream() override;

    std::uint32_t id() const { return id_; }
    Direction direction() const { return direction_; }
    const std::string& protocol() const { return protocol_; }
    Connection* connection() const;
    bool isNegotiated() const { return negotiated_; }
    bool isReadClosed() const { return readClosed_; } // remote FIN, or closeRead()
    bool isWriteClosed() const { return writeClosed_; }
    bool isReset() const { return reset_; }
    // The node's own upkeep (the health monitor's ping stream, identify and its pushes): it
    // does not make a connection busy, so it neither keeps a connection from going idle or
    // being closed after a replacement, nor counts as load.
    void markHousekeeping() { housekeeping_ = true; }
    bool isHousekeeping() const { return housekeeping_; }

    // Application data received and not yet read.
    std::size_t bytesAvailable() const { return readBuffer_.size() - readOffset_; }
    // What the read buffer holds, the part already read included: at most twice
    // bytesAvailable() plus the last delivery, however long a reader keeps some unread.
    std::size_t readBufferBytes() const { return readBuffer_.size(); }
    // Takes everything buffered; the connection credits the yamux window for it.
    Bytes readAll();
    // Takes at most `max` bytes.
    Bytes read(std::size_t max);
    // Copies at most `max` bytes into `data` and takes them; returns how many.
    std::size_t read(std::uint8_t* data, std::size_t max);
    // Drops everything buffered (a sink that only counts); returns how many bytes.
    std::size_t discardAll();

    void write(ByteView data);
    // Bytes written but not yet sent because the peer's window is full.
    std::size_t queuedBytes() const;
    void closeWrite(); // half-close (FIN)
    // For a handler that expects no (more) input. Local only, like go-yamux's CloseRead: the
    // peer is not told; what is buffered is dropped, and data that arrives later is dropped
    // without crediting the yamux window, so a peer that keeps sending is soon stopped by it.
    // Once the write side is closed too the stream is gone. Before the protocol is agreed it
    // takes effect when it is.
    void closeRead();
    void reset(); // abort (RST)

    // What the stream counts against the resource limits; given back when it closes.
    ResourceReservation& reservation() { return reservation_; }

    // Used by Connection.
    void startNegotiation(std::unique_ptr<MultistreamSelect> negotiation,
                          StreamNegotiation mode = StreamNegotiation::Confirmed);
    // Takes the bytes out of `bytes`; leaves it holding a spare, empty buffer the caller can
    // reuse (the stream's previous one), so bulk reads do not allocate per frame.
    void deliver(Bytes& bytes);
    void markRemoteClosed();
    void markReset();
    void markWritable();
    void markClosed();

Q_SIGNALS:
    void negotiated(const QString& protocol);
    void negotiationFailed(const QString& reason);
    void readyRead();
    void remoteClosed();
    void wasReset();
    void writable();
    // Both directions closed or reset: the stream is gone after this.
    void closed();

private:
    void pumpNegotiation(ByteView input);
    void countDeclined();

    QPointer<Connection> connection_;
    std::uint32_t id_;
    Direction direction_;
    std::string protocol_;
    // The connection's counter for protocol_, found once at negotiation rather than by name on
    // every frame; valid while connection_ is (the connection owns it).
    ProtocolBytes* protocolBytes_ = nullptr;
    bool housekeeping_ = false;
    std::uint64_t optimisticBytesOut_ = 0; // written before the protocol was confirmed
    std::unique_ptr<MultistreamSelect> negotiation_;
    bool negotiated_ = false;
    bool optimistic_ = false; // writes go out behind the proposal, before the echo
    bool readClosed_ = false;
    bool writeClosed_ = false;
    bool reset_ = false;
    bool closedEmitted_ = false;
    Bytes readBuffer_;
    std::size_t readOffset_ = 0;
    Bytes pendingWrites_; // application writes made before negotiation finished
    ResourceReservation reservation_;
    bool pendingCloseWrite_ = false;
    bool pendingCloseRead_ = false;
};

} // namespace peerscope
