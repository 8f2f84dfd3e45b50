#include "ui/report/pdf_report_writer.h"

#include <QDateTime>
#include <QFont>
#include <QFontMetricsF>
#include <QIODevice>
#include <QLocale>
#include <QPageLayout>
#include <QPageSize>
#include <QPainter>
#include <QPdfWriter>
#include <QPolygonF>
#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <optional>
#include <utility>

namespace peerscope {

namespace {

constexpr int kResolutionDpi = 300;
constexpr qreal kMarginMm = 15;
constexpr int kMaxAddressLines = 8;
constexpr int kMaxLatencyBars = 20;
constexpr int kMaxBandwidthBars = 15;
constexpr int kMaxLegendEntries = 8;
constexpr qreal kLineChartHeightPt = 190;

constexpr QRgb kInk = 0x202020;
constexpr QRgb kMuted = 0x6b6b6b;
constexpr QRgb kRule = 0xc4c4c4;
constexpr QRgb kGrid = 0xe2e2e2;
constexpr QRgb kShade = 0xf2f4f7;
constexpr QRgb kAccent = 0x1f5fa8;
// Okabe-Ito: distinct in print and for the common colour-vision deficiencies.
constexpr QRgb kSeriesColors[] = {0x0072b2, 0xd55e00, 0x009e73, 0xcc79a7,
                                  0xe69f00, 0x56b4e9, 0x000000, 0xf0e442};

QColor seriesColor(qsizetype index) {
    return QColor(kSeriesColors[index % qsizetype(std::size(kSeriesColors))]);
}

// DejaVu is Debian's default; the style hint picks a substitute elsewhere. No shaping: "ff"
// stays two letters instead of a ligature, so the PDF's text searches and copies as typed.
QFont reportFont(const QString& family, QFont::StyleHint hint, qreal points) {
    QFont font(family);
    font.setStyleHint(hint, QFont::StyleStrategy(QFont::PreferNoShaping | QFont::PreferOutline));
    font.setPointSizeF(points);
    return font;
}

QFont sansFont(qreal points, bool bold = false) {
    QFont font = reportFont(QStringLiteral("DejaVu Sans"), QFont::SansSerif, points);
    font.setBold(bold);
    return font;
}

QFont monoFont(qreal points) {
    QFont font = reportFont(QStringLiteral("DejaVu Sans Mono"), QFont::TypeWriter, points);
    font.setFixedPitch(true);
    return font;
}

// "512 B", "1.5 KiB", "117.7 MiB": short enough for a table cell.
QString humanBytes(double bytes) {
    static const char* const units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = std::max(0.0, bytes);
    int index = 0;
    while (value >= 1024 && index + 1 < int(std::size(units))) {
        value /= 1024;
        ++index;
    }
    return QLocale().toString(value, 'f', index == 0 ? 0 : 1) + QLatin1Char(' ') +
           QLatin1String(units[index]);
}

QString humanRate(double bytesPerSecond) {
    return humanBytes(bytesPerSecond) + QStringLiteral("/s");
}

QString formatNumber(double value) {
    const double magnitude = std::abs(value);
    const int decimals = magnitude >= 100 ? 0 : magnitude >= 1 || magnitude == 0 ? 1 : 2;
    return QLocale().toString(value, 'f', decimals);
}

// Axis ticks: as many decimals as the step needs (0, 2.5, 5 but 0, 20, 40).
QString formatTick(double value, double step) {
    const int decimals = step >= 1 ? 0 : int(std::ceil(-std::log10(step) - 1e-9));
    return QLocale().toString(value, 'f', std::clamp(decimals, 0, 6));
}

bool isByteUnit(const QString& unit) {
    return unit == QLatin1String("B/s") || unit == QLatin1String("B");
}

QString formatValue(double value, const QString& unit) {
    if (unit == QLatin1String("B/s"))
        return humanRate(value);
    if (unit == QLatin1String("B"))
        return humanBytes(value);
    return unit.isEmpty() ? formatNumber(value) : formatNumber(value) + QLatin1Char(' ') + unit;
}

// "1 connection", "3 connections": the report ships no translations, so no tr() %n forms.
QString countText(qint64 count, const char* one, const char* many) {
    return QStringLiteral("%1 %2").arg(count).arg(QLatin1String(count == 1 ? one : many));
}

QString shortPeerId(const QString& peerId) {
    if (peerId.size() <= 16)
        return peerId;
    return peerId.left(8) + QStringLiteral("…") + peerId.right(6);
}

QString timeText(const QDateTime& at) {
    return at.isValid() ? at.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss 'UTC'"))
                        : QStringLiteral("—");
}

// 1, 2 or 5 times a power of ten, at least `rough`.
double niceStep(double rough) {
    if (!(rough > 0) || !std::isfinite(rough))
        return 1;
    const double power = std::pow(10.0, std::floor(std::log10(rough)));
    const double fraction = rough / power;
    const double nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
    return nice * power;
}

// Axis labels in one binary multiple for byte units (ticks at 2 MiB/s, not 1.9 MiB/s).
struct AxisUnit {
    double divisor = 1;
    QString suffix;
};

AxisUnit axisUnitFor(double maximum, const QString& unit) {
    if (!isByteUnit(unit))
        return {1, unit};
    static const char* const prefixes[] = {"", "Ki", "Mi", "Gi", "Ti"};
    double divisor = 1;
    int index = 0;
    while (maximum / divisor >= 1024 && index + 1 < int(std::size(prefixes))) {
        divisor *= 1024;
        ++index;
    }
    const QString perSecond = unit == QLatin1String("B/s") ? QStringLiteral("/s") : QString();
    return {divisor, QString::fromLatin1(prefixes[index]) + QLatin1Char('B') + perSecond};
}

// One line of text at the top of `rect`, elided to its width. Returns the line height.
qreal drawTextLine(QPainter& painter, const QRectF& rect, const QString& text,
                   Qt::Alignment alignment = Qt::AlignLeft,
                   Qt::TextElideMode elide = Qt::ElideRight) {
    const QFontMetricsF metrics(painter.font(), painter.device());
    const QString shown = metrics.elidedText(text, elide, rect.width());
    painter.drawText(QRectF(rect.left(), rect.top(), rect.width(), metrics.height()),
                     int(alignment | Qt::AlignVCenter | Qt::TextSingleLine), shown);
    return metrics.height();
}

qreal lineHeight(const QPainter& painter, const QFont& font) {
    return QFontMetricsF(font, painter.device()).height();
}

int healthRank(const QString& state) {
    if (state == QLatin1String("failed"))
        return 2;
    if (state == QLatin1String("degraded"))
        return 1;
    return 0;
}

} // namespace

struct PdfReportWriter::Canvas {
    QPdfWriter* writer = nullptr;
    QPainter* painter = nullptr;
    QRectF area;    // the printable part of the page, in device pixels, origin top-left
    qreal unit = 1; // device pixels per point
    qreal y = 0;    // the next free line
    int page = 1;
    QString footer;

