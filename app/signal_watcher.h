#pragma once

#include <QObject>

class QSocketNotifier;

namespace peerscope {

// Turns SIGINT and SIGTERM into a Qt signal through a self-pipe, so no Qt code runs inside a
// signal handler.
class SignalWatcher final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SignalWatcher)

public:
    explicit SignalWatcher(QObject* parent = nullptr);
    ~SignalWatcher() override;

Q_SIGNALS:
    void terminationRequested(int signal);

private:
    QSocketNotifier* notifier_ = nullptr;
};

} // namespace peerscope
