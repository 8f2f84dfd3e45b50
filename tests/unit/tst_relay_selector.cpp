// The relay manager's choices: free places by round trip, failover, the preferred relay, and
// automatic switching with its hysteresis (consecutive slow probes, a clearly better
// candidate, one switch per relay per 5 minutes).
#include "engine/core/keys.h"
#include "engine/nat/relay_selector.h"

#include <QTest>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {
PeerId newPeer() {
    return PeerId::fromPublicKey(PrivateKey::generateEd25519().publicKey());
}
MonoTime at(std::chrono::seconds s) {
    return std::chrono::duration_cast<MonoTime>(s);
}
bool holds(const RelaySelector& selector, const PeerId& peer) {
    const std::vector<PeerId> held = selector.held();
    return std::find(held.begin(), held.end(), peer) != held.end();
}
} // namespace

class TestRelaySelector final : public QObject {
    Q_OBJECT

private:
    // Three usable relays with round trips 30, 80 and 150 ms.
    struct Three {
        RelaySelector selector{RelaySelector::Config{}};
        PeerId fast = newPeer(), middle = newPeer(), slow = newPeer();
        Three() {
            for (const auto& [peer, rtt] :
                 {std::pair{fast, 30.0}, std::pair{middle, 80.0}, std::pair{slow, 150.0}}) {
                selector.addRelay(peer, RelaySelector::Source::Static);
                selector.setUsable(peer, true);
                selector.observeProbe(peer, rtt);
            }
        }
    };

private Q_SLOTS:
    void freePlacesGoToTheFastest() {
        Three t;
        const auto changes = t.selector.decide(at(0s));
        QCOMPARE(changes.size(), std::size_t(2));
        QVERIFY(holds(t.selector, t.fast));
        QVERIFY(holds(t.selector, t.middle));
        QVERIFY(!holds(t.selector, t.slow));
        QCOMPARE(changes.front().reason, std::string("a free place"));
        QVERIFY(t.selector.decide(at(1s)).empty()); // stable
    }

    void unmeasuredAndUnusableRelaysComeLast() {
        RelaySelector selector{RelaySelector::Config{1}};
        const PeerId measured = newPeer(), unmeasured = newPeer(), down = newPeer();
        selector.addRelay(unmeasured, RelaySelector::Source::Static);
        selector.addRelay(measured, RelaySelector::Source::Automatic);
        selector.addRelay(down, RelaySelector::Source::Static);
        selector.setUsable(unmeasured, true);
        selector.setUsable(measured, true);
        selector.observeProbe(measured, 120.0);
        selector.observeProbe(down, 5.0); // fast, but not connected
        selector.decide(at(0s));
        QCOMPARE(selector.held(), std::vector<PeerId>{measured});
    }

    void unreachableRelayIsReplacedAtOnce() {
        Three t;
        t.selector.decide(at(0s));
        t.selector.setUsable(t.fast, false);
        const auto changes = t.selector.decide(at(1s)); // no 5-minute wait for a failover
        QCOMPARE(changes.size(), std::size_t(1));
        QCOMPARE(changes.front().release, std::optional<PeerId>(t.fast));
        QCOMPARE(changes.front().take, std::optional<PeerId>(t.slow));
        QVERIFY(QString::fromStdString(changes.front().reason).contains("unreachable"));
    }

    void preferredRelayWinsUnlessUnreachable() {
        Three t;
        t.selector.decide(at(0s));
        t.selector.setPreferred(t.slow);
        const auto changes = t.selector.decide(at(1s));
        QCOMPARE(changes.size(), std::size_t(1));
        QCOMPARE(changes.front().take, std::optional<PeerId>(t.slow));
        QCOMPARE(changes.front().release, std::optional<PeerId>(t.middle)); // the slowest other
        QCOMPARE(changes.front().reason, std::string("preferred by the user"));
        // Slow for long: still kept, it is the user's pick.
        for (int i = 0; i < 10; ++i)
            t.selector.observeProbe(t.slow, 400.0);
        t.selector.observeProbe(t.middle, 20.0);
        QVERIFY(t.selector.decide(at(1000s)).empty());
        QVERIFY(holds(t.selector, t.slow));
        // Unreachable: replaced, and back once it answers again.
        t.selector.setUsable(t.slow, false);
        t.selector.decide(at(1001s));
        QVERIFY(!holds(t.selector, t.slow));
        QVERIFY(holds(t.selector, t.middle));
        t.selector.setUsable(t.slow, true);
        t.selector.decide(at(1002s));
        QVERIFY(holds(t.selector, t.slow));
    }