    qreal pt(qreal points) const { return points * unit; }
    qreal bottom() const { return area.bottom() - pt(22); } // the footer below
    qreal left() const { return area.left(); }
    qreal width() const { return area.width(); }
};

struct PdfReportWriter::PeerRow {
    QString peerId;
    QString agent;
    int connections = 0;
    QString direction;
    std::optional<double> rttMs;
    QString health;
    quint64 bytesIn = 0;
    quint64 bytesOut = 0;
    double rateIn = 0;
    double rateOut = 0;
};

struct PdfReportWriter::Bar {
    QString label;
    QList<double> values;
};

PdfReportWriter::PdfReportWriter(NodeSnapshot snapshot, ReportCharts charts)
    : snapshot_(std::move(snapshot)), charts_(std::move(charts)) {}

Result<int> PdfReportWriter::write(QIODevice* device) const {
    if (device == nullptr || !device->isWritable())
        return makeError("the PDF output is not open for writing");
    QPdfWriter writer(device);
    writer.setResolution(kResolutionDpi);
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize::A4), QPageLayout::Portrait,
                                     QMarginsF(kMarginMm, kMarginMm, kMarginMm, kMarginMm),
                                     QPageLayout::Millimeter));
    writer.setTitle(QStringLiteral("PeerScope report %1").arg(snapshot_.peerId));
    writer.setCreator(QStringLiteral("PeerScope %1").arg(QStringLiteral(PEERSCOPE_VERSION)));

    QPainter painter;
    if (!painter.begin(&writer))
        return makeError("cannot start the PDF document");
    painter.setRenderHint(QPainter::Antialiasing);

    Canvas canvas;
    canvas.writer = &writer;
    canvas.painter = &painter;
    canvas.area =
        QRectF(QPointF(0, 0), QSizeF(writer.pageLayout().paintRectPixels(kResolutionDpi).size()));
    canvas.unit = kResolutionDpi / 72.0;
    canvas.footer = QStringLiteral("PeerScope report · %1 · %2")
                        .arg(shortPeerId(snapshot_.peerId), timeText(snapshot_.takenAt));

    drawHeader(canvas);
    drawSummary(canvas);
    drawPeerTable(canvas);
    drawRelayTable(canvas);
    drawLatencyChart(canvas);
    drawBandwidthChart(canvas);
    drawFooter(canvas);
    if (!painter.end())
        return makeError("cannot finish the PDF document");
    return canvas.page;
}

void PdfReportWriter::drawHeader(Canvas& canvas) const {
    QPainter& painter = *canvas.painter;
    painter.setPen(QColor(kAccent));
    painter.setFont(sansFont(18, true));
    canvas.y += drawTextLine(painter, QRectF(canvas.left(), canvas.y, canvas.width(), 0),
                             QStringLiteral("PeerScope report"));
    painter.setPen(QColor(kMuted));
    painter.setFont(sansFont(9));
    canvas.y +=
        drawTextLine(painter, QRectF(canvas.left(), canvas.y, canvas.width(), 0),
                     QStringLiteral("Taken at %1 · PeerScope %2")
                         .arg(timeText(snapshot_.takenAt), QStringLiteral(PEERSCOPE_VERSION)));
    canvas.y += canvas.pt(4);
    painter.setPen(QPen(QColor(kRule), canvas.pt(0.8)));
    painter.drawLine(QPointF(canvas.left(), canvas.y),
                     QPointF(canvas.left() + canvas.width(), canvas.y));
    canvas.y += canvas.pt(10);
}

