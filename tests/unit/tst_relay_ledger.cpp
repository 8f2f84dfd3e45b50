// The relay service's books: reservations with their TTL, per-IP and total limits, refreshes,
// circuits per peer and in total, and the unlimited circuits of trusted peers.
#include "engine/core/keys.h"
#include "engine/nat/relay_ledger.h"

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
} // namespace

class TestRelayLedger final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reservationLastsItsTtlAndARefreshMovesIt() {
        RelayServiceConfig config;
        config.reservationTtl = 3600s;
        RelayLedger ledger(config);
        const PeerId peer = newPeer();
        MonoTime expires{0};
        QCOMPARE(ledger.reserve(peer, "1.2.3.4", at(10s), &expires), RelayRefusal::None);
        QCOMPARE(expires, at(3610s));
        QVERIFY(ledger.hasReservation(peer, at(3609s)));
        QVERIFY(!ledger.hasReservation(peer, at(3610s)));
        QCOMPARE(ledger.reserve(peer, "1.2.3.4", at(1000s), &expires), RelayRefusal::None);
        QCOMPARE(expires, at(4600s));
        QCOMPARE(ledger.reservationCount(), std::size_t(1)); // a refresh, not a second one
        QCOMPARE(ledger.reservationsAt("1.2.3.4"), 1);
        QCOMPARE(ledger.expire(at(4599s)).size(), std::size_t(0));
        const std::vector<PeerId> gone = ledger.expire(at(4600s));
        QCOMPARE(gone.size(), std::size_t(1));
        QCOMPARE(gone.front(), peer);
        QCOMPARE(ledger.reservationCount(), std::size_t(0));
        QCOMPARE(ledger.reservationsAt("1.2.3.4"), 0);
    }

    void totalAndPerIpLimitsRefuse() {
        RelayServiceConfig config;
        config.maxReservations = 3;
        config.maxReservationsPerIp = 2;
        RelayLedger ledger(config);
        QCOMPARE(ledger.reserve(newPeer(), "10.0.0.1", at(0s), nullptr), RelayRefusal::None);
        QCOMPARE(ledger.reserve(newPeer(), "10.0.0.1", at(0s), nullptr), RelayRefusal::None);
        QCOMPARE(ledger.reserve(newPeer(), "10.0.0.1", at(0s), nullptr),
                 RelayRefusal::ReservationsPerIp);
        const PeerId third = newPeer();
        QCOMPARE(ledger.reserve(third, "10.0.0.2", at(0s), nullptr), RelayRefusal::None);
        QCOMPARE(ledger.reserve(newPeer(), "10.0.0.3", at(0s), nullptr),
                 RelayRefusal::Reservations);
        QCOMPARE(QString(relayRefusalName(RelayRefusal::Reservations)),
                 QStringLiteral("reservations"));
        // A dropped reservation (its connection closed) frees its slot.
        ledger.dropReservation(third);
        QCOMPARE(ledger.reserve(newPeer(), "10.0.0.3", at(0s), nullptr), RelayRefusal::None);
        // An expired one too, even before it is swept.
        QCOMPARE(ledger.reserve(newPeer(), "10.0.0.4", at(7200s), nullptr), RelayRefusal::None);
        QCOMPARE(ledger.expire(at(7200s)).size(), std::size_t(3));
        QCOMPARE(ledger.reservationCount(), std::size_t(1));
    }

    void refreshFromAnotherAddressCountsThere() {
        RelayServiceConfig config;
        config.maxReservationsPerIp = 1;
        RelayLedger ledger(config);
        const PeerId moving = newPeer();
        QCOMPARE(ledger.reserve(moving, "10.0.0.1", at(0s), nullptr), RelayRefusal::None);
        QCOMPARE(ledger.reserve(newPeer(), "10.0.0.2", at(0s), nullptr), RelayRefusal::None);
        QCOMPARE(ledger.reserve(moving, "10.0.0.2", at(1s), nullptr),
                 RelayRefusal::ReservationsPerIp);
        QVERIFY(ledger.hasReservation(moving, at(1s))); // the old one still stands
        QCOMPARE(ledger.reserve(moving, "10.0.0.3", at(1s), nullptr), RelayRefusal::None);
        QCOMPARE(ledger.reservationsAt("10.0.0.1"), 0);
        QCOMPARE(ledger.reservationsAt("10.0.0.3"), 1);
    }

    void circuitsNeedAReservationAndStayWithinLimits() {
        RelayServiceConfig config;
        config.maxCircuits = 3;
        config.maxCircuitsPerPeer = 2;
        RelayLedger ledger(config);
        const PeerId source = newPeer();
        const PeerId target = newPeer();
        const PeerId other = newPeer();
        QCOMPARE(ledger.openCircuit(source, target, at(0s)), RelayRefusal::NoReservation);
        QCOMPARE(ledger.reserve(target, "10.0.0.1", at(0s), nullptr), RelayRefusal::None);
        QCOMPARE(ledger.reserve(other, "10.0.0.2", at(0s), nullptr), RelayRefusal::None);
        QCOMPARE(ledger.openCircuit(source, target, at(1s)), RelayRefusal::None);
        QCOMPARE(ledger.openCircuit(source, target, at(1s)), RelayRefusal::None);
        QCOMPARE(ledger.circuitsOf(target), 2);
        QCOMPARE(ledger.openCircuit(newPeer(), target, at(1s)), RelayRefusal::CircuitsPerPeer);
        QCOMPARE(ledger.openCircuit(source, other, at(1s)), RelayRefusal::CircuitsPerPeer);
        QCOMPARE(ledger.openCircuit(newPeer(), other, at(1s)), RelayRefusal::None);
        QCOMPARE(ledger.openCircuit(newPeer(), other, at(1s)), RelayRefusal::Circuits);
        QCOMPARE(ledger.circuitCount(), std::size_t(3));
        ledger.closeCircuit(source, target);
        QCOMPARE(ledger.circuitsOf(source), 1);
        QCOMPARE(ledger.openCircuit(newPeer(), target, at(1s)), RelayRefusal::None);
        // Circuits to a peer whose reservation expired are refused.
        QCOMPARE(ledger.openCircuit(newPeer(), target, at(7200s)), RelayRefusal::NoReservation);
    }

    void trustedPeersGetNoLimit() {
        RelayServiceConfig config;
        const PeerId trusted = newPeer();
        config.trustedPeers = {trusted.toBase58()};
        RelayLedger ledger(config);
        const RelayLedger::CircuitLimit plain = ledger.limitFor(newPeer(), newPeer());
        QCOMPARE(plain.duration, 120s);
        QCOMPARE(plain.dataBytes, std::uint64_t(128 * 1024));
        const RelayLedger::CircuitLimit free = ledger.limitFor(newPeer(), trusted);
        QCOMPARE(free.duration, 0s);
        QCOMPARE(free.dataBytes, std::uint64_t(0));
        QCOMPARE(ledger.limitFor(trusted, newPeer()).dataBytes, std::uint64_t(0));
        // A new config takes trust away.
        ledger.setConfig(RelayServiceConfig{});
        QCOMPARE(ledger.limitFor(trusted, newPeer()).dataBytes, std::uint64_t(128 * 1024));
    }
};

QTEST_APPLESS_MAIN(TestRelayLedger)
#include "tst_relay_ledger.moc"
