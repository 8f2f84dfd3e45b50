#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/protocol/autonat_rate_limiter.h"

#include <QtTest>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {

PeerId peerNumber(int n) {
    return PeerId::fromPublicKey(
        PrivateKey::fromEd25519Seed(Bytes(32, static_cast<std::uint8_t>(n))).value().publicKey());
}

} // namespace

class TestAutonatRateLimiter final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void threePerPeerPerMinute() {
        ManualClock clock;
        AutonatRateLimiter limiter;
        const PeerId peer = peerNumber(1);
        for (int i = 0; i < 3; ++i) {
            QVERIFY(limiter.allow(peer, clock.now()));
            clock.advance(10s);
        }
        QVERIFY(!limiter.allow(peer, clock.now()));         // 4th within the minute
        QVERIFY(limiter.allow(peerNumber(2), clock.now())); // another peer is not affected
        QCOMPARE(limiter.servedInWindow(peer, clock.now()), std::size_t(3));
        // The first request was at 0s: at 60s it no longer counts.
        clock.set(MonoTime(59s));
        QVERIFY(!limiter.allow(peer, clock.now()));
        clock.set(MonoTime(60s));
        QVERIFY(limiter.allow(peer, clock.now()));
        QVERIFY(!limiter.allow(peer, clock.now()));
    }

    void thirtyInTotalPerMinute() {
        ManualClock clock;
        AutonatRateLimiter limiter;
        for (int n = 0; n < 30; ++n) {
            QVERIFY(limiter.allow(peerNumber(n), clock.now()));
            clock.advance(1s);
        }
        QCOMPARE(limiter.servedInWindow(clock.now()), std::size_t(30));
        QVERIFY(!limiter.allow(peerNumber(100), clock.now())); // a fresh peer, but the total is up
        clock.set(MonoTime(60s));                              // the request at 0s expires
        QVERIFY(limiter.allow(peerNumber(100), clock.now()));
        QVERIFY(!limiter.allow(peerNumber(101), clock.now()));
    }

    void refusalsDoNotCount() {
        ManualClock clock;
        AutonatRateLimiter limiter;
        const PeerId peer = peerNumber(1);
        for (int i = 0; i < 3; ++i)
            QVERIFY(limiter.allow(peer, clock.now()));
        for (int i = 0; i < 100; ++i)
            QVERIFY(!limiter.allow(peer, clock.now()));
        QCOMPARE(limiter.servedInWindow(clock.now()), std::size_t(3));
        clock.advance(1min);
        QCOMPARE(limiter.servedInWindow(clock.now()), std::size_t(0));
        QCOMPARE(limiter.servedInWindow(peer, clock.now()), std::size_t(0));
        for (int i = 0; i < 3; ++i)
            QVERIFY(limiter.allow(peer, clock.now()));
    }

    void otherLimits() {
        ManualClock clock;
        AutonatRateLimiter limiter(AutonatRateLimiter::Limits{2, 1, 10s});
        QVERIFY(limiter.allow(peerNumber(1), clock.now()));
        QVERIFY(!limiter.allow(peerNumber(1), clock.now()));
        QVERIFY(limiter.allow(peerNumber(2), clock.now()));
        QVERIFY(!limiter.allow(peerNumber(3), clock.now()));
        clock.advance(10s);
        QVERIFY(limiter.allow(peerNumber(3), clock.now()));
    }
};

QTEST_GUILESS_MAIN(TestAutonatRateLimiter)
#include "tst_autonat_rate_limiter.moc"