void PdfReportWriter::drawSummary(Canvas& canvas) const {
    struct Row {
        QString key;
        QStringList lines;
        bool mono = false;
    };
    const QLocale locale;
    auto addresses = [](const QStringList& all, const QString& none) {
        if (all.isEmpty())
            return QStringList{none};
        QStringList lines = all.mid(0, kMaxAddressLines);
        if (all.size() > kMaxAddressLines)
            lines << QStringLiteral("… and %1 more").arg(all.size() - kMaxAddressLines);
        return lines;
    };
    int connectedPeers = 0;
    int connections = 0;
    for (const PeerSnapshot& peer : snapshot_.peers) {
        connectedPeers += peer.connections.isEmpty() ? 0 : 1;
        connections += int(peer.connections.size());
    }
    const NodeCounters& counters = snapshot_.counters;
    const PoolCountersSnapshot& pool = snapshot_.pool;
    const HealthSummary& health = snapshot_.health;
    const QList<Row> rows{
        {QStringLiteral("Peer ID"), {snapshot_.peerId}, true},
        {QStringLiteral("Agent"),
         {snapshot_.agentVersion.isEmpty() ? QStringLiteral("—") : snapshot_.agentVersion}},
        {QStringLiteral("Listen addresses"),
         addresses(snapshot_.listenAddrs, QStringLiteral("none")), true},
        {QStringLiteral("Observed addresses"),
         addresses(snapshot_.observedAddrs, QStringLiteral("none reported by peers yet")), true},
        {QStringLiteral("Peers"),
         {QStringLiteral("%1, %2, %3")
              .arg(countText(connectedPeers, "connected peer", "connected peers"),
                   countText(connections, "connection", "connections"),
                   countText(snapshot_.openStreams, "open stream", "open streams"))}},
        {QStringLiteral("Traffic"),
         {QStringLiteral("%1 received, %2 sent since the node started")
              .arg(humanBytes(double(counters.bytesIn)), humanBytes(double(counters.bytesOut)))}},
        {QStringLiteral("Connections"),
         {QStringLiteral("%1 opened, %2 closed; dials: %3 succeeded, %4 failed")
              .arg(counters.connectionsOpened)
              .arg(counters.connectionsClosed)
              .arg(counters.dialsSucceeded)
              .arg(counters.dialsFailed)}},
        {QStringLiteral("Pool"),
         {QStringLiteral("dial retries %1, dials timed out %2; connections replaced %3, "
                         "trimmed %4, refused over the limit %5")
              .arg(pool.retries)
              .arg(pool.dialsTimedOut)
              .arg(pool.replacements)
              .arg(pool.trimmed)
              .arg(pool.refusedOverLimit)}},
        {QStringLiteral("Health"),
         {QStringLiteral("average score %1 over %2: %3 healthy, %4 degraded, %5 failed")
              .arg(locale.toString(health.averageHealth, 'f', 2))
              .arg(countText(health.connections, "connection", "connections"))
              .arg(health.healthy)
              .arg(health.degraded)
              .arg(health.failed),
          health.monitoring ? QStringLiteral("health monitoring on")
                            : QStringLiteral("health monitoring off (no RTT probes)")}},
    };

    drawSectionTitle(canvas, QStringLiteral("Node"));
    QPainter& painter = *canvas.painter;
    const QFont keyFont = sansFont(8.5, true);
    const QFont valueFont = sansFont(8.5);
    const QFont valueMono = monoFont(8);
    const qreal keyWidth = canvas.pt(105);
    const qreal valueLeft = canvas.left() + keyWidth;
    const qreal valueWidth = canvas.width() - keyWidth;
    const qreal gap = canvas.pt(3);
    for (const Row& row : rows) {
        const QFont& font = row.mono ? valueMono : valueFont;
        const qreal step = std::max(lineHeight(painter, font), lineHeight(painter, keyFont));
        ensureSpace(canvas, step * qreal(row.lines.size()) + gap);
        painter.setPen(QColor(kMuted));
        painter.setFont(keyFont);
        drawTextLine(painter, QRectF(canvas.left(), canvas.y, keyWidth - canvas.pt(6), 0), row.key);
        painter.setPen(QColor(kInk));
        painter.setFont(font);
        for (const QString& line : row.lines) {
            drawTextLine(painter, QRectF(valueLeft, canvas.y, valueWidth, 0), line, Qt::AlignLeft,
                         row.mono ? Qt::ElideMiddle : Qt::ElideRight);
            canvas.y += step;
        }
        canvas.y += gap;
    }
    canvas.y += canvas.pt(8);
}

QList<PdfReportWriter::PeerRow> PdfReportWriter::peerRows() const {
    QList<PeerRow> rows;
    for (const PeerSnapshot& peer : snapshot_.peers) {
        PeerRow row;
        row.peerId = peer.peerId;
        row.agent = peer.agentVersion;
        row.connections = int(peer.connections.size());
        bool inbound = false;
        bool outbound = false;
        int worstRank = -1;
        QString worstState;
        double lowestScore = 1;
        for (const ConnectionSnapshot& c : peer.connections) {
            (c.direction == QLatin1String("inbound") ? inbound : outbound) = true;
            if (c.rttSmoothedMs && (!row.rttMs || *c.rttSmoothedMs < *row.rttMs))
                row.rttMs = c.rttSmoothedMs;
            if (healthRank(c.healthState) > worstRank) {
                worstRank = healthRank(c.healthState);
                worstState = c.healthState;
            }
            lowestScore = std::min(lowestScore, c.healthScore);
            row.bytesIn += c.bytesIn;
            row.bytesOut += c.bytesOut;
            row.rateIn += c.rateIn.perSecond[1];
            row.rateOut += c.rateOut.perSecond[1];
        }
        if (!row.rttMs)
            row.rttMs = peer.lastPingRttMs;
        row.direction = inbound && outbound ? QStringLiteral("both")
                        : inbound           ? QStringLiteral("in")
                        : outbound          ? QStringLiteral("out")
                                            : QStringLiteral("—");
        const QString score = QLocale().toString(lowestScore, 'f', 2);
        row.health = worstRank < 0    ? QStringLiteral("—")
                     : worstRank == 0 ? score
                                      : QStringLiteral("%1 %2").arg(score, worstState);
        rows.append(row);
    }
    std::sort(rows.begin(), rows.end(),
              [](const PeerRow& a, const PeerRow& b) { return a.peerId < b.peerId; });
    return rows;
}

