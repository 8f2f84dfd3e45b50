#include "ui/report/report_exporter.h"

#include "engine/api/prometheus_exporter.h"
#include "engine/api/snapshot_json.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QSaveFile>
#include <array>
#include <utility>

namespace peerscope {

namespace {

struct FormatInfo {
    ExportFormat format;
    const char* name;
    const char* suffix;
};

constexpr std::array<FormatInfo, 4> kFormats{{
    {ExportFormat::Json, "json", "json"},
    {ExportFormat::Csv, "csv", "csv"},
    {ExportFormat::Prometheus, "prometheus", "prom"},
    {ExportFormat::Pdf, "pdf", "pdf"},
}};

const FormatInfo& infoOf(ExportFormat format) {
    for (const FormatInfo& info : kFormats)
        if (info.format == format)
            return info;
    return kFormats.front();
}

std::optional<double> optionalNumber(const QJsonValue& value) {
    if (!value.isDouble())
        return std::nullopt;
    return value.toDouble();
}

quint64 unsignedNumber(const QJsonValue& value) {
    // Counters travel as JSON numbers (doubles), connection ids as decimal strings.
    if (value.isString())
        return value.toString().toULongLong();
    const double number = value.toDouble();
    return number > 0 ? static_cast<quint64>(number) : 0;
}

QStringList stringList(const QJsonValue& value) {
    QStringList out;
    for (const QJsonValue& item : value.toArray())
        out << item.toString();
    return out;
}

RateSnapshot rates(const QJsonObject& json) {
    RateSnapshot out;
    const char* const keys[] = {"1s", "10s", "60s", "300s"};
    for (int i = 0; i < 4; ++i)
        out.perSecond[i] = json.value(QLatin1String(keys[i])).toDouble();
    return out;
}

ConnectionSnapshot connectionFromJson(const QJsonObject& json) {
    ConnectionSnapshot c;
    c.id = unsignedNumber(json.value(QLatin1String("id")));
    c.peerId = json.value(QLatin1String("peerId")).toString();
    c.direction = json.value(QLatin1String("direction")).toString();
    c.remoteAddr = json.value(QLatin1String("remoteAddr")).toString();
    c.localAddr = json.value(QLatin1String("localAddr")).toString();
    c.openedAt =
        QDateTime::fromString(json.value(QLatin1String("openedAt")).toString(), Qt::ISODateWithMs);
    c.ageSeconds = json.value(QLatin1String("ageSeconds")).toDouble();
    c.streams = json.value(QLatin1String("streams")).toInt();
    c.bytesIn = unsignedNumber(json.value(QLatin1String("bytesIn")));
    c.bytesOut = unsignedNumber(json.value(QLatin1String("bytesOut")));
    c.muxer = json.value(QLatin1String("muxer")).toString();
    c.muxerInHandshake = json.value(QLatin1String("muxerInHandshake")).toBool();
    const QJsonObject health = json.value(QLatin1String("health")).toObject();
    c.healthState = health.value(QLatin1String("state")).toString(QStringLiteral("healthy"));
    c.healthScore = health.value(QLatin1String("score")).toDouble(1.0);
    c.rttLastMs = optionalNumber(health.value(QLatin1String("rttLastMs")));
    c.rttSmoothedMs = optionalNumber(health.value(QLatin1String("rttSmoothedMs")));
    c.rttMinMs = optionalNumber(health.value(QLatin1String("rttMinMs")));
    c.rttMaxMs = optionalNumber(health.value(QLatin1String("rttMaxMs")));
    c.jitterMs = health.value(QLatin1String("jitterMs")).toDouble();
    c.rtoMs = health.value(QLatin1String("rtoMs")).toDouble();
    c.pingSuccessRate = health.value(QLatin1String("pingSuccessRate")).toDouble(1.0);
    c.probes = unsignedNumber(health.value(QLatin1String("probes")));
    c.unhealthyChecks = health.value(QLatin1String("unhealthyChecks")).toInt();
    c.streamsFailed = unsignedNumber(health.value(QLatin1String("streamsFailed")));
    c.draining = health.value(QLatin1String("draining")).toBool();
    c.rateIn = rates(json.value(QLatin1String("bytesPerSecondIn")).toObject());
    c.rateOut = rates(json.value(QLatin1String("bytesPerSecondOut")).toObject());
    c.peakIn60 = json.value(QLatin1String("peakBytesPerSecondIn60s")).toDouble();
    c.peakOut60 = json.value(QLatin1String("peakBytesPerSecondOut60s")).toDouble();
    for (const QJsonValue& item : json.value(QLatin1String("errors")).toArray()) {
        const QJsonObject error = item.toObject();
        c.errors.append({error.value(QLatin1String("secondsAgo")).toDouble(),
                         error.value(QLatin1String("category")).toString(),
                         error.value(QLatin1String("message")).toString()});
    }
    return c;
}

PeerSnapshot peerFromJson(const QJsonObject& json) {
    PeerSnapshot peer;
    peer.peerId = json.value(QLatin1String("peerId")).toString();
    peer.agentVersion = json.value(QLatin1String("agentVersion")).toString();
    peer.protocolVersion = json.value(QLatin1String("protocolVersion")).toString();
    peer.protocols = stringList(json.value(QLatin1String("protocols")));
    peer.listenAddrs = stringList(json.value(QLatin1String("listenAddrs")));
    peer.identified = !peer.agentVersion.isEmpty() || !peer.protocols.isEmpty();
    peer.lastPingRttMs = optionalNumber(json.value(QLatin1String("lastPingRttMs")));
    peer.isProtected = json.value(QLatin1String("protected")).toBool();
    peer.kept = json.value(QLatin1String("kept")).toBool();
    for (const QJsonValue& item : json.value(QLatin1String("connections")).toArray())
        peer.connections.append(connectionFromJson(item.toObject()));
    return peer;
}

// "name{a="b",c="d"}": the value of label `label`, unescaped enough for our own label values.
QByteArray labelValue(const QByteArray& labels, const QByteArray& label) {
    const QByteArray key = label + "=\"";
    const qsizetype start = labels.indexOf(key);
    if (start < 0)
        return {};
    const qsizetype valueStart = start + key.size();
    const qsizetype end = labels.indexOf('"', valueStart);
    return end < 0 ? QByteArray() : labels.mid(valueStart, end - valueStart);
}

} // namespace

std::optional<ExportFormat> formatFromName(const QString& name) {
    for (const FormatInfo& info : kFormats)
        if (name == QLatin1String(info.name))
            return info.format;
    return std::nullopt;
}

QString formatName(ExportFormat format) {
    return QString::fromLatin1(infoOf(format).name);
}

QStringList formatNames() {
    QStringList names;
    for (const FormatInfo& info : kFormats)
        names << QString::fromLatin1(info.name);
    return names;
}

QString formatFileSuffix(ExportFormat format) {
    return QString::fromLatin1(infoOf(format).suffix);
}

Result<void> writeFileAtomically(const QString& path, const QByteArray& bytes) {
    if (path.isEmpty())
        return makeError("no output file given");
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return makeError("cannot write " + path.toStdString() + ": " +
                         file.errorString().toStdString());
    if (file.write(bytes) != bytes.size() || !file.commit())
        return makeError("cannot write " + path.toStdString() + ": " +
                         file.errorString().toStdString());
    return {};
}

Result<void> writeReport(ExportFormat format, const NodeSnapshot& snapshot, const QString& path,
                         const ReportCharts& charts) {
    switch (format) {
    case ExportFormat::Json:
        return writeFileAtomically(
            path, QJsonDocument(nodeReportJson(snapshot)).toJson(QJsonDocument::Indented));
    case ExportFormat::Csv:
        return writeFileAtomically(path, renderConnectionsCsv(snapshot));
    case ExportFormat::Prometheus:
        return writeFileAtomically(path, renderPrometheus(snapshot));
    case ExportFormat::Pdf: {
        // Rendered in memory first: QPdfWriter reports no write errors, QSaveFile does.
        QBuffer buffer;
        buffer.open(QIODevice::WriteOnly);
        Result<int> pages = PdfReportWriter(snapshot, charts).write(&buffer);
        if (!pages)
            return makeError("cannot render the PDF report: " + pages.errorMessage());
        buffer.close();
        return writeFileAtomically(path, buffer.data());
    }
    }
    return makeError("unknown export format");
}

Result<NodeSnapshot> snapshotFromReportJson(const QByteArray& json) {
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError)
        return makeError("the JSON report does not parse: " + error.errorString().toStdString() +
                         " at offset " + std::to_string(error.offset));
    const QJsonObject report = document.object();
    if (!document.isObject() || !report.value(QLatin1String("peerId")).isString() ||
        !report.value(QLatin1String("peers")).isArray())
        return makeError("not a PeerScope JSON report: expected an object with \"peerId\" and "
                         "\"peers\"");
    NodeSnapshot snapshot;
    snapshot.peerId = report.value(QLatin1String("peerId")).toString();
    snapshot.agentVersion = report.value(QLatin1String("agentVersion")).toString();
    snapshot.takenAt =
        QDateTime::fromString(report.value(QLatin1String("takenAt")).toString(), Qt::ISODateWithMs);
    snapshot.listenAddrs = stringList(report.value(QLatin1String("listenAddrs")));

