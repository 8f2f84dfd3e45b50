// One direction of a lab link with hand-driven time: exact release times for delay and rate,
// order kept under jitter and loss, the loss penalty with a fixed seed, live settings changes.
#include "engine/core/clock.h"
#include "engine/lab/link_shaper.h"

#include <QTest>
#include <random>
#include <vector>

using namespace peerscope;
using namespace std::chrono;

namespace {

MonoTime ms(double value) {
    return duration_cast<MonoTime>(duration<double, std::milli>(value));
}

QByteArray filled(int size, char value = 'x') {
    return QByteArray(size, value);
}

// Steps `clock` by `step` until `until`, recording when each byte comes out.
std::vector<MonoTime> releaseTimes(LinkShaper& shaper, ManualClock& clock, MonoTime until,
                                   MonoTime step, QByteArray* released) {
    std::vector<MonoTime> times;
    while (clock.now() <= until) {
        const QByteArray out = shaper.releasable(clock.now());
        *released += out;
        times.insert(times.end(), static_cast<std::size_t>(out.size()), clock.now());
        clock.advance(step);
    }
    return times;
}

// The loss decisions the shaper must make for `pieces` pieces with `seed` and no jitter,
// computed independently from the same generator.
int expectedHeld(std::uint64_t seed, double lossPercent, int pieces) {
    std::mt19937_64 random(seed);
    int held = 0;
    for (int i = 0; i < pieces; ++i)
        if (static_cast<double>(random() >> 11) * 0x1.0p-53 * 100 < lossPercent)
            ++held;
    return held;
}

} // namespace

