#include "ui/charts/ring_buffer.h"
#include "ui/charts/series_history.h"

#include <QDateTime>
#include <QTest>

using namespace peerscope;

namespace {

using Resolution = SeriesHistory::Resolution;

// 2024-01-01T00:00:00Z: a multiple of every bucket period.
const qint64 kBaseMs = QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();

std::vector<int> contents(const RingBuffer<int>& ring) {
    std::vector<int> values;
    for (std::size_t i = 0; i < ring.size(); ++i)
        values.push_back(ring.at(i));
    return values;
}

} // namespace

class TestSeriesHistory final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void ringFillsThenWrapsAround() {
        RingBuffer<int> ring(3);
        QVERIFY(ring.empty());
        QCOMPARE(ring.capacity(), std::size_t(3));
        ring.push(1);
        ring.push(2);
        QCOMPARE(contents(ring), (std::vector<int>{1, 2}));
        QVERIFY(!ring.full());
        ring.push(3);
        QVERIFY(ring.full());
        QCOMPARE(ring.front(), 1);
        QCOMPARE(ring.back(), 3);

        // Past capacity the oldest goes; the order stays oldest first across the wrap.
        ring.push(4);
        QCOMPARE(contents(ring), (std::vector<int>{2, 3, 4}));
        ring.push(5);
        ring.push(6);
        ring.push(7);
        QCOMPARE(contents(ring), (std::vector<int>{5, 6, 7}));
        QCOMPARE(ring.size(), std::size_t(3));
        QCOMPARE(ring.front(), 5);
        QCOMPARE(ring.back(), 7);