    const QJsonObject health = report.value(QLatin1String("health")).toObject();
    const QJsonObject byState = health.value(QLatin1String("byState")).toObject();
    snapshot.health.peers = health.value(QLatin1String("peers")).toInt();
    snapshot.health.connections = health.value(QLatin1String("connections")).toInt();
    snapshot.health.averageHealth = health.value(QLatin1String("averageHealth")).toDouble(1.0);
    snapshot.health.healthy = byState.value(QLatin1String("healthy")).toInt();
    snapshot.health.degraded = byState.value(QLatin1String("degraded")).toInt();
    snapshot.health.failed = byState.value(QLatin1String("failed")).toInt();
    snapshot.health.monitoring = health.value(QLatin1String("monitoring")).toBool();

    const QJsonObject pool = report.value(QLatin1String("pool")).toObject();
    PoolCountersSnapshot& p = snapshot.pool;
    const std::pair<const char*, quint64*> poolFields[] = {
        {"dialsSucceeded", &p.dialsSucceeded},     {"dialsFailed", &p.dialsFailed},
        {"dialsTimedOut", &p.dialsTimedOut},       {"retries", &p.retries},
        {"replacements", &p.replacements},         {"trimmed", &p.trimmed},
        {"refusedOverLimit", &p.refusedOverLimit}, {"streamRetries", &p.streamRetries},
    };
    for (const auto& [name, field] : poolFields)
        *field = unsignedNumber(pool.value(QLatin1String(name)));

