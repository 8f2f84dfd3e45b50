#include "engine/net/epoll_event_dispatcher.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTimerEvent>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <sys/eventfd.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcDispatcher, "peerscope.engine.dispatcher")

namespace peerscope {

namespace {
constexpr std::size_t kEventsPerWait = 512;

constexpr std::uint32_t readyForReading = EPOLLIN | EPOLLHUP | EPOLLERR;
constexpr std::uint32_t readyForWriting = EPOLLOUT | EPOLLHUP | EPOLLERR;
} // namespace

EpollEventDispatcher::EpollEventDispatcher(QObject* parent)
    : QAbstractEventDispatcher(parent), epollFd_(epoll_create1(EPOLL_CLOEXEC)),
      wakeFd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), events_(kEventsPerWait) {
    if (!isValid()) {
        qCCritical(lcDispatcher) << "epoll or eventfd unavailable:" << strerror(errno);
        return;
    }
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = wakeFd_;
    epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &event);
}

EpollEventDispatcher* EpollEventDispatcher::current() {
    return qobject_cast<EpollEventDispatcher*>(QAbstractEventDispatcher::instance());
}

EpollEventDispatcher::~EpollEventDispatcher() {
    if (wakeFd_ >= 0)
        ::close(wakeFd_);
    if (epollFd_ >= 0)
        ::close(epollFd_);
}

void EpollEventDispatcher::registerSocketNotifier(QSocketNotifier* notifier) {
    const int fd = static_cast<int>(notifier->socket());
    Watched& watched = watched_[fd];
    QSocketNotifier** slot = notifier->type() == QSocketNotifier::Read    ? &watched.read
                             : notifier->type() == QSocketNotifier::Write ? &watched.write
                                                                          : &watched.exception;
    if (*slot && *slot != notifier)
        qCWarning(lcDispatcher) << "a second socket notifier of the same type for fd" << fd;
    *slot = notifier;
    watch(fd);
}

void EpollEventDispatcher::unregisterSocketNotifier(QSocketNotifier* notifier) {
    for (Batch* batch : activeBatches_)
        std::replace(batch->notifiers.begin(), batch->notifiers.end(), notifier,
                     static_cast<QSocketNotifier*>(nullptr));
    const int fd = static_cast<int>(notifier->socket());
    auto it = watched_.find(fd);
    if (it == watched_.end())
        return;
    Watched& watched = it->second;
    for (QSocketNotifier** slot : {&watched.read, &watched.write, &watched.exception})
        if (*slot == notifier)
            *slot = nullptr;
    watch(fd);
}

void EpollEventDispatcher::watchFd(int fd, FdWatcher* watcher, bool read, bool write) {
    Watched& watched = watched_[fd];
    if (watched.read || watched.write || watched.exception)
        qCWarning(lcDispatcher) << "a direct watcher for fd" << fd << "that has socket notifiers";
    if (watched.direct == watcher && watched.directRead == read && watched.directWrite == write)
        return; // nothing changes: no system call
    watched.direct = watcher;
    watched.directRead = read;
    watched.directWrite = write;
    watch(fd);
}

void EpollEventDispatcher::unwatchFd(int fd) {
    for (Batch* batch : activeBatches_)
        for (DirectReady& ready : batch->direct)
            if (ready.fd == fd)
                ready.watcher = nullptr;
    auto it = watched_.find(fd);
    if (it == watched_.end())
        return;
    it->second.direct = nullptr;
    it->second.directRead = it->second.directWrite = false;
    watch(fd);
}

