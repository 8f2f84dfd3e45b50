#include "support/model_spies.h"
#include "ui/models/connection_table_model.h"

#include <QAbstractItemModelTester>
#include <QItemSelectionModel>
#include <QLocale>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

const QString kPeerId = QStringLiteral("12D3KooWConnectionTablePeer");

ConnectionSnapshot makeConnection(quint64 id) {
    ConnectionSnapshot connection;
    connection.id = id;
    connection.peerId = kPeerId;
    connection.direction = id % 2 ? QStringLiteral("inbound") : QStringLiteral("outbound");
    connection.remoteAddr = QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(40000 + id);
    connection.localAddr = QStringLiteral("/ip4/127.0.0.1/tcp/4001");
    connection.muxer = QStringLiteral("/yamux/1.0.0");
    connection.streams = 2;
    connection.healthScore = 0.875;
    connection.rttSmoothedMs = 10.0 + double(id);
    connection.jitterMs = 1.25;
    connection.probes = 4;
    connection.pingSuccessRate = 0.75;
    connection.streamsFailed = 1;
    connection.rateIn.perSecond[0] = 2048;
    connection.rateOut.perSecond[0] = 100;
    connection.ageSeconds = 65.2;
    return connection;
}

} // namespace

class TestConnectionTableModel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QLocale::setDefault(QLocale::c()); }

    void init() {
        model_ = std::make_unique<ConnectionTableModel>();
        tester_ = std::make_unique<QAbstractItemModelTester>(
            model_.get(), QAbstractItemModelTester::FailureReportingMode::Fatal);
    }

    void cleanup() {
        tester_.reset();
        model_.reset();
    }

    void displaysColumns() {
        ConnectionSnapshot connection = makeConnection(3);
        connection.draining = true;
        connection.errors << ErrorSnapshot{2.0, QStringLiteral("ping"), QStringLiteral("timeout")};
        model_->applyConnections({connection});
        QCOMPARE(model_->rowCount(), 1);
        QCOMPARE(model_->columnCount(), int(ConnectionTableModel::ColumnCount));

        const auto cell = [this](int column, int role = Qt::DisplayRole) {
            return model_->index(0, column).data(role);
        };
        using M = ConnectionTableModel;
        QCOMPARE(cell(M::IdColumn).toULongLong(), 3ull);
        QCOMPARE(cell(M::RateOutColumn, M::ConnectionIdRole).toULongLong(), 3ull);
        QCOMPARE(cell(M::DirectionColumn).toString(), QStringLiteral("in"));
        QCOMPARE(cell(M::RemoteAddressColumn).toString(),
                 QStringLiteral("/ip4/127.0.0.1/tcp/40003"));
        QVERIFY(cell(M::RemoteAddressColumn, Qt::ToolTipRole).toString().contains("/yamux/1.0.0"));
        QCOMPARE(cell(M::StateColumn).toString(), QStringLiteral("healthy"));
        QVERIFY(cell(M::StateColumn, Qt::ToolTipRole).toString().contains("ping: timeout"));
        QCOMPARE(cell(M::HealthScoreColumn).toString(), QStringLiteral("0.88"));
        QCOMPARE(cell(M::HealthScoreColumn, M::SortRole).toDouble(), 0.875);
        QCOMPARE(cell(M::RttColumn).toString(), QStringLiteral("13.00 ms"));
        QCOMPARE(cell(M::JitterColumn).toString(), QStringLiteral("1.25 ms"));
        QCOMPARE(cell(M::SuccessRateColumn).toString(), QStringLiteral("75 %"));
        QCOMPARE(cell(M::StreamsColumn).toInt(), 2);
        QCOMPARE(cell(M::FailedStreamsColumn).toULongLong(), 1ull);
        QCOMPARE(cell(M::RateInColumn).toString(), QStringLiteral("2.0 KiB/s"));
        QCOMPARE(cell(M::RateInColumn, M::SortRole).toDouble(), 2048.0);
        QCOMPARE(cell(M::RateOutColumn).toString(), QStringLiteral("100 bytes/s"));
        QCOMPARE(cell(M::AgeColumn).toString(), QStringLiteral("1 min 05 s"));
        QCOMPARE(cell(M::AgeColumn, M::SortRole).toDouble(), 65.2);
        QCOMPARE(cell(M::DrainingColumn).toString(), QStringLiteral("draining"));

        // Unmeasured: a dash, and no sort value (sorts last).
        connection.rttSmoothedMs.reset();
        connection.probes = 0;
        connection.healthState = QStringLiteral("failed");
        model_->applyConnections({connection});
        QCOMPARE(cell(M::RttColumn).toString(), QStringLiteral("—"));
        QCOMPARE(cell(M::JitterColumn).toString(), QStringLiteral("—"));
        QCOMPARE(cell(M::SuccessRateColumn).toString(), QStringLiteral("—"));
        QVERIFY(!cell(M::RttColumn, M::SortRole).isValid());
        QVERIFY(!cell(M::SuccessRateColumn, M::SortRole).isValid());
        QVERIFY(cell(M::StateColumn, Qt::ForegroundRole).isValid());

        for (int column = 0; column < M::ColumnCount; ++column) {
            QVERIFY(!model_->headerData(column, Qt::Horizontal).toString().isEmpty());
            QVERIFY(
                !model_->headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
        }
        QCOMPARE(ConnectionTableModel::formatAge(12.9), QStringLiteral("12 s"));
        QCOMPARE(ConnectionTableModel::formatAge(7620), QStringLiteral("2 h 07 min"));
    }

    void sameConnectionsTwiceEmitNothing() {
        const QList<ConnectionSnapshot> connections{makeConnection(1), makeConnection(2)};
        model_->applyConnections(connections);
        test::ModelSpies spies(model_.get());
        model_->applyConnections(connections);
        // A sub-second age tick is no visible change either.
        QList<ConnectionSnapshot> older = connections;
        older[0].ageSeconds += 0.25;
        model_->applyConnections(older);
        QCOMPARE(spies.inserted.count(), 0);
        QCOMPARE(spies.removed.count(), 0);
        QCOMPARE(spies.changed.count(), 0);
        QCOMPARE(spies.reset.count(), 0);
        QCOMPARE(spies.layout.count(), 0);
        QCOMPARE(model_->connectionAt(0).ageSeconds, older[0].ageSeconds);
    }

    void changedCellsOnly() {
        QList<ConnectionSnapshot> connections{makeConnection(1), makeConnection(2),
                                              makeConnection(3)};
        model_->applyConnections(connections);
        test::ModelSpies spies(model_.get());

        connections[1].rttSmoothedMs = 99.5;
        model_->applyConnections(connections);
        QCOMPARE(spies.changed.count(), 1);
        QCOMPARE(spies.changed.at(0).at(0).value<QModelIndex>(),
                 model_->index(1, ConnectionTableModel::RttColumn));
        QCOMPARE(spies.changed.at(0).at(1).value<QModelIndex>(),
                 model_->index(1, ConnectionTableModel::RttColumn));
        QCOMPARE(model_->index(1, ConnectionTableModel::RttColumn).data().toString(),
                 QStringLiteral("99.50 ms"));

        // Rates of two adjacent rows: one dataChanged over both rows, only the rate columns.
        spies.clear();
        for (int row : {1, 2}) {
            connections[row].rateIn.perSecond[0] = 1;
            connections[row].rateOut.perSecond[0] = 1;
        }
        model_->applyConnections(connections);
        QCOMPARE(spies.changed.count(), 1);
        QCOMPARE(spies.changed.at(0).at(0).value<QModelIndex>(),
                 model_->index(1, ConnectionTableModel::RateInColumn));
        QCOMPARE(spies.changed.at(0).at(1).value<QModelIndex>(),
                 model_->index(2, ConnectionTableModel::RateOutColumn));

        // Two separate cells of one row: the range between them.
        spies.clear();
        connections[0].direction = QStringLiteral("outbound");
        connections[0].draining = true;
        model_->applyConnections(connections);
        QCOMPARE(spies.changed.count(), 1);
        QCOMPARE(spies.changed.at(0).at(0).value<QModelIndex>(),
                 model_->index(0, ConnectionTableModel::DirectionColumn));
        QCOMPARE(spies.changed.at(0).at(1).value<QModelIndex>(),
                 model_->index(0, ConnectionTableModel::DrainingColumn));
        QCOMPARE(spies.inserted.count(), 0);
        QCOMPARE(spies.removed.count(), 0);
        QCOMPARE(spies.reset.count(), 0);
    }

    void relayColumnShowsTheRelayAndItsLimit() {
        ConnectionSnapshot direct = makeConnection(1);
        ConnectionSnapshot relayed = makeConnection(2);
        const QString relay = QStringLiteral("12D3KooWRelayOfThisCircuitxxxxxxxxxxxxxxxxx99");
        relayed.relayPeerId = relay;
        relayed.relayLimitSecondsLeft = 110.4;
        relayed.relayLimitBytesLeft = 122880;
        model_->applyConnections({direct, relayed});
        using M = ConnectionTableModel;
        QVERIFY(model_->index(0, M::RelayColumn).data().toString().isEmpty());
        const QModelIndex cell = model_->index(1, M::RelayColumn);
        QCOMPARE(cell.data().toString(), QStringLiteral("via 12D3…xxxx99 · 1 min 50 s, "
                                                        "120.0 KiB left"));
        QVERIFY(cell.data(Qt::ToolTipRole).toString().contains(relay));

        // What is left ticks down: that cell changes, alone; without a limit it says so.
        test::ModelSpies spies(model_.get());
        relayed.relayLimitSecondsLeft.reset();
        relayed.relayLimitBytesLeft.reset();
        model_->applyConnections({direct, relayed});
        QCOMPARE(cell.data().toString(), QStringLiteral("via 12D3…xxxx99 · no limit"));
        QCOMPARE(spies.changed.count(), 1);
        QCOMPARE(spies.changed.at(0).at(0).value<QModelIndex>(), cell);
        QCOMPARE(spies.changed.at(0).at(1).value<QModelIndex>(), cell);
    }

    void insertAndRemoveRows() {
        model_->applyConnections({makeConnection(2), makeConnection(4), makeConnection(6)});
        test::ModelSpies spies(model_.get());

        // 1 goes first, 5 between 4 and 6, 4 leaves; the input order does not matter.
        model_->applyConnections(
            {makeConnection(6), makeConnection(5), makeConnection(2), makeConnection(1)});
        QCOMPARE(spies.reset.count(), 0);
        QCOMPARE(spies.layout.count(), 0);
        QCOMPARE(spies.changed.count(), 0);
        QCOMPARE(spies.removed.count(), 1);
        QCOMPARE(spies.removed.at(0).at(1).toInt(), 1);
        QCOMPARE(spies.removed.at(0).at(2).toInt(), 1);
        QCOMPARE(spies.inserted.count(), 2);
        QCOMPARE(spies.inserted.at(0).at(1).toInt(), 0);
        QCOMPARE(spies.inserted.at(0).at(2).toInt(), 0);
        QCOMPARE(spies.inserted.at(1).at(1).toInt(), 2);
        QCOMPARE(spies.inserted.at(1).at(2).toInt(), 2);
        const QList<quint64> expected{1, 2, 5, 6};
        QCOMPARE(model_->rowCount(), 4);
        for (int row = 0; row < 4; ++row) {
            QCOMPARE(
                model_->index(row, 0).data(ConnectionTableModel::ConnectionIdRole).toULongLong(),
                expected.at(row));
            QCOMPARE(model_->rowOfConnection(expected.at(row)), row);
        }
        QCOMPARE(model_->rowOfConnection(4), -1);

        // Several new ones after the last row: one insertion.
        spies.clear();
        model_->applyConnections({makeConnection(1), makeConnection(2), makeConnection(5),
                                  makeConnection(6), makeConnection(8), makeConnection(9)});
        QCOMPARE(spies.inserted.count(), 1);
        QCOMPARE(spies.inserted.at(0).at(1).toInt(), 4);
        QCOMPARE(spies.inserted.at(0).at(2).toInt(), 5);

        // All gone: one removal of everything.
        spies.clear();
        model_->applyConnections({});
        QCOMPARE(spies.removed.count(), 1);
        QCOMPARE(spies.removed.at(0).at(1).toInt(), 0);
        QCOMPARE(spies.removed.at(0).at(2).toInt(), 5);
        QCOMPARE(model_->rowCount(), 0);
        QCOMPARE(spies.reset.count(), 0);
    }

    void selectionKeptAcrossUpdates() {
        QList<ConnectionSnapshot> connections{makeConnection(3), makeConnection(5)};
        model_->applyConnections(connections);
        QItemSelectionModel selection(model_.get());
        selection.select(model_->index(1, 0),
                         QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
        selection.setCurrentIndex(model_->index(1, 0), QItemSelectionModel::NoUpdate);

        // Two arrive before it, one of the others changes, several updates in a row.
        connections << makeConnection(1) << makeConnection(4);
        for (int tick = 0; tick < 4; ++tick) {
            connections[0].rateIn.perSecond[0] = 1000 * tick;
            connections[1].ageSeconds += 1;
            model_->applyConnections(connections);
        }
        QCOMPARE(model_->rowOfConnection(5), 3);
        const QModelIndexList rows = selection.selectedRows();
        QCOMPARE(rows.size(), 1);
        QCOMPARE(rows.first().row(), 3);
        QCOMPARE(rows.first().data(ConnectionTableModel::ConnectionIdRole).toULongLong(), 5ull);
        QCOMPARE(
            selection.currentIndex().data(ConnectionTableModel::ConnectionIdRole).toULongLong(),
            5ull);

        // The selected connection closes: the selection goes with it.
        connections.removeAt(1);
        model_->applyConnections(connections);
        QVERIFY(selection.selectedRows().isEmpty());
    }

    void numericSortThroughProxy() {
        QList<ConnectionSnapshot> connections;
        for (quint64 id : {1, 2, 3, 4})
            connections << makeConnection(id);
        connections[0].rateIn.perSecond[0] = 2 * 1024;
        connections[1].rateIn.perSecond[0] = 900;
        connections[2].rateIn.perSecond[0] = 10 * 1024;
        connections[3].rateIn.perSecond[0] = 5;
        connections[1].rttSmoothedMs.reset();
        model_->applyConnections(connections);

        QSortFilterProxyModel proxy;
        QAbstractItemModelTester proxyTester(&proxy,
                                             QAbstractItemModelTester::FailureReportingMode::Fatal);
        proxy.setSourceModel(model_.get());
        proxy.setSortRole(ConnectionTableModel::SortRole);
        proxy.sort(ConnectionTableModel::RateInColumn, Qt::AscendingOrder);
        const auto ids = [&proxy] {
            QList<quint64> values;
            for (int row = 0; row < proxy.rowCount(); ++row)
                values << proxy.index(row, 0)
                              .data(ConnectionTableModel::ConnectionIdRole)
                              .toULongLong();
            return values;
        };
        QCOMPARE(ids(), (QList<quint64>{4, 2, 1, 3}));

        // A live update re-sorts: 4 becomes the busiest.
        connections[3].rateIn.perSecond[0] = 1 << 20;
        model_->applyConnections(connections);
        QCOMPARE(ids(), (QList<quint64>{2, 1, 3, 4}));

        // Unmeasured RTT sorts after every measured one.
        proxy.sort(ConnectionTableModel::RttColumn, Qt::AscendingOrder);
        QCOMPARE(ids(), (QList<quint64>{1, 3, 4, 2}));
    }

private:
    std::unique_ptr<ConnectionTableModel> model_;
    std::unique_ptr<QAbstractItemModelTester> tester_;
};

QTEST_MAIN(TestConnectionTableModel)
#include "tst_connection_table_model.moc"
