#pragma once

#include "engine/net/byte_pipe.h"
#include "engine/net/epoll_event_dispatcher.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QSocketNotifier>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>

class QTcpSocket;

namespace peerscope {

// The byte pipe of a TCP connection, from the handshake on: a connected, non-blocking TCP
// socket read and written with recv() and send() directly. QTcpSocket is fine for the handshake,
// but on every wakeup it asks the kernel how much is there (ioctl), reads it into its own buffer,
// and only then lets us copy it out; with thousands of connections pinged every second that
// machinery cost more than the probes themselves. Here a wakeup is one recv() into the caller's
// buffer. Writes go to the kernel at once; what it does not take is queued (by reference, no copy)
// and sent when the socket is writable, with write readiness watched only while something waits. On
// the engine's epoll dispatcher the socket is watched directly (a virtual call per wakeup); on any
// other dispatcher through QSocketNotifiers.
class SocketIo final : public BytePipe, private EpollEventDispatcher::FdWatcher {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SocketIo)

public:
    // Takes over the descriptor of `socket`, which is then closed and deleted; bytes it had
    // already read and buffered are returned by takeBuffered().
    explicit SocketIo(QTcpSocket* socket, QObject* parent = nullptr);
    ~SocketIo() override;

    // Reads with one recv() into the caller's buffer. Closed: the peer closed or the socket
    // failed; failed() says "remote closed the connection", "remote reset the connection" or
    // "socket error: ...".
    ReadResult read(std::uint8_t* data, std::size_t max) override;

    // Sends to the kernel at once; what it does not take is queued by reference.
    void write(const QByteArray& bytes) override;
    std::size_t queuedBytes() const override { return queuedBytes_; }
    // The handler runs after a write made room in the kernel.
    void setDrainHandler(std::size_t lowWater, std::function<void()> handler) override;

    // Stops (or resumes) watching the socket for reads: the kernel's buffer fills and TCP
    // flow control holds the peer back. The socket's hang-up is noticed once reads resume.
    void pauseReads(bool paused) override;
    bool readsPaused() const override { return readsPaused_; }

    // Sends what is queued if the kernel takes it now, then closes (FIN). Bytes that arrived
    // unread are read and dropped first (up to 256 KiB): closing over them would make the
    // kernel reset the connection and drop what we sent last.
    void close() override;
    bool isOpen() const override { return fd_ >= 0; }

private:
    void fdReady(bool readable, bool writable) override;
    void readable();
    void watchWrites(bool on);
    void updateWatch();
    void sendQueued();
    void drainQueue();
    void fail(const QString& reason);
    void closeDescriptor();

    int fd_ = -1;
    QPointer<EpollEventDispatcher> dispatcher_;      // watching fd_ directly, or null
    std::unique_ptr<QSocketNotifier> readNotifier_;  // without the epoll dispatcher
    std::unique_ptr<QSocketNotifier> writeNotifier_; // likewise
    bool watchingWrites_ = false;
    bool readsPaused_ = false;
    std::function<void()> drainHandler_;
    std::size_t lowWater_ = 0;
    bool aboveLowWater_ = false;
    std::deque<QByteArray> queue_; // whole buffers; the first is sent from queueOffset_
    std::size_t queueOffset_ = 0;
    std::size_t queuedBytes_ = 0;
    bool failed_ = false;
};

} // namespace peerscope
