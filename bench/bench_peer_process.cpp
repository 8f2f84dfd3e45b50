#include "bench_peer_process.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <csignal>

namespace peerscope::bench {

PeerProcess::~PeerProcess() {
    if (process_.state() != QProcess::NotRunning) {
        ::kill(static_cast<pid_t>(process_.processId()), SIGCONT); // in case a bench froze it
        process_.terminate();
        if (!process_.waitForFinished(3000))
            process_.kill();
        process_.waitForFinished(3000);
    }
    if (!dataDir_.isEmpty())
        QDir(dataDir_).removeRecursively();
}

bool PeerProcess::start(const QString& peerscopeBinary, QString* error,
                        const QStringList& extraArgs, const QByteArray& config) {
    QTemporaryDir dir;
    dir.setAutoRemove(false);
    dataDir_ = dir.path();
    if (!config.isEmpty()) {
        QFile file(dataDir_ + "/config.json");
        if (!file.open(QIODevice::WriteOnly) || file.write(config) != config.size()) {
            *error = QStringLiteral("cannot write ") + file.fileName();
            return false;
        }
    }
    process_.setProcessChannelMode(QProcess::SeparateChannels);
    process_.start(peerscopeBinary,
                   QStringList{"--headless", "--serve-perf", "--listen", "/ip4/127.0.0.1/tcp/0",
                               "--api", "off", "--data-dir", dataDir_, "--config",
                               dataDir_ + "/config.json"} +
                       extraArgs);
    QElapsedTimer timer;
    timer.start();
    QByteArray out;
    while (timer.elapsed() < 15000) {
        if (!process_.waitForReadyRead(500)) {
            if (process_.state() == QProcess::NotRunning)
                break;
            continue;
        }
        out += process_.readAllStandardOutput();
        for (const QByteArray& line : out.split('\n')) {
            if (line.startsWith("listening ")) {
                listenAddr_ = QString::fromUtf8(line.mid(10)).trimmed();
                return true;
            }
        }
    }
    *error = QStringLiteral("peerscope did not start: ") +
             QString::fromUtf8(process_.readAllStandardError());
    return false;
}

} // namespace peerscope::bench
