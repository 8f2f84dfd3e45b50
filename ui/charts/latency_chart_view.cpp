#include "ui/charts/latency_chart_view.h"

#include "ui/charts/chart_axes.h"
#include "ui/charts/history_store.h"

#include <QAreaSeries>
#include <QChart>
#include <QGraphicsScene>
#include <QLegend>
#include <QLineSeries>
#include <QPainter>
#include <QPen>
#include <QPolygonF>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace peerscope {

namespace {

using Resolution = SeriesHistory::Resolution;

const QColor kRttColor(0xe6, 0x61, 0x00);

QColor bandColor() {
    QColor color = kRttColor;
    color.setAlpha(60);
    return color;
}

} // namespace

LatencyChartView::LatencyChartView(const HistoryStore& history, QWidget* parent)
    : QChartView(parent), history_(history), rtt_(new QLineSeries), upper_(new QLineSeries(this)),
      lower_(new QLineSeries(this)), band_(new QAreaSeries(upper_, lower_)),
      bandKey_(new QAreaSeries(new QLineSeries(this))), timeAxis_(new QValueAxis),
      msAxis_(new QValueAxis) {
    setObjectName(QStringLiteral("latencyChart"));
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(160);

    rtt_->setName(tr("RTT (smoothed)"));
    rtt_->setPen(QPen(kRttColor, 2));
    // The band is not a series of the chart: drawForeground() fills it, without antialiasing.
    // Qt Charts fills an area series with the view's antialiasing, and for a long, thin band
    // that fill took about 0.85 of the chart's 1.1 ms paint per tick (1,000 peers); its two
    // edge series also tripled the geometry work of every redraw. The band is the line's
    // colour made translucent, so drawn over the line it looks as it would under it. An empty
    // area series in that colour is its legend entry.
    band_->setParent(this);
    band_->setName(tr("± jitter"));
    bandKey_->setName(band_->name());
    bandKey_->setBrush(bandColor());
    bandKey_->setPen(Qt::NoPen);

    auto* plot = chart();
    plot->addSeries(bandKey_);
    plot->addSeries(rtt_);
    timeAxis_->setReverse(true); // newest on the right
    timeAxis_->setLabelFormat(QStringLiteral("%.0f"));
    msAxis_->setLabelFormat(QStringLiteral("%.4g"));
    msAxis_->setTitleText(tr("ms"));
    msAxis_->setTickType(QValueAxis::TicksDynamic);
    msAxis_->setTickAnchor(0);
    plot->addAxis(timeAxis_, Qt::AlignBottom);
    plot->addAxis(msAxis_, Qt::AlignLeft);
    for (QAbstractSeries* series : std::initializer_list<QAbstractSeries*>{bandKey_, rtt_}) {
        series->attachAxis(timeAxis_);
        series->attachAxis(msAxis_);
    }
    plot->legend()->setAlignment(Qt::AlignBottom);
    configureTimeAxis(timeAxis_, resolution_);
    applyAxisScale(msAxis_, niceAxisScale(0));
}

LatencyChartView::~LatencyChartView() = default;

void LatencyChartView::showConnection(quint64 connectionId) {
    if (connectionId == connectionId_)
        return;
    connectionId_ = connectionId;
    refresh();
}

void LatencyChartView::setResolution(Resolution resolution) {
    if (resolution == resolution_)
        return;
    resolution_ = resolution;
    configureTimeAxis(timeAxis_, resolution_);
    refresh();
}

void LatencyChartView::refresh() {
    if (!isVisible()) {
        stale_ = true;
        return;
    }
    redraw();
}

void LatencyChartView::showEvent(QShowEvent* event) {
    QChartView::showEvent(event);
    if (stale_)
        redraw();
}

QPointF LatencyChartView::toScene(const QPointF& value) {
    // The band's axes are the line's.
    return chart()->mapToScene(chart()->mapToPosition(value, rtt_));
}

