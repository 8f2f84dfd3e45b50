#include "js_peer.h"

#include <QDir>
#include <QEventLoop>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTimer>

#ifndef PEERSCOPE_SOURCE_DIR
#error "PEERSCOPE_SOURCE_DIR must point at the source tree"
#endif

namespace peerscope::test {

namespace {

QJsonObject failure(const QString &error)
{
    return QJsonObject{{QStringLiteral("ok"), false}, {QStringLiteral("error"), error}};
}

} // namespace

JsPeer::~JsPeer()
{
    stop();
}

bool JsPeer::start(const QStringList &extraArgs, int timeoutMs)
{
    if (isRunning()) {
        m_notes += QStringLiteral("start: already running\n");
        return false;
    }
    const QString dir = QStringLiteral(PEERSCOPE_SOURCE_DIR "/tests/interop");
    if (!QFileInfo::exists(dir + QStringLiteral("/node_modules/libp2p"))) {
        m_notes += QStringLiteral("start: %1/node_modules is missing; run `npm ci` there\n").arg(dir);
        return false;
    }
    QString node = qEnvironmentVariable("PEERSCOPE_NODE");
    if (node.isEmpty())
        node = QStandardPaths::findExecutable(QStringLiteral("node"));
    if (node.isEmpty()) {
        m_notes += QStringLiteral("start: node not found in PATH\n");
        return false;
    }

    m_stdoutBuffer.clear();
    m_stderr.clear();
    m_events.clear();
    m_responses.clear();
    m_ready = false;
    m_peerId.clear();
    m_addrs.clear();

    // Connections are made once; the lambdas only touch members of this object,
    // which outlives m_process.
    QObject::disconnect(&m_process, nullptr, nullptr, nullptr);
    QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &m_process, [this] { readStdout(); });
    QObject::connect(&m_process, &QProcess::readyReadStandardError, &m_process,
                     [this] { m_stderr += m_process.readAllStandardError(); });

    m_process.setWorkingDirectory(dir);
    m_process.setProgram(node);
    m_process.setArguments(QStringList{QStringLiteral("--import"), QStringLiteral("./polyfill.mjs"),
                                       m_script}
                           + extraArgs);
    m_process.start();
    if (!m_process.waitForStarted(timeoutMs)) {
        m_notes += QStringLiteral("start: %1\n").arg(m_process.errorString());
        return false;
    }
    if (!waitUntil([this] { return m_ready; }, timeoutMs)) {
        m_notes += QStringLiteral("start: no ready line within %1 ms\n").arg(timeoutMs);
        stop();
        return false;
    }
    return true;
}

QJsonObject JsPeer::request(QJsonObject cmd, int timeoutMs)
{
    if (!isRunning())
        return failure(QStringLiteral("peer is not running"));
    const qint64 id = m_nextId++;
    cmd.insert(QStringLiteral("id"), id);
    m_process.write(QJsonDocument(cmd).toJson(QJsonDocument::Compact) + '\n');
    if (!waitUntil([this, id] { return m_responses.contains(id); }, timeoutMs)) {
        const QString what = isRunning() ? QStringLiteral("timed out after %1 ms").arg(timeoutMs)
                                         : QStringLiteral("peer exited");
        m_notes += QStringLiteral("request %1: %2\n")
                       .arg(QString::fromUtf8(QJsonDocument(cmd).toJson(QJsonDocument::Compact)), what);
        return failure(what);
    }
    return m_responses.take(id);
}

QJsonObject JsPeer::waitForEvent(const QString &name, const QString &peerId, int timeoutMs)
{
    QJsonObject found;
    auto match = [&] {
        for (const QJsonObject &e : std::as_const(m_events)) {
            if (e.value(QStringLiteral("event")).toString() == name
                && (peerId.isEmpty() || e.value(QStringLiteral("peerId")).toString() == peerId)) {
                found = e;
                return true;
            }
        }
        return false;
    };
    waitUntil(match, timeoutMs);
    return found;
}

void JsPeer::stop(int timeoutMs)
{
    if (!isRunning())
        return;
    const int step = qMax(1, timeoutMs / 3);
    // Polite first: the peer stops libp2p on "stop" or on stdin EOF.
    m_process.write(QByteArrayLiteral("{\"id\":0,\"cmd\":\"stop\"}\n"));
    m_process.closeWriteChannel();
    if (m_process.waitForFinished(step))
        return;
    m_process.terminate();
    if (m_process.waitForFinished(step))
        return;
    m_notes += QStringLiteral("stop: killed after %1 ms\n").arg(2 * step);
    m_process.kill();
    m_process.waitForFinished(step);
}

QString JsPeer::diagnostics() const
{
    QString out = m_notes;
    if (m_process.state() == QProcess::NotRunning && m_process.exitStatus() == QProcess::CrashExit)
        out += QStringLiteral("process crashed\n");
    out += QStringLiteral("--- peer stderr ---\n") + QString::fromUtf8(m_stderr);
    return out;
}

bool JsPeer::waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, &loop, &QEventLoop::quit);
    // Re-check after each chunk of output; also stop waiting if the process dies.
    const auto onOutput = QObject::connect(&m_process, &QProcess::readyReadStandardOutput, &loop, [&] {
        if (done())
            loop.quit();
    });
    const auto onFinished = QObject::connect(&m_process, &QProcess::finished, &loop, &QEventLoop::quit);
    timer.start(timeoutMs);
    // The readyRead handler connected in start() runs first (connection order), so
    // the line is parsed before `done` is evaluated.
    while (!done() && timer.isActive() && isRunning())
        loop.exec();
    QObject::disconnect(onOutput);
    QObject::disconnect(onFinished);
    // A last look: output may have been parsed while the process was finishing.
    if (!done() && m_process.bytesAvailable() > 0)
        readStdout();
    return done();
}

void JsPeer::readStdout()
{
    m_stdoutBuffer += m_process.readAllStandardOutput();
    qsizetype nl;
    while ((nl = m_stdoutBuffer.indexOf('\n')) >= 0) {
        const QByteArray line = m_stdoutBuffer.left(nl).trimmed();
        m_stdoutBuffer.remove(0, nl + 1);
        if (line.isEmpty())
            continue;
        QJsonParseError error{};
        const QJsonDocument doc = QJsonDocument::fromJson(line, &error);
        if (!doc.isObject()) {
            m_notes += QStringLiteral("unparsable line (%1): %2\n")
                           .arg(error.errorString(), QString::fromUtf8(line));
            continue;
        }
        const QJsonObject obj = doc.object();
        const QString event = obj.value(QStringLiteral("event")).toString();
        if (event == QLatin1String("ready")) {
            m_peerId = obj.value(QStringLiteral("peerId")).toString();
            m_addrs.clear();
            for (const QJsonValue &a : obj.value(QStringLiteral("addrs")).toArray())
                m_addrs << a.toString();
            m_ready = true;
        } else if (!event.isEmpty()) {
            m_events << obj;
        } else if (obj.contains(QStringLiteral("id"))) {
            m_responses.insert(obj.value(QStringLiteral("id")).toInteger(), obj);
        }
    }
}

} // namespace peerscope::test