// Brings epoll's interest for `fd` in line with its notifiers or direct watcher.
void EpollEventDispatcher::watch(int fd) {
    auto it = watched_.find(fd);
    if (it == watched_.end())
        return;
    Watched& watched = it->second;
    const bool read = watched.read || (watched.direct && watched.directRead);
    const bool write = watched.write || (watched.direct && watched.directWrite);
    const std::uint32_t interest =
        (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u) | (watched.exception ? EPOLLPRI : 0u);
    if (interest == 0) {
        if (watched.inEpoll)
            epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr); // EBADF if already closed: fine
        alwaysReady_.erase(fd);
        watched_.erase(it);
        return;
    }
    if (alwaysReady_.count(fd) != 0)
        return;
    epoll_event event{};
    event.events = interest;
    event.data.fd = fd;
    if (epoll_ctl(epollFd_, watched.inEpoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &event) == 0) {
        watched.inEpoll = true;
        return;
    }
    if (errno == EPERM) {
        alwaysReady_.insert(fd); // a regular file: poll() would say it is always ready
        return;
    }
    if (errno == ENOENT && watched.inEpoll) {
        // The fd was closed and reopened under the same number: watch the new one.
        watched.inEpoll = false;
        watch(fd);
        return;
    }
    qCWarning(lcDispatcher) << "cannot watch fd" << fd << ":" << strerror(errno);
}

void EpollEventDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                         QObject* object) {
    Timer& timer = timers_[timerId];
    if (timer.object)
        dueOrder_.erase({timer.due, timerId});
    timer.intervalMs = std::max<qint64>(interval, 0);
    timer.type = timerType;
    timer.object = object;
    timer.firing = false;
    schedule(timerId, timer, Clock::now() + std::chrono::milliseconds(timer.intervalMs));
}

void EpollEventDispatcher::schedule(int timerId, Timer& timer, Clock::time_point due) {
    timer.due = due;
    dueOrder_.insert({due, timerId});
}

bool EpollEventDispatcher::unregisterTimer(int timerId) {
    auto it = timers_.find(timerId);
    if (it == timers_.end())
        return false;
    dueOrder_.erase({it->second.due, timerId});
    timers_.erase(it);
    return true;
}