QRectF LatencyChartView::bandSceneRect() {
    const qsizetype count = std::min(upper_->count(), lower_->count());
    if (count < 2)
        return {};
    double left = upper_->at(0).x();
    double right = left;
    double top = upper_->at(0).y();
    double bottom = lower_->at(0).y();
    for (qsizetype i = 1; i < count; ++i) {
        left = std::min(left, upper_->at(i).x());
        right = std::max(right, upper_->at(i).x());
        top = std::max(top, upper_->at(i).y());
        bottom = std::min(bottom, lower_->at(i).y());
    }
    // A pixel's margin for the edges' rounding.
    return QRectF(toScene({left, top}), toScene({right, bottom}))
        .normalized()
        .adjusted(-1, -1, 1, 1);
}

void LatencyChartView::drawForeground(QPainter* painter, const QRectF& rect) {
    QChartView::drawForeground(painter, rect);
    const qsizetype count = std::min(upper_->count(), lower_->count());
    if (count < 2)
        return;
    QPolygonF band;
    band.reserve(2 * count);
    for (qsizetype i = 0; i < count; ++i)
        band.append(toScene(upper_->at(i)));
    for (qsizetype i = count - 1; i >= 0; --i)
        band.append(toScene(lower_->at(i)));
    QChart* plot = chart();
    painter->save();
    painter->setClipRect(plot->mapRectToScene(plot->plotArea()), Qt::IntersectClip);
    painter->setRenderHint(QPainter::Antialiasing, false);
    painter->setPen(Qt::NoPen);
    painter->setBrush(bandColor());
    painter->drawPolygon(band);
    painter->restore();
}

void LatencyChartView::redraw() {
    stale_ = false;
    QList<QPointF> rttPoints;
    QList<QPointF> upperPoints;
    QList<QPointF> lowerPoints;
    double peak = 0;
    const HistoryStore::ConnectionHistory* connection =
        connectionId_ != 0 ? history_.connection(connectionId_) : nullptr;
    if (connection != nullptr) {
        const QList<SeriesHistory::Point> rtts = connection->rttMs.points(resolution_);
        const QList<SeriesHistory::Point> jitters = connection->jitterMs.points(resolution_);
        const qint64 nowMs = history_.latestMs();
        const double unitSeconds = timeAxisUnitSeconds(resolution_);
        const double spanMs = SeriesHistory::spanSeconds(resolution_) * 1000.0;
        // RTT and jitter are sampled together, so their points pair up one to one.
        const qsizetype count = std::min(rtts.size(), jitters.size());
        rttPoints.reserve(count);
        upperPoints.reserve(count);
        lowerPoints.reserve(count);
        for (qsizetype i = 0; i < count; ++i) {
            const double ageMs = std::max<double>(0, double(nowMs - rtts.at(i).atMs));
            if (ageMs > spanMs)
                continue;
            const double x = ageMs / 1000.0 / unitSeconds;
            const double rtt = rtts.at(i).value;
            const double jitter = jitters.at(i).value;
            rttPoints.append({x, rtt});
            upperPoints.append({x, rtt + jitter});
            lowerPoints.append({x, std::max(0.0, rtt - jitter)});
            peak = std::max(peak, rtt + jitter);
        }
    }
    rtt_->replace(rttPoints);
    upper_->replace(upperPoints);
    lower_->replace(lowerPoints);
    const QString title = rttPoints.isEmpty() ? tr("No round-trip times measured yet") : QString();
    if (chart()->title() != title)
        chart()->setTitle(title); // a title change lays the chart out again
    applyAxisScale(msAxis_, niceAxisScale(peak * 1.05));
    // No chart item covers the band: its area, before and after, is repainted on request.
    const QRectF band = bandSceneRect();
    if (QGraphicsScene* painted = scene())
        painted->update(bandRect_.united(band));
    bandRect_ = band;
}

} // namespace peerscope
