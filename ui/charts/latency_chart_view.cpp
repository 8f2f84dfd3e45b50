#include "ui/charts/latency_chart_view.h"

#include "ui/charts/history_store.h"

#include <QAreaSeries>
#include <QChart>
#include <QLegend>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>
#include <algorithm>
#include <cmath>

namespace peerscope {

namespace {

using Resolution = SeriesHistory::Resolution;

const QColor kRttColor(0xe6, 0x61, 0x00);

// 0..max in 2 to 4 steps of 1, 2 or 5 x 10^k: round labels, and a range that only moves when
// the peak crosses a step. Every range change lays the whole chart out again, which costs
// far more than replacing the points, so an unchanged range is not set again.
struct AxisScale {
    double max;
    double step;
};

AxisScale niceScale(double peak) {
    if (!(peak > 0))
        return {1.0, 0.25};
    const double rough = peak / 4;
    const double magnitude = std::pow(10.0, std::floor(std::log10(rough)));
    double step = 10 * magnitude;
    for (const double factor : {1.0, 2.0, 5.0}) {
        if (rough <= factor * magnitude) {
            step = factor * magnitude;
            break;
        }
    }
    return {std::ceil(peak / step) * step, step};
}

void applyScale(QValueAxis* axis, const AxisScale& scale) {
    if (axis->max() == scale.max && axis->tickInterval() == scale.step)
        return;
    axis->setTickInterval(scale.step);
    axis->setRange(0, scale.max);
}

// Seconds for the 1 min view, minutes for the longer ones (as the bandwidth chart).
double timeUnitSeconds(Resolution resolution) {
    return resolution == Resolution::OneSecond ? 1.0 : 60.0;
}

void configureTimeAxis(QValueAxis* axis, Resolution resolution) {
    axis->setRange(0, SeriesHistory::spanSeconds(resolution) / timeUnitSeconds(resolution));
    axis->setTickCount(resolution == Resolution::FiveSeconds ? 11 : 7);
    axis->setTitleText(resolution == Resolution::OneSecond ? LatencyChartView::tr("seconds ago")
                                                           : LatencyChartView::tr("minutes ago"));
}

} // namespace

LatencyChartView::LatencyChartView(const HistoryStore& history, QWidget* parent)
    : QChartView(parent), history_(history), rtt_(new QLineSeries), upper_(new QLineSeries),
      lower_(new QLineSeries), band_(new QAreaSeries(upper_, lower_)), timeAxis_(new QValueAxis),
      msAxis_(new QValueAxis) {
    setObjectName(QStringLiteral("latencyChart"));
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(160);

    rtt_->setName(tr("RTT (smoothed)"));
    rtt_->setPen(QPen(kRttColor, 2));
    band_->setName(tr("± jitter"));
    QColor bandColor = kRttColor;
    bandColor.setAlpha(60);
    band_->setBrush(bandColor);
    band_->setPen(Qt::NoPen);

    auto* plot = chart();
    // The band first, so the line is drawn over it.
    plot->addSeries(band_);
    plot->addSeries(rtt_);
    timeAxis_->setReverse(true); // newest on the right
    timeAxis_->setLabelFormat(QStringLiteral("%.0f"));
    msAxis_->setLabelFormat(QStringLiteral("%.4g"));
    msAxis_->setTitleText(tr("ms"));
    msAxis_->setTickType(QValueAxis::TicksDynamic);
    msAxis_->setTickAnchor(0);
    plot->addAxis(timeAxis_, Qt::AlignBottom);
    plot->addAxis(msAxis_, Qt::AlignLeft);
    for (QAbstractSeries* series : std::initializer_list<QAbstractSeries*>{band_, rtt_}) {
        series->attachAxis(timeAxis_);
        series->attachAxis(msAxis_);
    }
    plot->legend()->setAlignment(Qt::AlignBottom);
    configureTimeAxis(timeAxis_, resolution_);
    applyScale(msAxis_, niceScale(0));
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
        const double unitSeconds = timeUnitSeconds(resolution_);
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
    applyScale(msAxis_, niceScale(peak * 1.05));
}

} // namespace peerscope
