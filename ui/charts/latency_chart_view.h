#pragma once

#include "ui/charts/series_history.h"

#include <QChartView>
#include <QRectF>

class QAreaSeries;
class QLineSeries;
class QValueAxis;

namespace peerscope {

class HistoryStore;

// One connection's smoothed RTT over time as a line, inside a band from RTT - jitter to
// RTT + jitter, in milliseconds, drawn from a HistoryStore. Same refresh contract as
// BandwidthChartView: refresh() after each HistoryStore::apply(), and a hidden chart only
// redraws once shown again.
class LatencyChartView final : public QChartView {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LatencyChartView)

public:
    explicit LatencyChartView(const HistoryStore& history, QWidget* parent = nullptr);
    ~LatencyChartView() override;

    // 0: no connection (an empty chart).
    void showConnection(quint64 connectionId);
    quint64 connectionId() const { return connectionId_; }

    void setResolution(SeriesHistory::Resolution resolution);
    SeriesHistory::Resolution resolution() const { return resolution_; }

    void refresh();

    QLineSeries* rttSeries() const { return rtt_; }
    // The band's edges (drawn by the view itself, not a series of the chart).
    QAreaSeries* jitterBand() const { return band_; }
    QLineSeries* jitterUpperSeries() const { return upper_; }
    QLineSeries* jitterLowerSeries() const { return lower_; }

protected:
    void showEvent(QShowEvent* event) override;
    // The jitter band (see the constructor).
    void drawForeground(QPainter* painter, const QRectF& rect) override;

private:
    void redraw();
    // A value on the axes, in scene coordinates.
    QPointF toScene(const QPointF& value);
    QRectF bandSceneRect();

    const HistoryStore& history_;
    quint64 connectionId_ = 0;
    SeriesHistory::Resolution resolution_ = SeriesHistory::Resolution::OneSecond;
    bool stale_ = true;

    QLineSeries* rtt_;
    QLineSeries* upper_;
    QLineSeries* lower_;
    QAreaSeries* band_;
    QAreaSeries* bandKey_; // the band's legend entry: no points
    QRectF bandRect_;      // where the band was last drawn, in scene coordinates
    QValueAxis* timeAxis_;
    QValueAxis* msAxis_;
};

} // namespace peerscope