struct PdfReportWriter::TableColumn {
    QString title;
    Qt::Alignment alignment;
};

void PdfReportWriter::drawPeerTable(Canvas& canvas) const {
    const QList<PeerRow> rows = peerRows();
    const QString title = QStringLiteral("Peers (%1)").arg(rows.size());
    if (rows.isEmpty()) {
        drawMessageSection(canvas, title, QStringLiteral("No connected peers."));
        return;
    }
    const QList<TableColumn> columns{
        {QStringLiteral("Peer ID"), Qt::AlignLeft},   {QStringLiteral("Agent"), Qt::AlignLeft},
        {QStringLiteral("Conn."), Qt::AlignRight},    {QStringLiteral("Dir."), Qt::AlignLeft},
        {QStringLiteral("RTT"), Qt::AlignRight},      {QStringLiteral("Health"), Qt::AlignLeft},
        {QStringLiteral("Received"), Qt::AlignRight}, {QStringLiteral("Sent"), Qt::AlignRight},
        {QStringLiteral("In/s"), Qt::AlignRight},     {QStringLiteral("Out/s"), Qt::AlignRight},
    };
    const QLocale locale;
    QList<QStringList> cells;
    for (const PeerRow& row : rows)
        cells.append({
            row.peerId,
            row.agent.isEmpty() ? QStringLiteral("—") : row.agent,
            QString::number(row.connections),
            row.direction,
            row.rttMs ? locale.toString(*row.rttMs, 'f', 1) + QStringLiteral(" ms")
                      : QStringLiteral("—"),
            row.health,
            humanBytes(double(row.bytesIn)),
            humanBytes(double(row.bytesOut)),
            humanRate(row.rateIn),
            humanRate(row.rateOut),
        });
    const QString caption = QStringLiteral(
        "RTT: smoothed, of the fastest connection · Health: the worst connection's state and "
        "score · In/s, Out/s: over the last 10 s");
    drawTableSection(canvas, title, caption, columns, cells, 0, 1);
}

void PdfReportWriter::drawRelayTable(Canvas& canvas) const {
    const QString title = QStringLiteral("Relays (%1)").arg(snapshot_.relays.size());
    if (snapshot_.relays.isEmpty()) {
        drawMessageSection(canvas, title, QStringLiteral("No relays known."));
        return;
    }
    const QList<TableColumn> columns{
        {QStringLiteral("Relay ID"), Qt::AlignLeft},
        {QStringLiteral("Address"), Qt::AlignLeft},
        {QStringLiteral("RTT"), Qt::AlignRight},
        {QStringLiteral("Reservation"), Qt::AlignLeft},
        {QStringLiteral("Circ."), Qt::AlignRight},
        {QStringLiteral("Data / limit"), Qt::AlignRight},
        {QStringLiteral("Source, use"), Qt::AlignLeft},
    };
    const QLocale locale;
    QList<QStringList> cells;
    for (const RelaySnapshot& relay : snapshot_.relays) {
        QString reservation = relay.reservation;
        if (relay.reservation == QLatin1String("reserved") && relay.reservedUntil.isValid())
            reservation =
                QStringLiteral("reserved until %1")
                    .arg(relay.reservedUntil.toUTC().toString(QStringLiteral("HH:mm 'UTC'")));
        else if (!relay.detail.isEmpty())
            reservation += QStringLiteral(": ") + relay.detail;
        QStringList use{relay.source};
        if (relay.preferred)
            use << QStringLiteral("preferred");
        if (relay.inUse)
            use << QStringLiteral("in use");
        cells.append({
            relay.peerId,
            relay.addr.isEmpty() ? QStringLiteral("—") : relay.addr,
            relay.rttMs ? locale.toString(*relay.rttMs, 'f', 1) + QStringLiteral(" ms")
                        : QStringLiteral("—"),
            reservation,
            QString::number(relay.circuits),
            humanBytes(double(relay.circuitBytes)) + QStringLiteral(" / ") +
                (relay.limitDataBytes ? humanBytes(double(*relay.limitDataBytes))
                                      : QStringLiteral("no limit")),
            use.join(QStringLiteral(", ")),
        });
    }
    QString caption =
        QStringLiteral("Relayed addresses: %1")
            .arg(snapshot_.relayedAddrs.isEmpty() ? QStringLiteral("none")
                                                  : QString::number(snapshot_.relayedAddrs.size()));
    caption += QStringLiteral(" · Data: bytes on our circuits through the relay, against what "
                              "each circuit may carry");
    drawTableSection(canvas, title, caption, columns, cells, 0, 1, 5.5);
}

