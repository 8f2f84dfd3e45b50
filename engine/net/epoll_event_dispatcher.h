#pragma once

#include <QAbstractEventDispatcher>
#include <QList>
#include <atomic>
#include <chrono>
#include <set>
#include <sys/epoll.h>
#include <unordered_map>
#include <utility>
#include <vector>

class QSocketNotifier;

namespace peerscope {

// A Qt event dispatcher on Linux epoll, for the engine thread. Qt's own dispatchers (GLib's
// and the Unix one) poll() every registered socket on every loop iteration, so a node with
// thousands of connections spends its time asking idle sockets whether they are ready: at
// 3,000 connections probed once a second that was most of the health monitor's cost. Here a
// wakeup costs what is ready, not what is open.
//
// It serves what the engine uses: socket notifiers (read, write, exception; level-triggered),
// timers (every type treated as precise), posted events, wakeUp() from any thread and
// interrupt(). A timer is never re-entered while its own handler runs a nested event loop.
// Files that epoll cannot watch (regular files) count as always ready, as poll() says.
// Besides Qt's socket notifiers it serves direct watchers (FdWatcher): the engine's
// connections are told their socket is ready by a plain virtual call, without the notifier's
// event, signal and slot, which at thousands of connections cost more than the read itself.
class EpollEventDispatcher final : public QAbstractEventDispatcher {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EpollEventDispatcher)

public:
    // Told when its descriptor is ready; a hang-up or error counts as readable and writable,
    // as poll() reports it, so the next read or write finds out what happened.
    class FdWatcher {
    public:
        virtual void fdReady(bool readable, bool writable) = 0;

    protected:
        ~FdWatcher() = default;
    };

    explicit EpollEventDispatcher(QObject* parent = nullptr);
    ~EpollEventDispatcher() override;

    // The dispatcher of the calling thread, if it is one of these.
    static EpollEventDispatcher* current();

    // Watches `fd` for `watcher` (or changes what it waits for); level-triggered, like the
    // notifiers. A descriptor has either a direct watcher or notifiers, not both. Call
    // unwatchFd() before closing the descriptor.
    void watchFd(int fd, FdWatcher* watcher, bool read, bool write);
    void unwatchFd(int fd);

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier* notifier) override;
    void unregisterSocketNotifier(QSocketNotifier* notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject* object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject* object) override;
    QList<TimerInfo> registeredTimers(QObject* object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

    // Whether this kernel gave us an epoll and an eventfd (false: the dispatcher is unusable).
    bool isValid() const { return epollFd_ >= 0 && wakeFd_ >= 0; }

private:
    using Clock = std::chrono::steady_clock;

    struct Watched {
        QSocketNotifier* read = nullptr;
        QSocketNotifier* write = nullptr;
        QSocketNotifier* exception = nullptr;
        FdWatcher* direct = nullptr;
        bool directRead = false;
        bool directWrite = false;
        bool inEpoll = false;
    };
    struct DirectReady {
        int fd;
        FdWatcher* watcher; // null once unwatched during the batch
        bool readable;
        bool writable;
    };
    // What one wakeup found ready, dispatched after the wait.
    struct Batch {
        std::vector<QSocketNotifier*> notifiers;
        std::vector<DirectReady> direct;
    };
    struct Timer {
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject* object = nullptr;
        Clock::time_point due;
        bool firing = false; // its handler is running
    };

    void watch(int fd);
    int waitTimeoutMs() const;
    int activateSocketNotifiers(int ready);
    int activateTimers();
    void schedule(int timerId, Timer& timer, Clock::time_point due);

    int epollFd_ = -1;
    int wakeFd_ = -1;
    std::atomic<bool> interrupted_{false};
    std::unordered_map<int, Watched> watched_;
    std::set<int> alwaysReady_; // fds epoll refused
    std::unordered_map<int, Timer> timers_;
    std::set<std::pair<Clock::time_point, int>> dueOrder_; // (due, timer id)
    // The batches being dispatched (more than one in nested event loops).
    std::vector<Batch*> activeBatches_;
    std::vector<epoll_event> events_;
};

} // namespace peerscope
