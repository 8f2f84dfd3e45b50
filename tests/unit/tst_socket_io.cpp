// SocketIo over real TCP on 127.0.0.1: the near end is a QTcpSocket accepted by a QTcpServer and
// handed over to SocketIo; the far end is a raw non-blocking descriptor, so the test decides
// when it reads, closes or resets. It runs on the engine thread's epoll dispatcher, as SocketIo
// does in the engine; PEERSCOPE_EVENT_DISPATCHER=qt runs it on Qt's own, as the engine can.
#include "engine/net/epoll_event_dispatcher.h"
#include "engine/net/socket_io.h"

#include <QCoreApplication>
#include <QPointer>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <vector>

using namespace peerscope;
using ReadStatus = SocketIo::ReadStatus;

namespace {

constexpr int waitMs = 10000;

// The far end of the connection as a plain non-blocking descriptor.
class FarEnd final {
public:
    enum class State { Open, Eof, Error, TimedOut };

    FarEnd() = default;
    FarEnd(const FarEnd&) = delete;
    FarEnd& operator=(const FarEnd&) = delete;
    ~FarEnd() { closeNow(); }

    bool connectTo(quint16 port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd_ < 0)
            return false;
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        // Blocking: on loopback the kernel completes it from the listen backlog at once.
        if (::connect(fd_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
            return false;
        return ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK) == 0;
    }

    // Small messages only: the kernel takes them whole.
    bool send(const QByteArray& bytes) const {
        return ::send(fd_, bytes.constData(), static_cast<std::size_t>(bytes.size()),
                      MSG_NOSIGNAL) == bytes.size();
    }

    // Appends whatever the kernel has for us now.
    State drainInto(QByteArray& into) {
        char chunk[64 * 1024];
        for (;;) {
            const ssize_t got = ::recv(fd_, chunk, sizeof chunk, 0);
            if (got > 0) {
                into.append(chunk, got);
                continue;
            }
            if (got == 0)
                return State::Eof;
            if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)
                return State::Open;
            return State::Error;
        }
    }

    // Drains until `into` holds `size` bytes (or the far end sees EOF or an error).
    State readUntil(QByteArray& into, qsizetype size, int timeoutMs) {
        State state = State::Open;
        if (!QTest::qWaitFor(
                [&] {
                    state = drainInto(into);
                    return state != State::Open || into.size() >= size;
                },
                timeoutMs))
            return State::TimedOut;
        return state;
    }

    // Drains until EOF or an error.
    State readToEnd(QByteArray& into, int timeoutMs) {
        State state = State::Open;
        if (!QTest::qWaitFor(
                [&] {
                    state = drainInto(into);
                    return state != State::Open;
                },
                timeoutMs))
            return State::TimedOut;
        return state;
    }

    // A zero linger time makes close() abort the connection: the kernel sends RST, not FIN.
    void reset() {
        const linger abortive{1, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
        closeNow();
    }

    void closeNow() {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = -1;
    }

private:
    int fd_ = -1;
};

// A listening QTcpServer, the QTcpSocket it accepted (the near end) and the far end.
struct Loopback {
    QTcpServer server;
    QTcpSocket* nearSocket = nullptr;
    FarEnd far;

    bool open() {
        if (!server.listen(QHostAddress::LocalHost))
            return false;
        if (!far.connectTo(server.serverPort()))
            return false;
        if (!QTest::qWaitFor([this] { return server.hasPendingConnections(); }, waitMs))
            return false;
        nearSocket = server.nextPendingConnection();
        return nearSocket && nearSocket->state() == QAbstractSocket::ConnectedState;
    }
};

// Collects what SocketIo delivers, reading only when its read handler runs.
struct Reader {
    QByteArray data;
    std::vector<ReadStatus> statuses; // the last status of each wakeup
    int wakeups = 0;