    snapshot.relayService =
        relayServiceFromJson(report.value(QLatin1String("relayService")).toObject());

    for (const QJsonValue& item : report.value(QLatin1String("peers")).toArray())
        snapshot.peers.append(peerFromJson(item.toObject()));
    return snapshot;
}

void applyPrometheusCounters(const QByteArray& text, NodeSnapshot* snapshot) {
    NodeCounters& counters = snapshot->counters;
    for (const QByteArray& rawLine : text.split('\n')) {
        const QByteArray line = rawLine.trimmed();
        if (line.isEmpty() || line.startsWith('#'))
            continue;
        const qsizetype space = line.lastIndexOf(' ');
        if (space <= 0)
            continue;
        bool ok = false;
        const double value = line.mid(space + 1).toDouble(&ok);
        if (!ok || value < 0)
            continue;
        const QByteArray key = line.left(space);
        const qsizetype brace = key.indexOf('{');
        const QByteArray name = brace < 0 ? key : key.left(brace);
        const QByteArray labels = brace < 0 ? QByteArray() : key.mid(brace);
        const auto count = static_cast<quint64>(value);
        if (name == "peerscope_bytes_received_total")
            counters.bytesIn = count;
        else if (name == "peerscope_bytes_sent_total")
            counters.bytesOut = count;
        else if (name == "peerscope_connections_opened_total")
            counters.connectionsOpened = count;
        else if (name == "peerscope_connections_closed_total")
            counters.connectionsClosed = count;
        else if (name == "peerscope_streams_opened_total")
            counters.streamsOpened = count;
        else if (name == "peerscope_streams")
            snapshot->openStreams = static_cast<int>(count);
        else if (name == "peerscope_dials_total" && labelValue(labels, "outcome") == "success")
            counters.dialsSucceeded = count;
        else if (name == "peerscope_dials_total" && labelValue(labels, "outcome") == "failure")
            counters.dialsFailed = count;
    }
}

} // namespace peerscope