void PdfReportWriter::drawTableSection(Canvas& canvas, const QString& title, const QString& caption,
                                       const QList<TableColumn>& columns,
                                       const QList<QStringList>& cells, qsizetype idColumn,
                                       qsizetype flexColumn, qreal cellPoints) {
    QPainter& painter = *canvas.painter;
    const QFont headerFont = sansFont(cellPoints, true);
    const QFont cellFont = sansFont(cellPoints);
    const QFont idFont = monoFont(cellPoints * 5.8 / 6.5);
    const qreal padding = canvas.pt(2.5);
    const qreal rowHeight = lineHeight(painter, cellFont) + canvas.pt(3);
    const qreal headerHeight = lineHeight(painter, headerFont) + canvas.pt(4);

    // Every column as wide as its widest cell (the whole ID stays searchable in the PDF);
    // the flexible column takes what is left and is elided. On a page too narrow all columns
    // shrink.
    const QFontMetricsF headerMetrics(headerFont, painter.device());
    const QFontMetricsF cellMetrics(cellFont, painter.device());
    const QFontMetricsF idMetrics(idFont, painter.device());
    QList<qreal> widths;
    for (qsizetype i = 0; i < columns.size(); ++i) {
        qreal width = headerMetrics.horizontalAdvance(columns[i].title);
        for (const QStringList& row : cells)
            width = std::max(width,
                             (i == idColumn ? idMetrics : cellMetrics).horizontalAdvance(row[i]));
        widths << width + 2 * padding;
    }
    qreal fixedWidth = 0;
    for (qsizetype i = 0; i < columns.size(); ++i)
        fixedWidth += i == flexColumn ? 0 : widths[i];
    const qreal flexMinimum = canvas.pt(40);
    widths[flexColumn] = std::max(flexMinimum, canvas.width() - fixedWidth);
    if (fixedWidth + widths[flexColumn] > canvas.width())
        for (qsizetype i = 0; i < columns.size(); ++i)
            if (i != flexColumn)
                widths[i] *= (canvas.width() - flexMinimum) / fixedWidth;

    auto drawHeaderRow = [&] {
        painter.setPen(Qt::NoPen);
        painter.setBrush(QColor(kAccent));
        painter.drawRect(QRectF(canvas.left(), canvas.y, canvas.width(), headerHeight));
        painter.setBrush(Qt::NoBrush);
        painter.setPen(Qt::white);
        painter.setFont(headerFont);
        qreal x = canvas.left();
        for (qsizetype i = 0; i < columns.size(); ++i) {
            drawTextLine(painter,
                         QRectF(x + padding, canvas.y + canvas.pt(2), widths[i] - 2 * padding, 0),
                         columns[i].title, columns[i].alignment);
            x += widths[i];
        }
        canvas.y += headerHeight;
    };

    const qreal captionHeight = lineHeight(painter, sansFont(7.5)) + canvas.pt(3);
    ensureSpace(canvas, sectionTitleHeight(canvas) + captionHeight + headerHeight + rowHeight);
    drawSectionTitle(canvas, title);
    drawCaption(canvas, caption);
    drawHeaderRow();
    for (qsizetype r = 0; r < cells.size(); ++r) {
        if (canvas.y + rowHeight > canvas.bottom()) {
            newPage(canvas);
            drawSectionTitle(canvas, title + QStringLiteral(", continued"));
            drawHeaderRow();
        }
        if (r % 2 == 1) {
            painter.setPen(Qt::NoPen);
            painter.setBrush(QColor(kShade));
            painter.drawRect(QRectF(canvas.left(), canvas.y, canvas.width(), rowHeight));
            painter.setBrush(Qt::NoBrush);
        }
        painter.setPen(QColor(kInk));
        qreal x = canvas.left();
        for (qsizetype i = 0; i < columns.size(); ++i) {
            const bool id = i == idColumn;
            painter.setFont(id ? idFont : cellFont);
            const qreal lineTop =
                canvas.y + (rowHeight - (id ? idMetrics : cellMetrics).height()) / 2;
            drawTextLine(painter, QRectF(x + padding, lineTop, widths[i] - 2 * padding, 0),
                         cells[r][i], columns[i].alignment, id ? Qt::ElideMiddle : Qt::ElideRight);
            x += widths[i];
        }
        canvas.y += rowHeight;
    }
    painter.setPen(QPen(QColor(kRule), canvas.pt(0.6)));
    painter.drawLine(QPointF(canvas.left(), canvas.y),
                     QPointF(canvas.left() + canvas.width(), canvas.y));
    canvas.y += canvas.pt(14);
}

void PdfReportWriter::drawLatencyChart(Canvas& canvas) const {
    const QString title = QStringLiteral("Latency");
    if (!charts_.latency.isEmpty()) {
        drawLineChartSection(canvas, title, QStringLiteral("Round-trip time over time"),
                             charts_.latency);
        return;
    }
    QList<Bar> bars;
    for (const PeerRow& row : peerRows())
        if (row.rttMs)
            bars.append({shortPeerId(row.peerId), {*row.rttMs}});
    if (bars.isEmpty()) {
        drawMessageSection(
            canvas, title,
            snapshot_.health.monitoring
                ? QStringLiteral("No round-trip time measured yet.")
                : QStringLiteral("No round-trip time measured: health monitoring is off, so "
                                 "connections are not probed."));
        return;
    }
    std::stable_sort(bars.begin(), bars.end(),
                     [](const Bar& a, const Bar& b) { return a.values[0] > b.values[0]; });
    const qsizetype total = bars.size();
    if (total > kMaxLatencyBars)
        bars.resize(kMaxLatencyBars);
    QString caption = QStringLiteral("Smoothed round-trip time per peer (its fastest connection)");
    if (total > bars.size())
        caption += QStringLiteral("; the %1 slowest of %2 peers").arg(bars.size()).arg(total);
    drawBarChartSection(canvas, title, caption, bars, {QStringLiteral("RTT")},
                        QStringLiteral("ms"));
}

