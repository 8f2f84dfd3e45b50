#include "ui/charts/bandwidth_chart_view.h"

#include "ui/charts/chart_axes.h"
#include "ui/charts/history_store.h"

#include <QChart>
#include <QComboBox>
#include <QLegend>
#include <QLineSeries>
#include <QPen>
#include <QValueAxis>
#include <algorithm>
#include <array>
#include <cmath>

namespace peerscope {

namespace {

using Resolution = SeriesHistory::Resolution;

constexpr int kSelectorMargin = 6;

struct RateUnit {
    double bytes;
    const char* name;
};

constexpr std::array<RateUnit, 4> kRateUnits{{
    {1.0, "B/s"},
    {1024.0, "KiB/s"},
    {1024.0 * 1024.0, "MiB/s"},
    {1024.0 * 1024.0 * 1024.0, "GiB/s"},
}};

// The largest unit the peak reaches at least once, so labels stay below 1024.
const RateUnit& unitFor(double peakBytesPerSecond) {
    const RateUnit* chosen = &kRateUnits.front();
    for (const RateUnit& unit : kRateUnits) {
        if (peakBytesPerSecond >= unit.bytes)
            chosen = &unit;
    }
    return *chosen;
}

} // namespace

BandwidthChartView::BandwidthChartView(const HistoryStore& history, QWidget* parent)
    : QChartView(parent), history_(history), in_(new QLineSeries), out_(new QLineSeries),
      timeAxis_(new QValueAxis), rateAxis_(new QValueAxis), selector_(new QComboBox(this)) {
    setObjectName(QStringLiteral("bandwidthChart"));
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(160);

    in_->setName(tr("In"));
    in_->setPen(QPen(QColor(0x26, 0xa2, 0x69), 2));
    out_->setName(tr("Out"));
    out_->setPen(QPen(QColor(0x1c, 0x71, 0xd8), 2));

    auto* plot = chart();
    plot->addSeries(in_);
    plot->addSeries(out_);
    // Newest on the right: the axis counts time back from now.
    timeAxis_->setReverse(true);
    timeAxis_->setLabelFormat(QStringLiteral("%.0f"));
    rateAxis_->setLabelFormat(QStringLiteral("%.4g"));
    rateAxis_->setTickType(QValueAxis::TicksDynamic);
    rateAxis_->setTickAnchor(0);
    plot->addAxis(timeAxis_, Qt::AlignBottom);
    plot->addAxis(rateAxis_, Qt::AlignLeft);
    for (QLineSeries* series : {in_, out_}) {
        series->attachAxis(timeAxis_);
        series->attachAxis(rateAxis_);
    }
    plot->legend()->setAlignment(Qt::AlignBottom);

    selector_->setObjectName(QStringLiteral("bandwidthSpanSelector"));
    selector_->setToolTip(tr("Time span shown"));
    selector_->addItem(tr("1 min"), static_cast<int>(Resolution::OneSecond));
    selector_->addItem(tr("10 min"), static_cast<int>(Resolution::FiveSeconds));
    selector_->addItem(tr("1 h"), static_cast<int>(Resolution::ThirtySeconds));
    selector_->adjustSize();
    // The selector sits above the plot, not on it.
    plot->setMargins(QMargins(4, selector_->height() + kSelectorMargin, 4, 4));
    connect(selector_, &QComboBox::currentIndexChanged, this, [this](int index) {
        setResolution(static_cast<Resolution>(selector_->itemData(index).toInt()));
    });

    configureTimeAxis(timeAxis_, resolution_);
    applyAxisScale(rateAxis_, niceAxisScale(0));
    rateUnit_ = QString::fromLatin1(kRateUnits.front().name);
    rateAxis_->setTitleText(rateUnit_);
    placeSelector();
}

BandwidthChartView::~BandwidthChartView() = default;

void BandwidthChartView::showGlobal() {
    setSource(Source::Global, {}, 0);
}

void BandwidthChartView::showPeer(const QString& peerId) {
    setSource(Source::Peer, peerId, 0);
}

void BandwidthChartView::showConnection(quint64 connectionId) {
    setSource(Source::Connection, {}, connectionId);
}

void BandwidthChartView::setSource(Source source, const QString& peerId, quint64 connectionId) {
    if (source == source_ && peerId == peerId_ && connectionId == connectionId_)
        return;
    source_ = source;
    peerId_ = peerId;
    connectionId_ = connectionId;
    refresh();
}

void BandwidthChartView::setResolution(Resolution resolution) {
    if (resolution == resolution_)
        return;
    resolution_ = resolution;
    const int index = selector_->findData(static_cast<int>(resolution));
    if (index != selector_->currentIndex())
        selector_->setCurrentIndex(index); // re-enters with the same resolution: returns above
    configureTimeAxis(timeAxis_, resolution_);
    refresh();
    Q_EMIT resolutionChanged(resolution_);
}

void BandwidthChartView::refresh() {
    if (!isVisible()) {
        stale_ = true;
        return;
    }
    redraw();
}

void BandwidthChartView::showEvent(QShowEvent* event) {
    QChartView::showEvent(event);
    if (stale_)
        redraw();
}

void BandwidthChartView::resizeEvent(QResizeEvent* event) {
    QChartView::resizeEvent(event);
    placeSelector();
}

void BandwidthChartView::placeSelector() {
    selector_->move(width() - selector_->width() - kSelectorMargin, kSelectorMargin / 2);
    selector_->raise();
}

void BandwidthChartView::redraw() {
    stale_ = false;
    const SeriesHistory* inHistory = nullptr;
    const SeriesHistory* outHistory = nullptr;
    switch (source_) {
    case Source::Global:
        inHistory = &history_.globalIn();
        outHistory = &history_.globalOut();
        break;
    case Source::Peer:
        if (const HistoryStore::PeerHistory* peer = history_.peer(peerId_)) {
            inHistory = &peer->rateIn;
            outHistory = &peer->rateOut;
        }
        break;
    case Source::Connection:
        if (const HistoryStore::ConnectionHistory* connection =
                history_.connection(connectionId_)) {
            inHistory = &connection->rateIn;
            outHistory = &connection->rateOut;
        }
        break;
    }

    const qint64 nowMs = history_.latestMs();
    const double unitSeconds = timeAxisUnitSeconds(resolution_);
    const double spanMs = SeriesHistory::spanSeconds(resolution_) * 1000.0;
    double peak = 0;
    const auto collect = [&](const SeriesHistory* history) {
        QList<QPointF> points;
        if (history == nullptr)
            return points;
        const QList<SeriesHistory::Point> stored = history->points(resolution_);
        points.reserve(stored.size());
        for (const SeriesHistory::Point& point : stored) {
            const double ageMs = std::max<double>(0, double(nowMs - point.atMs));
            if (ageMs > spanMs)
                continue;
            points.append({ageMs / 1000.0 / unitSeconds, point.value});
            peak = std::max(peak, point.value);
        }
        return points;
    };
    QList<QPointF> inPoints = collect(inHistory);
    QList<QPointF> outPoints = collect(outHistory);

    const RateUnit& unit = unitFor(peak);
    for (QList<QPointF>* points : {&inPoints, &outPoints}) {
        for (QPointF& point : *points)
            point.setY(point.y() / unit.bytes);
    }
    in_->replace(inPoints);
    out_->replace(outPoints);

    const QString unitName = QString::fromLatin1(unit.name);
    if (unitName != rateUnit_) {
        rateUnit_ = unitName;
        rateAxis_->setTitleText(rateUnit_);
    }
    // A little headroom so the peak does not run along the top edge.
    applyAxisScale(rateAxis_, niceAxisScale(peak / unit.bytes * 1.05));
}

} // namespace peerscope
