#pragma once

#include <QByteArray>
#include <QObject>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

namespace peerscope {

// A duplex byte pipe, the end of a transport's job: a TCP socket (SocketIo) or a stream of a
// connection to a relay (StreamPipe). The Upgrader secures and multiplexes one, and the
// Connection runs over it, without knowing which it is.
//
// Reads are pulled: the read handler runs when bytes (or the end) may be there, and the reader
// calls read() until WouldBlock. A reader may stop earlier (a bound per wakeup): the handler
// runs again on a later turn while bytes are left. Writes are pushed and never refused; what
// the far end does not take yet queues (by reference, no copy, on a socket), and the drain
// handler tells the writer when the queue has come down to its low-water mark, so the writer
// keeps the queue bounded. pauseReads() stops reading at the source, so the far end is held
// back by the transport's own flow control (TCP's window, yamux's window).
class BytePipe : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BytePipe)

public:
    explicit BytePipe(QObject* parent = nullptr) : QObject(parent) {}
    ~BytePipe() override;

    enum class ReadStatus { Data, WouldBlock, Closed };
    struct ReadResult {
        ReadStatus status = ReadStatus::WouldBlock;
        std::size_t count = 0;
    };
    // Reads at most `max` bytes. Closed means the far end closed or the pipe failed (failed()
    // has been emitted, once).
    virtual ReadResult read(std::uint8_t* data, std::size_t max) = 0;

    // Sends `bytes` (after anything still queued). The pipe may keep a reference to `bytes`
    // until it is all sent: do not write into it while it is not detached.
    virtual void write(const QByteArray& bytes) = 0;
    virtual std::size_t queuedBytes() const = 0;
    // Runs when the queue, having been above `lowWater` bytes, has drained to it or below: the
    // owner may send what it held back.
    virtual void setDrainHandler(std::size_t lowWater, std::function<void()> handler) = 0;

    // Stops (or resumes) reading from the source; the far end is held back by its transport's
    // flow control. The end of the pipe is noticed once reads resume.
    virtual void pauseReads(bool paused) = 0;
    virtual bool readsPaused() const = 0;

    // Sends what is queued as far as it can, then closes our side. No failed() follows.
    virtual void close() = 0;
    virtual bool isOpen() const = 0;

    // Runs whenever the pipe may be read (or has ended: read() then says Closed). A plain call,
    // not a signal: it runs on every wakeup of a busy node. A handler may replace itself while
    // it runs (the Upgrader hands the pipe to a Connection from inside its handler), so the pipe
    // touches nothing of it after the call.
    void setReadHandler(std::function<void()> handler) { readHandler_ = std::move(handler); }

    // Bytes the transport had read before the pipe took over, to be handled before anything
    // read() gets.
    QByteArray takeBuffered() { return std::exchange(buffered_, QByteArray()); }

Q_SIGNALS:
    // The pipe is gone, and why ("remote closed the connection", "relay stream reset", ...).
    void failed(const QString& reason);

protected:
    void notifyReadable() {
        if (readHandler_)
            readHandler_();
    }
    bool hasReadHandler() const { return static_cast<bool>(readHandler_); }

    QByteArray buffered_;

private:
    std::function<void()> readHandler_;
};

} // namespace peerscope
