#include "support/model_spies.h"
#include "ui/models/event_log_model.h"
#include "ui/views/event_log_view.h"

#include <QAbstractItemModelTester>
#include <QComboBox>
#include <QItemSelectionModel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QTableView>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

constexpr int kTimeoutMs = 5000;

QString peerIdFor(int n) {
    return QStringLiteral("12D3KooWEventPeer%1xxxxxxxxxxxxxxxxxxxxxxx").arg(n, 4, 10, QChar('0'));
}

EventSnapshot makeEvent(quint64 seq, const QString& kind = QStringLiteral("opened"), int peer = 1,
                        quint64 connection = 0, const QString& detail = {}) {
    EventSnapshot event;
    event.seq = seq;
    event.at = QDateTime(QDate(2024, 5, 1), QTime(12, 0, 0), Qt::UTC).addMSecs(seq * 10);
    event.kind = kind;
    event.peerId = peer > 0 ? peerIdFor(peer) : QString();
    event.connectionId = connection;
    event.detail = detail.isEmpty() ? QStringLiteral("event %1").arg(seq) : detail;
    return event;
}

QList<EventSnapshot> makeEvents(quint64 from, quint64 to) {
    QList<EventSnapshot> events;
    for (quint64 seq = from; seq <= to; ++seq)
        events << makeEvent(seq);
    return events;
}

} // namespace

