// RetryPolicy: the exact backoff sequence, the cap, give-up, and seeded jitter.
#include "engine/pool/retry_policy.h"

#include <QTest>

using namespace peerscope;
using namespace std::chrono;

class TestRetryPolicy final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void defaultSequenceWithoutJitter() {
        RetryPolicy policy(RetryConfig{}, 1);
        // 0.1 s * 2^n, capped at 30 s.
        const std::vector<milliseconds> expected{100ms,  200ms,   400ms,   800ms,   1600ms, 3200ms,
                                                 6400ms, 12800ms, 25600ms, 30000ms, 30000ms};
        for (int n = 0; n < static_cast<int>(expected.size()); ++n)
            QCOMPARE(duration_cast<milliseconds>(policy.delayWithoutJitter(n)), expected[n]);
    }

    void jitterZeroGivesTheBaseExactly() {
        RetryConfig config;
        config.jitterFactor = 0;
        RetryPolicy policy(config, 99);
        for (int n = 0; n < 12; ++n)
            QCOMPARE(policy.delay(n), policy.delayWithoutJitter(n));
    }

    void capAtMaxDelay() {
        RetryConfig config;
        config.maxDelay = duration<double>(1.5);
        config.jitterFactor = 0;
        RetryPolicy policy(config, 1);
        QCOMPARE(policy.delay(3), nanoseconds(800ms));
        QCOMPARE(policy.delay(4), nanoseconds(1500ms));
        QCOMPARE(policy.delay(1000), nanoseconds(1500ms)); // pow overflow is capped too
    }

    void givesUpAfterMaxRetries() {
        RetryPolicy policy(RetryConfig{}, 1); // max_retries 3: four attempts in all
        QVERIFY(policy.shouldRetry(1));
        QVERIFY(policy.shouldRetry(3));
        QVERIFY(!policy.shouldRetry(4));
        RetryConfig none;
        none.maxRetries = 0;
        QVERIFY(!RetryPolicy(none, 1).shouldRetry(1));
    }

    void seededJitterIsRepeatableAndBounded() {
        RetryPolicy a(RetryConfig{}, 42);
        RetryPolicy b(RetryConfig{}, 42);
        RetryPolicy c(RetryConfig{}, 43);
        bool anyDifferent = false;
        for (int n = 0; n < 8; ++n) {
            const nanoseconds da = a.delay(n);
            const nanoseconds base = a.delayWithoutJitter(n);
            QCOMPARE(b.delay(n), da);
            if (c.delay(n) != da)
                anyDifferent = true;
            QVERIFY(da >= base * 9 / 10);
            QVERIFY(da <= base * 11 / 10);
        }
        QVERIFY(anyDifferent);
    }

    void exactJitteredSequenceForSeedOne() {
        // splitmix64 from seed 1 is fixed: these values hold on every compiler and library.
        RetryPolicy policy(RetryConfig{}, 1);
        std::vector<std::int64_t> micros;
        for (int n = 0; n < 4; ++n)
            micros.push_back(duration_cast<microseconds>(policy.delay(n)).count());
        RetryPolicy again(RetryConfig{}, 1);
        for (int n = 0; n < 4; ++n)
            QCOMPARE(duration_cast<microseconds>(again.delay(n)).count(), micros[n]);
        QCOMPARE(micros, (std::vector<std::int64_t>{101331, 209831, 437680, 791097}));
    }

    void neverOutsideTheBoundOverManyDraws() {
        RetryConfig config;
        config.jitterFactor = 1.0; // the widest allowed: 0..2x
        RetryPolicy policy(config, 7);
        for (int i = 0; i < 10000; ++i) {
            const int n = i % 12;
            const nanoseconds d = policy.delay(n);
            QVERIFY(d >= nanoseconds::zero());
            QVERIFY(d <= policy.delayWithoutJitter(n) * 2);
        }
    }
};

QTEST_APPLESS_MAIN(TestRetryPolicy)
#include "tst_retry_policy.moc"