void PdfReportWriter::drawBandwidthChart(Canvas& canvas) const {
    const QString title = QStringLiteral("Bandwidth");
    if (!charts_.bandwidth.isEmpty()) {
        drawLineChartSection(canvas, title, QStringLiteral("Transfer rate over time"),
                             charts_.bandwidth);
        return;
    }
    QList<Bar> bars;
    for (const PeerRow& row : peerRows())
        bars.append({shortPeerId(row.peerId), {row.rateIn, row.rateOut}});
    if (bars.isEmpty()) {
        drawMessageSection(canvas, title, QStringLiteral("No connected peers."));
        return;
    }
    std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) {
        return a.values[0] + a.values[1] > b.values[0] + b.values[1];
    });
    const qsizetype total = bars.size();
    if (total > kMaxBandwidthBars)
        bars.resize(kMaxBandwidthBars);
    QString caption = QStringLiteral("Receive and send rate per peer over the last 10 s");
    if (total > bars.size())
        caption += QStringLiteral("; the %1 busiest of %2 peers").arg(bars.size()).arg(total);
    drawBarChartSection(canvas, title, caption, bars,
                        {QStringLiteral("received"), QStringLiteral("sent")},
                        QStringLiteral("B/s"));
}

qreal PdfReportWriter::sectionTitleHeight(const Canvas& canvas) {
    return lineHeight(*canvas.painter, sansFont(12, true)) + canvas.pt(5);
}

void PdfReportWriter::drawSectionTitle(Canvas& canvas, const QString& title) {
    QPainter& painter = *canvas.painter;
    painter.setPen(QColor(kInk));
    painter.setFont(sansFont(12, true));
    drawTextLine(painter, QRectF(canvas.left(), canvas.y, canvas.width(), 0), title);
    canvas.y += sectionTitleHeight(canvas);
}

void PdfReportWriter::drawCaption(Canvas& canvas, const QString& caption) {
    QPainter& painter = *canvas.painter;
    painter.setPen(QColor(kMuted));
    painter.setFont(sansFont(7.5));
    canvas.y += drawTextLine(painter, QRectF(canvas.left(), canvas.y, canvas.width(), 0), caption);
    canvas.y += canvas.pt(3);
}

void PdfReportWriter::ensureSpace(Canvas& canvas, qreal height) {
    // A block taller than a page starts on a fresh one and runs on; never an empty page.
    if (canvas.y + height > canvas.bottom() && canvas.y > canvas.area.top())
        newPage(canvas);
}

void PdfReportWriter::newPage(Canvas& canvas) {
    drawFooter(canvas);
    canvas.writer->newPage();
    ++canvas.page;
    canvas.y = canvas.area.top();
}

void PdfReportWriter::drawFooter(Canvas& canvas) {
    QPainter& painter = *canvas.painter;
    const qreal top = canvas.area.bottom() - canvas.pt(12);
    painter.setPen(QPen(QColor(kRule), canvas.pt(0.5)));
    painter.drawLine(QPointF(canvas.left(), top - canvas.pt(3)),
                     QPointF(canvas.left() + canvas.width(), top - canvas.pt(3)));
    painter.setPen(QColor(kMuted));
    painter.setFont(sansFont(7));
    const QRectF line(canvas.left(), top, canvas.width(), 0);
    drawTextLine(painter, line, canvas.footer);
    drawTextLine(painter, line, QStringLiteral("page %1").arg(canvas.page), Qt::AlignRight);
}

void PdfReportWriter::drawMessageSection(Canvas& canvas, const QString& title,
                                         const QString& message) {
    QPainter& painter = *canvas.painter;
    const QFont font = sansFont(8.5);
    ensureSpace(canvas, sectionTitleHeight(canvas) + lineHeight(painter, font) + canvas.pt(14));
    drawSectionTitle(canvas, title);
    painter.setPen(QColor(kMuted));
    painter.setFont(font);
    canvas.y += drawTextLine(painter, QRectF(canvas.left(), canvas.y, canvas.width(), 0), message);
    canvas.y += canvas.pt(14);
}

