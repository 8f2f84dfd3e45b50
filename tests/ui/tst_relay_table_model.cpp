#include "support/model_spies.h"
#include "ui/models/peer_table_model.h"
#include "ui/models/relay_table_model.h"
#include "ui/views/sparkline_delegate.h"

#include <QAbstractItemModelTester>
#include <QLocale>
#include <QSignalSpy>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

using M = RelayTableModel;

// Relay ids that sort in the order of their number.
QString relayIdFor(int n) {
    return QStringLiteral("12D3KooWTestRelay%1xxxxxxxxxxxxxxxxxxxxxxx").arg(n, 4, 10, QChar('0'));
}

RelaySnapshot makeRelay(int n) {
    RelaySnapshot relay;
    relay.peerId = relayIdFor(n);
    relay.addr = QStringLiteral("/ip4/10.0.0.%1/tcp/4001").arg(n);
    relay.source = QStringLiteral("static");
    relay.connected = true;
    relay.rttMs = 10.0 + n;
    relay.rttHistoryMs = {9.0 + n, 11.0 + n, 10.0 + n};
    return relay;
}

} // namespace

class TestRelayTableModel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() {
        QLocale::setDefault(QLocale::c());
        model_ = std::make_unique<RelayTableModel>();
        tester_ = std::make_unique<QAbstractItemModelTester>(
            model_.get(), QAbstractItemModelTester::FailureReportingMode::QtTest);
    }

    void cleanup() {
        tester_.reset();
        model_.reset();
    }

    void showsEveryColumn() {
        RelaySnapshot relay = makeRelay(1);
        relay.reservation = QStringLiteral("reserved");
        relay.reservedUntil = QDateTime(QDate(2026, 12, 8), QTime(14, 3), Qt::LocalTime);
        relay.inUse = true;
        relay.preferred = true;
        relay.circuits = 2;
        relay.circuitBytes = 2048;
        relay.limitDataBytes = 131072;
        relay.circuitAddrs = {QStringLiteral("/ip4/10.0.0.1/tcp/4001/p2p/R/p2p-circuit")};
        model_->applyRelays({relay});
        QCOMPARE(model_->rowCount(), 1);
        QCOMPARE(model_->columnCount(), int(M::ColumnCount));
        const auto cell = [&](int column, int role = Qt::DisplayRole) {
            return model_->index(0, column).data(role);
        };
        QCOMPARE(cell(M::PeerColumn).toString(), PeerTableModel::shortPeerId(relay.peerId));
        QCOMPARE(cell(M::PeerColumn, Qt::ToolTipRole).toString(), relay.peerId);
        QCOMPARE(cell(M::AddressColumn).toString(), relay.addr);
        QCOMPARE(cell(M::RttColumn).toString(), QStringLiteral("11.0 ms"));
        QCOMPARE(cell(M::RttColumn, M::RttHistoryRole).value<QList<double>>(), relay.rttHistoryMs);
        QCOMPARE(cell(M::ReservationColumn).toString(), QStringLiteral("reserved until 14:03"));
        QVERIFY(cell(M::ReservationColumn, Qt::ToolTipRole)
                    .toString()
                    .contains(relay.circuitAddrs.first()));
        QCOMPARE(cell(M::CircuitsColumn).toInt(), 2);
        QCOMPARE(cell(M::DataColumn).toString(), QStringLiteral("2.0 KiB / 128.0 KiB"));
        QCOMPARE(cell(M::SourceColumn).toString(), QStringLiteral("static"));
        QVERIFY(cell(M::PreferredColumn).toString().contains(QStringLiteral("preferred")));
        QCOMPARE(cell(M::InUseColumn).toString(), QStringLiteral("in use"));
        QCOMPARE(cell(M::PeerColumn, M::PeerIdRole).toString(), relay.peerId);

        // Without a data limit, refused, automatic, not chosen.
        relay.limitDataBytes.reset();
        relay.reservation = QStringLiteral("refused");
        relay.detail = QStringLiteral("RESERVATION_REFUSED");
        relay.source = QStringLiteral("automatic");
        relay.inUse = false;
        relay.preferred = false;
        relay.rttMs.reset();
        model_->applyRelays({relay});
        QCOMPARE(cell(M::DataColumn).toString(), QStringLiteral("2.0 KiB / no limit"));
        QCOMPARE(cell(M::ReservationColumn).toString(),
                 QStringLiteral("refused: RESERVATION_REFUSED"));
        QCOMPARE(cell(M::SourceColumn).toString(), QStringLiteral("automatic"));
        QVERIFY(cell(M::PreferredColumn).toString().isEmpty());
        QVERIFY(cell(M::InUseColumn).toString().isEmpty());
        QCOMPARE(cell(M::RttColumn).toString(), QStringLiteral("—"));
        QVERIFY(!cell(M::RttColumn, M::SortRole).isValid()); // unmeasured sorts last
        for (int column = 0; column < M::ColumnCount; ++column)
            QVERIFY(!model_->headerData(column, Qt::Horizontal).toString().isEmpty());
    }

    void appliesDiffs() {
        model_->applyRelays({makeRelay(1), makeRelay(3)});
        test::ModelSpies spies(model_.get());

        // A relay joins between the two: one row inserted there, nothing else.
        model_->applyRelays({makeRelay(3), makeRelay(2), makeRelay(1)});
        QCOMPARE(spies.inserted.count(), 1);
        QCOMPARE(spies.inserted.at(0).at(1).toInt(), 1);
        QCOMPARE(spies.inserted.at(0).at(2).toInt(), 1);
        QCOMPARE(spies.changed.count(), 0);
        QCOMPARE(spies.removed.count(), 0);
        QCOMPARE(model_->rowOfRelay(relayIdFor(2)), 1);
        QCOMPARE(model_->rowOfRelay(relayIdFor(3)), 2);

        // The same snapshot again: no signal at all.
        spies.clear();
        model_->applyRelays({makeRelay(1), makeRelay(2), makeRelay(3)});
        QCOMPARE(spies.changed.count(), 0);
        QCOMPARE(spies.inserted.count(), 0);

        // Its reservation changes: dataChanged on that row and that cell only.
        RelaySnapshot reserving = makeRelay(2);
        reserving.reservation = QStringLiteral("reserving");
        model_->applyRelays({makeRelay(1), reserving, makeRelay(3)});
        QCOMPARE(spies.changed.count(), 1);
        QCOMPARE(spies.changed.at(0).at(0).value<QModelIndex>(),
                 model_->index(1, M::ReservationColumn));
        QCOMPARE(spies.changed.at(0).at(1).value<QModelIndex>(),
                 model_->index(1, M::ReservationColumn));
        QCOMPARE(model_->index(1, M::ReservationColumn).data().toString(),
                 QStringLiteral("reserving…"));

        // A probe: the RTT cell (text and sparkline) of that row.
        spies.clear();
        reserving.rttHistoryMs << 30.0;
        reserving.rttMs = 30.0;
        model_->applyRelays({makeRelay(1), reserving, makeRelay(3)});
        QCOMPARE(spies.changed.count(), 1);
        QCOMPARE(spies.changed.at(0).at(0).value<QModelIndex>(), model_->index(1, M::RttColumn));
        QCOMPARE(spies.changed.at(0).at(1).value<QModelIndex>(), model_->index(1, M::RttColumn));

        // Removed: that row goes, the others stay and are not touched.
        spies.clear();
        model_->applyRelays({makeRelay(1), makeRelay(3)});
        QCOMPARE(spies.removed.count(), 1);
        QCOMPARE(spies.removed.at(0).at(1).toInt(), 1);
        QCOMPARE(spies.changed.count(), 0);
        QCOMPARE(spies.inserted.count(), 0);
        QCOMPARE(model_->rowCount(), 2);
        QCOMPARE(model_->rowOfRelay(relayIdFor(2)), -1);
        QCOMPARE(model_->rowOfRelay(relayIdFor(3)), 1);

        // All gone, then back through a snapshot.
        model_->applyRelays({});
        QCOMPARE(model_->rowCount(), 0);
        NodeSnapshot snapshot;
        snapshot.relays = {makeRelay(4)};
        model_->applySnapshot(snapshot);
        QCOMPARE(model_->rowCount(), 1);
        QCOMPARE(spies.reset.count(), 0);
        QCOMPARE(spies.layout.count(), 0);
    }

    void sparklineSpansTheArea() {
        const QRectF area(10, 20, 60, 10);
        const QList<QPointF> points = SparklineDelegate::sparklinePoints({5.0, 15.0, 10.0}, area);
        QCOMPARE(points.size(), 3);
        QCOMPARE(points.at(0), QPointF(10, 30)); // the smallest at the bottom
        QCOMPARE(points.at(1), QPointF(40, 20)); // the largest at the top
        QCOMPARE(points.at(2), QPointF(70, 25));
        QVERIFY(SparklineDelegate::sparklinePoints({5.0}, area).isEmpty());
        // A flat line sits in the middle.
        for (const QPointF& point : SparklineDelegate::sparklinePoints({7.0, 7.0}, area))
            QCOMPARE(point.y(), 25.0);
    }

private:
    std::unique_ptr<RelayTableModel> model_;
    std::unique_ptr<QAbstractItemModelTester> tester_;
};

QTEST_MAIN(TestRelayTableModel)
#include "tst_relay_table_model.moc"