    void attach(SocketIo& io) {
        io.setReadHandler([this, &io] {
            ++wakeups;
            std::uint8_t buffer[4096];
            for (;;) {
                const SocketIo::ReadResult got = io.read(buffer, sizeof buffer);
                if (got.status != ReadStatus::Data) {
                    statuses.push_back(got.status);
                    return;
                }
                data.append(reinterpret_cast<const char*>(buffer),
                            static_cast<qsizetype>(got.count));
            }
        });
    }

    bool sawClosed() const {
        return std::find(statuses.begin(), statuses.end(), ReadStatus::Closed) != statuses.end();
    }
};

// Position-dependent content: consecutive 32-bit counters, so lost, doubled or reordered
// chunks show up.
QByteArray countingPattern(qsizetype size) {
    QByteArray out(size, Qt::Uninitialized);
    for (qsizetype offset = 0; offset < size; offset += 4) {
        const auto counter = static_cast<std::uint32_t>(offset / 4);
        std::memcpy(out.data() + offset, &counter, std::min<qsizetype>(4, size - offset));
    }
    return out;
}

// Where two byte arrays first differ, for a failure message that does not print megabytes.
QByteArray firstDifference(const QByteArray& got, const QByteArray& expected) {
    const qsizetype common = std::min(got.size(), expected.size());
    for (qsizetype i = 0; i < common; ++i)
        if (got[i] != expected[i])
            return "first difference at byte " + QByteArray::number(i);
    return "sizes differ: got " + QByteArray::number(got.size()) + ", expected " +
           QByteArray::number(expected.size());
}

bool useQtDispatcher() {
    return qEnvironmentVariable("PEERSCOPE_EVENT_DISPATCHER") == QStringLiteral("qt");
}

ReadStatus readOnce(SocketIo& io) {
    std::uint8_t buffer[16];
    return io.read(buffer, sizeof buffer).status;
}

// failed() came once (and no second one follows), naming a reset.
void verifyOneFailureNamingAReset(const QSignalSpy& failedSpy) {
    QTest::qWait(20);
    QCOMPARE(failedSpy.count(), 1);
    const QString reason = failedSpy.at(0).at(0).toString();
    QVERIFY2(reason.contains(QStringLiteral("reset"), Qt::CaseInsensitive),
             qPrintable("a reset must not read like an orderly close: " + reason));
}

} // namespace

