// The health monitor's timing wheel: due exactly when the time is reached (never early, at any
// bucket width), once; moved and removed entries leave nothing behind; times beyond a
// revolution, late polls and a clock set back; and a random run against an ordered map.
#include "engine/health/wakeup_wheel.h"

#include <QTest>
#include <algorithm>
#include <map>
#include <set>
#include <vector>

using namespace peerscope;
using namespace std::chrono;
using Handle = WakeupWheel::Handle;

namespace {

std::vector<Handle> take(WakeupWheel& wheel, MonoTime now) {
    std::vector<Handle> due;
    wheel.takeDue(now, due);
    std::sort(due.begin(), due.end());
    return due;
}

} // namespace

class TestWakeupWheel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void dueOnceWhenItsTimeComes() {
        WakeupWheel wheel;
        const Handle h = wheel.add(milliseconds(250));
        QVERIFY(take(wheel, milliseconds(100)).empty());
        QVERIFY(take(wheel, milliseconds(250) - nanoseconds(1)).empty());
        QCOMPARE(take(wheel, milliseconds(250)), std::vector<Handle>{h});
        QVERIFY(!wheel.scheduled(h));
        QVERIFY(take(wheel, seconds(5)).empty());
        wheel.schedule(h, seconds(6));
        QVERIFY(wheel.scheduled(h));
        QCOMPARE(wheel.at(h), MonoTime(seconds(6)));
        QCOMPARE(take(wheel, seconds(7)), std::vector<Handle>{h});
    }

    void neverEarlyWithinABucket() {
        // 100 ms buckets; one bucket holds times before and after now.
        WakeupWheel wheel(milliseconds(100));
        const Handle early = wheel.add(milliseconds(110));
        const Handle onTime = wheel.add(milliseconds(150));
        const Handle late = wheel.add(milliseconds(190));
        QCOMPARE(take(wheel, milliseconds(150)), (std::vector<Handle>{early, onTime}));
        QVERIFY(wheel.scheduled(late));
        QVERIFY(take(wheel, milliseconds(189)).empty());
        QCOMPARE(take(wheel, milliseconds(190)), std::vector<Handle>{late});
    }

    void movedEntryIsDueAtItsNewTimeOnly() {
        WakeupWheel wheel;
        const Handle h = wheel.add(milliseconds(100));
        wheel.schedule(h, milliseconds(700));
        wheel.schedule(h, milliseconds(400)); // moved twice: two stale records behind
        QVERIFY(take(wheel, milliseconds(399)).empty());
        QCOMPARE(take(wheel, milliseconds(400)), std::vector<Handle>{h});
        QVERIFY(take(wheel, seconds(2)).empty());
    }

    void removedEntryIsNeverDueAndItsHandleIsReused() {
        WakeupWheel wheel;
        const Handle a = wheel.add(milliseconds(100));
        const Handle b = wheel.add(milliseconds(100));
        QCOMPARE(wheel.size(), 2u);
        wheel.remove(a);
        QCOMPARE(wheel.size(), 1u);
        const Handle c = wheel.add(milliseconds(900));
        QCOMPARE(c, a); // reused; the record of its first life is stale
        QCOMPARE(take(wheel, milliseconds(500)), std::vector<Handle>{b});
        QCOMPARE(take(wheel, milliseconds(900)), std::vector<Handle>{c});
    }

    void timeBeyondARevolutionWaitsForItsTurn() {
        // 10 buckets of 100 ms: one revolution is a second.
        WakeupWheel wheel(milliseconds(100), 10);
        const Handle far = wheel.add(milliseconds(5050));
        const Handle near = wheel.add(milliseconds(50));
        QCOMPARE(take(wheel, milliseconds(50)), std::vector<Handle>{near});
        for (int ms = 100; ms < 5050; ms += 100)
            QVERIFY2(take(wheel, milliseconds(ms)).empty(), qPrintable(QString::number(ms)));
        QCOMPARE(take(wheel, milliseconds(5050)), std::vector<Handle>{far});
    }

    void latePollTakesEverythingDueOnce() {
        WakeupWheel wheel(milliseconds(100), 16);
        std::vector<Handle> all;
        for (int i = 0; i < 50; ++i)
            all.push_back(wheel.add(milliseconds(37 * i)));
        const Handle later = wheel.add(seconds(100));
        QVERIFY(take(wheel, MonoTime(0)) == std::vector<Handle>{all.front()});
        // A poll 60 s late: far more than a revolution.
        std::vector<Handle> due = take(wheel, seconds(60));
        std::vector<Handle> expected(all.begin() + 1, all.end());
        std::sort(expected.begin(), expected.end());
        QCOMPARE(due, expected);
        QVERIFY(wheel.scheduled(later));
        QCOMPARE(take(wheel, seconds(100)), std::vector<Handle>{later});
    }

    void timeThePollHasPassedIsDueAtTheNextPoll() {
        WakeupWheel wheel;
        const Handle h = wheel.add(seconds(10));
        QVERIFY(take(wheel, seconds(1)).empty());
        wheel.schedule(h, milliseconds(500)); // before the last poll
        QCOMPARE(take(wheel, seconds(1)), std::vector<Handle>{h});
    }

    void clockSetBackKeepsEntriesFiledAhead() {
        WakeupWheel wheel;
        const Handle h = wheel.add(seconds(50));
        QVERIFY(take(wheel, seconds(10)).empty());
        wheel.schedule(h, seconds(5)); // filed under the last poll's bucket
        QVERIFY(take(wheel, seconds(4)).empty());
        QCOMPARE(take(wheel, seconds(5)), std::vector<Handle>{h});
    }

    void negativeTimes() {
        WakeupWheel wheel;
        const Handle h = wheel.add(milliseconds(-250));
        QVERIFY(take(wheel, milliseconds(-251)).empty());
        QCOMPARE(take(wheel, milliseconds(-250)), std::vector<Handle>{h});
    }

    void matchesAnOrderedMapOverARandomRun() {
        WakeupWheel wheel(milliseconds(100), 32);
        std::map<Handle, MonoTime> model; // scheduled entries and their times
        std::set<Handle> live;
        std::uint64_t state = 99;
        auto next = [&state](std::uint64_t bound) {
            state = state * 6364136223846793005ULL + 1442695040888963407ULL;
            return (state >> 33) % bound;
        };
        MonoTime now{0};
        for (int step = 0; step < 20000; ++step) {
            const std::uint64_t op = next(10);
            const MonoTime at = now + milliseconds(static_cast<int>(next(8000))) - seconds(1);
            if (op < 3 || live.empty()) {
                const Handle h = wheel.add(at);
                QVERIFY(!live.count(h));
                live.insert(h);
                model[h] = at;
            } else if (op < 7) {
                auto it = live.begin();
                std::advance(it, static_cast<long>(next(live.size())));
                wheel.schedule(*it, at);
                model[*it] = at;
            } else if (op < 8) {
                auto it = live.begin();
                std::advance(it, static_cast<long>(next(live.size())));
                wheel.remove(*it);
                model.erase(*it);
                live.erase(it);
            } else {
                // Polls mostly at the tick, sometimes late by up to 5 s.
                now += next(10) == 0 ? milliseconds(static_cast<int>(next(5000)))
                                     : milliseconds(static_cast<int>(next(150)));
                std::vector<Handle> expected;
                for (auto it = model.begin(); it != model.end();) {
                    if (it->second <= now) {
                        expected.push_back(it->first);
                        it = model.erase(it);
                    } else {
                        ++it;
                    }
                }
                QCOMPARE(take(wheel, now), expected);
            }
        }
        QCOMPARE(wheel.size(), live.size());
    }
};

QTEST_APPLESS_MAIN(TestWakeupWheel)
#include "tst_wakeup_wheel.moc"
