#pragma once

#include <QProcess>
#include <QString>
#include <QStringList>

namespace peerscope::bench {

// A `peerscope --headless` child process listening on loopback, for benchmarks that want the
// remote side in its own process (its own cores), as a real peer would be.
class PeerProcess final {
public:
    PeerProcess() = default;
    ~PeerProcess();
    Q_DISABLE_COPY_MOVE(PeerProcess)

    // Starts build/<...>/app/peerscope next to this benchmark; returns false with a message.
    // `extraArgs` go after the usual ones; `config` (JSON), when given, is its config file.
    bool start(const QString& peerscopeBinary, QString* error, const QStringList& extraArgs = {},
               const QByteArray& config = {});
    QString dataDir() const { return dataDir_; }
    QString listenAddr() const { return listenAddr_; } // with /p2p/<id>
    qint64 pid() const { return process_.processId(); }

private:
    QProcess process_;
    QString dataDir_;
    QString listenAddr_;
};

} // namespace peerscope::bench