class TestSocketIo final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        if (!useQtDispatcher())
            QVERIFY(qobject_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance()));
    }

    void handoverKeepsBufferedBytes() {
        Loopback link;
        QVERIFY(link.open());
        QVERIFY(link.far.send("hello"));
        QTRY_COMPARE_WITH_TIMEOUT(link.nearSocket->bytesAvailable(), qint64(5), waitMs);

        QPointer<QTcpSocket> handedOver(link.nearSocket);
        SocketIo io(link.nearSocket);
        QSignalSpy failedSpy(&io, &SocketIo::failed);
        QVERIFY(io.isOpen());
        QVERIFY2(handedOver, "the QTcpSocket must be deleted later, not at once");
        QCOMPARE(io.takeBuffered(), QByteArray("hello"));
        QVERIFY(io.takeBuffered().isEmpty());
        QTRY_VERIFY_WITH_TIMEOUT(handedOver.isNull(), waitMs);

        // Deleting the QTcpSocket did not end the connection, in either direction.
        Reader reader;
        reader.attach(io);
        QVERIFY(link.far.send("world"));
        QTRY_COMPARE_WITH_TIMEOUT(reader.data, QByteArray("world"), waitMs);
        QVERIFY(link.far.send(", again"));
        QTRY_COMPARE_WITH_TIMEOUT(reader.data, QByteArray("world, again"), waitMs);

        io.write("back");
        QByteArray atFar;
        QCOMPARE(link.far.readUntil(atFar, 4, waitMs), FarEnd::State::Open);
        QCOMPARE(atFar, QByteArray("back"));
        QCOMPARE(failedSpy.count(), 0);
        QVERIFY(io.isOpen());
    }

    void largeWritesAreQueuedAndArriveInOrder() {
        Loopback link;
        QVERIFY(link.open());
        SocketIo io(link.nearSocket);
        QSignalSpy failedSpy(&io, &SocketIo::failed);

        constexpr qsizetype chunkSize = 64 * 1024;
        constexpr qsizetype total = 32 * 1024 * 1024;
        const QByteArray expected = countingPattern(total);
        const auto writeChunks = [&](qsizetype from, qsizetype to) {
            QByteArray chunk;
            for (qsizetype offset = from; offset < to; offset += chunkSize) {
                chunk = QByteArray(expected.constData() + offset, chunkSize);
                io.write(chunk);
            }
            return chunk; // the last one, still referenced here
        };
        // The far end reads nothing yet, so the kernel fills up and the rest is queued.
        const QByteArray firstHalfLast = writeChunks(0, total / 2);
        QVERIFY2(io.queuedBytes() > 0, "16 MiB unread should not all fit in the kernel");
        QVERIFY2(!firstHalfLast.isDetached(),
                 "a queued buffer is shared with the queue, not copied");

        // The far end empties the kernel's buffers while no event is processed, so SocketIo
        // has not refilled them: the kernel has room, yet new writes must queue behind the rest.
        QByteArray received;
        received.reserve(total);
        QCOMPARE(link.far.drainInto(received), FarEnd::State::Open);
        QVERIFY(received.size() > 0);
        const QByteArray lastChunk = writeChunks(total / 2, total);
        QVERIFY(io.queuedBytes() > 0);
        QVERIFY(io.queuedBytes() <= std::size_t(total - received.size()));
        QVERIFY(!lastChunk.isDetached());

        QCOMPARE(link.far.readUntil(received, total, 60000), FarEnd::State::Open);
        QVERIFY2(received == expected, firstDifference(received, expected).constData());
        QCOMPARE(io.queuedBytes(), std::size_t(0));
        QVERIFY2(firstHalfLast.isDetached() && lastChunk.isDetached(),
                 "a sent buffer must be released by the queue");

        // Nothing more follows the pattern.
        QTest::qWait(20);
        QCOMPARE(link.far.drainInto(received), FarEnd::State::Open);
        QCOMPARE(received.size(), total);
        QCOMPARE(failedSpy.count(), 0);
        QVERIFY(io.isOpen());
    }

    void drainHandlerRunsAtTheLowWaterMark() {
        Loopback link;
        QVERIFY(link.open());
        SocketIo io(link.nearSocket);
        constexpr std::size_t lowWater = 256 * 1024;
        std::vector<std::size_t> queuedAtDrain;
        io.setDrainHandler(lowWater, [&] { queuedAtDrain.push_back(io.queuedBytes()); });
        // The far end reads nothing: the kernel fills, then the queue passes the mark.
        const QByteArray chunk(64 * 1024, 'd');
        for (int i = 0; i < 256 && io.queuedBytes() <= 4 * lowWater; ++i)
            io.write(chunk);
        QVERIFY(io.queuedBytes() > 4 * lowWater);
        QVERIFY(queuedAtDrain.empty());
        QByteArray received;
        // Reading lets the queue drain: the handler runs once, at or below the mark.
        QVERIFY(QTest::qWaitFor(
            [&] {
                link.far.drainInto(received);
                return io.queuedBytes() == 0;
            },
            waitMs));
        QCOMPARE(queuedAtDrain.size(), std::size_t(1));
        QVERIFY(queuedAtDrain.front() <= lowWater);
    }

    void pausedReadsDeliverNothingUntilResumed() {
        Loopback link;
        QVERIFY(link.open());
        SocketIo io(link.nearSocket);
        Reader reader;
        reader.attach(io);
        io.pauseReads(true);
        QVERIFY(io.readsPaused());
        QVERIFY(link.far.send("held"));
        // A turn of the loop with data waiting: no wakeup while paused (a write still goes out).
        io.write("ping");
        QByteArray atFar;
        QCOMPARE(link.far.readUntil(atFar, 4, waitMs), FarEnd::State::Open);
        QCOMPARE(atFar, QByteArray("ping"));
        QCOMPARE(reader.wakeups, 0);
        io.pauseReads(false);
        QTRY_COMPARE_WITH_TIMEOUT(reader.data, QByteArray("held"), waitMs);
    }

    void remoteCloseFailsOnce() {
        Loopback link;
        QVERIFY(link.open());
        SocketIo io(link.nearSocket);
        QSignalSpy failedSpy(&io, &SocketIo::failed);
        Reader reader;
        reader.attach(io);

        QVERIFY(link.far.send("bye"));
        link.far.closeNow();
        QTRY_COMPARE_WITH_TIMEOUT(failedSpy.count(), 1, waitMs);
        QCOMPARE(failedSpy.at(0).at(0).toString(), QStringLiteral("remote closed the connection"));
        QCOMPARE(reader.data, QByteArray("bye")); // bytes before the FIN are not lost
        QVERIFY(reader.sawClosed());
        QVERIFY(!io.isOpen());

        // Afterwards everything is harmless and nothing is reported again.
        const int wakeups = reader.wakeups;
        QCOMPARE(readOnce(io), ReadStatus::Closed);
        io.write("too late");
        QCOMPARE(io.queuedBytes(), std::size_t(0));
        io.close();
        QCOMPARE(readOnce(io), ReadStatus::Closed);
        QTest::qWait(20);
        QCOMPARE(failedSpy.count(), 1);
        QCOMPARE(reader.wakeups, wakeups);
    }

    void remoteResetFailsOnceNamingTheReset() {
        Loopback link;
        QVERIFY(link.open());
        SocketIo io(link.nearSocket);
        QSignalSpy failedSpy(&io, &SocketIo::failed);
        Reader reader;
        reader.attach(io);

        link.far.reset();
        QTRY_COMPARE_WITH_TIMEOUT(failedSpy.count(), 1, waitMs);
        QVERIFY(reader.sawClosed());
        QVERIFY(!io.isOpen());
        QCOMPARE(readOnce(io), ReadStatus::Closed);
        verifyOneFailureNamingAReset(failedSpy);
    }

    // The reset is noticed by the write side alone: nobody reads.
    void remoteResetWhileWritesAreQueued() {
        Loopback link;
        QVERIFY(link.open());
        SocketIo io(link.nearSocket);
        QSignalSpy failedSpy(&io, &SocketIo::failed);

        QByteArray lastChunk;
        for (int i = 0; i < 256; ++i) {
            QByteArray chunk(64 * 1024, char('a' + i % 26));
            io.write(chunk);
            lastChunk = chunk;
        }
        QVERIFY(io.queuedBytes() > 0);
        QVERIFY(!lastChunk.isDetached());

        link.far.reset();
        QTRY_COMPARE_WITH_TIMEOUT(failedSpy.count(), 1, waitMs);
        QVERIFY(!io.isOpen());
        QCOMPARE(io.queuedBytes(), std::size_t(0));
        QVERIFY2(lastChunk.isDetached(), "a failed connection must release its queue");
        verifyOneFailureNamingAReset(failedSpy);
    }

    void closeSendsAcceptedBytesThenEof() {
        Loopback link;
        QVERIFY(link.open());
        SocketIo io(link.nearSocket);
        QSignalSpy failedSpy(&io, &SocketIo::failed);

        // More than the far end's initial receive window, so some is still in our kernel's
        // send buffer when close() runs.
        const QByteArray expected = countingPattern(256 * 1024);
        io.write(expected.first(128 * 1024));
        io.write(expected.sliced(128 * 1024));
        QVERIFY2(io.queuedBytes() == 0, "premise: the kernel accepted every byte");
        io.close();
        QVERIFY(!io.isOpen());

        QByteArray received;
        QCOMPARE(link.far.readToEnd(received, waitMs), FarEnd::State::Eof);
        QVERIFY2(received == expected, firstDifference(received, expected).constData());
        QCOMPARE(readOnce(io), ReadStatus::Closed);
        QTest::qWait(20);
        QCOMPARE(failedSpy.count(), 0); // closing ourselves is not a failure
    }

    // Bytes from the far end that were never read must not turn close() into a reset: Linux
    // answers a close over unread data with RST and drops what it had not sent yet.
    void closeOverUnreadBytesIsNotAReset() {
        Loopback link;
        QVERIFY(link.open());
        SocketIo io(link.nearSocket);
        // On loopback send() puts the bytes in our receive queue before it returns; no event is
        // processed before close(), so nobody reads them.
        QVERIFY(link.far.send(QByteArrayLiteral("ping")));
        const QByteArray expected = countingPattern(256 * 1024);
        io.write(expected);
        io.close();

        QByteArray received;
        QCOMPARE(link.far.readToEnd(received, waitMs), FarEnd::State::Eof);
        QVERIFY2(received == expected, firstDifference(received, expected).constData());
    }

    // close() with a queue: what the kernel takes at that moment still goes out, in order,
    // followed by a FIN.
    void closeSendsWhatTheKernelTakesOfTheQueue() {
        Loopback link;
        QVERIFY(link.open());
        SocketIo io(link.nearSocket);
        QSignalSpy failedSpy(&io, &SocketIo::failed);

        constexpr qsizetype chunkSize = 64 * 1024;
        constexpr qsizetype total = 16 * 1024 * 1024;
        const QByteArray expected = countingPattern(total);
        for (qsizetype offset = 0; offset < total; offset += chunkSize)
            io.write(QByteArray(expected.constData() + offset, chunkSize));
        QVERIFY(io.queuedBytes() > 0);
        const qsizetype takenBeforeClose = total - qsizetype(io.queuedBytes());

        // Empty the kernel's buffers with no event processed, so only close() can refill them.
        QByteArray received;
        QCOMPARE(link.far.drainInto(received), FarEnd::State::Open);
        io.close();
        QVERIFY(!io.isOpen());
        QCOMPARE(io.queuedBytes(), std::size_t(0));

        QCOMPARE(link.far.readToEnd(received, waitMs), FarEnd::State::Eof);
        QVERIFY2(received.size() > takenBeforeClose, "close() must send from the queue");
        QVERIFY2(received == expected.first(received.size()),
                 firstDifference(received, expected.first(received.size())).constData());
        QTest::qWait(20);
        QCOMPARE(failedSpy.count(), 0);
    }

    void unconnectedSocketFailsOnTheNextTurn() {
        auto* socket = new QTcpSocket;
        QPointer<QTcpSocket> handedOver(socket);
        QCOMPARE(socket->socketDescriptor(), qintptr(-1));
        SocketIo io(socket);
        QSignalSpy failedSpy(&io, &SocketIo::failed);
        QCOMPARE(failedSpy.count(), 0); // not during construction, before anyone could listen
        QVERIFY(!io.isOpen());
        QCOMPARE(readOnce(io), ReadStatus::Closed);

        QTRY_COMPARE_WITH_TIMEOUT(failedSpy.count(), 1, waitMs);
        const QString reason = failedSpy.at(0).at(0).toString();
        QVERIFY2(reason.startsWith(QStringLiteral("socket error:")) &&
                     reason.contains(QStringLiteral("not connected")),
                 qPrintable(reason));
        QCOMPARE(readOnce(io), ReadStatus::Closed);
        io.write("nowhere");
        QCOMPARE(io.queuedBytes(), std::size_t(0));
        QTRY_VERIFY_WITH_TIMEOUT(handedOver.isNull(), waitMs);
        QTest::qWait(20);
        QCOMPARE(failedSpy.count(), 1);

        // Destroyed before the next turn: the pending report goes with it.
        int reports = 0;
        auto early = std::make_unique<SocketIo>(new QTcpSocket);
        connect(early.get(), &SocketIo::failed, this, [&reports] { ++reports; });
        early.reset();
        QTest::qWait(20);
        QCOMPARE(reports, 0);
    }
};

int main(int argc, char** argv) {
    // The main thread's dispatcher can only be chosen before the application exists.
    if (!useQtDispatcher())
        QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TestSocketIo test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_socket_io.moc"
