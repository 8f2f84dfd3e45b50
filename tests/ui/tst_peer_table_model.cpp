#include "ui/models/peer_table_model.h"

#include <QAbstractItemModelTester>
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

struct Spies {
    explicit Spies(QAbstractItemModel* model)
        : inserted(model, &QAbstractItemModel::rowsInserted),
          removed(model, &QAbstractItemModel::rowsRemoved),
          changed(model, &QAbstractItemModel::dataChanged),
          reset(model, &QAbstractItemModel::modelReset),
          layout(model, &QAbstractItemModel::layoutChanged) {}
    void clear() {
        inserted.clear();
        removed.clear();
        changed.clear();
        reset.clear();
        layout.clear();
    }
    QSignalSpy inserted;
    QSignalSpy removed;
    QSignalSpy changed;
    QSignalSpy reset;
    QSignalSpy layout;
};

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
        QCOMPARE(cell(PeerTableModel::RttColumn).toString(), QStringLiteral("2.50 ms"));
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
        Spies spies(model_.get());
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
        Spies spies(model_.get());

        peers[1].lastPingRttMs = 42.125;
        model_->applySnapshot(makeSnapshot(peers));
        QCOMPARE(spies.changed.count(), 1);
        const auto topLeft = spies.changed.at(0).at(0).value<QModelIndex>();
        const auto bottomRight = spies.changed.at(0).at(1).value<QModelIndex>();
        const int row = model_->rowOfPeer(peerIdFor(2));
        QCOMPARE(row, 1);
        QCOMPARE(topLeft, model_->index(row, PeerTableModel::RttColumn));
        QCOMPARE(bottomRight, model_->index(row, PeerTableModel::RttColumn));
        QCOMPARE(model_->index(row, PeerTableModel::RttColumn).data().toString(),
                 QStringLiteral("42.13 ms"));
        QCOMPARE(spies.inserted.count(), 0);
        QCOMPARE(spies.removed.count(), 0);
        QCOMPARE(spies.reset.count(), 0);
    }

    void changedBytesEmitsOnlyThoseColumns() {
        QList<PeerSnapshot> peers{makePeer(1), makePeer(2), makePeer(3)};
        model_->applySnapshot(makeSnapshot(peers));
        Spies spies(model_.get());

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
        Spies spies(model_.get());

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
        Spies spies(model_.get());
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

private:
    std::unique_ptr<PeerTableModel> model_;
    std::unique_ptr<QAbstractItemModelTester> tester_;
};

QTEST_MAIN(TestPeerTableModel)
#include "tst_peer_table_model.moc"
