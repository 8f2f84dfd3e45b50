// The documented score formula for known inputs, state transitions, the error history cap.
#include "engine/health/connection_health.h"
#include "engine/health/event_log.h"

#include <QTest>
#include <cmath>

using namespace peerscope;
using namespace std::chrono;

namespace {
MonoTime t(int ms) {
    return duration_cast<MonoTime>(milliseconds(ms));
}
} // namespace

class TestConnectionHealth final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void freshConnectionIsHealthy() {
        ConnectionHealth health(t(0), seconds(5));
        ConnectionConfig config;
        QCOMPARE(health.score(config), 1.0);
        QCOMPARE(health.evaluate(config), HealthState::Healthy);
    }

    void scoreMatchesTheFormula() {
        ConnectionConfig config; // weights 0.4 / 0.4 / 0.2, max latency 1000 ms
        ConnectionHealth health(t(0), seconds(5));
        health.recordProbe(t(10), milliseconds(250));
        health.recordProbe(t(20), milliseconds(250));
        health.recordProbe(t(30), std::nullopt);
        health.recordProbe(t(40), milliseconds(250));
        // L = 1 - 250/1000 = 0.75 (SRTT stays 250 with equal samples); S = 3/4.
        // T = (1 - 0/10) * (1 - jitter/SRTT) * 0.5^0; jitter is 0 with equal samples.
        const double expected = (0.4 * 0.75 + 0.4 * 0.75 + 0.2 * 1.0) / 1.0;
        QVERIFY(std::abs(health.score(config) - expected) < 1e-9);
        QVERIFY(std::abs(health.latencyComponent(config) - 0.75) < 1e-9);
        health.recordStreamFailed(t(50), "reset");
        health.recordStreamFailed(t(60), "reset");
        // Two of ten allowed failed streams: T = 0.8.
        QVERIFY(std::abs(health.stabilityComponent(config) - 0.8) < 1e-9);
    }

    void degradedThenFailedAfterConfiguredChecksThenRecovered() {
        ConnectionConfig config; // 3 unhealthy checks before replace
        ConnectionHealth health(t(0), seconds(5));
        health.recordProbe(t(0), milliseconds(5));
        QCOMPARE(health.evaluate(config), HealthState::Healthy);
        health.recordProbe(t(1), std::nullopt);
        QCOMPARE(health.evaluate(config), HealthState::Degraded);
        health.recordProbe(t(2), std::nullopt);
        QCOMPARE(health.evaluate(config), HealthState::Degraded);
        health.recordProbe(t(3), std::nullopt);
        QCOMPARE(health.evaluate(config), HealthState::Failed);
        QCOMPARE(health.unhealthyChecks(), 3);
        // Success rate 1/4 is below min_ping_success_rate (0.5): still unhealthy.
        health.recordProbe(t(4), milliseconds(5));
        QVERIFY(health.score(config) < config.minHealthThreshold);
        QCOMPARE(health.evaluate(config), HealthState::Failed);
        for (int i = 0; i < 6; ++i)
            health.recordProbe(t(5 + i), milliseconds(5));
        QCOMPARE(health.evaluate(config), HealthState::Healthy);
        QCOMPARE(health.unhealthyChecks(), 0);
    }

    void errorHistoryIsCapped() {
        ConnectionHealth health(t(0), seconds(5));
        for (int i = 0; i < 100; ++i)
            health.recordError(t(i), "stream", "error " + std::to_string(i));
        QCOMPARE(health.errors().size(), ConnectionHealth::maxErrors);
        QCOMPARE(health.errors().front().message, std::string("error 68"));
        QCOMPARE(health.errors().back().message, std::string("error 99"));
    }

    void bytesFeedTheRateWindows() {
        ConnectionHealth health(t(0), seconds(5));
        health.recordBytes(t(500), 1000, 10);
        health.recordBytes(t(1500), 3000, 30);
        QCOMPARE(health.bytesIn().rate(RateWindow::Span::OneSecond, t(2000)), 2000.0);
        QCOMPARE(health.bytesOut().total(), 30u);
    }

    void eventLogSinceAndCapacity() {
        EventLog log(3);
        for (int i = 0; i < 5; ++i)
            log.append("opened", "peer", std::uint64_t(i), QString::number(i));
        QCOMPARE(log.size(), std::size_t(3));
        QCOMPARE(log.firstSeq(), 3u);
        QCOMPARE(log.lastSeq(), 5u);
        std::vector<LifecycleEvent> all = log.since(0);
        QCOMPARE(all.size(), std::size_t(3));
        QCOMPARE(all.front().seq, 3u);
        std::vector<LifecycleEvent> newer = log.since(4);
        QCOMPARE(newer.size(), std::size_t(1));
        QCOMPARE(newer.front().detail, QStringLiteral("4"));
        QVERIFY(log.since(5).empty());
        QCOMPARE(log.since(0, 2).size(), std::size_t(2));
    }
};

QTEST_APPLESS_MAIN(TestConnectionHealth)
#include "tst_connection_health.moc"