void PdfReportWriter::drawLineChartSection(Canvas& canvas, const QString& title,
                                           const QString& caption,
                                           const QList<ReportSeries>& series) {
    QPainter& painter = *canvas.painter;
    double xMin = std::numeric_limits<double>::infinity();
    double xMax = -xMin;
    double yMin = 0;
    double yMax = 0;
    QString unit;
    for (const ReportSeries& s : series) {
        if (unit.isEmpty())
            unit = s.unit;
        for (const QPointF& point : s.points) {
            if (!std::isfinite(point.x()) || !std::isfinite(point.y()))
                continue;
            xMin = std::min(xMin, point.x());
            xMax = std::max(xMax, point.x());
            yMin = std::min(yMin, point.y());
            yMax = std::max(yMax, point.y());
        }
    }
    if (!std::isfinite(xMin)) {
        drawMessageSection(canvas, title, QStringLiteral("No samples recorded yet."));
        return;
    }
    if (xMax - xMin < 1000) { // a single sample still gets an axis a second wide
        xMin -= 500;
        xMax += 500;
    }

    const QFont legendFont = sansFont(7.5);
    const QFont axisFont = sansFont(6.5);
    const qreal legendHeight = lineHeight(painter, legendFont) + canvas.pt(4);
    const qreal chartHeight = canvas.pt(kLineChartHeightPt);
    const qreal captionHeight = lineHeight(painter, sansFont(7.5)) + canvas.pt(3);
    ensureSpace(canvas, sectionTitleHeight(canvas) + captionHeight + chartHeight + canvas.pt(14));
    drawSectionTitle(canvas, title);
    drawCaption(canvas, caption);

    // Legend: a swatch and the title of each series, in one row.
    painter.setFont(legendFont);
    const QFontMetricsF legendMetrics(legendFont, painter.device());
    qreal x = canvas.left();
    for (qsizetype i = 0; i < series.size() && i < kMaxLegendEntries; ++i) {
        const qreal swatch = canvas.pt(10);
        const qreal textWidth = std::min(legendMetrics.horizontalAdvance(series[i].title),
                                         canvas.width() / kMaxLegendEntries);
        if (x + swatch + textWidth > canvas.left() + canvas.width())
            break;
        const qreal middle = canvas.y + legendMetrics.height() / 2;
        painter.setPen(QPen(seriesColor(i), canvas.pt(2)));
        painter.drawLine(QPointF(x, middle), QPointF(x + swatch, middle));
        painter.setPen(QColor(kInk));
        drawTextLine(painter, QRectF(x + swatch + canvas.pt(3), canvas.y, textWidth, 0),
                     series[i].title);
        x += swatch + textWidth + canvas.pt(14);
    }
    if (series.size() > kMaxLegendEntries) {
        painter.setPen(QColor(kMuted));
        drawTextLine(painter, QRectF(x, canvas.y, canvas.left() + canvas.width() - x, 0),
                     QStringLiteral("and %1 more").arg(series.size() - kMaxLegendEntries));
    }
    canvas.y += legendHeight;

    const QRectF chart(canvas.left(), canvas.y, canvas.width(), chartHeight - legendHeight);
    const QFontMetricsF axisMetrics(axisFont, painter.device());
    const qreal bottomAxis = axisMetrics.height() + canvas.pt(4);

    // The step is nice in the unit the labels use: 2 MiB/s, not 1.9 MiB/s (2,000,000 B/s).
    const AxisUnit axisUnit = axisUnitFor(std::max(std::abs(yMax), std::abs(yMin)), unit);
    const double scaledStep = niceStep((yMax - yMin) / axisUnit.divisor / 5);
    const double yStep = scaledStep * axisUnit.divisor;
    yMax = std::max(yStep, std::ceil(yMax / yStep) * yStep);
    yMin = std::floor(yMin / yStep) * yStep;
    auto tickLabel = [&](double value) {
        const QString number = formatTick(value / axisUnit.divisor, scaledStep);
        return axisUnit.suffix.isEmpty() ? number : number + QLatin1Char(' ') + axisUnit.suffix;
    };
    qreal leftAxis = 0;
    for (double v = yMin; v <= yMax + yStep / 2; v += yStep)
        leftAxis = std::max(leftAxis, axisMetrics.horizontalAdvance(tickLabel(v)));
    leftAxis += canvas.pt(6);
    const QRectF plot = chart.adjusted(leftAxis, canvas.pt(2), -canvas.pt(8), -bottomAxis);
    auto toX = [&](double value) {
        return plot.left() + (value - xMin) / (xMax - xMin) * plot.width();
    };
    auto toY = [&](double value) {
        return plot.bottom() - (value - yMin) / (yMax - yMin) * plot.height();
    };

    painter.setFont(axisFont);
    for (double v = yMin; v <= yMax + yStep / 2; v += yStep) {
        const qreal y = toY(v);
        painter.setPen(QPen(QColor(kGrid), canvas.pt(0.5)));
        painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y));
        painter.setPen(QColor(kMuted));
        drawTextLine(painter,
                     QRectF(chart.left(), y - axisMetrics.height() / 2, leftAxis - canvas.pt(4), 0),
                     tickLabel(v), Qt::AlignRight);
    }
    const bool longSpan = xMax - xMin > 24.0 * 3600 * 1000;
    const int xTicks = 5;
    for (int i = 0; i <= xTicks; ++i) {
        const double value = xMin + (xMax - xMin) * i / xTicks;
        const qreal xPosition = toX(value);
        painter.setPen(QPen(QColor(kGrid), canvas.pt(0.5)));
        painter.drawLine(QPointF(xPosition, plot.top()), QPointF(xPosition, plot.bottom()));
        const QDateTime at = QDateTime::fromMSecsSinceEpoch(qint64(value), Qt::UTC);
        const QString label =
            at.toString(longSpan ? QStringLiteral("MM-dd HH:mm") : QStringLiteral("HH:mm:ss"));
        // The outer labels end at the plot's edges, clear of the value axis.
        const qreal labelWidth = axisMetrics.horizontalAdvance(label) + canvas.pt(2);
        const qreal labelLeft = i == 0        ? plot.left()
                                : i == xTicks ? plot.right() - labelWidth
                                              : xPosition - labelWidth / 2;
        painter.setPen(QColor(kMuted));
        drawTextLine(painter, QRectF(labelLeft, plot.bottom() + canvas.pt(2), labelWidth, 0), label,
                     Qt::AlignHCenter);
    }
    painter.setPen(QPen(QColor(kRule), canvas.pt(0.8)));
    painter.drawLine(plot.bottomLeft(), plot.bottomRight());
    painter.drawLine(plot.bottomLeft(), plot.topLeft());

    painter.save();
    painter.setClipRect(plot.adjusted(-canvas.pt(1), -canvas.pt(1), canvas.pt(1), canvas.pt(1)));
    for (qsizetype i = 0; i < series.size(); ++i) {
        QList<QPointF> sorted = series[i].points;
        std::sort(sorted.begin(), sorted.end(),
                  [](const QPointF& a, const QPointF& b) { return a.x() < b.x(); });
        QPolygonF line;
        for (const QPointF& point : sorted)
            if (std::isfinite(point.x()) && std::isfinite(point.y()))
                line << QPointF(toX(point.x()), toY(point.y()));
        painter.setPen(
            QPen(seriesColor(i), canvas.pt(1.1), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        if (line.size() == 1) {
            painter.setBrush(seriesColor(i));
            painter.drawEllipse(line.first(), canvas.pt(1.5), canvas.pt(1.5));
            painter.setBrush(Qt::NoBrush);
        } else {
            painter.drawPolyline(line);
        }
    }
    painter.restore();
    canvas.y = chart.bottom() + canvas.pt(14);
}

void PdfReportWriter::drawBarChartSection(Canvas& canvas, const QString& title,
                                          const QString& caption, const QList<Bar>& bars,
                                          const QStringList& valueNames, const QString& unit) {
    QPainter& painter = *canvas.painter;
    const QFont labelFont = monoFont(6.5);
    const QFont valueFont = sansFont(6.5);
    const QFont legendFont = sansFont(7.5);
    const qreal barHeight = canvas.pt(7);
    const qreal groupGap = canvas.pt(4);
    const qsizetype perGroup = std::max<qsizetype>(1, valueNames.size());
    const qreal groupHeight = barHeight * qreal(perGroup) + groupGap;
    const bool legend = valueNames.size() > 1;
    const qreal legendHeight = legend ? lineHeight(painter, legendFont) + canvas.pt(4) : 0;
    const qreal captionHeight = lineHeight(painter, sansFont(7.5)) + canvas.pt(3);
    const qreal chartHeight = legendHeight + groupHeight * qreal(bars.size());
    ensureSpace(canvas, sectionTitleHeight(canvas) + captionHeight + chartHeight + canvas.pt(14));
    drawSectionTitle(canvas, title);
    drawCaption(canvas, caption);

    if (legend) {
        painter.setFont(legendFont);
        const QFontMetricsF metrics(legendFont, painter.device());
        qreal x = canvas.left();
        for (qsizetype i = 0; i < valueNames.size(); ++i) {
            const qreal swatch = canvas.pt(8);
            painter.setPen(Qt::NoPen);
            painter.setBrush(seriesColor(i));
            painter.drawRect(QRectF(x, canvas.y + (metrics.height() - swatch) / 2, swatch, swatch));
            painter.setBrush(Qt::NoBrush);
            painter.setPen(QColor(kInk));
            const qreal width = metrics.horizontalAdvance(valueNames[i]) + canvas.pt(2);
            drawTextLine(painter, QRectF(x + swatch + canvas.pt(3), canvas.y, width, 0),
                         valueNames[i]);
            x += swatch + width + canvas.pt(14);
        }
        canvas.y += legendHeight;
    }

    double maximum = 0;
    for (const Bar& bar : bars)
        for (double value : bar.values)
            maximum = std::max(maximum, value);
    if (!(maximum > 0))
        maximum = 1;
    const QFontMetricsF labelMetrics(labelFont, painter.device());
    qreal labelWidth = 0;
    for (const Bar& bar : bars)
        labelWidth = std::max(labelWidth, labelMetrics.horizontalAdvance(bar.label));
    labelWidth = std::min(labelWidth + canvas.pt(6), canvas.width() * 0.3);
    const qreal valueWidth = canvas.pt(62);
    const qreal barLeft = canvas.left() + labelWidth;
    const qreal barSpan = canvas.width() - labelWidth - valueWidth;

    painter.setPen(QPen(QColor(kRule), canvas.pt(0.6)));
    painter.drawLine(QPointF(barLeft, canvas.y),
                     QPointF(barLeft, canvas.y + chartHeight - legendHeight - groupGap));
    for (const Bar& bar : bars) {
        const qreal top = canvas.y;
        painter.setPen(QColor(kInk));
        painter.setFont(labelFont);
        drawTextLine(painter,
                     QRectF(canvas.left(),
                            top + (barHeight * qreal(perGroup) - labelMetrics.height()) / 2,
                            labelWidth - canvas.pt(6), 0),
                     bar.label, Qt::AlignRight, Qt::ElideMiddle);
        painter.setFont(valueFont);
        for (qsizetype i = 0; i < bar.values.size(); ++i) {
            const double value = std::max(0.0, bar.values[i]);
            const qreal length = barSpan * value / maximum;
            const QRectF rect(barLeft, top + barHeight * qreal(i) + canvas.pt(0.5),
                              std::max(length, canvas.pt(0.6)), barHeight - canvas.pt(1));
            painter.setPen(Qt::NoPen);
            painter.setBrush(seriesColor(i));
            painter.drawRect(rect);
            painter.setBrush(Qt::NoBrush);
            painter.setPen(QColor(kMuted));
            drawTextLine(painter,
                         QRectF(rect.right() + canvas.pt(3),
                                rect.center().y() - lineHeight(painter, valueFont) / 2,
                                valueWidth - canvas.pt(3), 0),
                         formatValue(value, unit));
        }
        canvas.y += groupHeight;
    }
    canvas.y += canvas.pt(10);
}

} // namespace peerscope
