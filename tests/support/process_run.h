#pragma once

// Runs a program to its end, bounded in time, and keeps what it said.
#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace peerscope::test {

struct ProcessRun {
    int exitCode = -1; // -1: it did not start, crashed, or had to be killed
    QString out;
    QString err;
};

inline ProcessRun runToEnd(const QString& program, const QStringList& arguments, int timeoutMs,
                           const QByteArray& input = {}) {
    QProcess process;
    process.start(program, arguments);
    ProcessRun result;
    if (!process.waitForStarted(timeoutMs))
        return result;
    if (!input.isEmpty())
        process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(timeoutMs)) {
        process.kill();
        process.waitForFinished(3000);
        return result;
    }
    if (process.exitStatus() == QProcess::NormalExit)
        result.exitCode = process.exitCode();
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}

} // namespace peerscope::test
