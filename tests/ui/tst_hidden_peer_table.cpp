// The main window's peer table waits while the Peers tab is hidden: its model skips the ticks
// and catches up with the latest snapshot when the table is shown, while the peer actions
// (on every tab) still follow each snapshot.
#include "support/throwaway_settings.h"
#include "ui/main_window.h"
#include "ui/models/peer_table_model.h"

#include <QAction>
#include <QDateTime>
#include <QItemSelectionModel>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace peerscope;

namespace {

const qint64 kBaseMs = QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();

QString peerIdFor(int n) {
    return QStringLiteral("12D3KooWHiddenTablePeer%1xxxxxxxxxxxxxxxxxxxxxx").arg(n);
}

PeerSnapshot makePeer(int n, bool isProtected = false) {
    PeerSnapshot peer;
    peer.peerId = peerIdFor(n);
    peer.isProtected = isProtected;
    ConnectionSnapshot connection;
    connection.id = quint64(n);
    connection.peerId = peer.peerId;
    connection.direction = QStringLiteral("outbound");
    connection.remoteAddr = QStringLiteral("/ip4/10.0.0.%1/tcp/4001").arg(n);
    connection.rttSmoothedMs = 10.0 * n;
    peer.connections << connection;
    return peer;
}

} // namespace

class TestHiddenPeerTable final : public QObject {
    Q_OBJECT

private:
    QTemporaryDir settingsDir_;
    qint64 atMs_ = kBaseMs;

    void apply(MainWindow& window, const QList<PeerSnapshot>& peers) {
        NodeSnapshot snapshot;
        snapshot.peerId = QStringLiteral("12D3KooWSelf");
        snapshot.takenAt = QDateTime::fromMSecsSinceEpoch(atMs_, Qt::UTC);
        snapshot.peers = peers;
        atMs_ += 250;
        window.applySnapshot(snapshot);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(settingsDir_.isValid());
        test::useThrowawaySettings(settingsDir_.path(), QStringLiteral("tst_hidden_peer_table"));
    }

    void tableCatchesUpWhenShown() {
        MainWindow window(nullptr);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showTab(MainWindow::PeersTab);
        auto* table = window.findChild<QTableView*>(QStringLiteral("peerTable"));
        auto* copyPeerId = window.findChild<QAction*>(QStringLiteral("copyPeerIdAction"));
        auto* protect = window.findChild<QAction*>(QStringLiteral("protectAction"));
        QVERIFY(table && copyPeerId && protect);

        apply(window, {makePeer(1), makePeer(2)});
        QCOMPARE(table->model()->rowCount(), 2);
        window.selectPeer(peerIdFor(1));
        QVERIFY(copyPeerId->isEnabled());
        QVERIFY(!protect->isChecked());

        // Another tab: the table's model does not follow the ticks...
        window.showTab(MainWindow::OverviewTab);
        QSignalSpy inserted(table->model(), &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(table->model(), &QAbstractItemModel::dataChanged);
        apply(window, {makePeer(1, true), makePeer(2), makePeer(3)});
        QCOMPARE(table->model()->rowCount(), 2);
        QCOMPARE(inserted.count(), 0);
        QCOMPARE(changed.count(), 0);
        // ...but the actions on the selected peer do: it is protected now,
        QVERIFY(protect->isChecked());
        QVERIFY(copyPeerId->isEnabled());
        // and then gone.
        apply(window, {makePeer(2), makePeer(3)});
        QVERIFY(!copyPeerId->isEnabled());
        QVERIFY(!protect->isChecked());

        // Shown again: the latest snapshot at once, before any further tick.
        window.showTab(MainWindow::PeersTab);
        QCOMPARE(table->model()->rowCount(), 2);
        QCOMPARE(table->model()
                     ->index(0, PeerTableModel::PeerColumn)
                     .data(PeerTableModel::PeerIdRole)
                     .toString(),
                 peerIdFor(2));
        QCOMPARE(table->model()
                     ->index(1, PeerTableModel::PeerColumn)
                     .data(PeerTableModel::PeerIdRole)
                     .toString(),
                 peerIdFor(3));
        // The gone peer's row went with it (the view may move the selection to a neighbour).
        for (const QModelIndex& row : table->selectionModel()->selectedRows())
            QVERIFY(row.data(PeerTableModel::PeerIdRole).toString() != peerIdFor(1));

        // Visible: every tick again.
        apply(window, {makePeer(2), makePeer(3), makePeer(4)});
        QCOMPARE(table->model()->rowCount(), 3);
    }

    void selectingWhileHiddenUsesTheLatestSnapshot() {
        MainWindow window(nullptr);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showTab(MainWindow::EventsTab);
        apply(window, {makePeer(5), makePeer(6)});
        window.selectPeer(peerIdFor(6));
        auto* table = window.findChild<QTableView*>(QStringLiteral("peerTable"));
        QVERIFY(table);
        const QModelIndexList selected = table->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(selected.first().data(PeerTableModel::PeerIdRole).toString(), peerIdFor(6));
    }
};

QTEST_MAIN(TestHiddenPeerTable)
#include "tst_hidden_peer_table.moc"