bool EpollEventDispatcher::unregisterTimers(QObject* object) {
    bool any = false;
    for (auto it = timers_.begin(); it != timers_.end();) {
        if (it->second.object == object) {
            dueOrder_.erase({it->second.due, it->first});
            it = timers_.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo>
EpollEventDispatcher::registeredTimers(QObject* object) const {
    QList<TimerInfo> out;
    for (const auto& [id, timer] : timers_)
        if (timer.object == object)
            out.push_back(TimerInfo(id, static_cast<int>(timer.intervalMs), timer.type));
    return out;
}

int EpollEventDispatcher::remainingTime(int timerId) {
    auto it = timers_.find(timerId);
    if (it == timers_.end())
        return -1;
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(it->second.due - Clock::now());
    return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

void EpollEventDispatcher::wakeUp() {
    const std::uint64_t one = 1;
    // A full counter already means "wake up"; nothing else can go wrong on an eventfd.
    [[maybe_unused]] const ssize_t written = ::write(wakeFd_, &one, sizeof one);
}

void EpollEventDispatcher::interrupt() {
    interrupted_.store(true);
    wakeUp();
}

// Milliseconds until the next timer is due (rounded up, so it is due on waking), -1 for none.
int EpollEventDispatcher::waitTimeoutMs() const {
    for (const auto& [due, id] : dueOrder_) {
        if (timers_.at(id).firing)
            continue; // a nested loop inside its own handler must not wait on it
        const auto left = due - Clock::now();
        if (left <= Clock::duration::zero())
            return 0;
        const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
        return static_cast<int>(std::min<std::int64_t>(ms, 24 * 3600 * 1000));
    }
    return -1;
}

bool EpollEventDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags) {
    interrupted_.store(false);
    Q_EMIT awake();
    QCoreApplication::sendPostedEvents();

    const bool mayWait = flags.testFlag(QEventLoop::WaitForMoreEvents) && !interrupted_.load() &&
                         alwaysReady_.empty();
    if (mayWait)
        Q_EMIT aboutToBlock();
    int ready = 0;
    do {
        ready = epoll_wait(epollFd_, events_.data(), static_cast<int>(events_.size()),
                           mayWait ? waitTimeoutMs() : 0);
    } while (ready < 0 && errno == EINTR);
    if (mayWait)
        Q_EMIT awake();

    int handled = 0;
    if (!flags.testFlag(QEventLoop::ExcludeSocketNotifiers))
        handled += activateSocketNotifiers(std::max(ready, 0));
    else
        for (int i = 0; i < ready; ++i)
            if (events_[i].data.fd == wakeFd_) {
                std::uint64_t count = 0;
                [[maybe_unused]] const ssize_t got = ::read(wakeFd_, &count, sizeof count);
            }
    if (!flags.testFlag(QEventLoop::X11ExcludeTimers) && !interrupted_.load())
        handled += activateTimers();
    return handled > 0;
}

int EpollEventDispatcher::activateSocketNotifiers(int ready) {
    Batch batch;
    for (int i = 0; i < ready; ++i) {
        const int fd = events_[i].data.fd;
        const std::uint32_t what = events_[i].events;
        if (fd == wakeFd_) {
            std::uint64_t count = 0;
            [[maybe_unused]] const ssize_t got = ::read(wakeFd_, &count, sizeof count);
            continue;
        }
        auto it = watched_.find(fd);
        if (it == watched_.end())
            continue;
        const Watched& watched = it->second;
        if (watched.direct) {
            const bool readable = watched.directRead && (what & readyForReading);
            const bool writable = watched.directWrite && (what & readyForWriting);
            if (readable || writable)
                batch.direct.push_back({fd, watched.direct, readable, writable});
            continue;
        }
        // Errors and hang-ups wake readers and writers, as poll() does.
        if (watched.read && (what & readyForReading))
            batch.notifiers.push_back(watched.read);
        if (watched.write && (what & readyForWriting))
            batch.notifiers.push_back(watched.write);
        if (watched.exception && (what & EPOLLPRI))
            batch.notifiers.push_back(watched.exception);
    }
    for (int fd : alwaysReady_) {
        const Watched& watched = watched_.at(fd);
        if (watched.direct)
            batch.direct.push_back({fd, watched.direct, watched.directRead, watched.directWrite});
        for (QSocketNotifier* notifier : {watched.read, watched.write})
            if (notifier)
                batch.notifiers.push_back(notifier);
    }

    // A handler may unregister (or delete) notifiers and watchers still in this batch, also
    // from a nested event loop with batches of its own: unregisterSocketNotifier() and
    // unwatchFd() clear them in every batch being dispatched.
    activeBatches_.push_back(&batch);
    int activated = 0;
    for (std::size_t i = 0; i < batch.direct.size(); ++i) {
        const DirectReady ready = batch.direct[i];
        if (!ready.watcher)
            continue;
        ready.watcher->fdReady(ready.readable, ready.writable);
        ++activated;
    }
    for (std::size_t i = 0; i < batch.notifiers.size(); ++i) {
        QSocketNotifier* notifier = batch.notifiers[i];
        if (!notifier || !notifier->isEnabled())
            continue;
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(notifier, &event);
        ++activated;
    }
    activeBatches_.pop_back();
    return activated;
}

int EpollEventDispatcher::activateTimers() {
    const Clock::time_point now = Clock::now();
    // The timers due now; handlers may add, remove or restart timers while these fire.
    std::vector<int> due;
    for (const auto& [at, id] : dueOrder_) {
        if (at > now)
            break;
        due.push_back(id);
    }
    int fired = 0;
    for (int id : due) {
        auto it = timers_.find(id);
        if (it == timers_.end() || it->second.firing || it->second.due > now)
            continue;
        Timer& timer = it->second;
        dueOrder_.erase({timer.due, id});
        // Next due one interval after this one was due; if that is already past (we were
        // late), one interval from now, without a burst of catch-up events.
        Clock::time_point next = timer.due + std::chrono::milliseconds(timer.intervalMs);
        if (next <= now)
            next = now + std::chrono::milliseconds(timer.intervalMs);
        schedule(id, timer, next);
        timer.firing = true;
        QObject* object = timer.object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++fired;
        if (auto after = timers_.find(id); after != timers_.end())
            after->second.firing = false;
    }
    return fired;
}

} // namespace peerscope
