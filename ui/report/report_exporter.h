#pragma once

#include "engine/api/snapshot.h"
#include "engine/core/result.h"
#include "ui/report/pdf_report_writer.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <optional>

namespace peerscope {

// The report formats: the JSON report, one CSV row per connection, Prometheus text and the PDF.
// The text formats are the engine's own exporters (the same bytes the control API serves).
enum class ExportFormat { Json, Csv, Prometheus, Pdf };

// "json", "csv", "prometheus", "pdf" (lower case, as on the command line and in the API).
std::optional<ExportFormat> formatFromName(const QString& name);
QString formatName(ExportFormat format);
QStringList formatNames();
// The usual file name suffix: "json", "csv", "prom", "pdf".
QString formatFileSuffix(ExportFormat format);

// Renders the report and replaces `path` atomically (QSaveFile): a failed export leaves any
// earlier file untouched. `charts` only matters for the PDF. Safe off the GUI thread.
Result<void> writeReport(ExportFormat format, const NodeSnapshot& snapshot, const QString& path,
                         const ReportCharts& charts = {});

// Replaces `path` with `bytes` atomically. The error names the file and the reason.
Result<void> writeFileAtomically(const QString& path, const QByteArray& bytes);

// Rebuilds the snapshot a JSON report (nodeReportJson, GET /api/v1/export?format=json)
// describes: node, health, pool counters, peers and connections. Node traffic counters and
// observed addresses are not in the report: see applyPrometheusCounters.
Result<NodeSnapshot> snapshotFromReportJson(const QByteArray& json);

// Fills the node counters (bytes, connections, streams, dials) and the open stream count
// from Prometheus text (renderPrometheus, GET /metrics). Unknown lines are ignored.
void applyPrometheusCounters(const QByteArray& text, NodeSnapshot* snapshot);

} // namespace peerscope
