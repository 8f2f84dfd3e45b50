// What the 4 Hz updates of the Peers and Overview views rely on once they are cheap: the peer
// table pairs peers by their position in the previous snapshot and keeps whole-row and extra
// column changes in signals of their own, the history finds its series the same way, and the
// overview's totals are set without relaying out the window yet never clipped, and a hidden
// overview waits until it is shown.
#include "ui/charts/history_store.h"
#include "ui/models/peer_table_model.h"
#include "ui/node_overview_widget.h"

#include <QAbstractItemModelTester>
#include <QDateTime>
#include <QLabel>
#include <QLocale>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTest>
#include <algorithm>
#include <memory>

using namespace peerscope;

namespace {

using Resolution = SeriesHistory::Resolution;

const qint64 kBaseMs = QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
constexpr qint64 kTickMs = 250;

QString peerIdFor(int n) {
    return QStringLiteral("12D3KooWTickPeer%1xxxxxxxxxxxxxxxxxxxxxxxx").arg(n, 4, 10, QChar('0'));
}

PeerSnapshot makePeer(int n, double rateIn = 100) {
    PeerSnapshot peer;
    peer.peerId = peerIdFor(n);
    peer.agentVersion = QStringLiteral("agent/%1").arg(n);
    peer.protocols = {QStringLiteral("/ipfs/id/1.0.0")};
    for (int c = 0; c < 2; ++c) {
        ConnectionSnapshot connection;
        connection.id = quint64(10 * n + c + 1);
        connection.peerId = peer.peerId;
        connection.direction = c == 0 ? QStringLiteral("outbound") : QStringLiteral("inbound");
        connection.remoteAddr = QStringLiteral("/ip4/127.0.0.1/tcp/%1").arg(40000 + 10 * n + c);
        connection.rttSmoothedMs = 10.0 + n;
        connection.jitterMs = 1.0;
        connection.rateIn.perSecond[0] = rateIn;
        connection.rateOut.perSecond[0] = rateIn / 2;
        connection.bytesIn = 1000;
        connection.bytesOut = 500;
        peer.connections << connection;
    }
    return peer;
}

NodeSnapshot makeSnapshot(const QList<PeerSnapshot>& peers, qint64 atMs = kBaseMs) {
    NodeSnapshot snapshot;
    snapshot.peerId = QStringLiteral("12D3KooWSelf");
    snapshot.takenAt = QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC);
    snapshot.peers = peers;
    return snapshot;
}

// A proxy that counts how often it compares rows.
class CountingProxy final : public QSortFilterProxyModel {
public:
    mutable int comparisons = 0;

protected:
    bool lessThan(const QModelIndex& left, const QModelIndex& right) const override {
        ++comparisons;
        return QSortFilterProxyModel::lessThan(left, right);
    }
};

QPair<QModelIndex, QModelIndex> signalAt(const QSignalSpy& spy, int i) {
    return {spy.at(i).at(0).value<QModelIndex>(), spy.at(i).at(1).value<QModelIndex>()};
}

} // namespace

