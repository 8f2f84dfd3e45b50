#include "support/model_spies.h"
#include "ui/models/peer_table_model.h"

#include <QAbstractItemModelTester>
#include <QBrush>
#include <QColor>
#include <QItemSelectionModel>
#include <QLocale>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

// Peer ids that sort in the order of their number.
QString peerIdFor(int n) {
    return QStringLiteral("12D3KooWTestPeer%1xxxxxxxxxxxxxxxxxxxxxxxx").arg(n, 4, 10, QChar('0'));
}

PeerSnapshot makePeer(int n, quint64 bytesIn = 1000, quint64 bytesOut = 500) {
    PeerSnapshot peer;
    peer.peerId = peerIdFor(n);
    peer.agentVersion = QStringLiteral("test-agent/%1").arg(n);
    peer.protocolVersion = QStringLiteral("ipfs/0.1.0");
    peer.protocols = {QStringLiteral("/ipfs/id/1.0.0"), QStringLiteral("/ipfs/ping/1.0.0")};
    peer.identified = true;
    peer.lastPingRttMs = 1.5 + n;
    ConnectionSnapshot connection;
    connection.id = static_cast<quint64>(n);
    connection.peerId = peer.peerId;
    connection.direction = n % 2 ? QStringLiteral("inbound") : QStringLiteral("outbound");
    connection.remoteAddr = QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(40000 + n);
    connection.localAddr = QStringLiteral("/ip4/127.0.0.1/tcp/4001");
    connection.muxer = QStringLiteral("/yamux/1.0.0");
    connection.streams = 2;
    connection.bytesIn = bytesIn;
    connection.bytesOut = bytesOut;
    peer.connections << connection;
    return peer;
}

NodeSnapshot makeSnapshot(const QList<PeerSnapshot>& peers) {
    NodeSnapshot snapshot;
    snapshot.peerId = QStringLiteral("12D3KooWSelf");
    snapshot.peers = peers;
    return snapshot;
}

} // namespace

