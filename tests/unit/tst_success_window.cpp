// The last N probe outcomes: success rate over the window, the run of failures, sizes up to
// the 64 the word holds.
#include "engine/health/success_window.h"

#include <QTest>
#include <deque>

using namespace peerscope;

class TestSuccessWindow final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void emptyWindowIsAllSuccess() {
        SuccessWindow window;
        QCOMPARE(window.count(), 0u);
        QCOMPARE(window.successRate(), 1.0);
        QCOMPARE(window.consecutiveFailures(), 0);
    }

    void oldOutcomesLeaveTheWindow() {
        SuccessWindow window(4);
        for (bool ok : {false, false, true, true})
            window.record(ok);
        QCOMPARE(window.successRate(), 0.5);
        window.record(true); // the first failure leaves
        QCOMPARE(window.successRate(), 0.75);
        window.record(true);
        QCOMPARE(window.successRate(), 1.0);
        QCOMPARE(window.count(), 4u);
    }

    void failuresInARowResetOnSuccess() {
        SuccessWindow window;
        window.record(false);
        window.record(false);
        window.record(false);
        QCOMPARE(window.consecutiveFailures(), 3);
        window.record(true);
        QCOMPARE(window.consecutiveFailures(), 0);
        window.record(false);
        QCOMPARE(window.consecutiveFailures(), 1);
        QCOMPARE(window.successRate(), 1.0 / 5);
    }

    void sizesUpToSixtyFourMatchAQueue() {
        for (std::size_t size : {1u, 20u, 63u, 64u, 200u}) {
            SuccessWindow window(size);
            const std::size_t held = std::min<std::size_t>(size, SuccessWindow::maxSize);
            std::deque<bool> model;
            std::uint32_t state = static_cast<std::uint32_t>(size);
            for (int i = 0; i < 500; ++i) {
                state = state * 1103515245u + 12345u;
                const bool ok = (state >> 16) % 3 != 0;
                window.record(ok);
                model.push_back(ok);
                if (model.size() > held)
                    model.pop_front();
                const auto successes = std::count(model.begin(), model.end(), true);
                QCOMPARE(window.count(), model.size());
                QCOMPARE(window.successRate(),
                         static_cast<double>(successes) / static_cast<double>(model.size()));
            }
        }
    }
};

QTEST_APPLESS_MAIN(TestSuccessWindow)
#include "tst_success_window.moc"
