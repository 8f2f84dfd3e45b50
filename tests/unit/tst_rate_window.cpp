// Byte rates over 1 s / 10 s / 60 s / 300 s with hand-driven time, idle gaps and peaks.
#include "engine/health/rate_window.h"

#include <QTest>
#include <cmath>

using namespace peerscope;
using namespace std::chrono;
using Span = RateWindow::Span;

namespace {
MonoTime at(double secondsSinceStart) {
    return duration_cast<MonoTime>(duration<double>(1000 + secondsSinceStart));
}
} // namespace

class TestRateWindow final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void steadyRate() {
        RateWindow window;
        for (int s = 0; s < 20; ++s)
            window.add(at(s + 0.5), 1000);
        // At t=20 the complete seconds 0..19 each carried 1000 bytes.
        QCOMPARE(window.rate(Span::OneSecond, at(20)), 1000.0);
        QCOMPARE(window.rate(Span::TenSeconds, at(20)), 1000.0);
        QCOMPARE(window.rate(Span::OneMinute, at(20)), 20000.0 / 60);
        QCOMPARE(window.total(), 20000u);
    }

    void currentPartialSecondIsLeftOut() {
        RateWindow window;
        window.add(at(0.2), 500);
        QCOMPARE(window.rate(Span::OneSecond, at(0.9)), 0.0);
        QCOMPARE(window.rate(Span::OneSecond, at(1.1)), 500.0);
    }

    void peakIsTheBusiestSecondInTheSpan() {
        RateWindow window;
        window.add(at(1.5), 100);
        window.add(at(2.5), 9000);
        window.add(at(3.5), 300);
        QCOMPARE(window.peak(Span::TenSeconds, at(4)), 9000.0);
        QCOMPARE(window.peak(Span::OneSecond, at(4)), 300.0);
        // 20 s later the busy second has left the 10 s span but not the minute.
        QCOMPARE(window.peak(Span::TenSeconds, at(24)), 0.0);
        QCOMPARE(window.peak(Span::OneMinute, at(24)), 9000.0);
    }

    void idleGapLongerThanTheRingClearsIt() {
        RateWindow window;
        for (int s = 0; s < 300; ++s)
            window.add(at(s), 50);
        QCOMPARE(window.rate(Span::FiveMinutes, at(300)), 50.0);
        window.add(at(1000.5), 7);
        QCOMPARE(window.rate(Span::FiveMinutes, at(1001)), 7.0 / 300);
        QCOMPARE(window.peak(Span::FiveMinutes, at(1001)), 7.0);
        QCOMPARE(window.total(), 300u * 50 + 7);
    }

    void runningSumsMatchABruteForceCount() {
        // Irregular traffic with gaps; every span's rate must equal a direct count.
        RateWindow window;
        std::vector<std::pair<double, std::uint64_t>> added;
        std::uint64_t state = 12345;
        double t = 0;
        for (int i = 0; i < 3000; ++i) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            t += static_cast<double>(state >> 54) / 100.0; // 0..10 s steps
            const std::uint64_t bytes = (state >> 20) % 5000;
            window.add(at(t), bytes);
            added.emplace_back(t, bytes);
            if (i % 97 != 0)
                continue;
            const double now = t; // time never goes back for the window
            const auto nowSecond = static_cast<std::int64_t>(std::floor(1000 + now));
            for (int span : {1, 10, 60, 300}) {
                std::uint64_t expected = 0;
                for (const auto& [when, count] : added) {
                    const auto second = static_cast<std::int64_t>(std::floor(1000 + when));
                    if (second >= nowSecond - span && second < nowSecond)
                        expected += count;
                }
                QCOMPARE(window.rate(static_cast<Span>(span), at(now)),
                         static_cast<double>(expected) / span);
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestRateWindow)
#include "tst_rate_window.moc"
