// LatencyChartView draws the jitter band itself (not as a chart series): the band is where
// the history puts it, follows the data when it moves (its old place is repainted), and keeps
// its legend entry.
#include "ui/charts/history_store.h"
#include "ui/charts/latency_chart_view.h"

#include <QAreaSeries>
#include <QChart>
#include <QDateTime>
#include <QImage>
#include <QLegend>
#include <QLegendMarker>
#include <QLineSeries>
#include <QPixmap>
#include <QScreen>
#include <QTest>

using namespace peerscope;

namespace {

const qint64 kBaseMs = QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
constexpr qint64 kTickMs = 250;
constexpr quint64 kConnection = 7;

NodeSnapshot makeSnapshot(qint64 atMs, double rttMs, double jitterMs) {
    ConnectionSnapshot connection;
    connection.id = kConnection;
    connection.peerId = QStringLiteral("12D3KooWLatencyPeer");
    connection.remoteAddr = QStringLiteral("/ip4/10.0.0.7/tcp/4001");
    connection.rttSmoothedMs = rttMs;
    connection.jitterMs = jitterMs;
    PeerSnapshot peer;
    peer.peerId = connection.peerId;
    peer.connections << connection;
    NodeSnapshot snapshot;
    snapshot.takenAt = QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC);
    snapshot.peers << peer;
    return snapshot;
}

// The band's colour over the white plot: orange, light.
bool isBand(const QColor& color) {
    return color.red() > 220 && color.red() - color.blue() > 30 && color.green() > 170;
}

bool isBackground(const QColor& color) {
    return color.red() > 240 && color.green() > 240 && color.blue() > 240;
}

} // namespace

class TestLatencyChartView final : public QObject {
    Q_OBJECT

private:
    HistoryStore history_;
    qint64 atMs_ = kBaseMs;

    void feed(LatencyChartView& view, int ticks, double rttMs, double jitterMs) {
        for (int tick = 0; tick < ticks; ++tick) {
            history_.apply(makeSnapshot(atMs_, rttMs, jitterMs));
            view.refresh();
            atMs_ += kTickMs;
        }
        QCoreApplication::processEvents();
    }

    // What the window shows, as last painted: the screen's copy, not a fresh rendering
    // (QWidget::grab() would paint everything again and hide a stale area).
    static QImage shown(LatencyChartView& view) {
        return view.screen()->grabWindow(view.winId()).toImage();
    }

    // The pixel shown at a value of the chart's axes.
    static QColor pixelAt(LatencyChartView& view, const QImage& image, double x, double y) {
        const QPointF scene =
            view.chart()->mapToScene(view.chart()->mapToPosition({x, y}, view.rttSeries()));
        return image.pixelColor(view.viewport()->mapTo(&view, view.mapFromScene(scene)));
    }

private Q_SLOTS:
    void bandFollowsTheData() {
        LatencyChartView view(history_);
        view.resize(640, 360);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        view.showConnection(kConnection);
        // 20 s of 20 ms with a wide band: 5 to 35 ms. The axis then reaches 40 ms.
        feed(view, 80, 20, 15);
        QCOMPARE(view.jitterUpperSeries()->at(0).y(), 35.0);
        QCOMPARE(view.jitterLowerSeries()->at(0).y(), 5.0);
        QVERIFY(view.jitterBand()->upperSeries() == view.jitterUpperSeries());
        QImage image = shown(view);
        // 15 s ago (between grid lines): inside the band below and above the line, plain
        // above the band.
        QVERIFY2(isBand(pixelAt(view, image, 15, 10)),
                 qPrintable(pixelAt(view, image, 15, 10).name()));
        QVERIFY(isBand(pixelAt(view, image, 15, 30)));
        QVERIFY(isBackground(pixelAt(view, image, 15, 38)));

        // A narrow band higher up with the same top (the axis stays): where the wide band was
        // is plain again, repainted although no chart item covers it.
        const double axisMax = view.chart()->axes(Qt::Vertical).first()->property("max").toDouble();
        feed(view, 100, 33, 2);
        QCOMPARE(view.chart()->axes(Qt::Vertical).first()->property("max").toDouble(), axisMax);
        image = shown(view);
        QVERIFY2(isBackground(pixelAt(view, image, 15, 10)),
                 qPrintable(pixelAt(view, image, 15, 10).name()));
        QVERIFY(isBackground(pixelAt(view, image, 15, 25)));
        // Inside the narrow band, away from the 2 px line.
        const QColor narrow = pixelAt(view, image, 15, 31.5);
        QVERIFY2(!isBackground(narrow) && narrow.red() > narrow.blue() + 30,
                 qPrintable(narrow.name()));
    }

    void bandKeepsItsLegendEntry() {
        LatencyChartView view(history_);
        QStringList names;
        QColor bandKey;
        for (QLegendMarker* marker : view.chart()->legend()->markers()) {
            names << marker->label();
            if (marker->label() == view.jitterBand()->name())
                bandKey = marker->brush().color();
        }
        QCOMPARE(names.size(), 2);
        QVERIFY(names.contains(view.jitterBand()->name()));
        QVERIFY(names.contains(view.rttSeries()->name()));
        // The key has the band's colour: the line's, translucent.
        QCOMPARE(bandKey.alpha(), 60);
        QCOMPARE(bandKey.rgb(), view.rttSeries()->pen().color().rgb());
    }
};

QTEST_MAIN(TestLatencyChartView)
#include "tst_latency_chart_view.moc"
