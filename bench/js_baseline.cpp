#include "js_baseline.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

namespace peerscope::bench {

std::optional<JsBaseline> runJsBaseline(int connections, std::uint64_t bytes, int runs,
                                        QString* error) {
    QProcess node;
    node.setWorkingDirectory(QStringLiteral(PEERSCOPE_SOURCE_DIR));
    node.setProcessChannelMode(QProcess::SeparateChannels);
    node.start(QStringLiteral("node"),
               {QStringLiteral("bench/js/baseline.mjs"), QStringLiteral("--json"),
                QStringLiteral("--connections"), QString::number(connections),
                QStringLiteral("--bytes"), QString::number(bytes), QStringLiteral("--runs"),
                QString::number(runs)});
    if (!node.waitForStarted(10000)) {
        *error = QStringLiteral("js baseline: cannot run node: ") + node.errorString();
        return std::nullopt;
    }
    // Bounded: 2 GiB at js speeds takes well under a minute a run.
    if (!node.waitForFinished(10 * 60 * 1000) || node.exitCode() != 0) {
        node.kill();
        *error = QStringLiteral("js baseline failed: ") +
                 QString::fromUtf8(node.readAllStandardError()).right(2000);
        return std::nullopt;
    }
    const QJsonObject result = QJsonDocument::fromJson(node.readAllStandardOutput()).object();
    JsBaseline baseline;
    baseline.setupMedianMs = result.value(QStringLiteral("setupMedianMs")).toDouble();
    baseline.downloadGBps = result.value(QStringLiteral("downloadGBps")).toDouble();
    baseline.uploadGBps = result.value(QStringLiteral("uploadGBps")).toDouble();
    if (baseline.setupMedianMs <= 0 || baseline.downloadGBps <= 0 || baseline.uploadGBps <= 0) {
        *error = QStringLiteral("js baseline: no figures in its output");
        return std::nullopt;
    }
    return baseline;
}

QString ratioVerdict(double ratio, double target, const char* unit) {
    return QStringLiteral("%1%2 (target at least %3%2): %4")
        .arg(ratio, 0, 'f', 2)
        .arg(QString::fromLatin1(unit))
        .arg(target)
        .arg(ratio >= target ? QStringLiteral("met") : QStringLiteral("NOT met"));
}

} // namespace peerscope::bench
