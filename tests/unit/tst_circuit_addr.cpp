// Circuit relay addresses: the relay part, the target, and a clear error naming the bad part
// for every malformed one.
#include "engine/core/circuit_addr.h"
#include "engine/core/keys.h"

#include <QTest>

using namespace peerscope;

namespace {
const std::string relayId = "12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE";
const std::string targetId = "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN";

Result<CircuitAddr> parse(const std::string& text) {
    Result<Multiaddr> addr = Multiaddr::parse(text);
    if (!addr)
        return makeError(addr.errorMessage());
    return CircuitAddr::parse(addr.value());
}
} // namespace

class TestCircuitAddr final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void fullAddress() {
        const std::string text =
            "/ip4/1.2.3.4/tcp/4001/p2p/" + relayId + "/p2p-circuit/p2p/" + targetId;
        Result<CircuitAddr> circuit = parse(text);
        QVERIFY2(circuit.ok(), circuit.ok() ? "" : circuit.errorMessage().c_str());
        QCOMPARE(circuit->relay.toBase58(), relayId);
        QCOMPARE(circuit->relayAddr.toString(), std::string("/ip4/1.2.3.4/tcp/4001"));
        QVERIFY(circuit->target);
        QCOMPARE(circuit->target->toBase58(), targetId);
        QCOMPARE(circuit->relayWithId().toString(), "/ip4/1.2.3.4/tcp/4001/p2p/" + relayId);
        QCOMPARE(circuit->toMultiaddr().toString(), text);
        QVERIFY(CircuitAddr::isCircuit(circuit->toMultiaddr()));
        QVERIFY(!CircuitAddr::isCircuit(circuit->relayWithId()));
    }

    void withoutTransportOrTarget() {
        Result<CircuitAddr> bare = parse("/p2p/" + relayId + "/p2p-circuit/p2p/" + targetId);
        QVERIFY(bare.ok());
        QVERIFY(bare->relayAddr.empty());
        Result<CircuitAddr> listen = parse("/ip6/::1/tcp/4001/p2p/" + relayId + "/p2p-circuit");
        QVERIFY(listen.ok());
        QVERIFY(!listen->target);
        QCOMPARE(listen->toMultiaddr().toString(),
                 "/ip6/::1/tcp/4001/p2p/" + relayId + "/p2p-circuit");
    }

    void relayAddressesAreChecked_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("idAlone");
        QTest::addColumn<QString>("problem"); // empty: a good relay address
        const QString r = QString::fromStdString(relayId);
        QTest::newRow("tcp") << "/ip4/1.2.3.4/tcp/4001/p2p/" + r << false << QString();
        QTest::newRow("dns") << "/dns4/relay.example/tcp/4001/p2p/" + r << false << QString();
        QTest::newRow("id alone, allowed") << "/p2p/" + r << true << QString();
        QTest::newRow("id alone") << "/p2p/" + r << false
                                  << "is not ip4, ip6 or dns, then tcp, then /p2p/<relay id>";
        QTest::newRow("no id") << "/ip4/1.2.3.4/tcp/4001" << true << "has no /p2p/<relay id>";
        QTest::newRow("udp") << "/ip4/1.2.3.4/udp/4001/p2p/" + r << true
                             << "is not ip4, ip6 or dns, then tcp, then /p2p/<relay id>";
        QTest::newRow("circuit") << "/ip4/1.2.3.4/tcp/4001/p2p/" + r + "/p2p-circuit" << true
                                 << "is a circuit address; a relay is reached directly";
    }

    void relayAddressesAreChecked() {
        QFETCH(QString, text);
        QFETCH(bool, idAlone);
        QFETCH(QString, problem);
        Result<Multiaddr> addr = Multiaddr::parse(text.toStdString());
        QVERIFY2(addr.ok(), addr.ok() ? "" : addr.errorMessage().c_str());
        QCOMPARE(QString::fromStdString(relayAddrProblem(*addr, idAlone)), problem);
    }

    void malformedAddressesNameTheBadPart_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("error");
        const QString r = QString::fromStdString(relayId), t = QString::fromStdString(targetId);
        QTest::newRow("no circuit") << "/ip4/1.2.3.4/tcp/4001/p2p/" + r << "no /p2p-circuit";
        QTest::newRow("relay without id")
            << "/ip4/1.2.3.4/tcp/4001/p2p-circuit/p2p/" + t << "must follow /p2p/<relay id>";
        QTest::newRow("circuit first") << "/p2p-circuit/p2p/" + t << "must follow /p2p/<relay id>";
        QTest::newRow("chain") << "/p2p/" + r + "/p2p-circuit/p2p/" + t + "/p2p-circuit/p2p/" + r
                               << "relay chains are not supported";
        QTest::newRow("transport after circuit") << "/p2p/" + r + "/p2p-circuit/ip4/1.2.3.4/tcp/1"
                                                 << "got /ip4/1.2.3.4/tcp/1";
        QTest::newRow("udp relay") << "/ip4/1.2.3.4/udp/4001/p2p/" + r + "/p2p-circuit"
                                   << "is not a TCP address";
        QTest::newRow("relay is target")
            << "/p2p/" + r + "/p2p-circuit/p2p/" + r << "the same peer";
        QTest::newRow("bad relay id") << "/p2p/notapeer/p2p-circuit"
                                      << "component 1 (p2p)";
    }
    void malformedAddressesNameTheBadPart() {
        QFETCH(QString, text);
        QFETCH(QString, error);
        Result<CircuitAddr> circuit = parse(text.toStdString());
        QVERIFY(!circuit.ok());
        QVERIFY2(QString::fromStdString(circuit.errorMessage()).contains(error),
                 circuit.errorMessage().c_str());
    }
};

QTEST_APPLESS_MAIN(TestCircuitAddr)
#include "tst_circuit_addr.moc"
