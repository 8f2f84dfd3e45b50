#pragma once

#include <functional>

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace peerscope::test {

// Drives tests/interop/peer.mjs (a real js-libp2p 3.x node) over its JSON-line
// stdin/stdout protocol, for QtTest interop tests. Blocking calls spin a local
// event loop bounded by their timeout, so the engine under test keeps running.
// QtCore only; no Q_OBJECT, so no moc.
class JsPeer final
{
public:
    JsPeer() = default;
    ~JsPeer();
    Q_DISABLE_COPY_MOVE(JsPeer)

    // Starts `node --import ./polyfill.mjs peer.mjs <extraArgs>` (or setScript()'s script, which
    // speaks the same JSON lines) in PEERSCOPE_SOURCE_DIR/tests/interop and waits for the
    // "ready" line.
    // The node binary is $PEERSCOPE_NODE or `node` from PATH.
    bool start(const QStringList &extraArgs = {}, int timeoutMs = 15000);

    // Sends {"id":N, ...cmd} and waits for the answer with that id. On timeout or
    // if the process dies, returns {"ok":false,"error":...}.
    QJsonObject request(QJsonObject cmd, int timeoutMs = 10000);

    // Waits until an event named `name` (optionally for `peerId`) has arrived;
    // returns it, or an empty object on timeout. Already-collected events count.
    QJsonObject waitForEvent(const QString &name, const QString &peerId = {}, int timeoutMs = 10000);

    // Ends the process: "stop" command and stdin EOF, then terminate, then kill, each bounded.
    void stop(int timeoutMs = 3000);

    // Another script of tests/interop to start instead of peer.mjs (e.g. "relay-peer.mjs").
    void setScript(const QString &script) { m_script = script; }

    bool isRunning() const { return m_process.state() != QProcess::NotRunning; }
    QString peerId() const { return m_peerId; }
    QStringList addrs() const { return m_addrs; }
    QList<QJsonObject> events() const { return m_events; }
    void clearEvents() { m_events.clear(); }
    // Everything the node wrote to stderr, plus our own notes; print it when a test fails.
    QString diagnostics() const;

private:
    bool waitUntil(const std::function<bool()> &done, int timeoutMs);
    void readStdout();

    QProcess m_process;
    QString m_script = QStringLiteral("peer.mjs");
    QByteArray m_stdoutBuffer;
    QByteArray m_stderr;
    QString m_notes;
    QString m_peerId;
    QStringList m_addrs;
    bool m_ready = false;
    qint64 m_nextId = 1;
    QList<QJsonObject> m_events;
    QHash<qint64, QJsonObject> m_responses;
};

} // namespace peerscope::test
