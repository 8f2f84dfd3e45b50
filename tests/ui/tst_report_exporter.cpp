#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "engine/api/prometheus_exporter.h"
#include "engine/api/snapshot_json.h"
#include "support/throwaway_settings.h"
#include "ui/dialogs/export_dialog.h"
#include "ui/gesture_manager_setup.h"
#include "ui/report/pdf_report_writer.h"
#include "ui/report/report_exporter.h"

#include <QBuffer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QRegularExpression>
#include <QSet>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

using namespace peerscope;

namespace {

constexpr int kToolTimeoutMs = 30000;
constexpr int kWriteTimeoutMs = 30000;
const char kBase58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

// A peer ID shaped like an Ed25519 one: "12D3KooW" and 44 more base58 characters.
QString fakePeerId(int seed) {
    QString id = QStringLiteral("12D3KooW");
    quint32 state = 2166136261u ^ quint32(seed);
    for (int i = 0; i < 44; ++i) {
        state = state * 16777619u + 1013904223u;
        id += QLatin1Char(kBase58[(state >> 16) % 58]);
    }
    return id;
}

NodeSnapshot makeSnapshot(int peerCount) {
    NodeSnapshot snapshot;
    snapshot.peerId = fakePeerId(0);
    snapshot.agentVersion = QStringLiteral("peerscope/0.1.0");
    snapshot.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/4001/p2p/") + snapshot.peerId};
    snapshot.observedAddrs = {QStringLiteral("/ip4/198.51.100.7/tcp/4001")};
    snapshot.takenAt = QDateTime::fromMSecsSinceEpoch(1700000000000, Qt::UTC);
    snapshot.counters.bytesIn = 123456789;
    snapshot.counters.bytesOut = 98765;
    snapshot.counters.connectionsOpened = 40;
    snapshot.counters.connectionsClosed = 7;
    snapshot.counters.streamsOpened = 321;
    snapshot.counters.dialsSucceeded = 12;
    snapshot.counters.dialsFailed = 3;
    snapshot.openStreams = 9;
    snapshot.pool.retries = 4;
    snapshot.relayService.enabled = true;
    snapshot.relayService.reservations = 3;
    snapshot.relayService.circuits = 1;
    snapshot.relayService.reservationsGranted = 9;
    snapshot.relayService.circuitsOpened = 5;
    snapshot.relayService.circuitsClosed = {{QStringLiteral("closed"), 3},
                                            {QStringLiteral("data_limit"), 1}};
    snapshot.relayService.bytesToDestination = 131072;
    snapshot.relayService.bytesToSource = 4096;
    snapshot.relayService.refused = {{QStringLiteral("no_reservation"), 2}};
    snapshot.pool.replacements = 1;
    snapshot.health.monitoring = true;
    quint64 nextId = 1;
    for (int p = 1; p <= peerCount; ++p) {
        PeerSnapshot peer;
        peer.peerId = fakePeerId(p);
        // A comma and a quote: the CSV has to quote, the PDF has to elide.
        peer.agentVersion = QStringLiteral("js-libp2p/3.0.%1 \"test\", node").arg(p);
        peer.protocols = {QStringLiteral("/ipfs/ping/1.0.0")};
        peer.isProtected = p % 5 == 0;
        peer.lastPingRttMs = 10.0 + p;
        for (int c = 0; c < 1 + p % 3; ++c) {
            ConnectionSnapshot connection;
            connection.id = nextId++;
            connection.peerId = peer.peerId;
            connection.direction = c % 2 ? QStringLiteral("inbound") : QStringLiteral("outbound");
            connection.remoteAddr = QStringLiteral("/ip4/10.0.%1.%2/tcp/4001").arg(p).arg(c);
            connection.openedAt = snapshot.takenAt.addSecs(-60);
            connection.healthState =
                p % 7 == 0 ? QStringLiteral("degraded") : QStringLiteral("healthy");
            connection.healthScore = p % 7 == 0 ? 0.45 : 0.97;
            connection.rttSmoothedMs = 5.0 + p + c;
            connection.rttLastMs = 6.0 + p;
            connection.rttMinMs = 4.0;
            connection.rttMaxMs = 30.0;
            connection.probes = 10;
            connection.streams = c + 1;
            connection.bytesIn = quint64(1000 * p);
            connection.bytesOut = quint64(500 * p);
            connection.rateIn.perSecond[1] = 2048.0 * p;
            connection.rateOut.perSecond[1] = 1024.0 * c;
            connection.errors.append({3.5, QStringLiteral("ping"), QStringLiteral("timeout")});
            peer.connections.append(connection);
        }
        snapshot.peers.append(peer);
    }
    int connections = 0;
    for (const PeerSnapshot& peer : snapshot.peers)
        connections += int(peer.connections.size());
    snapshot.health.peers = peerCount;
    snapshot.health.connections = connections;
    snapshot.health.healthy = connections;
    snapshot.health.averageHealth = 0.93;
    return snapshot;
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// RFC 4180 fields of one CSV record.
QStringList csvFields(const QString& line) {
    QStringList fields;
    QString field;
    bool quoted = false;
    for (qsizetype i = 0; i < line.size(); ++i) {
        const QChar c = line[i];
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < line.size() && line[i + 1] == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            fields << field;
            field.clear();
        } else {
            field += c;
        }
    }
    fields << field;
    return fields;
}

struct ToolRun {
    int exitCode = -1;
    QByteArray output;
};

ToolRun runTool(const QString& program, const QStringList& arguments,
                const QByteArray& input = {}) {
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.start(program, arguments);
    if (!process.waitForStarted(kToolTimeoutMs))
        return {};
    if (!input.isEmpty())
        process.write(input);
    process.closeWriteChannel();
    if (!process.waitForFinished(kToolTimeoutMs)) {
        process.kill();
        process.waitForFinished();
        return {};
    }
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1,
            process.readAll()};
}