class TestEventLogModel final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void displaysColumns() {
        EventLogModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        EventSnapshot failed =
            makeEvent(7, QStringLiteral("dial_failed"), 3, 0, QStringLiteral("connection refused"));
        EventSnapshot opened = makeEvent(8, QStringLiteral("opened"), 3, 42);
        EventSnapshot config = makeEvent(9, QStringLiteral("config"), 0, 0,
                                         QStringLiteral("max_connections_per_peer 3 -> 4"));
        model.append({failed, opened, config});
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.lastSeq(), 9u);

        const auto cell = [&model](int row, int column, int role = Qt::DisplayRole) {
            return model.index(row, column).data(role);
        };
        QCOMPARE(cell(0, EventLogModel::TimeColumn).toString(),
                 failed.at.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz")));
        QVERIFY(cell(0, EventLogModel::TimeColumn, Qt::ToolTipRole)
                    .toString()
                    .contains(QStringLiteral("2024-05-01T12:00:00.070")));
        QCOMPARE(cell(0, EventLogModel::TimeColumn, EventLogModel::SortRole).toULongLong(), 7u);
        QCOMPARE(cell(0, EventLogModel::KindColumn).toString(), QStringLiteral("dial_failed"));
        QVERIFY(cell(0, EventLogModel::KindColumn, Qt::ForegroundRole).isValid());
        QVERIFY(!cell(1, EventLogModel::KindColumn, Qt::ForegroundRole).isValid());
        QCOMPARE(cell(0, EventLogModel::PeerColumn).toString(), QStringLiteral("12D3…xxxxxx"));
        QCOMPARE(cell(0, EventLogModel::PeerColumn, Qt::ToolTipRole).toString(), peerIdFor(3));
        QCOMPARE(cell(0, EventLogModel::DetailColumn, EventLogModel::PeerIdRole).toString(),
                 peerIdFor(3));
        QCOMPARE(cell(0, EventLogModel::DetailColumn, EventLogModel::KindRole).toString(),
                 QStringLiteral("dial_failed"));
        QVERIFY(!cell(0, EventLogModel::ConnectionColumn).isValid()); // not about a connection
        QCOMPARE(cell(0, EventLogModel::DetailColumn).toString(),
                 QStringLiteral("connection refused"));
        QCOMPARE(cell(1, EventLogModel::ConnectionColumn).toULongLong(), 42u);
        QCOMPARE(cell(1, EventLogModel::ConnectionColumn, EventLogModel::FilterRole).toString(),
                 QStringLiteral("42"));
        QCOMPARE(cell(2, EventLogModel::PeerColumn).toString(), QString()); // node-wide
        QCOMPARE(model.eventAt(2).detail, QStringLiteral("max_connections_per_peer 3 -> 4"));

        for (int column = 0; column < EventLogModel::ColumnCount; ++column) {
            QVERIFY(!model.headerData(column, Qt::Horizontal).toString().isEmpty());
            QVERIFY(
                !model.headerData(column, Qt::Horizontal, Qt::ToolTipRole).toString().isEmpty());
        }
    }

    void appendsAndIgnoresSeenSeqs() {
        EventLogModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        test::ModelSpies spies(&model);
        model.append(makeEvents(1, 5));
        QCOMPARE(spies.inserted.count(), 1);
        QCOMPARE(spies.inserted.at(0).at(1).toInt(), 0);
        QCOMPARE(spies.inserted.at(0).at(2).toInt(), 4);

        // The backlog and a tick overlap: only 6..8 are new.
        model.append(makeEvents(3, 8));
        QCOMPARE(spies.inserted.count(), 2);
        QCOMPARE(spies.inserted.at(1).at(1).toInt(), 5);
        QCOMPARE(spies.inserted.at(1).at(2).toInt(), 7);
        QCOMPARE(model.rowCount(), 8);
        for (int row = 0; row < model.rowCount(); ++row)
            QCOMPARE(model.eventAt(row).seq, quint64(row + 1));

        // Nothing new: no signal at all.
        model.append(makeEvents(1, 8));
        model.append({});
        QCOMPARE(spies.inserted.count(), 2);

        // Out of order within a batch: appended in seq order.
        model.append({makeEvent(11), makeEvent(9), makeEvent(10)});
        QCOMPARE(model.rowCount(), 11);
        QCOMPARE(model.eventAt(8).seq, 9u);
        QCOMPARE(model.eventAt(10).seq, 11u);

        QCOMPARE(spies.removed.count(), 0);
        QCOMPARE(spies.changed.count(), 0);
        QCOMPARE(spies.reset.count(), 0);
        QCOMPARE(spies.layout.count(), 0);
    }

    void dropsOldestPastCapacity() {
        EventLogModel model(10);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.append(makeEvents(1, 8));
        QItemSelectionModel selection(&model);
        selection.select(model.index(5, 0), // seq 6
                         QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);

        test::ModelSpies spies(&model);
        model.append(makeEvents(9, 12)); // 12 rows: the 2 oldest go
        QCOMPARE(model.rowCount(), 10);
        QCOMPARE(spies.removed.count(), 1);
        QCOMPARE(spies.removed.at(0).at(1).toInt(), 0);
        QCOMPARE(spies.removed.at(0).at(2).toInt(), 1);
        QCOMPARE(spies.inserted.count(), 1);
        // Removed first, so the row count never exceeds the capacity: 6 rows left, 4 added.
        QCOMPARE(spies.inserted.at(0).at(1).toInt(), 6);
        QCOMPARE(spies.inserted.at(0).at(2).toInt(), 9);
        QCOMPARE(spies.reset.count(), 0);
        QCOMPARE(model.eventAt(0).seq, 3u);
        QCOMPARE(model.eventAt(9).seq, 12u);
        // The selection moved up with its row.
        QCOMPARE(selection.selectedRows().size(), 1);
        QCOMPARE(selection.selectedRows().first().row(), 3);
        QCOMPARE(model.eventAt(selection.selectedRows().first().row()).seq, 6u);

        // A batch bigger than the capacity: only its newest 10 stay, the rest count as seen.
        model.append(makeEvents(13, 40));
        QCOMPARE(model.rowCount(), 10);
        QCOMPARE(model.eventAt(0).seq, 31u);
        QCOMPARE(model.eventAt(9).seq, 40u);
        QCOMPARE(model.lastSeq(), 40u);
        QVERIFY(selection.selectedRows().isEmpty()); // its row is gone
    }

    void clearRemovesRowsAndKeepsSeqs() {
        EventLogModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.append(makeEvents(1, 4));
        test::ModelSpies spies(&model);
        model.clear();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(spies.removed.count(), 1);
        QCOMPARE(spies.reset.count(), 0);
        model.clear(); // already empty: nothing
        QCOMPARE(spies.removed.count(), 1);
        // Events from before the clear do not come back.
        model.append(makeEvents(1, 5));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.eventAt(0).seq, 5u);
    }

    void reportsNewKinds() {
        EventLogModel model;
        QSignalSpy added(&model, &EventLogModel::kindAdded);
        model.append({makeEvent(1, QStringLiteral("opened")), makeEvent(2, QStringLiteral("retry")),
                      makeEvent(3, QStringLiteral("opened"))});
        QCOMPARE(added.count(), 2);
        QCOMPARE(added.at(0).at(0).toString(), QStringLiteral("opened"));
        QCOMPARE(added.at(1).at(0).toString(), QStringLiteral("retry"));
        model.append({makeEvent(4, QStringLiteral("retry"))});
        QCOMPARE(added.count(), 2);
        QCOMPARE(model.kinds(), (QStringList{QStringLiteral("opened"), QStringLiteral("retry")}));
    }

    void viewFiltersByKindAndText() {
        EventLogModel model;
        EventLogView view(&model);
        QTableView* table = view.table();
        QAbstractItemModelTester tester(table->model(),
                                        QAbstractItemModelTester::FailureReportingMode::Fatal);
        model.append({makeEvent(1, QStringLiteral("dial_failed"), 1, 0,
                                QStringLiteral("connection refused")),
                      makeEvent(2, QStringLiteral("backoff"), 1, 0,
                                QStringLiteral("retrying in 200 ms (attempt 2 of 4)")),
                      makeEvent(3, QStringLiteral("failed"), 2, 17),
                      makeEvent(4, QStringLiteral("opened"), 2, 18),
                      makeEvent(5, QStringLiteral("holepunch"), 3, 0)});
        QCOMPARE(table->model()->rowCount(), 5);

        auto* combo = view.findChild<QComboBox*>(QStringLiteral("eventKindFilter"));
        QVERIFY(combo);
        QVERIFY(combo->findData(QStringLiteral("backoff")) >= 0);   // known in advance
        QVERIFY(combo->findData(QStringLiteral("holepunch")) >= 0); // added when seen
        // "failed" is an exact match: not "dial_failed".
        combo->setCurrentIndex(combo->findData(QStringLiteral("failed")));
        QCOMPARE(view.kindFilter(), QStringLiteral("failed"));
        QCOMPARE(table->model()->rowCount(), 1);
        QCOMPARE(table->model()->index(0, 0).data(EventLogModel::PeerIdRole).toString(),
                 peerIdFor(2));
        view.setKindFilter(QString());
        QCOMPARE(combo->currentIndex(), 0);
        QCOMPARE(table->model()->rowCount(), 5);

        // Text: detail, full peer id (not shown in full), connection id; case-insensitive.
        auto* text = view.findChild<QLineEdit*>(QStringLiteral("eventTextFilter"));
        QVERIFY(text);
        text->setText(QStringLiteral("ATTEMPT 2"));
        QCOMPARE(table->model()->rowCount(), 1);
        QCOMPARE(table->model()->index(0, EventLogModel::KindColumn).data().toString(),
                 QStringLiteral("backoff"));
        text->setText(QStringLiteral("EventPeer0002"));
        QCOMPARE(table->model()->rowCount(), 2);
        // Both filters at once.
        view.setKindFilter(QStringLiteral("opened"));
        QCOMPARE(table->model()->rowCount(), 1);
        view.setTextFilter(QStringLiteral("17"));
        QCOMPARE(table->model()->rowCount(), 0);
        view.setKindFilter(QString());
        QCOMPARE(table->model()->rowCount(), 1);
        QCOMPARE(table->model()->index(0, EventLogModel::ConnectionColumn).data().toULongLong(),
                 17u);
        view.setTextFilter(QString());

        // Clear empties the log through the button.
        auto* clear = view.findChild<QPushButton*>(QStringLiteral("clearEventsButton"));
        QVERIFY(clear);
        clear->click();
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(table->model()->rowCount(), 0);
    }

    void viewFollowsNewestUnlessScrolledUp() {
        EventLogModel model(200);
        EventLogView view(&model);
        view.resize(500, 240);
        view.show();
        QVERIFY(QTest::qWaitForWindowExposed(&view));
        QTableView* table = view.table();
        QScrollBar* scrollBar = table->verticalScrollBar();

        model.append(makeEvents(1, 100));
        QTRY_VERIFY_WITH_TIMEOUT(scrollBar->maximum() > 0, kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(scrollBar->value(), scrollBar->maximum(), kTimeoutMs);
        QVERIFY(view.followsNewest());
        const auto lastVisibleSeq = [&] {
            const int row = table->rowAt(table->viewport()->height() - 2);
            return row < 0
                       ? 0
                       : table->model()->index(row, 0).data(EventLogModel::SortRole).toULongLong();
        };
        QTRY_COMPARE_WITH_TIMEOUT(lastVisibleSeq(), 100u, kTimeoutMs);

        model.append(makeEvents(101, 150));
        QTRY_COMPARE_WITH_TIMEOUT(lastVisibleSeq(), 150u, kTimeoutMs);

        // The user scrolls up: new events do not move the view.
        scrollBar->setValue(20);
        QVERIFY(!view.followsNewest());
        const quint64 topSeq =
            table->model()->index(table->rowAt(0), 0).data(EventLogModel::SortRole).toULongLong();
        model.append(makeEvents(151, 170));
        QTest::qWait(50); // let the table lay out the new rows
        QCOMPARE(scrollBar->value(), 20);
        QVERIFY(!view.followsNewest());

        // Past the capacity the oldest rows drop off above: the same event stays on top.
        model.append(makeEvents(171, 210)); // 210 > 200: 10 dropped
        QCOMPARE(model.rowCount(), 200);
        QTest::qWait(50);
        QCOMPARE(
            table->model()->index(table->rowAt(0), 0).data(EventLogModel::SortRole).toULongLong(),
            topSeq);
        QVERIFY(!view.followsNewest());

        // Back at the bottom: following again.
        scrollBar->setValue(scrollBar->maximum());
        QVERIFY(view.followsNewest());
        model.append(makeEvents(211, 230));
        QTRY_COMPARE_WITH_TIMEOUT(lastVisibleSeq(), 230u, kTimeoutMs);
        QVERIFY(view.followsNewest());
    }
};

QTEST_MAIN(TestEventLogModel)
#include "tst_event_log_model.moc"
