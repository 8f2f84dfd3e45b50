// Each strategy's choice over a fixed set of connections with known loads, scores and RTTs.
#include "engine/pool/load_balancer.h"

#include <QTest>

using namespace peerscope;
using namespace std::chrono;
using Ids = std::vector<std::uint64_t>;

namespace {

// id, streams, score, rtt (ms; negative = none yet)
ConnectionCandidate make(std::uint64_t id, std::size_t streams, double score, int rttMs) {
    ConnectionCandidate c;
    c.id = id;
    c.activeStreams = streams;
    c.healthScore = score;
    if (rttMs >= 0)
        c.smoothedRtt = milliseconds(rttMs);
    return c;
}

const std::vector<ConnectionCandidate> fixedSet{
    make(7, 4, 0.90, 30), // busiest, healthy, middling RTT
    make(3, 1, 0.40, 80), // least loaded, weak, slow
    make(5, 2, 0.95, 12), // healthiest, fastest
    make(9, 1, 0.95, -1), // ties 3 on load and 5 on score, not measured yet
};

} // namespace

class TestLoadBalancer final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void roundRobinCyclesInIdOrder() {
        LoadBalancer balancer;
        Ids picks;
        for (int i = 0; i < 6; ++i)
            picks.push_back(*balancer.pick(LoadBalancingStrategy::RoundRobin, fixedSet));
        QCOMPARE(picks, (Ids{3, 5, 7, 9, 3, 5}));
    }

    void roundRobinSurvivesAClosedConnection() {
        LoadBalancer balancer;
        QCOMPARE(*balancer.pick(LoadBalancingStrategy::RoundRobin, fixedSet), 3u);
        QCOMPARE(*balancer.pick(LoadBalancingStrategy::RoundRobin, fixedSet), 5u);
        // 7 goes away: the cursor moves on to the next id after 5.
        std::vector<ConnectionCandidate> without7{fixedSet[1], fixedSet[2], fixedSet[3]};
        QCOMPARE(*balancer.pick(LoadBalancingStrategy::RoundRobin, without7), 9u);
        QCOMPARE(*balancer.pick(LoadBalancingStrategy::RoundRobin, without7), 3u);
    }

    void leastLoadedTakesFewestStreamsLowestIdOnTies() {
        LoadBalancer balancer;
        QCOMPARE(balancer.order(LoadBalancingStrategy::LeastLoaded, fixedSet), (Ids{3, 9, 5, 7}));
    }

    void healthBasedTakesHighestScoreLowestIdOnTies() {
        LoadBalancer balancer;
        QCOMPARE(balancer.order(LoadBalancingStrategy::HealthBased, fixedSet), (Ids{5, 9, 7, 3}));
    }

    void latencyBasedTakesLowestRttUnmeasuredLast() {
        LoadBalancer balancer;
        QCOMPARE(balancer.order(LoadBalancingStrategy::LatencyBased, fixedSet), (Ids{5, 7, 3, 9}));
    }

    void unusableCandidatesAreNeverPicked() {
        std::vector<ConnectionCandidate> set = fixedSet;
        set[2].usable = false; // 5
        LoadBalancer balancer;
        QCOMPARE(*balancer.pick(LoadBalancingStrategy::HealthBased, set), 9u);
        QCOMPARE(*balancer.pick(LoadBalancingStrategy::LatencyBased, set), 7u);
        for (ConnectionCandidate& c : set)
            c.usable = false;
        QVERIFY(!balancer.pick(LoadBalancingStrategy::RoundRobin, set));
        QVERIFY(balancer.order(LoadBalancingStrategy::LeastLoaded, set).empty());
    }

    void strategyNamesRoundTrip() {
        for (const std::string& name : loadBalancingStrategyNames()) {
            std::optional<LoadBalancingStrategy> strategy = loadBalancingStrategyFromName(name);
            QVERIFY(strategy);
            QCOMPARE(std::string(loadBalancingStrategyName(*strategy)), name);
        }
        QVERIFY(!loadBalancingStrategyFromName("random"));
    }
};

QTEST_APPLESS_MAIN(TestLoadBalancer)
#include "tst_load_balancer.moc"