    void slowRelaySwitchesAfterConsecutiveProbes() {
        RelaySelector selector{RelaySelector::Config{1, 200, 3}};
        const PeerId current = newPeer(), better = newPeer();
        for (const PeerId& p : {current, better}) {
            selector.addRelay(p, RelaySelector::Source::Static);
            selector.setUsable(p, true);
        }
        selector.observeProbe(current, 50.0);
        selector.decide(at(0s));
        QCOMPARE(selector.held(), std::vector<PeerId>{current});
        selector.observeProbe(better, 60.0);
        // Two slow probes, then a fast one: the count starts again.
        selector.observeProbe(current, 250.0);
        selector.observeProbe(current, 260.0);
        selector.observeProbe(current, 90.0);
        selector.observeProbe(current, 250.0);
        selector.observeProbe(current, 250.0);
        QVERIFY(selector.decide(at(10s)).empty());
        selector.observeProbe(current, 270.0);
        const auto changes = selector.decide(at(11s));
        QCOMPARE(changes.size(), std::size_t(1));
        QCOMPARE(changes.front().take, std::optional<PeerId>(better));
        QCOMPARE(changes.front().release, std::optional<PeerId>(current));
        QVERIFY2(QString::fromStdString(changes.front().reason).contains("above 200 ms for 3"),
                 changes.front().reason.c_str());
        QVERIFY(QString::fromStdString(changes.front().reason).contains("270 ms"));
    }

    void onlySlightlyBetterDoesNotSwitch() {
        RelaySelector selector{RelaySelector::Config{1, 200, 3}};
        const PeerId current = newPeer(), candidate = newPeer();
        for (const PeerId& p : {current, candidate}) {
            selector.addRelay(p, RelaySelector::Source::Static);
            selector.setUsable(p, true);
        }
        selector.observeProbe(current, 10.0);
        selector.decide(at(0s));
        // 300 ms against 210 ms: 90 ms faster but not under 2/3 (200 ms).
        selector.observeProbe(candidate, 210.0);
        for (int i = 0; i < 5; ++i)
            selector.observeProbe(current, 300.0);
        QVERIFY(selector.decide(at(60s)).empty());
        // 195 ms is under 2/3 of 300: now it is clearly better.
        selector.observeProbe(candidate, 195.0);
        QCOMPARE(selector.decide(at(61s)).size(), std::size_t(1));
        QCOMPARE(selector.held(), std::vector<PeerId>{candidate});
    }

    void atMostOneSwitchPerRelayPerFiveMinutes() {
        RelaySelector selector{RelaySelector::Config{1, 200, 1}};
        const PeerId a = newPeer(), b = newPeer(), c = newPeer();
        for (const PeerId& p : {a, b, c}) {
            selector.addRelay(p, RelaySelector::Source::Static);
            selector.setUsable(p, true);
        }
        selector.observeProbe(a, 10.0);
        selector.observeProbe(b, 50.0);
        selector.observeProbe(c, 60.0);
        selector.decide(at(0s));
        QCOMPARE(selector.held(), std::vector<PeerId>{a});
        selector.observeProbe(a, 500.0);
        QCOMPARE(selector.decide(at(100s)).size(), std::size_t(1)); // a -> b
        QCOMPARE(selector.held(), std::vector<PeerId>{b});
        selector.observeProbe(b, 500.0);
        QVERIFY(selector.decide(at(200s)).empty()); // b switched 100 s ago
        selector.observeProbe(b, 500.0);
        QCOMPARE(selector.decide(at(401s)).size(), std::size_t(1)); // 301 s later: b -> c
        QCOMPARE(selector.held(), std::vector<PeerId>{c});
    }

    void unansweredProbesCountAsSlow() {
        RelaySelector selector{RelaySelector::Config{1, 200, 2}};
        const PeerId current = newPeer(), other = newPeer();
        for (const PeerId& p : {current, other}) {
            selector.addRelay(p, RelaySelector::Source::Static);
            selector.setUsable(p, true);
        }
        selector.observeProbe(current, 20.0);
        selector.observeProbe(other, 150.0);
        selector.decide(at(0s));
        QCOMPARE(selector.held(), std::vector<PeerId>{current});
        selector.observeProbe(current, std::nullopt);
        selector.observeProbe(current, std::nullopt);
        const auto changes = selector.decide(at(30s));
        QCOMPARE(changes.size(), std::size_t(1));
        QVERIFY(QString::fromStdString(changes.front().reason).contains("unanswered"));
    }

    void removedRelayIsForgotten() {
        Three t;
        t.selector.setPreferred(t.fast);
        t.selector.removeRelay(t.fast);
        QVERIFY(!t.selector.preferred());
        QVERIFY(!t.selector.hasRelay(t.fast));
        t.selector.decide(at(0s));
        QVERIFY(holds(t.selector, t.middle) && holds(t.selector, t.slow));
    }
};

QTEST_APPLESS_MAIN(TestRelaySelector)
#include "tst_relay_selector.moc"