class TestTickUpdates final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QLocale::setDefault(QLocale::c()); }

    void stateChangeDoesNotWidenItsNeighbours() {
        PeerTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        QList<PeerSnapshot> peers;
        for (int n = 0; n < 5; ++n)
            peers << makePeer(n);
        model.applySnapshot(makeSnapshot(peers));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

        for (PeerSnapshot& peer : peers)
            peer.connections[0].rateIn.perSecond[0] += 50;
        peers[2].connections[1].healthState = QStringLiteral("degraded");
        model.applySnapshot(makeSnapshot(peers));

        QCOMPARE(changed.count(), 3);
        const auto rate = [&model](int row) {
            return model.index(row, PeerTableModel::RateInColumn);
        };
        QCOMPARE(signalAt(changed, 0), qMakePair(rate(0), rate(1)));
        QCOMPARE(signalAt(changed, 1),
                 qMakePair(model.index(2, 0), model.index(2, PeerTableModel::ColumnCount - 1)));
        QCOMPARE(signalAt(changed, 2), qMakePair(rate(3), rate(4)));
    }

    void runsSignalTheExtraColumnsApart() {
        PeerTableModel model;
        QList<PeerSnapshot> peers{makePeer(1), makePeer(2), makePeer(3)};
        model.applySnapshot(makeSnapshot(peers));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

        // Three rows: the rates and the byte totals in two signals, not one over both.
        for (PeerSnapshot& peer : peers) {
            peer.connections[0].rateIn.perSecond[0] = 7;
            peer.connections[0].bytesIn += 1;
        }
        model.applySnapshot(makeSnapshot(peers));
        QCOMPARE(changed.count(), 2);
        QCOMPARE(signalAt(changed, 0), qMakePair(model.index(0, PeerTableModel::RateInColumn),
                                                 model.index(2, PeerTableModel::RateInColumn)));
        QCOMPARE(signalAt(changed, 1), qMakePair(model.index(0, PeerTableModel::BytesInColumn),
                                                 model.index(2, PeerTableModel::BytesInColumn)));

        // One row: one signal.
        changed.clear();
        peers[1].connections[0].rateIn.perSecond[0] = 8;
        peers[1].connections[0].bytesIn += 1;
        model.applySnapshot(makeSnapshot(peers));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(signalAt(changed, 0), qMakePair(model.index(1, PeerTableModel::RateInColumn),
                                                 model.index(1, PeerTableModel::BytesInColumn)));
    }

    void sortedProxyOnlyChecksRowsWhoseSortColumnChanged() {
        PeerTableModel model;
        QList<PeerSnapshot> peers;
        for (int n = 0; n < 200; ++n)
            peers << makePeer(n);
        model.applySnapshot(makeSnapshot(peers));
        CountingProxy proxy;
        proxy.setSourceModel(&model);
        proxy.setSortRole(PeerTableModel::SortRole);
        proxy.sort(PeerTableModel::PeerColumn);

        // Every rate moves and one peer degrades: only that row's position is checked.
        for (PeerSnapshot& peer : peers)
            peer.connections[0].rateIn.perSecond[0] += 1;
        peers[100].connections[0].healthState = QStringLiteral("degraded");
        proxy.comparisons = 0;
        model.applySnapshot(makeSnapshot(peers));
        QVERIFY2(proxy.comparisons <= 2, qPrintable(QString::number(proxy.comparisons)));

        // Sorted by the rate, a rate change still re-sorts.
        proxy.sort(PeerTableModel::RateInColumn, Qt::DescendingOrder);
        peers[7].connections[0].rateIn.perSecond[0] = 1e6;
        model.applySnapshot(makeSnapshot(peers));
        QCOMPARE(proxy.index(0, 0).data(PeerTableModel::PeerIdRole).toString(), peerIdFor(7));
    }

    void rowsFollowTheirPeerWhenTheListChangesOrder() {
        PeerTableModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.applySnapshot(makeSnapshot({makePeer(1), makePeer(2), makePeer(3), makePeer(4)}));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);

        // Reversed, one peer gone from the middle, one new in front, one changed.
        QList<PeerSnapshot> next{makePeer(4), makePeer(3, 999), makePeer(1), makePeer(0)};
        for (int round = 0; round < 2; ++round) {
            model.applySnapshot(makeSnapshot(next));
            QCOMPARE(model.rowCount(), 4);
            const QList<int> expected{0, 1, 3, 4};
            for (int row = 0; row < model.rowCount(); ++row) {
                const int n = expected.at(row);
                QCOMPARE(model.index(row, 0).data(PeerTableModel::PeerIdRole).toString(),
                         peerIdFor(n));
                QCOMPARE(model.rowOfPeer(peerIdFor(n)), row);
                QCOMPARE(model.peerAt(row).agentVersion, QStringLiteral("agent/%1").arg(n));
                QCOMPARE(model.index(row, PeerTableModel::RateInColumn)
                             .data(PeerTableModel::SortRole)
                             .toDouble(),
                         n == 3 ? 2 * 999.0 : 200.0);
            }
        }
        // The second round repeated the first: nothing changed, whatever the pairing.
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), model.rowOfPeer(peerIdFor(3)));

        // The same peers in yet another order, with a change: it lands on the right row.
        next = {makePeer(0), makePeer(1, 5), makePeer(3, 999), makePeer(4)};
        changed.clear();
        model.applySnapshot(makeSnapshot(next));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(changed.at(0).at(0).value<QModelIndex>().row(), model.rowOfPeer(peerIdFor(1)));
        QCOMPARE(model.index(model.rowOfPeer(peerIdFor(1)), PeerTableModel::RateInColumn)
                     .data(PeerTableModel::SortRole)
                     .toDouble(),
                 10.0);
    }

    void historyFollowsConnectionsWhenTheListChangesOrder() {
        HistoryStore store(10'000);
        qint64 at = kBaseMs;
        // Connection n always reports n B/s in and 2n out, whatever its place in the list.
        const auto peerWith = [](int n, const QList<quint64>& ids) {
            PeerSnapshot peer;
            peer.peerId = peerIdFor(n);
            for (const quint64 id : ids) {
                ConnectionSnapshot connection;
                connection.id = id;
                connection.rateIn.perSecond[0] = double(id);
                connection.rateOut.perSecond[0] = 2.0 * double(id);
                connection.rttSmoothedMs = double(id);
                peer.connections << connection;
            }
            return peer;
        };
        const QList<QList<PeerSnapshot>> orders{
            {peerWith(1, {1, 2}), peerWith(2, {3})},
            {peerWith(2, {3}), peerWith(1, {2, 1})},
            {peerWith(1, {1, 2}), peerWith(2, {3})},
            {peerWith(1, {2}), peerWith(2, {3, 4})}, // 1 closes in the middle, 4 opens at the end
        };
        for (int tick = 0; tick < 16; ++tick, at += kTickMs)
            store.apply(makeSnapshot(orders.at(std::min(tick, 3)), at));

        for (const quint64 id : {1, 2, 3, 4}) {
            const HistoryStore::ConnectionHistory* history = store.connection(id);
            QVERIFY(history != nullptr);
            for (std::size_t i = 0; i < history->rateIn.size(Resolution::OneSecond); ++i) {
                QCOMPARE(history->rateIn.at(Resolution::OneSecond, i).value, float(id));
                QCOMPARE(history->rateOut.at(Resolution::OneSecond, i).value, float(2 * id));
                QCOMPARE(history->rttMs.at(Resolution::OneSecond, i).value, float(id));
            }
            QCOMPARE(history->rateIn.pending(Resolution::OneSecond)->value, double(id));
        }
        QCOMPARE(store.connection(1)->closedAtMs, kBaseMs + 3 * kTickMs);
        QCOMPARE(store.connection(2)->closedAtMs, qint64(-1));
        QCOMPARE(store.connection(4)->closedAtMs, qint64(-1));
        QCOMPARE(store.closedConnectionCount(), 1);
        // Peer 1's sum: 3 B/s while both were open, 2 once only connection 2 was left.
        QCOMPARE(store.peer(peerIdFor(1))->rateIn.pending(Resolution::OneSecond)->value, 2.0);
        QCOMPARE(store.peer(peerIdFor(2))->rateIn.pending(Resolution::OneSecond)->value, 7.0);

        // Connection 1 comes back before the retention runs out: open again, not dropped.
        store.apply(makeSnapshot(orders.at(0), at));
        QCOMPARE(store.connection(1)->closedAtMs, qint64(-1));
        QCOMPARE(store.connection(4)->closedAtMs, at);
        QCOMPARE(store.closedConnectionCount(), 1);
        at += 10'000;
        store.apply(makeSnapshot(orders.at(0), at));
        QVERIFY(store.connection(4) == nullptr);
        QVERIFY(store.connection(1) != nullptr);
        QCOMPARE(store.closedConnectionCount(), 0);
        QCOMPARE(store.connectionCount(), 3);
    }

    void hiddenOverviewShowsTheLatestWhenShown() {
        NodeOverviewWidget overview;
        auto* peers = overview.findChild<QLabel*>(QStringLiteral("peersTotalLabel"));
        QVERIFY(peers != nullptr);
        // Never shown: the ticks are kept, not applied.
        overview.applySnapshot(makeSnapshot({makePeer(1)}));
        overview.applySnapshot(makeSnapshot({makePeer(1), makePeer(2), makePeer(3)}));
        QCOMPARE(peers->text(), QStringLiteral("—"));
        overview.resize(1200, 300);
        overview.show();
        QVERIFY(QTest::qWaitForWindowExposed(&overview));
        QCOMPARE(peers->text(), QLocale().toString(3));
        // Shown: every tick is applied.
        overview.applySnapshot(makeSnapshot({makePeer(1), makePeer(2)}));
        QCOMPARE(peers->text(), QLocale().toString(2));
        // Hidden again: the label keeps what it showed until the widget is back.
        overview.hide();
        overview.applySnapshot(makeSnapshot({makePeer(4)}));
        QCOMPARE(peers->text(), QLocale().toString(2));
        overview.show();
        QCOMPARE(peers->text(), QLocale().toString(1));
    }

    void overviewTotalsAreNeverClipped() {
        NodeOverviewWidget overview;
        overview.resize(1200, 300);
        overview.show();
        QVERIFY(QTest::qWaitForWindowExposed(&overview));
        auto* bytesIn = overview.findChild<QLabel*>(QStringLiteral("bytesInTotalLabel"));
        QVERIFY(bytesIn != nullptr);
        NodeSnapshot snapshot = makeSnapshot({makePeer(1)});
        // Widening and narrowing texts: "0 bytes" ... "1023.9 KiB" ... "1.0 GiB".
        for (quint64 bytes : {0ull, 5ull, 1023ull, 1048575ull, 999ull, 1073741824ull, 7ull}) {
            snapshot.counters.bytesIn = bytes;
            overview.applySnapshot(snapshot);
            QCoreApplication::processEvents();
            QCOMPARE(bytesIn->text(),
                     QLocale().formattedDataSize(qint64(bytes), 1, QLocale::DataSizeIecFormat));
            QVERIFY2(bytesIn->width() >= bytesIn->sizeHint().width(),
                     qPrintable(QStringLiteral("%1 < %2 for %3")
                                    .arg(bytesIn->width())
                                    .arg(bytesIn->sizeHint().width())
                                    .arg(bytesIn->text())));
            QCOMPARE(bytesIn->height(), bytesIn->sizeHint().height());
        }
    }
};

QTEST_MAIN(TestTickUpdates)
#include "tst_tick_updates.moc"
