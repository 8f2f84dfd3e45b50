#pragma once

#include <QEventLoop>
#include <QTimer>

namespace peerscope::bench {

// Blocks in the event loop (in poll, not spinning) until finish() or the timeout, so the
// benchmark's own waiting costs the measured engine nothing.
class EventWaiter final {
public:
    void finish() {
        done_ = true;
        loop_.quit();
    }
    bool wait(int timeoutMs) {
        if (!done_) {
            QTimer::singleShot(timeoutMs, &loop_, &QEventLoop::quit);
            loop_.exec();
        }
        return done_;
    }

private:
    QEventLoop loop_;
    bool done_ = false;
};

} // namespace peerscope::bench
