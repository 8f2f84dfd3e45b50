#pragma once

#include "engine/net/byte_pipe.h"

#include <QPointer>
#include <cstddef>
#include <cstdint>
#include <functional>

namespace peerscope {

class Stream;

// A byte pipe over a Stream of one of our connections (a circuit through a relay), so a whole
// Connection (Noise, yamux) can run inside it.
//
// Flow control is the carrier's: nothing here buffers. Reads take from the stream's own buffer,
// and only what is read credits its yamux window, so pauseReads() (or a reader that falls
// behind) holds the far end back after one window. Writes go into the stream's queue, drained
// as the far end's window and our connection's socket allow; the stream's writable() gives the
// drain handler. The stream's queue is bounded by the resource limits (a stream past it is
// reset, and the pipe fails), above what a Connection ever queues (its readPauseBound).
//
// The pipe ends, with failed(), when the stream is reset ("carrier stream reset", or "... on our
// side" when we reset it, e.g. for passing its write bound), its
// connection closes ("carrier connection closed: ...") or the far end closes its side and
// everything before it was read ("carrier stream closed by the remote"). close() closes both
// sides of the stream; a pipe destroyed while open resets it.
class StreamPipe final : public BytePipe {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamPipe)

public:
    // `stream` has its protocol agreed (or is optimistic), and stays its connection's.
    explicit StreamPipe(Stream* stream, QObject* parent = nullptr);
    ~StreamPipe() override;

    Stream* stream() const { return stream_.data(); }
    // Bytes that arrived on the stream before the pipe took it over and were already read
    // (those that followed a relay's STATUS message): read first, before anything after them.
    void setEarlyBytes(QByteArray bytes);

    ReadResult read(std::uint8_t* data, std::size_t max) override;
    void write(const QByteArray& bytes) override;
    std::size_t queuedBytes() const override;
    void setDrainHandler(std::size_t lowWater, std::function<void()> handler) override;
    void pauseReads(bool paused) override;
    bool readsPaused() const override { return readsPaused_; }
    void close() override;
    bool isOpen() const override { return open_; }

private:
    void onReadyRead();
    void onWritable();
    void onReset();
    void onClosed();
    void readable();
    void scheduleReadable();
    void checkEnd();
    bool carrierClosing() const;
    void fail(const QString& reason);
    void release();

    QPointer<Stream> stream_;
    std::function<void()> drainHandler_;
    std::size_t lowWater_ = 0;
    bool aboveLowWater_ = false;
    bool readsPaused_ = false;
    bool open_ = true;
    bool readableQueued_ = false;
};

} // namespace peerscope
