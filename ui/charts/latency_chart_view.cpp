#include "ui/charts/latency_chart_view.h"

#include "ui/charts/chart_axes.h"
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
}

} // namespace peerscope
