// The engine thread's epoll event dispatcher, installed here on the test's main thread: the
// Qt machinery the engine relies on (timers, sockets, posted events from other threads, nested
// loops, processes) works on it, and a handler may tear down what the dispatcher is about to
// activate.
#include "engine/net/epoll_event_dispatcher.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QProcess>
#include <QSignalSpy>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>
#include <functional>
#include <memory>
#include <sys/socket.h>
#include <unistd.h>

using namespace peerscope;

namespace {

// A connected pair of Unix stream sockets, closed on destruction.
struct SocketPair {
    int fds[2] = {-1, -1};
    SocketPair() { socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds); }
    ~SocketPair() {
        for (int fd : fds)
            if (fd >= 0)
                ::close(fd);
    }
};

// A direct watcher that counts what it was told and runs `onReady` each time.
struct CountingWatcher final : EpollEventDispatcher::FdWatcher {
    int readable = 0;
    int writable = 0;
    std::function<void()> onReady;
    void fdReady(bool r, bool w) override {
        readable += r ? 1 : 0;
        writable += w ? 1 : 0;
        if (onReady)
            onReady();
    }
};

EpollEventDispatcher& dispatcher() {
    return *EpollEventDispatcher::current();
}

} // namespace

class TestEpollEventDispatcher final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void installedOnThisThread() {
        QVERIFY(qobject_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance()));
    }

    void timersFireInOrderAndRepeat() {
        QStringList order;
        QTimer::singleShot(30, this, [&] { order << "30"; });
        QTimer::singleShot(10, this, [&] { order << "10"; });
        QTimer repeating;
        int ticks = 0;
        connect(&repeating, &QTimer::timeout, this, [&] { ++ticks; });
        repeating.start(5);
        QTRY_COMPARE_WITH_TIMEOUT(order, (QStringList{"10", "30"}), 2000);
        QTRY_VERIFY_WITH_TIMEOUT(ticks >= 5, 2000);
        repeating.stop();
        const int stopped = ticks;
        QTest::qWait(30);
        QCOMPARE(ticks, stopped);
    }

    void remainingTimeAndUnregister() {
        QTimer timer;
        timer.setSingleShot(true);
        timer.start(500);
        const int left = timer.remainingTime();
        QVERIFY2(left > 400 && left <= 500, qPrintable(QString::number(left)));
        QVERIFY(!QAbstractEventDispatcher::instance()->registeredTimers(&timer).isEmpty());
        timer.stop();
        QCOMPARE(timer.remainingTime(), -1);
        QVERIFY(QAbstractEventDispatcher::instance()->registeredTimers(&timer).isEmpty());
    }

    void timerIsNotReenteredFromANestedLoop() {
        QTimer timer;
        int entered = 0, maxDepth = 0, depth = 0;
        connect(&timer, &QTimer::timeout, this, [&] {
            ++entered;
            maxDepth = std::max(maxDepth, ++depth);
            if (entered == 1) {
                QEventLoop nested; // runs well past several intervals of the same timer
                QTimer::singleShot(50, &nested, &QEventLoop::quit);
                nested.exec();
            }
            --depth;
        });
        timer.start(5);
        QTRY_VERIFY_WITH_TIMEOUT(entered >= 3, 2000);
        timer.stop();
        QCOMPARE(maxDepth, 1);
    }

    void postedEventsFromAnotherThreadWakeTheLoop() {
        QEventLoop loop;
        QElapsedTimer elapsed;
        bool delivered = false;
        std::unique_ptr<QThread> thread(QThread::create([&] {
            QThread::msleep(20);
            QMetaObject::invokeMethod(&loop, [&] {
                delivered = true;
                loop.quit();
            });
        }));
        elapsed.start();
        thread->start();
        QTimer::singleShot(5000, &loop, &QEventLoop::quit); // the bound, not the expectation
        loop.exec();
        thread->wait();
        QVERIFY(delivered);
        QVERIFY2(elapsed.elapsed() < 1000, qPrintable(QString::number(elapsed.elapsed())));
    }

    void interruptEndsAWaitingProcessEvents() {
        std::unique_ptr<QThread> thread(
            QThread::create([dispatcher = QAbstractEventDispatcher::instance()] {
                QThread::msleep(20);
                dispatcher->interrupt();
            }));
        QElapsedTimer elapsed;
        elapsed.start();
        thread->start();
        QTimer guard; // a far timer so the wait is bounded even if interrupt() failed
        guard.start(3000);
        QAbstractEventDispatcher::instance()->processEvents(QEventLoop::WaitForMoreEvents);
        thread->wait();
        QVERIFY2(elapsed.elapsed() < 2000, qPrintable(QString::number(elapsed.elapsed())));
    }

    void readAndWriteNotifiers() {
        SocketPair pair;
        QSocketNotifier readable(pair.fds[0], QSocketNotifier::Read);
        QSocketNotifier writable(pair.fds[0], QSocketNotifier::Write);
        QSignalSpy reads(&readable, &QSocketNotifier::activated);
        QSignalSpy writes(&writable, &QSocketNotifier::activated);
        QTRY_VERIFY_WITH_TIMEOUT(!writes.isEmpty(), 2000); // an empty socket is writable
        writable.setEnabled(false);
        QTest::qWait(20);
        QVERIFY(reads.isEmpty());
        QCOMPARE(::write(pair.fds[1], "x", 1), ssize_t(1));
        QTRY_VERIFY_WITH_TIMEOUT(!reads.isEmpty(), 2000);
        char byte = 0;
        QCOMPARE(::read(pair.fds[0], &byte, 1), ssize_t(1));
        // Level-triggered: nothing more to read, no more activations.
        reads.clear();
        QTest::qWait(20);
        QVERIFY(reads.isEmpty());
    }

    void aHandlerMayDeleteANotifierDueInTheSameWakeup() {
        SocketPair first, second;
        auto* a = new QSocketNotifier(first.fds[0], QSocketNotifier::Read);
        auto* b = new QSocketNotifier(second.fds[0], QSocketNotifier::Read);
        int activations = 0;
        // Whichever fires first deletes the other, which is ready in the same wakeup.
        char byte = 0;
        connect(a, &QSocketNotifier::activated, this, [&] {
            ++activations;
            (void)::read(first.fds[0], &byte, 1);
            delete b;
            b = nullptr;
        });
        connect(b, &QSocketNotifier::activated, this, [&] {
            ++activations;
            (void)::read(second.fds[0], &byte, 1);
            delete a;
            a = nullptr;
        });
        QCOMPARE(::write(first.fds[1], "x", 1), ssize_t(1));
        QCOMPARE(::write(second.fds[1], "y", 1), ssize_t(1));
        QTRY_COMPARE_WITH_TIMEOUT(activations, 1, 2000);
        QTest::qWait(20);
        QCOMPARE(activations, 1);
        delete a;
        delete b;
    }

    void directWatcherIsToldWhatIsReady() {
        SocketPair pair;
        CountingWatcher watcher;
        dispatcher().watchFd(pair.fds[0], &watcher, true, true);
        QTRY_VERIFY_WITH_TIMEOUT(watcher.writable > 0, 2000); // an empty socket is writable
        QCOMPARE(watcher.readable, 0);
        // Reads only: writability is no longer reported.
        dispatcher().watchFd(pair.fds[0], &watcher, true, false);
        watcher.writable = 0;
        QTest::qWait(20);
        QCOMPARE(watcher.writable, 0);
        QCOMPARE(watcher.readable, 0);
        QCOMPARE(::write(pair.fds[1], "x", 1), ssize_t(1));
        QTRY_VERIFY_WITH_TIMEOUT(watcher.readable > 0, 2000);
        char byte = 0;
        QCOMPARE(::read(pair.fds[0], &byte, 1), ssize_t(1));
        // Level-triggered: nothing more to read, no more calls.
        watcher.readable = 0;
        QTest::qWait(20);
        QCOMPARE(watcher.readable, 0);
        // A hang-up wakes a reader, so it reads and learns of the end.
        ::close(pair.fds[1]);
        pair.fds[1] = -1;
        QTRY_VERIFY_WITH_TIMEOUT(watcher.readable > 0, 2000);
        QCOMPARE(::read(pair.fds[0], &byte, 1), ssize_t(0));
        dispatcher().unwatchFd(pair.fds[0]);
        watcher.readable = 0;
        QTest::qWait(20);
        QCOMPARE(watcher.readable, 0); // unwatched: never told again
    }

    void aWatcherMayUnwatchAnotherDueInTheSameWakeup() {
        SocketPair first, second;
        CountingWatcher a, b;
        char byte = 0;
        // Whichever is told first unwatches the other, which is ready in the same wakeup.
        a.onReady = [&] {
            (void)::read(first.fds[0], &byte, 1);
            dispatcher().unwatchFd(second.fds[0]);
        };
        b.onReady = [&] {
            (void)::read(second.fds[0], &byte, 1);
            dispatcher().unwatchFd(first.fds[0]);
        };
        dispatcher().watchFd(first.fds[0], &a, true, false);
        dispatcher().watchFd(second.fds[0], &b, true, false);
        QCOMPARE(::write(first.fds[1], "x", 1), ssize_t(1));
        QCOMPARE(::write(second.fds[1], "y", 1), ssize_t(1));
        QTRY_COMPARE_WITH_TIMEOUT(a.readable + b.readable, 1, 2000);
        QTest::qWait(20);
        QCOMPARE(a.readable + b.readable, 1);
        dispatcher().unwatchFd(first.fds[0]);
        dispatcher().unwatchFd(second.fds[0]);
    }

    void tcpEchoOverLoopback() {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        connect(&server, &QTcpServer::newConnection, this, [&] {
            QTcpSocket* peer = server.nextPendingConnection();
            connect(peer, &QTcpSocket::readyRead, peer, [peer] { peer->write(peer->readAll()); });
        });
        QTcpSocket client;
        client.connectToHost(QHostAddress::LocalHost, server.serverPort());
        QTRY_COMPARE_WITH_TIMEOUT(client.state(), QAbstractSocket::ConnectedState, 5000);
        const QByteArray payload(256 * 1024, 'p'); // more than one write notifier round
        client.write(payload);
        QByteArray echoed;
        QTRY_VERIFY_WITH_TIMEOUT((echoed += client.readAll()).size() == payload.size(), 5000);
        QCOMPARE(echoed, payload);
    }

    void childProcessOutputAndExit() {
        QProcess process;
        process.start(QStringLiteral("sh"),
                      {QStringLiteral("-c"), QStringLiteral("echo hello; exit 3")});
        QSignalSpy finished(&process, &QProcess::finished);
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 5000);
        QCOMPARE(process.exitCode(), 3);
        QCOMPARE(process.readAllStandardOutput(), QByteArray("hello\n"));
    }
};

int main(int argc, char** argv) {
    // Before the application exists: the main thread's dispatcher can only be chosen then.
    QCoreApplication::setEventDispatcher(new EpollEventDispatcher);
    QCoreApplication app(argc, argv);
    TestEpollEventDispatcher test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_epoll_event_dispatcher.moc"