int pdfPages(const QString& path) {
    const ToolRun info = runTool(QStringLiteral("pdfinfo"), {path});
    const QRegularExpressionMatch match = QRegularExpression(QStringLiteral(R"(Pages:\s+(\d+))"))
                                              .match(QString::fromUtf8(info.output));
    return info.exitCode == 0 && match.hasMatch() ? match.captured(1).toInt() : -1;
}

QString pdfText(const QString& path) {
    const ToolRun text = runTool(QStringLiteral("pdftotext"),
                                 {QStringLiteral("-layout"), path, QStringLiteral("-")});
    return text.exitCode == 0 ? QString::fromUtf8(text.output) : QString();
}

} // namespace

class TestReportExporter final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(dir_.isValid());
        QVERIFY(settingsDir_.isValid());
        QLocale::setDefault(QLocale::c());
        createGestureManagerBeforeThreads(); // before any engine thread
        test::useThrowawaySettings(settingsDir_.path(), QStringLiteral("tst_report_exporter"));
        for (const char* tool : {"pdfinfo", "pdftotext", "promtool"})
            QVERIFY2(!QStandardPaths::findExecutable(QLatin1String(tool)).isEmpty(), tool);
    }

    void formatNamesRoundTrip() {
        QCOMPARE(formatNames(), (QStringList{QStringLiteral("json"), QStringLiteral("csv"),
                                             QStringLiteral("prometheus"), QStringLiteral("pdf")}));
        for (const QString& name : formatNames()) {
            const std::optional<ExportFormat> format = formatFromName(name);
            QVERIFY(format.has_value());
            QCOMPARE(formatName(*format), name);
        }
        QCOMPARE(formatFileSuffix(ExportFormat::Prometheus), QStringLiteral("prom"));
        QVERIFY(!formatFromName(QStringLiteral("xml")).has_value());
        QVERIFY(!formatFromName(QStringLiteral("JSON")).has_value());
        QVERIFY(!formatFromName(QString()).has_value());
    }

    void jsonReportParsesWithTheExpectedKeys() {
        const NodeSnapshot snapshot = makeSnapshot(4);
        const QString path = dir_.filePath(QStringLiteral("report.json"));
        const Result<void> written = writeReport(ExportFormat::Json, snapshot, path);
        QVERIFY2(written.ok(), written.ok() ? "" : written.errorMessage().c_str());
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(readAll(path), &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        QVERIFY(document.isObject());
        const QJsonObject report = document.object();
        const QStringList keys = report.keys();
        QCOMPARE(QSet<QString>(keys.begin(), keys.end()),
                 (QSet<QString>{QStringLiteral("peerId"), QStringLiteral("agentVersion"),
                                QStringLiteral("takenAt"), QStringLiteral("listenAddrs"),
                                QStringLiteral("health"), QStringLiteral("pool"),
                                QStringLiteral("relayService"), QStringLiteral("relays"),
                                QStringLiteral("relayedAddrs"), QStringLiteral("peers")}));
        QCOMPARE(report.value(QStringLiteral("peerId")).toString(), snapshot.peerId);
        QCOMPARE(report.value(QStringLiteral("peers")).toArray().size(), 4);
        // The same bytes the control API serves for ?format=json.
        QCOMPARE(readAll(path), QJsonDocument(nodeReportJson(snapshot)).toJson());
    }

    void csvHasTheHeaderAndOneRowPerConnection() {
        const NodeSnapshot snapshot = makeSnapshot(6);
        int connections = 0;
        for (const PeerSnapshot& peer : snapshot.peers)
            connections += int(peer.connections.size());
        QVERIFY(connections > 6);
        const QString path = dir_.filePath(QStringLiteral("report.csv"));
        QVERIFY(writeReport(ExportFormat::Csv, snapshot, path).ok());
        QStringList lines = QString::fromUtf8(readAll(path)).split(QStringLiteral("\r\n"));
        QCOMPARE(lines.takeLast(), QString()); // every record ends in CRLF
        QCOMPARE(lines.size(), connections + 1);
        const QStringList header = csvFields(lines.first());
        QCOMPARE(header.first(), QStringLiteral("peer_id"));
        QVERIFY(header.contains(QStringLiteral("rtt_smoothed_ms")));
        QVERIFY(header.contains(QStringLiteral("bytes_in")));
        for (const QString& line : lines.mid(1)) {
            const QStringList fields = csvFields(line);
            QCOMPARE(fields.size(), header.size());
            QVERIFY(fields.first().startsWith(QLatin1String("12D3KooW")));
        }
        QCOMPARE(csvFields(lines.at(1)).at(header.indexOf(QStringLiteral("connection_id"))),
                 QStringLiteral("1"));
    }

    void prometheusTextPassesPromtool() {
        const QString path = dir_.filePath(QStringLiteral("report.prom"));
        QVERIFY(writeReport(ExportFormat::Prometheus, makeSnapshot(3), path).ok());
        const QByteArray text = readAll(path);
        QVERIFY(text.contains("peerscope_bytes_received_total 123456789"));
        const ToolRun check = runTool(QStringLiteral("promtool"),
                                      {QStringLiteral("check"), QStringLiteral("metrics")}, text);
        QVERIFY2(check.exitCode == 0, check.output.constData());
    }

    void pdfHasPagesAndTheIds() {
        const NodeSnapshot snapshot = makeSnapshot(5);
        const QString path = dir_.filePath(QStringLiteral("report.pdf"));
        const Result<void> written = writeReport(ExportFormat::Pdf, snapshot, path);
        QVERIFY2(written.ok(), written.ok() ? "" : written.errorMessage().c_str());
        QVERIFY(readAll(path).startsWith("%PDF-"));
        QVERIFY(pdfPages(path) >= 1);
        const QString text = pdfText(path);
        QVERIFY2(text.contains(snapshot.peerId), qPrintable(text));
        for (const PeerSnapshot& peer : snapshot.peers)
            QVERIFY2(text.contains(peer.peerId), qPrintable(peer.peerId));
        for (const char* heading : {"PeerScope report", "Node", "Peers (5)", "Latency", "Bandwidth",
                                    "/ip4/198.51.100.7/tcp/4001"})
            QVERIFY2(text.contains(QLatin1String(heading)), heading);
    }

    void pdfListsTheRelays() {
        NodeSnapshot snapshot = makeSnapshot(2);
        RelaySnapshot reserved;
        reserved.peerId = fakePeerId(501);
        reserved.addr = QStringLiteral("/ip4/203.0.113.9/tcp/4001");
        reserved.source = QStringLiteral("static");
        reserved.preferred = true;
        reserved.inUse = true;
        reserved.reservation = QStringLiteral("reserved");
        reserved.reservedUntil = QDateTime::fromMSecsSinceEpoch(1700003600000, Qt::UTC);
        reserved.limitDataBytes = 131072;
        reserved.rttMs = 12.5;
        reserved.circuits = 1;
        RelaySnapshot refused;
        refused.peerId = fakePeerId(502);
        refused.source = QStringLiteral("automatic");
        refused.reservation = QStringLiteral("refused");
        refused.detail = QStringLiteral("RESERVATION_REFUSED");
        snapshot.relays = {reserved, refused};
        snapshot.relayedAddrs = {reserved.addr + QStringLiteral("/p2p/") + reserved.peerId +
                                 QStringLiteral("/p2p-circuit")};

        const QString path = dir_.filePath(QStringLiteral("relays.pdf"));
        const Result<void> written = writeReport(ExportFormat::Pdf, snapshot, path);
        QVERIFY2(written.ok(), written.ok() ? "" : written.errorMessage().c_str());
        const QString text = pdfText(path);
        for (const QString& expected :
             {QStringLiteral("Relays (2)"), reserved.peerId, refused.peerId, reserved.addr,
              QStringLiteral("reserved until 23:13 UTC"),
              QStringLiteral("refused: RESERVATION_REFUSED"), QStringLiteral("128.0 KiB"),
              QStringLiteral("no limit"), QStringLiteral("static, preferred, in use"),
              QStringLiteral("Relayed addresses: 1")})
            QVERIFY2(text.contains(expected), qPrintable(expected + QStringLiteral("\n") + text));

        // The JSON report carries them too, as the engine writes them.
        const QJsonObject json = nodeReportJson(snapshot);
        QCOMPARE(json.value(QStringLiteral("relays")).toArray().size(), 2);
        QCOMPARE(json.value(QStringLiteral("relayedAddrs")).toArray().size(), 1);
    }

    void longPeerTableContinuesOnMorePages() {
        const NodeSnapshot snapshot = makeSnapshot(150);
        const QString path = dir_.filePath(QStringLiteral("long.pdf"));
        QVERIFY(writeReport(ExportFormat::Pdf, snapshot, path).ok());
        const int pages = pdfPages(path);
        QVERIFY2(pages >= 3, qPrintable(QString::number(pages)));
        const QString text = pdfText(path);
        QVERIFY(text.contains(QLatin1String("Peers (150), continued")));
        QVERIFY(text.contains(QStringLiteral("page %1").arg(pages)));
        // Every peer is in the table, also the last one, sorted by ID.
        for (const PeerSnapshot& peer : snapshot.peers)
            QVERIFY2(text.contains(peer.peerId), qPrintable(peer.peerId));
        QVERIFY(text.contains(QLatin1String("the 20 slowest of 150 peers")));
    }

    void pdfDrawsGivenSeries() {
        NodeSnapshot snapshot = makeSnapshot(2);
        ReportCharts charts;
        const double start = double(snapshot.takenAt.toMSecsSinceEpoch()) - 300000;
        ReportSeries rtt{QStringLiteral("RTT to peer one"), QStringLiteral("ms"), {}};
        ReportSeries in{QStringLiteral("Received total"), QStringLiteral("B/s"), {}};
        ReportSeries out{QStringLiteral("Sent total"), QStringLiteral("B/s"), {}};
        for (int i = 0; i <= 60; ++i) {
            rtt.points.append({start + i * 5000.0, 20 + 10 * std::sin(i / 5.0)});
            in.points.append({start + i * 5000.0, 3.0e6 + 1.0e6 * std::cos(i / 7.0)});
            out.points.append({start + i * 5000.0, 2.0e5 * (i % 10)});
        }
        charts.latency = {rtt};
        charts.bandwidth = {in, out};
        QBuffer buffer;
        QVERIFY(buffer.open(QIODevice::WriteOnly));
        const Result<int> pages = PdfReportWriter(snapshot, charts).write(&buffer);
        QVERIFY2(pages.ok(), pages.ok() ? "" : pages.errorMessage().c_str());
        QVERIFY(*pages >= 1);
        buffer.close();
        const QString path = dir_.filePath(QStringLiteral("series.pdf"));
        QVERIFY(writeFileAtomically(path, buffer.data()).ok());
        QCOMPARE(pdfPages(path), *pages);
        const QString text = pdfText(path);
        for (const char* label : {"RTT to peer one", "Received total", "Sent total",
                                  "Round-trip time over time", "MiB/s"})
            QVERIFY2(text.contains(QLatin1String(label)), label);
    }

    void emptyNodeStillGetsAReport() {
        NodeSnapshot snapshot;
        snapshot.peerId = fakePeerId(99);
        const QString path = dir_.filePath(QStringLiteral("empty.pdf"));
        QVERIFY(writeReport(ExportFormat::Pdf, snapshot, path).ok());
        QCOMPARE(pdfPages(path), 1);
        const QString text = pdfText(path);
        QVERIFY(text.contains(snapshot.peerId));
        QVERIFY(text.contains(QLatin1String("No connected peers.")));
        QVERIFY(text.contains(QLatin1String("No relays known.")));
        QVERIFY(text.contains(QLatin1String("health monitoring is off")));
    }

    void writeErrorsNameTheFileAndKeepTheOldOne() {
        const QString missingDir = dir_.filePath(QStringLiteral("no/such/dir/report.json"));
        const Result<void> failed = writeReport(ExportFormat::Json, makeSnapshot(1), missingDir);
        QVERIFY(!failed.ok());
        QVERIFY2(QString::fromStdString(failed.errorMessage()).contains(missingDir),
                 failed.errorMessage().c_str());
        QVERIFY(!writeFileAtomically(QString(), "x").ok());

        // A directory in the way: the export fails and nothing else is touched.
        const QString blocked = dir_.filePath(QStringLiteral("blocked"));
        QVERIFY(QDir().mkpath(blocked));
        QVERIFY(!writeReport(ExportFormat::Csv, makeSnapshot(1), blocked).ok());
        QVERIFY(QFileInfo(blocked).isDir());
    }

    void snapshotRoundTripsThroughTheJsonReport() {
        const NodeSnapshot original = makeSnapshot(3);
        const QByteArray json = QJsonDocument(nodeReportJson(original)).toJson();
        const Result<NodeSnapshot> parsed = snapshotFromReportJson(json);
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.errorMessage().c_str());
        QCOMPARE(parsed->peerId, original.peerId);
        QCOMPARE(parsed->agentVersion, original.agentVersion);
        QCOMPARE(parsed->takenAt, original.takenAt);
        QCOMPARE(parsed->listenAddrs, original.listenAddrs);
        QCOMPARE(parsed->health.connections, original.health.connections);
        QCOMPARE(parsed->health.monitoring, true);
        QCOMPARE(parsed->pool.retries, quint64(4));
        QVERIFY(parsed->relayService.enabled);
        QCOMPARE(parsed->relayService.circuitsClosed.value(QStringLiteral("data_limit")),
                 quint64(1));
        QCOMPARE(parsed->relayService.bytesToDestination, quint64(131072));
        QCOMPARE(parsed->peers.size(), original.peers.size());
        // Everything the JSON report holds comes back: its own rendering is the same.
        QCOMPARE(nodeReportJson(*parsed), nodeReportJson(original));
        QCOMPARE(renderConnectionsCsv(*parsed), renderConnectionsCsv(original));

        const Result<NodeSnapshot> garbage = snapshotFromReportJson("{not json");
        QVERIFY(!garbage.ok());
        QVERIFY(QString::fromStdString(garbage.errorMessage()).contains(QLatin1String("offset")));
        const Result<NodeSnapshot> wrongShape = snapshotFromReportJson(R"({"error": "nope"})");
        QVERIFY(!wrongShape.ok());
        QVERIFY(
            QString::fromStdString(wrongShape.errorMessage()).contains(QLatin1String("peerId")));
    }

    void countersComeBackFromPrometheusText() {
        const NodeSnapshot original = makeSnapshot(2);
        NodeSnapshot parsed;
        applyPrometheusCounters(renderPrometheus(original), &parsed);
        QCOMPARE(parsed.counters.bytesIn, original.counters.bytesIn);
        QCOMPARE(parsed.counters.bytesOut, original.counters.bytesOut);
        QCOMPARE(parsed.counters.connectionsOpened, original.counters.connectionsOpened);
        QCOMPARE(parsed.counters.connectionsClosed, original.counters.connectionsClosed);
        QCOMPARE(parsed.counters.streamsOpened, original.counters.streamsOpened);
        QCOMPARE(parsed.counters.dialsSucceeded, original.counters.dialsSucceeded);
        QCOMPARE(parsed.counters.dialsFailed, original.counters.dialsFailed);
        QCOMPARE(parsed.openStreams, original.openStreams);
    }

    void exportDialogWritesEveryFormat() {
        QTemporaryDir engineDir;
        QVERIFY(engineDir.isValid());
        EngineOptions options;
        options.dataDir = engineDir.path();
        options.configPath = engineDir.filePath(QStringLiteral("config.json"));
        options.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/0")};
        options.apiEndpoint = std::nullopt;
        Engine engine(options);
        const Result<void> started = engine.start();
        QVERIFY2(started.ok(), started.ok() ? "" : started.errorMessage().c_str());
        const QString peerId = engine.client()->snapshot().peerId;
        QVERIFY(!peerId.isEmpty());

        ExportDialog dialog(engine.client());
        dialog.show();
        QSignalSpy exported(&dialog, &ExportDialog::exported);
        auto* exportButton = dialog.findChild<QPushButton*>(QStringLiteral("exportButton"));
        auto* status = dialog.findChild<QLabel*>(QStringLiteral("exportStatusLabel"));
        QVERIFY(exportButton && status);
        QCOMPARE(dialog.format(), ExportFormat::Pdf); // nothing remembered yet
        QVERIFY(dialog.path().endsWith(QLatin1String(".pdf")));

        // Switching the format switches the suffix of the file name.
        dialog.setPath(dir_.filePath(QStringLiteral("dialog-report.pdf")));
        for (const QString& name : formatNames()) {
            const ExportFormat format = *formatFromName(name);
            dialog.setFormat(format);
            const QString path =
                dir_.filePath(QStringLiteral("dialog-report.") + formatFileSuffix(format));
            QCOMPARE(dialog.path(), path);
            QVERIFY(exportButton->isEnabled());
            exportButton->click();
            QVERIFY(dialog.isWriting());
            QVERIFY(!exportButton->isEnabled());
            QTRY_COMPARE_WITH_TIMEOUT(exported.count(), 1, kWriteTimeoutMs);
            QCOMPARE(exported.first().at(0).toString(), path);
            QCOMPARE(exported.first().at(1).value<ExportFormat>(), format);
            exported.clear();
            QVERIFY2(status->text().startsWith(QStringLiteral("Wrote ") + name.toUpper()),
                     qPrintable(status->text()));
            QVERIFY(status->text().endsWith(path));
            QVERIFY(!dialog.isWriting());

            const QByteArray written = readAll(path);
            switch (format) {
            case ExportFormat::Json:
                QCOMPARE(QJsonDocument::fromJson(written)
                             .object()
                             .value(QStringLiteral("peerId"))
                             .toString(),
                         peerId);
                break;
            case ExportFormat::Csv:
                QVERIFY(written.startsWith("peer_id,connection_id,"));
                break;
            case ExportFormat::Prometheus:
                QVERIFY(written.contains("\npeerscope_peers 0\n"));
                break;
            case ExportFormat::Pdf:
                QVERIFY(pdfPages(path) >= 1);
                QVERIFY(pdfText(path).contains(peerId));
                break;
            }
        }
        // The next dialog starts where this one left off.
        QCOMPARE(QSettings().value(QStringLiteral("export/lastFormat")).toString(),
                 QStringLiteral("pdf"));
        ExportDialog next(engine.client());
        QCOMPARE(next.format(), ExportFormat::Pdf);
        QCOMPARE(QFileInfo(next.path()).absolutePath(), QFileInfo(dir_.path()).absoluteFilePath());

        // Problems are said, not swallowed.
        dialog.setPath(dir_.filePath(QStringLiteral("dialog-report.json")));
        QVERIFY(status->text().contains(QLatin1String("will be replaced")));
        dialog.setPath(dir_.path());
        QVERIFY(!exportButton->isEnabled());
        QVERIFY(status->text().contains(QLatin1String("is a directory")));
        const QString unreachable = dir_.filePath(QStringLiteral("missing/dir/report.csv"));
        dialog.setFormat(ExportFormat::Csv);
        dialog.setPath(unreachable);
        exportButton->click();
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isWriting(), kWriteTimeoutMs);
        QCOMPARE(exported.count(), 0);
        QVERIFY2(
            status->text().startsWith(QLatin1String("Export failed: cannot write ") + unreachable),
            qPrintable(status->text()));
        QVERIFY(exportButton->isEnabled()); // try again
    }

    void exportDialogWithoutAnEngine() {
        ExportDialog dialog(nullptr);
        dialog.setPath(dir_.filePath(QStringLiteral("never.json")));
        QVERIFY(!dialog.findChild<QPushButton*>(QStringLiteral("exportButton"))->isEnabled());
    }

private:
    QTemporaryDir dir_;
    QTemporaryDir settingsDir_;
};

QTEST_MAIN(TestReportExporter)
#include "tst_report_exporter.moc"
