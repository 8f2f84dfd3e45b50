// RFC 6298 arithmetic for a known sample sequence, the clamp, backoff, and RFC 3550 jitter.
#include "engine/health/rtt_estimator.h"

#include <QTest>

using namespace peerscope;
using namespace std::chrono;

class TestRttEstimator final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initialRtoBeforeAnySample() {
        RttEstimator rtt(seconds(5));
        QCOMPARE(rtt.rto(), nanoseconds(seconds(5)));
        QVERIFY(!rtt.smoothed());
        QCOMPARE(rtt.sampleCount(), 0u);
    }

    void knownSequence() {
        RttEstimator rtt(seconds(5), milliseconds(1), seconds(60));
        rtt.addSample(milliseconds(100));
        // First sample: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR.
        QCOMPARE(*rtt.smoothed(), nanoseconds(milliseconds(100)));
        QCOMPARE(rtt.rttvar(), nanoseconds(milliseconds(50)));
        QCOMPARE(rtt.rto(), nanoseconds(milliseconds(300)));
        rtt.addSample(milliseconds(200));
        // RTTVAR = 3/4 * 50 + 1/4 * |100 - 200| = 62.5; SRTT = 7/8 * 100 + 1/8 * 200 = 112.5.
        QCOMPARE(rtt.rttvar(), nanoseconds(62'500'000));
        QCOMPARE(*rtt.smoothed(), nanoseconds(112'500'000));
        QCOMPARE(rtt.rto(), nanoseconds(112'500'000 + 4 * 62'500'000));
        // Jitter: J += (|200 - 100| - J) / 16.
        QCOMPARE(rtt.jitter(), nanoseconds(6'250'000));
        QCOMPARE(*rtt.min(), nanoseconds(milliseconds(100)));
        QCOMPARE(*rtt.max(), nanoseconds(milliseconds(200)));
        QCOMPARE(*rtt.last(), nanoseconds(milliseconds(200)));
    }

    void clampedToMinAndMax() {
        RttEstimator fast(seconds(5)); // min RTO 200 ms
        fast.addSample(microseconds(50));
        QCOMPARE(fast.rto(), nanoseconds(milliseconds(200)));
        RttEstimator slow(seconds(5), milliseconds(200), seconds(2));
        slow.addSample(seconds(3));
        QCOMPARE(slow.rto(), nanoseconds(seconds(2)));
    }

    void backoffDoublesUntilTheNextSample() {
        RttEstimator rtt(seconds(5), milliseconds(1), seconds(60));
        rtt.addSample(milliseconds(100)); // RTO 300 ms
        rtt.backoff();
        QCOMPARE(rtt.rto(), nanoseconds(milliseconds(600)));
        rtt.backoff();
        QCOMPARE(rtt.rto(), nanoseconds(milliseconds(1200)));
        for (int i = 0; i < 40; ++i)
            rtt.backoff();
        QCOMPARE(rtt.rto(), nanoseconds(seconds(60)));
        rtt.addSample(milliseconds(100));
        QVERIFY(rtt.rto() < nanoseconds(milliseconds(400)));
    }
};

QTEST_APPLESS_MAIN(TestRttEstimator)
#include "tst_rtt_estimator.moc"