class TestLinkShaper final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void unimpairedLinkReleasesAtOnce() {
        LinkShaper shaper;
        QVERIFY(!shaper.nextReleaseTime());
        shaper.push("hello", ms(5));
        QCOMPARE(shaper.nextReleaseTime(), std::optional<MonoTime>(ms(5)));
        QCOMPARE(shaper.releasable(ms(5)), QByteArray("hello"));
        QVERIFY(shaper.isEmpty());
        QCOMPARE(shaper.bytesReleased(), 5u);
        shaper.push({}, ms(6)); // nothing to carry
        QVERIFY(shaper.isEmpty());
    }

    void delayGivesExactReleaseTimes() {
        LinkShaper shaper(LinkSettings{30, 0, 0, 0});
        shaper.push("first", ms(0));
        shaper.push("second", ms(10));
        QCOMPARE(shaper.queuedBytes(), std::size_t(11));
        QCOMPARE(shaper.nextReleaseTime(), std::optional<MonoTime>(ms(30)));
        QCOMPARE(shaper.releasable(ms(30) - nanoseconds(1)), QByteArray());
        QCOMPARE(shaper.releasable(ms(30)), QByteArray("first"));
        QCOMPARE(shaper.nextReleaseTime(), std::optional<MonoTime>(ms(40)));
        QCOMPARE(shaper.releasable(ms(39.9)), QByteArray());
        // Late callers get everything that is due, in one piece and in order.
        shaper.push("third", ms(15));
        QCOMPARE(shaper.releasable(ms(100)), QByteArray("secondthird"));
        QCOMPARE(shaper.queuedBytes(), std::size_t(0));
        QVERIFY(!shaper.nextReleaseTime());
    }

    void jitterVariesTheDelayButNeverTheOrder() {
        ManualClock clock;
        LinkShaper shaper(LinkSettings{10, 8, 0, 0}, 1234);
        QByteArray sent;
        std::vector<MonoTime> pushedAt;
        for (int i = 0; i < 200; ++i) {
            const char byte = static_cast<char>(i % 251);
            shaper.push(QByteArray(1, byte), ms(i * 0.5));
            sent += byte;
            pushedAt.push_back(ms(i * 0.5));
        }
        QByteArray released;
        const std::vector<MonoTime> times =
            releaseTimes(shaper, clock, ms(200), microseconds(50), &released);
        QCOMPARE(released, sent); // nothing lost, nothing reordered
        QCOMPARE(times.size(), std::size_t(200));
        std::vector<MonoTime> distinctDelays;
        for (std::size_t i = 0; i < times.size(); ++i) {
            const MonoTime delay = times[i] - pushedAt[i];
            QVERIFY2(delay >= ms(2) - microseconds(50), qPrintable(QString::number(i)));
            if (i > 0)
                QVERIFY(times[i] >= times[i - 1]);
            if (std::find(distinctDelays.begin(), distinctDelays.end(), delay) ==
                distinctDelays.end())
                distinctDelays.push_back(delay);
        }
        QVERIFY2(distinctDelays.size() > 20, "jitter should spread the delays");
        // Without the order clamp a piece leaves within delay +- jitter; with it, no later
        // than the latest of those: 200 pieces pushed by 99.5 ms are all out by 118 ms.
        QVERIFY(times.back() <= ms(99.5 + 18) + microseconds(50));
    }

    void sameSeedSameSchedule() {
        auto schedule = [](std::uint64_t seed) {
            LinkShaper shaper(LinkSettings{20, 5, 10, 0}, seed);
            std::vector<MonoTime> out;
            for (int i = 0; i < 50; ++i)
                shaper.push(filled(10), ms(i * 3));
            while (std::optional<MonoTime> next = shaper.nextReleaseTime()) {
                out.push_back(*next);
                (void)shaper.releasable(*next);
            }
            return out;
        };
        QCOMPARE(schedule(7), schedule(7));
        QVERIFY(schedule(7) != schedule(8));
    }

    void lossHoldsAPieceAndEverythingBehindIt() {
        LinkShaper shaper(LinkSettings{30, 0, 100, 0});
        QCOMPARE(LinkShaper::lossPenalty(shaper.settings()), ms(200)); // 2 x 30 < 200
        shaper.push("lost", ms(0));
        QCOMPARE(shaper.piecesHeldForLoss(), 1u);
        shaper.setSettings(LinkSettings{30, 0, 0, 0});
        shaper.push("behind", ms(1)); // due at 31 ms, but a stream cannot overtake
        QCOMPARE(shaper.piecesHeldForLoss(), 1u);
        QCOMPARE(shaper.nextReleaseTime(), std::optional<MonoTime>(ms(230)));
        QCOMPARE(shaper.releasable(ms(229)), QByteArray());
        QCOMPARE(shaper.releasable(ms(230)), QByteArray("lostbehind"));

        // A long, jittery link waits longer: 2 x 150 + 3 x 10 = 330 ms.
        QCOMPARE(LinkShaper::lossPenalty(LinkSettings{150, 10, 1, 0}), ms(330));
    }

    void lossFollowsTheSeededGenerator() {
        constexpr std::uint64_t seed = 42;
        constexpr double lossPercent = 2;
        LinkShaper shaper(LinkSettings{5, 0, lossPercent, 0}, seed);
        for (int i = 0; i < 5000; ++i)
            shaper.push(filled(100), ms(i));
        const int expected = expectedHeld(seed, lossPercent, 5000);
        QCOMPARE(shaper.piecesHeldForLoss(), std::uint64_t(expected));
        QVERIFY2(expected > 60 && expected < 140, qPrintable(QString::number(expected))); // ~2 %
        // Everything still arrives, in order, by the last push + delay + one penalty.
        QCOMPARE(shaper.releasable(ms(4999 + 5 + 200)).size(), 5000 * 100);
    }

    void rateCapSpacesTheBytes() {
        // 1 MB/s: 4 ms pieces of 4000 bytes; 10,000 bytes occupy the link for 10 ms.
        LinkShaper shaper(LinkSettings{0, 0, 0, 1'000'000});
        QCOMPARE(LinkShaper::maxPieceBytes(shaper.settings()), std::size_t(4000));
        shaper.push(filled(10'000), ms(0));
        QCOMPARE(shaper.nextReleaseTime(), std::optional<MonoTime>(ms(4)));
        QCOMPARE(shaper.releasable(ms(3.999)).size(), 0);
        QCOMPARE(shaper.releasable(ms(4)).size(), 4000);
        QCOMPARE(shaper.releasable(ms(8)).size(), 4000);
        QCOMPARE(shaper.nextReleaseTime(), std::optional<MonoTime>(ms(10)));
        QCOMPARE(shaper.releasable(ms(10)).size(), 2000);

        // Back to back pushes queue behind each other; an idle link starts at once.
        shaper.push(filled(1000), ms(20));
        shaper.push(filled(1000), ms(20));
        QCOMPARE(shaper.releasable(ms(21)).size(), 1000);
        QCOMPARE(shaper.releasable(ms(21.999)).size(), 0);
        QCOMPARE(shaper.releasable(ms(22)).size(), 1000);

        // Serialization comes before the propagation delay.
        LinkShaper delayed(LinkSettings{5, 0, 0, 1'000'000});
        delayed.push(filled(2000), ms(0));
        QCOMPARE(delayed.nextReleaseTime(), std::optional<MonoTime>(ms(7)));
    }

    void pieceSizeFollowsTheRate() {
        QCOMPARE(LinkShaper::maxPieceBytes(LinkSettings{}), std::size_t(0)); // no cap, no cut
        QCOMPARE(LinkShaper::maxPieceBytes(LinkSettings{0, 0, 0, 100'000}), std::size_t(1460));
        QCOMPARE(LinkShaper::maxPieceBytes(LinkSettings{0, 0, 0, 50'000'000}),
                 std::size_t(64 * 1024));
        LinkShaper unlimited;
        unlimited.push(filled(1'000'000), ms(0));
        QCOMPARE(unlimited.releasable(ms(0)).size(), 1'000'000);
    }

    void liveChangesApplyToNewBytes() {
        LinkShaper shaper(LinkSettings{100, 0, 0, 0});
        shaper.push("slow", ms(0));
        shaper.setSettings(LinkSettings{10, 0, 0, 0});
        QCOMPARE(shaper.settings().delayMs, 10.0);
        shaper.push("fast", ms(1)); // would be due at 11 ms: waits for the byte in flight
        QCOMPARE(shaper.releasable(ms(99)), QByteArray());
        QCOMPARE(shaper.releasable(ms(100)), QByteArray("slowfast"));
        shaper.push("later", ms(200));
        QCOMPARE(shaper.nextReleaseTime(), std::optional<MonoTime>(ms(210)));
        (void)shaper.releasable(ms(210));

        // A rate cap switched on takes effect with the next push.
        shaper.setSettings(LinkSettings{0, 0, 0, 1'000'000});
        shaper.push(filled(500), ms(300));
        QCOMPARE(shaper.nextReleaseTime(), std::optional<MonoTime>(ms(300.5)));
    }
};

QTEST_GUILESS_MAIN(TestLinkShaper)
#include "tst_link_shaper.moc"
