#pragma once

#include "ui/charts/series_history.h"

#include <QChartView>
#include <QString>

class QComboBox;
class QLineSeries;
class QValueAxis;

namespace peerscope {

class HistoryStore;

// Bytes/s in and out over 1 min, 10 min or 1 h (a selector in the top-right corner), drawn
// from a HistoryStore: the whole node, one peer (the sum of its connections) or one
// connection. The Y axis picks B/s, KiB/s, MiB/s or GiB/s from the largest value shown.
// refresh() after each HistoryStore::apply(); a hidden chart only remembers that it is stale
// and redraws when it is shown again, so charts nobody sees cost nothing per tick.
class BandwidthChartView final : public QChartView {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(BandwidthChartView)

public:
    explicit BandwidthChartView(const HistoryStore& history, QWidget* parent = nullptr);
    ~BandwidthChartView() override;

    void showGlobal();
    void showPeer(const QString& peerId);
    void showConnection(quint64 connectionId);

    void setResolution(SeriesHistory::Resolution resolution);
    SeriesHistory::Resolution resolution() const { return resolution_; }

    void refresh();

    QLineSeries* inSeries() const { return in_; }
    QLineSeries* outSeries() const { return out_; }
    // The Y axis unit now shown: "B/s", "KiB/s", "MiB/s" or "GiB/s".
    QString rateUnit() const { return rateUnit_; }

Q_SIGNALS:
    // The user (or setResolution) picked another time span.
    void resolutionChanged(peerscope::SeriesHistory::Resolution resolution);

protected:
    void showEvent(QShowEvent* event) override;
    void resizeEvent(QResizeEvent* event) override;

private:
    enum class Source { Global, Peer, Connection };

    void redraw();
    void placeSelector();
    void setSource(Source source, const QString& peerId, quint64 connectionId);

    const HistoryStore& history_;
    Source source_ = Source::Global;
    QString peerId_;
    quint64 connectionId_ = 0;
    SeriesHistory::Resolution resolution_ = SeriesHistory::Resolution::OneSecond;
    bool stale_ = true;
    QString rateUnit_;

    QLineSeries* in_;
    QLineSeries* out_;
    QValueAxis* timeAxis_;
    QValueAxis* rateAxis_;
    QComboBox* selector_;
};

} // namespace peerscope