        ring.clear();
        QVERIFY(ring.empty());
        ring.push(8);
        QCOMPARE(contents(ring), (std::vector<int>{8}));
    }

    void ringStorageNeverExceedsCapacity() {
        RingBuffer<double> ring(60);
        QCOMPARE(ring.memoryBytes(), std::size_t(0)); // nothing held, nothing allocated
        for (int i = 0; i < 10; ++i)
            ring.push(i);
        QVERIFY(ring.memoryBytes() >= 10 * sizeof(double));
        QVERIFY(ring.memoryBytes() < 60 * sizeof(double));
        for (int i = 0; i < 1000; ++i)
            ring.push(i);
        QCOMPARE(ring.memoryBytes(), 60 * sizeof(double));
        QCOMPARE(ring.front(), 940.0);
        QCOMPARE(ring.back(), 999.0);

        RingBuffer<int> none(0);
        none.push(1);
        QVERIFY(none.empty());
    }

    void resolutionsSpanWhatTheChartsShow() {
        QCOMPARE(SeriesHistory::periodSeconds(Resolution::OneSecond), 1);
        QCOMPARE(SeriesHistory::capacity(Resolution::OneSecond), std::size_t(60));
        QCOMPARE(SeriesHistory::spanSeconds(Resolution::OneSecond), 60);
        QCOMPARE(SeriesHistory::periodSeconds(Resolution::FiveSeconds), 5);
        QCOMPARE(SeriesHistory::capacity(Resolution::FiveSeconds), std::size_t(120));
        QCOMPARE(SeriesHistory::spanSeconds(Resolution::FiveSeconds), 600);
        QCOMPARE(SeriesHistory::periodSeconds(Resolution::ThirtySeconds), 30);
        QCOMPARE(SeriesHistory::capacity(Resolution::ThirtySeconds), std::size_t(120));
        QCOMPARE(SeriesHistory::spanSeconds(Resolution::ThirtySeconds), 3600);
    }

    void samplesAverageIntoOneSecondPoints() {
        SeriesHistory series;
        QVERIFY(series.isEmpty());
        QVERIFY(!series.pending(Resolution::OneSecond));
        // Four samples at the 4 Hz tick in the first second.
        series.add(kBaseMs + 0, 10);
        series.add(kBaseMs + 250, 20);
        series.add(kBaseMs + 500, 30);
        series.add(kBaseMs + 750, 40);
        QVERIFY(!series.isEmpty());
        QCOMPARE(series.size(Resolution::OneSecond), std::size_t(0)); // still filling
        QCOMPARE(*series.pending(Resolution::OneSecond),
                 (SeriesHistory::Point{kBaseMs + 750, 25.0}));
        QCOMPARE(*series.lastSampleMs(), kBaseMs + 750);

        // The first sample of the next second closes it.
        series.add(kBaseMs + 1000, 100);
        QCOMPARE(series.size(Resolution::OneSecond), std::size_t(1));
        QCOMPARE(series.at(Resolution::OneSecond, 0), (SeriesHistory::Point{kBaseMs + 1000, 25.0}));
        QCOMPARE(*series.pending(Resolution::OneSecond),
                 (SeriesHistory::Point{kBaseMs + 1000, 100.0}));

        const QList<SeriesHistory::Point> withPending = series.points(Resolution::OneSecond);
        QCOMPARE(withPending.size(), 2);
        QCOMPARE(withPending.at(0).value, 25.0);
        QCOMPARE(withPending.at(1).value, 100.0);
        QCOMPARE(series.points(Resolution::OneSecond, false).size(), 1);
        // The coarser buckets are still filling with all five samples.
        QCOMPARE(series.size(Resolution::FiveSeconds), std::size_t(0));
        QCOMPARE(series.pending(Resolution::FiveSeconds)->value, (10 + 20 + 30 + 40 + 100) / 5.0);
    }

    void coarserPointsAverageTheFinerOnes() {
        SeriesHistory series;
        // 60 s at 4 Hz; second s carries the value s (all four samples alike).
        for (int tick = 0; tick < 60 * 4; ++tick)
            series.add(kBaseMs + tick * 250, tick / 4);
        series.add(kBaseMs + 60'000, 0); // closes second 59, the 12th 5 s and the 2nd 30 s

        QCOMPARE(series.size(Resolution::OneSecond), std::size_t(60));
        for (std::size_t s = 0; s < 60; ++s)
            QCOMPARE(series.at(Resolution::OneSecond, s).value, double(s));

        QCOMPARE(series.size(Resolution::FiveSeconds), std::size_t(12));
        for (std::size_t k = 0; k < 12; ++k) {
            // Mean of seconds 5k .. 5k+4, stamped at the bucket's end.
            const SeriesHistory::Point point = series.at(Resolution::FiveSeconds, k);
            QCOMPARE(point.value, 5.0 * k + 2.0);
            QCOMPARE(point.atMs, kBaseMs + qint64(k + 1) * 5000);
            double finer = 0;
            for (std::size_t s = 5 * k; s < 5 * k + 5; ++s)
                finer += series.at(Resolution::OneSecond, s).value;
            QCOMPARE(point.value, finer / 5.0);
        }

        QCOMPARE(series.size(Resolution::ThirtySeconds), std::size_t(2));
        QCOMPARE(series.at(Resolution::ThirtySeconds, 0),
                 (SeriesHistory::Point{kBaseMs + 30'000, 14.5}));
        QCOMPARE(series.at(Resolution::ThirtySeconds, 1),
                 (SeriesHistory::Point{kBaseMs + 60'000, 44.5}));
        QCOMPARE(series.pointCount(), std::size_t(60 + 12 + 2));
    }

    void eachResolutionWrapsAtItsCapacity() {
        SeriesHistory series;
        // Two hours, one sample a second: every ring overflows.
        const int seconds = 2 * 3600;
        for (int s = 0; s <= seconds; ++s)
            series.add(kBaseMs + qint64(s) * 1000, s);

        QCOMPARE(series.size(Resolution::OneSecond), std::size_t(60));
        QCOMPARE(series.at(Resolution::OneSecond, 0).value, double(seconds - 60));
        QCOMPARE(series.at(Resolution::OneSecond, 59).value, double(seconds - 1));
        QCOMPARE(series.at(Resolution::OneSecond, 59).atMs, kBaseMs + qint64(seconds) * 1000);

        QCOMPARE(series.size(Resolution::FiveSeconds), std::size_t(120));
        // The newest closed 5 s bucket holds seconds 7195..7199.
        QCOMPARE(series.at(Resolution::FiveSeconds, 119).value, 7197.0);
        QCOMPARE(series.at(Resolution::FiveSeconds, 0).value, 7197.0 - 119 * 5);

        QCOMPARE(series.size(Resolution::ThirtySeconds), std::size_t(120));
        QCOMPARE(series.at(Resolution::ThirtySeconds, 119).value, 7184.5); // 7170..7199
        QCOMPARE(series.at(Resolution::ThirtySeconds, 0).atMs, kBaseMs + 3630'000);

        // Oldest first, strictly increasing time, at every resolution; the pending point is
        // never before the last closed one (here both are at 7200 s: end and first sample).
        for (Resolution resolution :
             {Resolution::OneSecond, Resolution::FiveSeconds, Resolution::ThirtySeconds}) {
            const QList<SeriesHistory::Point> points = series.points(resolution, false);
            for (qsizetype i = 1; i < points.size(); ++i)
                QVERIFY(points.at(i - 1).atMs < points.at(i).atMs);
            QCOMPARE(series.pending(resolution)->atMs, points.constLast().atMs);
        }
        QCOMPARE(series.pointCount(), std::size_t(300));
        const std::size_t full = series.memoryBytes();
        for (int s = 1; s <= 600; ++s)
            series.add(kBaseMs + qint64(seconds + s) * 1000, s);
        QCOMPARE(series.memoryBytes(), full); // bounded: nothing grows once full
        QVERIFY(full < 300 * 8 + 1024);
    }

    void gapsAndSteppedBackClock() {
        SeriesHistory series;
        series.add(kBaseMs + 500, 4);
        // Nothing for 10 s: one point for the second that had samples, none for the gap.
        series.add(kBaseMs + 10'200, 8);
        QCOMPARE(series.size(Resolution::OneSecond), std::size_t(1));
        QCOMPARE(series.at(Resolution::OneSecond, 0), (SeriesHistory::Point{kBaseMs + 1000, 4.0}));
        QCOMPARE(series.size(Resolution::FiveSeconds), std::size_t(1));

        // The wall clock steps back 3 s: the sample joins the bucket being filled.
        series.add(kBaseMs + 7'400, 2);
        QCOMPARE(series.size(Resolution::OneSecond), std::size_t(1));
        QCOMPARE(series.pending(Resolution::OneSecond)->value, 5.0);
        QCOMPARE(*series.lastSampleMs(), kBaseMs + 10'200);
        series.add(kBaseMs + 11'000, 1);
        QCOMPARE(series.at(Resolution::OneSecond, 1),
                 (SeriesHistory::Point{kBaseMs + 11'000, 5.0}));

        series.clear();
        QVERIFY(series.isEmpty());
        QCOMPARE(series.pointCount(), std::size_t(0));
        QVERIFY(!series.pending(Resolution::ThirtySeconds));
        QVERIFY(series.points(Resolution::OneSecond).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestSeriesHistory)
#include "tst_series_history.moc"
