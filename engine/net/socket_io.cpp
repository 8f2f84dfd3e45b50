#include "engine/net/socket_io.h"

#include <QTcpSocket>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace peerscope {

namespace {
QString errnoText(int error) {
    return QStringLiteral("socket error: ") + QString::fromLocal8Bit(std::strerror(error));
}

// Why a send() or recv() failed, in the words the rest of the engine logs.
QString failureText(int error) {
    if (error == ECONNRESET)
        return QStringLiteral("remote reset the connection");
    if (error == EPIPE)
        return QStringLiteral("remote closed the connection");
    return errnoText(error);
}
} // namespace

SocketIo::SocketIo(QTcpSocket* socket, QObject* parent) : BytePipe(parent) {
    if (socket->isOpen())
        buffered_ = socket->readAll();
    // The handshake's last bytes must be with the kernel before Qt's socket goes: aborting it
    // would drop them silently.
    socket->flush();
    const bool unsent = socket->bytesToWrite() > 0;
    // Qt has no call that gives a descriptor up: keep a duplicate and let the QTcpSocket close
    // its own. The TCP connection lives on while any descriptor refers to it.
    const int original = static_cast<int>(socket->socketDescriptor());
    int dupError = 0;
    if (original >= 0 && !unsent) {
        fd_ = ::fcntl(original, F_DUPFD_CLOEXEC, 0);
        dupError = errno;
    }
    socket->disconnect();
    socket->abort();
    socket->deleteLater();
    if (fd_ < 0) {
        // Reported on the next turn, once the owner has connected to failed().
        const QString reason =
            original < 0 ? QStringLiteral("socket error: not connected")
            : unsent     ? QStringLiteral("socket error: the handshake's last bytes were not sent")
                         : errnoText(dupError);
        QMetaObject::invokeMethod(
            this, [this, reason] { fail(reason); }, Qt::QueuedConnection);
        return;
    }
    ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
    dispatcher_ = EpollEventDispatcher::current();
    if (dispatcher_) {
        dispatcher_->watchFd(fd_, this, true, false);
        return;
    }
    readNotifier_ = std::make_unique<QSocketNotifier>(fd_, QSocketNotifier::Read);
    connect(readNotifier_.get(), &QSocketNotifier::activated, this, &SocketIo::readable);
    writeNotifier_ = std::make_unique<QSocketNotifier>(fd_, QSocketNotifier::Write);
    writeNotifier_->setEnabled(false);
    connect(writeNotifier_.get(), &QSocketNotifier::activated, this, &SocketIo::sendQueued);
}

void SocketIo::fdReady(bool readable, bool writable) {
    if (writable)
        sendQueued();
    if (readable && fd_ >= 0)
        this->readable();
}

void SocketIo::readable() {
    notifyReadable();
}

void SocketIo::watchWrites(bool on) {
    if (watchingWrites_ == on || fd_ < 0)
        return;
    watchingWrites_ = on;
    updateWatch();
}

void SocketIo::pauseReads(bool paused) {
    if (readsPaused_ == paused)
        return;
    readsPaused_ = paused;
    if (fd_ >= 0)
        updateWatch();
}

void SocketIo::updateWatch() {
    if (dispatcher_) {
        dispatcher_->watchFd(fd_, this, !readsPaused_, watchingWrites_);
        return;
    }
    if (readNotifier_)
        readNotifier_->setEnabled(!readsPaused_);
    if (writeNotifier_)
        writeNotifier_->setEnabled(watchingWrites_);
}

void SocketIo::setDrainHandler(std::size_t lowWater, std::function<void()> handler) {
    lowWater_ = lowWater;
    drainHandler_ = std::move(handler);
    aboveLowWater_ = queuedBytes_ > lowWater_;
}

SocketIo::~SocketIo() {
    closeDescriptor();
}

BytePipe::ReadResult SocketIo::read(std::uint8_t* data, std::size_t max) {
    if (fd_ < 0)
        return {ReadStatus::Closed, 0};
    const ssize_t got = ::recv(fd_, data, max, 0);
    if (got > 0)
        return {ReadStatus::Data, static_cast<std::size_t>(got)};
    if (got == 0) {
        fail(QStringLiteral("remote closed the connection"));
        return {ReadStatus::Closed, 0};
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
        return {ReadStatus::WouldBlock, 0};
    fail(failureText(errno));
    return {ReadStatus::Closed, 0};
}

void SocketIo::write(const QByteArray& bytes) {
    if (fd_ < 0 || bytes.isEmpty())
        return;
    std::size_t offset = 0;
    if (queue_.empty()) {
        const ssize_t sent = ::send(fd_, bytes.constData(), static_cast<std::size_t>(bytes.size()),
                                    MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent == bytes.size())
            return;
        if (sent < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                fail(failureText(errno));
                return;
            }
        } else {
            offset = static_cast<std::size_t>(sent);
        }
    }
    if (queue_.empty())
        queueOffset_ = offset;
    queue_.push_back(bytes); // shares the buffer, no copy
    queuedBytes_ += static_cast<std::size_t>(bytes.size()) - offset;
    if (queuedBytes_ > lowWater_)
        aboveLowWater_ = true;
    watchWrites(true);
}

void SocketIo::sendQueued() {
    drainQueue();
    // Last: the handler may write (and queue) again.
    if (aboveLowWater_ && queuedBytes_ <= lowWater_ && fd_ >= 0) {
        aboveLowWater_ = false;
        if (drainHandler_)
            drainHandler_();
    }
}

void SocketIo::drainQueue() {
    while (fd_ >= 0 && !queue_.empty()) {
        const QByteArray& front = queue_.front();
        const std::size_t left = static_cast<std::size_t>(front.size()) - queueOffset_;
        const ssize_t sent =
            ::send(fd_, front.constData() + queueOffset_, left, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return; // still full: wait for the next writable
            fail(failureText(errno));
            return;
        }
        queuedBytes_ -= static_cast<std::size_t>(sent);
        if (static_cast<std::size_t>(sent) < left) {
            queueOffset_ += static_cast<std::size_t>(sent);
            return;
        }
        queue_.pop_front();
        queueOffset_ = 0;
    }
    watchWrites(false);
}

void SocketIo::close() {
    if (fd_ < 0)
        return;
    drainHandler_ = nullptr;
    drainQueue();
    if (fd_ >= 0) {
        ::shutdown(fd_, SHUT_WR);
        // Closing a socket with unread bytes makes the kernel answer with a reset and drop what
        // it has not sent yet (our GoAway, say): read what is there first.
        char discard[4096];
        for (int i = 0; i < 64 && ::recv(fd_, discard, sizeof discard, MSG_DONTWAIT) > 0; ++i) {
        }
    }
    closeDescriptor();
}

void SocketIo::fail(const QString& reason) {
    if (failed_)
        return; // reported once
    failed_ = true;
    closeDescriptor();
    Q_EMIT failed(reason);
}

void SocketIo::closeDescriptor() {
    // Watchers go before the descriptor they watch.
    if (dispatcher_ && fd_ >= 0)
        dispatcher_->unwatchFd(fd_);
    dispatcher_ = nullptr;
    watchingWrites_ = false;
    readNotifier_.reset();
    writeNotifier_.reset();
    queue_.clear();
    queueOffset_ = 0;
    queuedBytes_ = 0;
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

} // namespace peerscope