class TestPeerTableModel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        // Display strings ("3.0 MiB") are locale-formatted.
        QLocale::setDefault(QLocale::c());
    }

    void init() {
        model_ = std::make_unique<PeerTableModel>();
        tester_ = std::make_unique<QAbstractItemModelTester>(
            model_.get(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    }

    void cleanup() {
        tester_.reset();
        model_.reset();
    }

    void displaysColumns() {
        PeerSnapshot peer = makePeer(1, 3 * 1024 * 1024, 42);
        ConnectionSnapshot second = peer.connections.first();
        second.id = 99;
        second.direction = QStringLiteral("outbound");
        second.remoteAddr = QStringLiteral("/ip4/10.0.0.1/tcp/1");
        second.bytesIn = 0;
        second.bytesOut = 0;
        peer.connections << second;
        model_->applySnapshot(makeSnapshot({peer}));
        QCOMPARE(model_->rowCount(), 1);

        const auto cell = [this](int column, int role = Qt::DisplayRole) {
            return model_->index(0, column).data(role);
        };
        QCOMPARE(cell(PeerTableModel::PeerColumn).toString(), QStringLiteral("12D3…xxxxxx"));
        QCOMPARE(cell(PeerTableModel::PeerColumn, Qt::ToolTipRole).toString(), peerIdFor(1));
        QCOMPARE(cell(PeerTableModel::PeerColumn, Qt::UserRole).toString(), peerIdFor(1));
        QCOMPARE(cell(PeerTableModel::BytesOutColumn, Qt::UserRole).toString(), peerIdFor(1));
        QCOMPARE(cell(PeerTableModel::AgentColumn).toString(), QStringLiteral("test-agent/1"));
        QCOMPARE(cell(PeerTableModel::ConnectionsColumn).toInt(), 2);
        QCOMPARE(cell(PeerTableModel::DirectionColumn).toString(), QStringLiteral("both"));
        QCOMPARE(cell(PeerTableModel::RemoteAddressColumn).toString(),
                 QStringLiteral("/ip4/127.0.0.1/tcp/40001"));
        QCOMPARE(cell(PeerTableModel::RttColumn).toString(), QStringLiteral("2.5 ms"));
        QCOMPARE(cell(PeerTableModel::StreamsColumn).toInt(), 4);
        QCOMPARE(cell(PeerTableModel::BytesInColumn).toString(), QStringLiteral("3.0 MiB"));
        QCOMPARE(cell(PeerTableModel::BytesInColumn, PeerTableModel::SortRole).toULongLong(),
                 3ull * 1024 * 1024);
        QCOMPARE(cell(PeerTableModel::BytesOutColumn).toString(), QStringLiteral("42 bytes"));
        QCOMPARE(cell(PeerTableModel::ProtocolsColumn).toInt(), 2);
        QVERIFY(cell(PeerTableModel::ProtocolsColumn, Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("/ipfs/ping/1.0.0")));

        peer.lastPingRttMs.reset();
        model_->applySnapshot(makeSnapshot({peer}));
        QCOMPARE(cell(PeerTableModel::RttColumn).toString(), QStringLiteral("—"));
        QVERIFY(!cell(PeerTableModel::RttColumn, PeerTableModel::SortRole).isValid());

        for (int column = 0; column < PeerTableModel::ColumnCount; ++column) {
            QVERIFY(!model_->headerData(column, Qt::Horizontal).toString().isEmpty());
            QVERIFY(
                !model_->headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
        }
    }

    void sameSnapshotTwiceEmitsNothing() {
        const NodeSnapshot snapshot = makeSnapshot({makePeer(1), makePeer(2), makePeer(3)});
        model_->applySnapshot(snapshot);
        test::ModelSpies spies(model_.get());
        model_->applySnapshot(snapshot);
        model_->applySnapshot(snapshot);
        QCOMPARE(spies.inserted.count(), 0);
        QCOMPARE(spies.removed.count(), 0);
        QCOMPARE(spies.changed.count(), 0);
        QCOMPARE(spies.reset.count(), 0);
        QCOMPARE(spies.layout.count(), 0);
    }

    void changedRttEmitsOneCell() {
        QList<PeerSnapshot> peers{makePeer(1), makePeer(2), makePeer(3)};
        model_->applySnapshot(makeSnapshot(peers));
        test::ModelSpies spies(model_.get());

        peers[1].lastPingRttMs = 42.125;
        model_->applySnapshot(makeSnapshot(peers));
        QCOMPARE(spies.changed.count(), 1);
        const auto topLeft = spies.changed.at(0).at(0).value<QModelIndex>();
        const auto bottomRight = spies.changed.at(0).at(1).value<QModelIndex>();
        const int row = model_->rowOfPeer(peerIdFor(2));
        QCOMPARE(row, 1);
        QCOMPARE(topLeft, model_->index(row, PeerTableModel::RttColumn));
        QCOMPARE(bottomRight, model_->index(row, PeerTableModel::RttColumn));
        // 1 decimal, and the trend arrow now that there are two measurements.
        QCOMPARE(model_->index(row, PeerTableModel::RttColumn).data().toString(),
                 QStringLiteral("↑ 42.1 ms"));
        QCOMPARE(spies.inserted.count(), 0);
        QCOMPARE(spies.removed.count(), 0);
        QCOMPARE(spies.reset.count(), 0);
    }

    void changedBytesEmitsOnlyThoseColumns() {
        QList<PeerSnapshot> peers{makePeer(1), makePeer(2), makePeer(3)};
        model_->applySnapshot(makeSnapshot(peers));
        test::ModelSpies spies(model_.get());

        peers[2].connections[0].bytesIn += 10;
        peers[2].connections[0].bytesOut += 10;
        model_->applySnapshot(makeSnapshot(peers));
        QCOMPARE(spies.changed.count(), 1);
        QCOMPARE(spies.changed.at(0).at(0).value<QModelIndex>(),
                 model_->index(2, PeerTableModel::BytesInColumn));
        QCOMPARE(spies.changed.at(0).at(1).value<QModelIndex>(),
                 model_->index(2, PeerTableModel::BytesOutColumn));
    }

    void addAndRemovePeers() {
        model_->applySnapshot(makeSnapshot({makePeer(2), makePeer(4), makePeer(6)}));
        QCOMPARE(model_->rowCount(), 3);
        test::ModelSpies spies(model_.get());

        // Peer 1 goes before everything, 5 between 4 and 6; 4 leaves.
        model_->applySnapshot(makeSnapshot({makePeer(6), makePeer(5), makePeer(2), makePeer(1)}));
        QCOMPARE(spies.reset.count(), 0);
        QCOMPARE(spies.layout.count(), 0);
        QCOMPARE(spies.changed.count(), 0);
        QCOMPARE(spies.removed.count(), 1);
        QCOMPARE(spies.removed.at(0).at(1).toInt(), 1); // peer 4's row
        QCOMPARE(spies.removed.at(0).at(2).toInt(), 1);
        QCOMPARE(spies.inserted.count(), 2);
        QCOMPARE(spies.inserted.at(0).at(1).toInt(), 0); // peer 1
        QCOMPARE(spies.inserted.at(0).at(2).toInt(), 0);
        QCOMPARE(spies.inserted.at(1).at(1).toInt(), 2); // peer 5, after 1 and 2
        QCOMPARE(spies.inserted.at(1).at(2).toInt(), 2);

        QCOMPARE(model_->rowCount(), 4);
        const QStringList expected{peerIdFor(1), peerIdFor(2), peerIdFor(5), peerIdFor(6)};
        for (int row = 0; row < model_->rowCount(); ++row) {
            QCOMPARE(model_->index(row, 0).data(Qt::UserRole).toString(), expected.at(row));
            QCOMPARE(model_->rowOfPeer(expected.at(row)), row);
        }
        QCOMPARE(model_->rowOfPeer(peerIdFor(4)), -1);

        // Everything leaves: one removal of the whole range.
        spies.clear();
        model_->applySnapshot(makeSnapshot({}));
        QCOMPARE(spies.removed.count(), 1);
        QCOMPARE(spies.removed.at(0).at(1).toInt(), 0);
        QCOMPARE(spies.removed.at(0).at(2).toInt(), 3);
        QCOMPARE(spies.reset.count(), 0);
        QCOMPARE(model_->rowCount(), 0);
    }

    void peersWithoutConnectionsAreHidden() {
        PeerSnapshot known = makePeer(7);
        known.connections.clear();
        model_->applySnapshot(makeSnapshot({makePeer(1), known}));
        QCOMPARE(model_->rowCount(), 1);
        QCOMPARE(model_->rowOfPeer(peerIdFor(7)), -1);

        // Disconnecting while still known removes the row.
        test::ModelSpies spies(model_.get());
        PeerSnapshot gone = makePeer(1);
        gone.connections.clear();
        model_->applySnapshot(makeSnapshot({gone, known}));
        QCOMPARE(spies.removed.count(), 1);
        QCOMPARE(model_->rowCount(), 0);
    }

    void selectionFollowsPeer() {
        QList<PeerSnapshot> peers{makePeer(3), makePeer(5)};
        model_->applySnapshot(makeSnapshot(peers));
        QItemSelectionModel selection(model_.get());
        const int row = model_->rowOfPeer(peerIdFor(5));
        QCOMPARE(row, 1);
        selection.select(model_->index(row, 0),
                         QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        selection.setCurrentIndex(model_->index(row, 0), QItemSelectionModel::NoUpdate);

        // Two peers arrive before the selected one, one of them changes its RTT too.
        peers << makePeer(1) << makePeer(4);
        peers[1].lastPingRttMs = 77.0;
        model_->applySnapshot(makeSnapshot(peers));
        QCOMPARE(model_->rowOfPeer(peerIdFor(5)), 3);

        const QModelIndexList rows = selection.selectedRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first().row(), 3);
        QCOMPARE(rows.first().data(Qt::UserRole).toString(), peerIdFor(5));
        QCOMPARE(selection.currentIndex().data(Qt::UserRole).toString(), peerIdFor(5));
    }

    void numericSortThroughProxy() {
        // Display strings sort wrongly as text ("900 bytes" > "2.0 KiB" > "10.0 KiB").
        model_->applySnapshot(makeSnapshot(
            {makePeer(1, 2 * 1024), makePeer(2, 900), makePeer(3, 10 * 1024), makePeer(4, 5)}));
        QSortFilterProxyModel proxy;
        QAbstractItemModelTester proxyTester(&proxy,
                                             QAbstractItemModelTester::FailureReportingMode::Fatal);
        proxy.setSourceModel(model_.get());
        proxy.setSortRole(PeerTableModel::SortRole);
        proxy.sort(PeerTableModel::BytesInColumn, Qt::AscendingOrder);

        const auto order = [&proxy] {
            QList<quint64> values;
            for (int row = 0; row < proxy.rowCount(); ++row)
                values << proxy.index(row, PeerTableModel::BytesInColumn)
                              .data(PeerTableModel::SortRole)
                              .toULongLong();
            return values;
        };
        QCOMPARE(order(), (QList<quint64>{5, 900, 2 * 1024, 10 * 1024}));
        QCOMPARE(proxy.index(0, PeerTableModel::PeerColumn).data(Qt::UserRole).toString(),
                 peerIdFor(4));

        // A live update re-sorts through the proxy: peer 4 becomes the largest.
        model_->applySnapshot(makeSnapshot({makePeer(1, 2 * 1024), makePeer(2, 900),
                                            makePeer(3, 10 * 1024), makePeer(4, 1 << 20)}));
        QCOMPARE(order(), (QList<quint64>{900, 2 * 1024, 10 * 1024, 1 << 20}));

        // Unmeasured RTT sorts after every measured one.
        PeerSnapshot unmeasured = makePeer(1, 2 * 1024);
        unmeasured.lastPingRttMs.reset();
        PeerSnapshot slow = makePeer(2, 900);
        slow.lastPingRttMs = 100.0;
        PeerSnapshot fast = makePeer(3, 10 * 1024);
        fast.lastPingRttMs = 9.5;
        model_->applySnapshot(makeSnapshot({unmeasured, slow, fast}));
        proxy.sort(PeerTableModel::RttColumn, Qt::AscendingOrder);
        QCOMPARE(proxy.index(0, 0).data(Qt::UserRole).toString(), peerIdFor(3));
        QCOMPARE(proxy.index(1, 0).data(Qt::UserRole).toString(), peerIdFor(2));
        QCOMPARE(proxy.index(2, 0).data(Qt::UserRole).toString(), peerIdFor(1));
    }

    void filterMatchesFullIdAndProtocols() {
        PeerSnapshot special = makePeer(2);
        special.protocols << QStringLiteral("/libp2p/circuit/relay/0.2.0/hop");
        model_->applySnapshot(makeSnapshot({makePeer(1), special, makePeer(3)}));
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(model_.get());
        proxy.setFilterRole(PeerTableModel::FilterRole);
        proxy.setFilterKeyColumn(-1);
        proxy.setFilterCaseSensitivity(Qt::CaseInsensitive);
        proxy.setFilterFixedString(QStringLiteral("CIRCUIT/relay"));
        QCOMPARE(proxy.rowCount(), 1);
        QCOMPARE(proxy.index(0, 0).data(Qt::UserRole).toString(), peerIdFor(2));
        // Middle of the full id, not visible in the short form.
        proxy.setFilterFixedString(QStringLiteral("TestPeer0003"));
        QCOMPARE(proxy.rowCount(), 1);
        QCOMPARE(proxy.index(0, 0).data(Qt::UserRole).toString(), peerIdFor(3));
    }

    void aggregatesOverConnections() {
        PeerSnapshot peer = makePeer(1);
        ConnectionSnapshot& first = peer.connections[0];
        first.direction = QStringLiteral("inbound");
        first.rttSmoothedMs = 30.0;
        first.healthScore = 0.9;
        first.rateIn.perSecond[0] = 1024;
        first.rateOut.perSecond[0] = 100;
        ConnectionSnapshot second = first;
        second.id = 50;
        second.direction = QStringLiteral("inbound");
        second.rttSmoothedMs = 12.26;
        second.healthScore = 0.4;
        second.healthState = QStringLiteral("degraded");
        second.rateIn.perSecond[0] = 2048;
        second.rateOut.perSecond[0] = 0.5;
        ConnectionSnapshot third = first;
        third.id = 51;
        third.direction = QStringLiteral("inbound");
        third.rttSmoothedMs.reset(); // not probed yet: does not count for the best RTT
        third.healthScore = 0.7;
        third.rateIn.perSecond[0] = 0;
        third.rateOut.perSecond[0] = 0;
        peer.connections << second << third;
        model_->applySnapshot(makeSnapshot({peer}));

        const auto cell = [this](int column, int role = Qt::DisplayRole) {
            return model_->index(0, column).data(role);
        };
        QCOMPARE(cell(PeerTableModel::DirectionColumn).toString(), QStringLiteral("inbound"));
        QCOMPARE(cell(PeerTableModel::PathColumn).toString(), QStringLiteral("direct"));
        // Best smoothed RTT wins over the last ping (2.5 ms).
        QCOMPARE(cell(PeerTableModel::RttColumn).toString(), QStringLiteral("12.3 ms"));
        QCOMPARE(cell(PeerTableModel::RttColumn, PeerTableModel::SortRole).toDouble(), 12.26);
        QCOMPARE(cell(PeerTableModel::RttColumn, PeerTableModel::TrendRole).toInt(), 0);
        // Lowest score, worst state.
        QCOMPARE(cell(PeerTableModel::HealthColumn, PeerTableModel::HealthRole).toDouble(), 0.4);
        QCOMPARE(cell(PeerTableModel::HealthColumn, PeerTableModel::SortRole).toDouble(), 0.4);
        QCOMPARE(cell(PeerTableModel::HealthColumn).toString(), QStringLiteral("0.40"));
        QVERIFY(!cell(PeerTableModel::StateColumn, PeerTableModel::HealthRole).isValid());
        QCOMPARE(cell(PeerTableModel::StateColumn).toString(), QStringLiteral("degraded"));
        QVERIFY(cell(PeerTableModel::PeerColumn, Qt::BackgroundRole).isValid());
        // Rates: sums of the 1 s rates.
        QCOMPARE(cell(PeerTableModel::RateInColumn).toString(), QStringLiteral("3.0 KiB/s"));
        QCOMPARE(cell(PeerTableModel::RateInColumn, PeerTableModel::SortRole).toDouble(), 3072.0);
        QCOMPARE(cell(PeerTableModel::RateOutColumn, PeerTableModel::SortRole).toDouble(), 100.5);
        QCOMPARE(cell(PeerTableModel::RateOutColumn).toString(), QStringLiteral("101 bytes/s"));
        QCOMPARE(cell(PeerTableModel::ConnectionsColumn).toInt(), 3);

        // Every connection failed: the worst state, and the row is tinted.
        for (ConnectionSnapshot& connection : peer.connections) {
            connection.healthState = QStringLiteral("failed");
            connection.healthScore = 0.0;
        }
        peer.connections[0].direction = QStringLiteral("outbound");
        peer.connections[1].direction = QStringLiteral("outbound");
        peer.connections[2].direction = QStringLiteral("outbound");
        model_->applySnapshot(makeSnapshot({peer}));
        QCOMPARE(cell(PeerTableModel::StateColumn).toString(), QStringLiteral("failed"));
        QCOMPARE(cell(PeerTableModel::StateColumn, PeerTableModel::SortRole).toInt(),
                 int(PeerTableModel::HealthState::Failed));
        QCOMPARE(cell(PeerTableModel::DirectionColumn).toString(), QStringLiteral("outbound"));
        const QColor failedTint =
            cell(PeerTableModel::AgentColumn, Qt::BackgroundRole).value<QBrush>().color();
        QVERIFY(failedTint.red() > failedTint.green());

        // A healthy peer has no tint at all.
        model_->applySnapshot(makeSnapshot({makePeer(1)}));
        QVERIFY(!cell(PeerTableModel::AgentColumn, Qt::BackgroundRole).isValid());
        QCOMPARE(cell(PeerTableModel::StateColumn).toString(), QStringLiteral("healthy"));
    }

    void pathIsRelayedOnlyWithoutDirectConnection() {
        PeerSnapshot peer = makePeer(1);
        const QString relay = QStringLiteral("12D3KooWRelayPeerIdOfTheCircuitRelay0001");
        peer.connections[0].remoteAddr =
            QStringLiteral("/ip4/10.0.0.9/tcp/4001/p2p/%1/p2p-circuit").arg(relay);
        peer.connections[0].relayPeerId = relay;
        model_->applySnapshot(makeSnapshot({peer}));
        const QModelIndex path = model_->index(0, PeerTableModel::PathColumn);
        QCOMPARE(path.data().toString(),
                 QStringLiteral("relayed via %1").arg(PeerTableModel::shortPeerId(relay)));
        QVERIFY(
            path.data(Qt::ToolTipRole).toString().contains(QStringLiteral("relayed via ") + relay));

        test::ModelSpies spies(model_.get());
        // A direct connection joins (DCUtR): the peer has a direct path.
        ConnectionSnapshot direct = makePeer(1).connections.first();
        direct.id = 77;
        peer.connections << direct;
        model_->applySnapshot(makeSnapshot({peer}));
        QCOMPARE(path.data().toString(), QStringLiteral("direct"));
        QCOMPARE(spies.changed.count(), 1);
        const auto topLeft = spies.changed.at(0).at(0).value<QModelIndex>();
        const auto bottomRight = spies.changed.at(0).at(1).value<QModelIndex>();
        QVERIFY(topLeft.column() <= PeerTableModel::PathColumn &&
                bottomRight.column() >= PeerTableModel::PathColumn);
        // The filter finds peers by path.
        QSortFilterProxyModel proxy;
        proxy.setSourceModel(model_.get());
        proxy.setFilterRole(PeerTableModel::FilterRole);
        proxy.setFilterKeyColumn(PeerTableModel::PathColumn);
        proxy.setFilterFixedString(QStringLiteral("direct"));
        QCOMPARE(proxy.rowCount(), 1);
        proxy.setFilterFixedString(QStringLiteral("relayed"));
        QCOMPARE(proxy.rowCount(), 0);
    }

    void pathFollowsTheConnectionsRelay() {
        // The engine's relayPeerId, not the address, says a connection is relayed.
        PeerSnapshot peer = makePeer(1);
        model_->applySnapshot(makeSnapshot({peer}));
        const QModelIndex path = model_->index(0, PeerTableModel::PathColumn);
        QCOMPARE(path.data().toString(), QStringLiteral("direct"));

        test::ModelSpies spies(model_.get());
        ConnectionSnapshot relayed = peer.connections.first();
        relayed.id = 91;
        relayed.relayPeerId = QStringLiteral("12D3KooWOtherRelayxxxxxxxxxxxxxxxxxxxxxx42");
        peer.connections = {relayed};
        model_->applySnapshot(makeSnapshot({peer}));
        QCOMPARE(path.data().toString(), QStringLiteral("relayed via 12D3…xxxx42"));
        QCOMPARE(spies.changed.count(), 1);
        QCOMPARE(spies.inserted.count(), 0);
        QCOMPARE(spies.removed.count(), 0);
        QCOMPARE(spies.reset.count(), 0);
        const auto topLeft = spies.changed.at(0).at(0).value<QModelIndex>();
        const auto bottomRight = spies.changed.at(0).at(1).value<QModelIndex>();
        QVERIFY(topLeft.column() <= PeerTableModel::PathColumn &&
                bottomRight.column() >= PeerTableModel::PathColumn);
    }

    void rttTrendFollowsMeasurements() {
        PeerSnapshot peer = makePeer(1);
        const auto applyRtt = [&](double rtt) {
            peer.connections[0].rttSmoothedMs = rtt;
            model_->applySnapshot(makeSnapshot({peer}));
        };
        const auto rtt = [this](int role = Qt::DisplayRole) {
            return model_->index(0, PeerTableModel::RttColumn).data(role);
        };
        applyRtt(20.0);
        QCOMPARE(rtt().toString(), QStringLiteral("20.0 ms")); // one value: no arrow yet
        QCOMPARE(rtt(PeerTableModel::TrendRole).toInt(), 0);
        QVERIFY(!model_->index(0, PeerTableModel::PeerColumn)
                     .data(PeerTableModel::TrendRole)
                     .isValid());

        test::ModelSpies spies(model_.get());
        applyRtt(20.0); // the same value again is not a new measurement
        QCOMPARE(spies.changed.count(), 0);

        applyRtt(20.4); // within jitter
        QCOMPARE(rtt(PeerTableModel::TrendRole).toInt(), 0);
        QCOMPARE(rtt().toString(), QStringLiteral("→ 20.4 ms"));
        applyRtt(30.0);
        QCOMPARE(rtt(PeerTableModel::TrendRole).toInt(), 1);
        QCOMPARE(rtt().toString(), QStringLiteral("↑ 30.0 ms"));
        applyRtt(31.0);
        applyRtt(32.0);
        applyRtt(10.0);
        QCOMPARE(rtt(PeerTableModel::TrendRole).toInt(), -1);
        QCOMPARE(rtt().toString(), QStringLiteral("↓ 10.0 ms"));
        QVERIFY(rtt(Qt::ToolTipRole).toString().contains(QStringLiteral("32.0, 10.0 ms")));
        // Only the RTT cell changed along the way.
        for (const QList<QVariant>& signal : spies.changed) {
            QCOMPARE(signal.at(0).value<QModelIndex>().column(), int(PeerTableModel::RttColumn));
            QCOMPARE(signal.at(1).value<QModelIndex>().column(), int(PeerTableModel::RttColumn));
        }
        // The history is a few values: an old spike drops out and the trend settles.
        for (int i = 0; i < 5; ++i)
            applyRtt(10.0 + i * 0.1);
        QCOMPARE(rtt(PeerTableModel::TrendRole).toInt(), 0);

        // No value any more: no arrow, and the history starts over.
        peer.connections[0].rttSmoothedMs.reset();
        peer.lastPingRttMs.reset();
        model_->applySnapshot(makeSnapshot({peer}));
        QCOMPARE(rtt().toString(), QStringLiteral("—"));
        applyRtt(50.0);
        QCOMPARE(rtt().toString(), QStringLiteral("50.0 ms"));
        // Below a millisecond: two decimals, so loopback does not read 0.0 ms.
        applyRtt(0.062);
        QCOMPARE(rtt().toString(), QStringLiteral("↓ 0.06 ms"));
    }

    void stateChangeRepaintsWholeRow() {
        QList<PeerSnapshot> peers{makePeer(1), makePeer(2)};
        model_->applySnapshot(makeSnapshot(peers));
        test::ModelSpies spies(model_.get());
        peers[1].connections[0].healthState = QStringLiteral("degraded");
        model_->applySnapshot(makeSnapshot(peers));
        QCOMPARE(spies.changed.count(), 1);
        QCOMPARE(spies.changed.at(0).at(0).value<QModelIndex>(), model_->index(1, 0));
        QCOMPARE(spies.changed.at(0).at(1).value<QModelIndex>(),
                 model_->index(1, PeerTableModel::ColumnCount - 1));
    }

    void adjacentChangedRowsShareOneSignal() {
        QList<PeerSnapshot> peers{makePeer(1), makePeer(2), makePeer(3), makePeer(4), makePeer(5)};
        model_->applySnapshot(makeSnapshot(peers));
        test::ModelSpies spies(model_.get());
        // Rows 0-2 change different columns; row 3 does not change; row 4 changes.
        peers[0].connections[0].rateIn.perSecond[0] = 10;
        peers[1].connections[0].streams = 7;
        peers[2].lastPingRttMs = 99.0;
        peers[4].connections[0].bytesOut = 1;
        model_->applySnapshot(makeSnapshot(peers));
        QCOMPARE(spies.changed.count(), 2);
        QCOMPARE(spies.changed.at(0).at(0).value<QModelIndex>(),
                 model_->index(0, PeerTableModel::RttColumn));
        QCOMPARE(spies.changed.at(0).at(1).value<QModelIndex>(),
                 model_->index(2, PeerTableModel::StreamsColumn));
        QCOMPARE(spies.changed.at(1).at(0).value<QModelIndex>(),
                 model_->index(4, PeerTableModel::BytesOutColumn));
        QCOMPARE(spies.changed.at(1).at(1).value<QModelIndex>(),
                 model_->index(4, PeerTableModel::BytesOutColumn));
    }

    void reorderedSnapshotEmitsNothingAndKeepsSelection() {
        QList<PeerSnapshot> peers{makePeer(1), makePeer(2), makePeer(3)};
        model_->applySnapshot(makeSnapshot(peers));
        QItemSelectionModel selection(model_.get());
        selection.select(model_->index(1, 0),
                         QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        test::ModelSpies spies(model_.get());
        model_->applySnapshot(makeSnapshot({peers[2], peers[0], peers[1]}));
        QCOMPARE(spies.inserted.count(), 0);
        QCOMPARE(spies.removed.count(), 0);
        QCOMPARE(spies.changed.count(), 0);
        QCOMPARE(spies.layout.count(), 0);
        QCOMPARE(selection.selectedRows().size(), 1);
        QCOMPARE(selection.selectedRows().first().data(PeerTableModel::PeerIdRole).toString(),
                 peerIdFor(2));
    }

    void selectionSurvivesResortInProxy() {
        // Sorted by receive rate: a rate change moves rows in the proxy; the selection follows
        // its peer through inserts, changes, removals and the re-sort.
        QList<PeerSnapshot> peers{makePeer(1), makePeer(2), makePeer(3)};
        for (int i = 0; i < peers.size(); ++i)
            peers[i].connections[0].rateIn.perSecond[0] = 100.0 * (i + 1);
        model_->applySnapshot(makeSnapshot(peers));
        QSortFilterProxyModel proxy;
        QAbstractItemModelTester proxyTester(&proxy,
                                             QAbstractItemModelTester::FailureReportingMode::Fatal);
        proxy.setSourceModel(model_.get());
        proxy.setSortRole(PeerTableModel::SortRole);
        proxy.sort(PeerTableModel::RateInColumn, Qt::DescendingOrder);
        QItemSelectionModel selection(&proxy);
        QCOMPARE(proxy.index(2, 0).data(PeerTableModel::PeerIdRole).toString(), peerIdFor(1));
        selection.select(proxy.index(2, 0),
                         QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);

        peers[0].connections[0].rateIn.perSecond[0] = 1e6; // peer 1 becomes the busiest
        peers.removeAt(1);                                 // peer 2 leaves
        PeerSnapshot newcomer = makePeer(0);
        newcomer.connections[0].rateIn.perSecond[0] = 5e6;
        peers << newcomer; // and a busier one arrives, before it in id order
        model_->applySnapshot(makeSnapshot(peers));
        QCOMPARE(proxy.rowCount(), 3);
        QCOMPARE(proxy.index(1, 0).data(PeerTableModel::PeerIdRole).toString(), peerIdFor(1));
        const QModelIndexList rows = selection.selectedRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first().row(), 1);
        QCOMPARE(rows.first().data(PeerTableModel::PeerIdRole).toString(), peerIdFor(1));
    }

    void duplicatePeerInSnapshotGetsOneRow() {
        model_->applySnapshot(makeSnapshot({makePeer(1), makePeer(1)}));
        QCOMPARE(model_->rowCount(), 1);
        QCOMPARE(model_->rowOfPeer(peerIdFor(1)), 0);
    }

private:
    std::unique_ptr<PeerTableModel> model_;
    std::unique_ptr<QAbstractItemModelTester> tester_;
};

QTEST_MAIN(TestPeerTableModel)
#include "tst_peer_table_model.moc"
