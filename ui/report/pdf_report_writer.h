#pragma once

#include "engine/api/snapshot.h"
#include "engine/core/result.h"

#include <QList>
#include <QPointF>
#include <QString>

class QIODevice;

namespace peerscope {

// One line of a report chart: x is a time in milliseconds since the epoch (UTC), y a value in
// `unit` ("ms" for latency, "B/s" for bandwidth; "B/s" values are printed as KiB/s, MiB/s).
struct ReportSeries {
    QString title;
    QString unit;
    QList<QPointF> points;
};

// History for the two charts. A chart without series is drawn from the snapshot instead:
// per-peer smoothed RTT bars, per-peer receive/send rate bars (10 s window).
struct ReportCharts {
    QList<ReportSeries> latency;
    QList<ReportSeries> bandwidth;
};

// The PDF report, A4 portrait: title and node summary, the peer table (continued over as many
// pages as it needs), the relays table, a latency chart and a bandwidth chart. Only QPdfWriter and
// QPainter, so it runs without a display (offscreen platform), from the command line and off the
// GUI thread; it needs a QGuiApplication for fonts.
class PdfReportWriter final {
public:
    explicit PdfReportWriter(NodeSnapshot snapshot, ReportCharts charts = {});

    // Writes the whole document to `device` (open for writing). Returns the page count.
    Result<int> write(QIODevice* device) const;

private:
    struct Canvas;
    struct PeerRow;
    struct Bar;
    struct TableColumn;

    void drawHeader(Canvas& canvas) const;
    void drawSummary(Canvas& canvas) const;
    void drawPeerTable(Canvas& canvas) const;
    void drawRelayTable(Canvas& canvas) const;
    void drawLatencyChart(Canvas& canvas) const;
    void drawBandwidthChart(Canvas& canvas) const;

    // A section is kept on one page with its title: each starts a new page if it does not fit.
    static qreal sectionTitleHeight(const Canvas& canvas);
    static void drawSectionTitle(Canvas& canvas, const QString& title);
    static void ensureSpace(Canvas& canvas, qreal height);
    static void newPage(Canvas& canvas);
    static void drawFooter(Canvas& canvas);
    static void drawMessageSection(Canvas& canvas, const QString& title, const QString& message);
    static void drawLineChartSection(Canvas& canvas, const QString& title, const QString& caption,
                                     const QList<ReportSeries>& series);
    static void drawBarChartSection(Canvas& canvas, const QString& title, const QString& caption,
                                    const QList<Bar>& bars, const QStringList& valueNames,
                                    const QString& unit);
    static void drawCaption(Canvas& canvas, const QString& caption);
    // A table section: every column as wide as its widest cell, the id column (full, in a
    // monospace font, searchable) included; `flexColumn` takes what is left and is elided.
    // A table with more wide text than the peer table's takes a smaller `cellPoints`.
    static void drawTableSection(Canvas& canvas, const QString& title, const QString& caption,
                                 const QList<TableColumn>& columns, const QList<QStringList>& cells,
                                 qsizetype idColumn, qsizetype flexColumn, qreal cellPoints = 6.5);

    QList<PeerRow> peerRows() const;

    NodeSnapshot snapshot_;
    ReportCharts charts_;
};

} // namespace peerscope
