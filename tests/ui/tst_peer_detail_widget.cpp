#include "ui/charts/bandwidth_chart_view.h"
#include "ui/charts/history_store.h"
#include "ui/charts/latency_chart_view.h"
#include "ui/models/connection_table_model.h"
#include "ui/views/peer_detail_widget.h"

#include <QAreaSeries>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QGuiApplication>
#include <QLabel>
#include <QLineSeries>
#include <QPushButton>
#include <QSignalSpy>
#include <QSortFilterProxyModel>
#include <QTabWidget>
#include <QTableView>
#include <QTest>
#include <QTreeWidget>
#include <QValueAxis>
#include <memory>

using namespace peerscope;

namespace {

const qint64 kBaseMs = QDateTime(QDate(2024, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
constexpr qint64 kTickMs = 250;
const QString kPeerA = QStringLiteral("12D3KooWDetailPeerAaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1");
const QString kPeerB = QStringLiteral("12D3KooWDetailPeerBbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2");

ConnectionSnapshot makeConnection(quint64 id, const QString& peerId, double rateIn = 2048,
                                  double rtt = 20) {
    ConnectionSnapshot connection;
    connection.id = id;
    connection.peerId = peerId;
    connection.direction = QStringLiteral("outbound");
    connection.remoteAddr = QStringLiteral("/ip4/10.0.0.%1/tcp/4001").arg(id);
    connection.rttSmoothedMs = rtt;
    connection.jitterMs = 3;
    connection.probes = 2;
    connection.rateIn.perSecond[0] = rateIn;
    connection.rateOut.perSecond[0] = rateIn / 2;
    return connection;
}

PeerSnapshot makePeer(const QString& peerId, const QList<ConnectionSnapshot>& connections,
                      bool isProtected = false) {
    PeerSnapshot peer;
    peer.peerId = peerId;
    peer.agentVersion = QStringLiteral("test-agent/1.0");
    peer.isProtected = isProtected;
    peer.connections = connections;
    return peer;
}

NodeSnapshot makeSnapshot(qint64 atMs, const QList<PeerSnapshot>& peers) {
    NodeSnapshot snapshot;
    snapshot.peerId = QStringLiteral("12D3KooWSelf");
    snapshot.takenAt = QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC);
    snapshot.peers = peers;
    return snapshot;
}

EventSnapshot makeEvent(quint64 seq, qint64 atMs, const QString& kind, const QString& peerId,
                        quint64 connectionId, const QString& detail) {
    EventSnapshot event;
    event.seq = seq;
    event.at = QDateTime::fromMSecsSinceEpoch(atMs, Qt::UTC);
    event.kind = kind;
    event.peerId = peerId;
    event.connectionId = connectionId;
    event.detail = detail;
    return event;
}

QStringList historyKinds(const PeerDetailWidget& widget) {
    QStringList kinds;
    QTreeWidget* list = widget.historyList();
    for (int row = 0; row < list->topLevelItemCount(); ++row)
        kinds << list->topLevelItem(row)->text(1);
    return kinds;
}

} // namespace

class TestPeerDetailWidget final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QLocale::setDefault(QLocale::c()); }

    void init() {
        history_ = std::make_unique<HistoryStore>();
        widget_ = std::make_unique<PeerDetailWidget>(*history_);
        widget_->resize(900, 700);
        widget_->show();
        QVERIFY(QTest::qWaitForWindowExposed(widget_.get()));
        now_ = kBaseMs;
    }

    void cleanup() {
        widget_.reset();
        history_.reset();
    }

    void placeholderUntilAPeerIsShown() {
        auto* placeholder = widget_->findChild<QLabel*>(QStringLiteral("peerDetailPlaceholder"));
        QVERIFY(placeholder);
        feed({makePeer(kPeerA, {makeConnection(1, kPeerA)})});
        QVERIFY(placeholder->isVisible());
        QCOMPARE(widget_->connectionModel()->rowCount(), 0);

        widget_->showPeer(kPeerA);
        QVERIFY(!placeholder->isVisible());
        QCOMPARE(widget_->connectionModel()->rowCount(), 1);
        auto* idLabel = widget_->findChild<QLabel*>(QStringLiteral("peerDetailPeerId"));
        QCOMPARE(idLabel->text(), QStringLiteral("12D3…aaaaa1"));
        QCOMPARE(idLabel->toolTip(), kPeerA);
        QCOMPARE(widget_->findChild<QLabel*>(QStringLiteral("peerDetailAgent"))->text(),
                 QStringLiteral("test-agent/1.0"));
        QCOMPARE(widget_->findChild<QLabel*>(QStringLiteral("peerDetailStatus"))->text(),
                 QStringLiteral("1 connection"));

        widget_->showPeer(QString());
        QVERIFY(placeholder->isVisible());
        QCOMPARE(widget_->connectionModel()->rowCount(), 0);
    }

    void buttonsEmitTheRightIds() {
        widget_->showPeer(kPeerA);
        feed({makePeer(kPeerA, {makeConnection(9, kPeerA), makeConnection(4, kPeerA)}),
              makePeer(kPeerB, {makeConnection(5, kPeerB)})});
        QCOMPARE(widget_->connectionModel()->rowCount(), 2);

        QSignalSpy ping(widget_.get(), &PeerDetailWidget::pingNowRequested);
        QSignalSpy close(widget_.get(), &PeerDetailWidget::closeConnectionRequested);
        QSignalSpy disconnect(widget_.get(), &PeerDetailWidget::disconnectRequested);
        QSignalSpy protect(widget_.get(), &PeerDetailWidget::protectRequested);
        QSignalSpy copied(widget_.get(), &PeerDetailWidget::multiaddrCopied);

        // Nothing selected: ping goes to the first (lowest id) connection, close is off.
        QCOMPARE(widget_->selectedConnectionId(), 0ull);
        QCOMPARE(widget_->actionConnectionId(), 4ull);
        button("pingNowButton")->click();
        QCOMPARE(ping.count(), 1);
        QCOMPARE(ping.at(0).at(0).toULongLong(), 4ull);
        QVERIFY(!button("closeConnectionButton")->isEnabled());
        button("closeConnectionButton")->click();
        QCOMPARE(close.count(), 0);

        selectConnection(9);
        QCOMPARE(widget_->selectedConnectionId(), 9ull);
        QVERIFY(button("closeConnectionButton")->isEnabled());
        button("closeConnectionButton")->click();
        QCOMPARE(close.count(), 1);
        QCOMPARE(close.at(0).at(0).toULongLong(), 9ull);
        button("pingNowButton")->click();
        QCOMPARE(ping.count(), 2);
        QCOMPARE(ping.at(1).at(0).toULongLong(), 9ull);

        button("copyMultiaddrButton")->click();
        const QString expected = QStringLiteral("/ip4/10.0.0.9/tcp/4001/p2p/") + kPeerA;
        QCOMPARE(QGuiApplication::clipboard()->text(), expected);
        QCOMPARE(copied.count(), 1);
        QCOMPARE(copied.at(0).at(0).toString(), expected);

        button("disconnectButton")->click();
        QCOMPARE(disconnect.count(), 1);
        QCOMPARE(disconnect.at(0).at(0).toString(), kPeerA);

        auto* badge = widget_->findChild<QLabel*>(QStringLiteral("peerDetailProtectedBadge"));
        QVERIFY(!badge->isVisible());
        QCOMPARE(button("protectButton")->text(), QStringLiteral("Protect"));
        button("protectButton")->click();
        QCOMPARE(protect.count(), 1);
        QCOMPARE(protect.at(0).at(0).toString(), kPeerA);
        QCOMPARE(protect.at(0).at(1).toBool(), true);

        // The engine reports it protected: badge on, the button now unprotects.
        feed({makePeer(kPeerA, {makeConnection(9, kPeerA), makeConnection(4, kPeerA)}, true)});
        QVERIFY(badge->isVisible());
        QCOMPARE(button("protectButton")->text(), QStringLiteral("Unprotect"));
        button("protectButton")->click();
        QCOMPARE(protect.count(), 2);
        QCOMPARE(protect.at(1).at(1).toBool(), false);
        // The selection survived the updates.
        QCOMPARE(widget_->selectedConnectionId(), 9ull);

        // The selected connection closes: actions fall back to the remaining one.
        feed({makePeer(kPeerA, {makeConnection(4, kPeerA)}, true)});
        QCOMPARE(widget_->selectedConnectionId(), 0ull);
        QVERIFY(!button("closeConnectionButton")->isEnabled());
        button("pingNowButton")->click();
        QCOMPARE(ping.at(2).at(0).toULongLong(), 4ull);

        // Disconnected: only protect stays possible.
        feed({makePeer(kPeerA, {}, true)});
        QVERIFY(!button("pingNowButton")->isEnabled());
        QVERIFY(!button("disconnectButton")->isEnabled());
        QVERIFY(!button("copyMultiaddrButton")->isEnabled());
        QVERIFY(button("protectButton")->isEnabled());
        QCOMPARE(widget_->findChild<QLabel*>(QStringLiteral("peerDetailStatus"))->text(),
                 QStringLiteral("not connected"));
    }

    void chartsGetPointsFromTheHistory() {
        widget_->showPeer(kPeerA);
        // 3 s at 4 Hz: RTT 20 ms +- 3 ms on connection 1, 40 ms on 2.
        for (int tick = 0; tick < 12; ++tick)
            feed({makePeer(kPeerA, {makeConnection(1, kPeerA, 2048, 20),
                                    makeConnection(2, kPeerA, 4096, 40)})});

        LatencyChartView* latency = widget_->latencyChart();
        QVERIFY(latency->isVisible());
        QCOMPARE(latency->connectionId(), 1ull); // nothing selected: the first
        // Two closed seconds (stamped at their ends, 1 s and 2 s) and the one still filling
        // (stamped at its newest sample, 2.75 s).
        QCOMPARE(latency->rttSeries()->count(), 3);
        QCOMPARE(latency->jitterUpperSeries()->count(), 3);
        QCOMPARE(latency->jitterLowerSeries()->count(), 3);
        QCOMPARE(latency->rttSeries()->at(0).y(), 20.0);
        QCOMPARE(latency->jitterUpperSeries()->at(0).y(), 23.0);
        QCOMPARE(latency->jitterLowerSeries()->at(0).y(), 17.0);
        QVERIFY(latency->jitterBand()->upperSeries() == latency->jitterUpperSeries());
        // Newest point at "0 seconds ago", older ones further left on the reversed axis.
        QCOMPARE(latency->rttSeries()->at(2).x(), 0.0);
        QCOMPARE(latency->rttSeries()->at(0).x(), 1.75);

        // The bandwidth chart is in a hidden tab: drawn when its tab is shown.
        BandwidthChartView* bandwidth = widget_->bandwidthChart();
        QVERIFY(!bandwidth->isVisible());
        QCOMPARE(bandwidth->inSeries()->count(), 0);
        tabs()->setCurrentWidget(bandwidth);
        QVERIFY(bandwidth->isVisible());
        QCOMPARE(bandwidth->inSeries()->count(), 3);
        QCOMPARE(bandwidth->outSeries()->count(), 3);
        // The peer: 2 KiB/s + 4 KiB/s in.
        QCOMPARE(bandwidth->rateUnit(), QStringLiteral("KiB/s"));
        QCOMPARE(bandwidth->inSeries()->at(0).y(), 6.0);
        QCOMPARE(bandwidth->outSeries()->at(0).y(), 3.0);

        // Selecting a connection narrows both charts to it.
        selectConnection(2);
        QCOMPARE(widget_->latencyChart()->connectionId(), 2ull);
        QCOMPARE(bandwidth->inSeries()->at(0).y(), 4.0);
        feed({makePeer(
            kPeerA, {makeConnection(1, kPeerA, 2048, 20), makeConnection(2, kPeerA, 4096, 40)})});
        tabs()->setCurrentWidget(latency);
        QCOMPARE(latency->rttSeries()->at(0).y(), 40.0);

        // The span selector switches both charts to 10 min (minutes on the axis).
        auto* selector = bandwidth->findChild<QComboBox*>(QStringLiteral("bandwidthSpanSelector"));
        QVERIFY(selector);
        selector->setCurrentIndex(1);
        QCOMPARE(bandwidth->resolution(), SeriesHistory::Resolution::FiveSeconds);
        QCOMPARE(latency->resolution(), SeriesHistory::Resolution::FiveSeconds);
        QCOMPARE(latency->rttSeries()->count(), 1); // one 5 s bucket, still filling
    }

    void nothingRefreshesWhileHidden() {
        widget_->showPeer(kPeerA);
        for (int tick = 0; tick < 8; ++tick)
            feed({makePeer(kPeerA, {makeConnection(1, kPeerA)})});
        LatencyChartView* latency = widget_->latencyChart();
        const int points = latency->rttSeries()->count();
        QCOMPARE(points, 2);
        const QPointF newest = latency->rttSeries()->at(points - 1);

        QSignalSpy inserted(widget_->connectionModel(), &QAbstractItemModel::rowsInserted);
        QSignalSpy changed(widget_->connectionModel(), &QAbstractItemModel::dataChanged);
        widget_->hide();
        // 5 more seconds, a second connection, a different RTT.
        for (int tick = 0; tick < 20; ++tick)
            feed({makePeer(kPeerA,
                           {makeConnection(1, kPeerA, 100, 80), makeConnection(2, kPeerA)})});
        QCOMPARE(inserted.count(), 0);
        QCOMPARE(changed.count(), 0);
        QCOMPARE(widget_->connectionModel()->rowCount(), 1);
        QCOMPARE(latency->rttSeries()->count(), points);
        QCOMPARE(latency->rttSeries()->at(points - 1), newest);
        // The history itself kept recording.
        QCOMPARE(history_->connection(1)->rttMs.size(SeriesHistory::Resolution::OneSecond),
                 std::size_t(6));

        widget_->show();
        QVERIFY(QTest::qWaitForWindowExposed(widget_.get()));
        QCOMPARE(inserted.count(), 1);
        QCOMPARE(widget_->connectionModel()->rowCount(), 2);
        QCOMPARE(latency->rttSeries()->count(), 7);
        QCOMPARE(latency->rttSeries()->at(6).y(), 80.0);
    }

    void eventAndErrorHistory() {
        widget_->showPeer(kPeerA);
        feed({makePeer(kPeerA, {makeConnection(1, kPeerA)})});
        widget_->appendEvents({
            makeEvent(1, kBaseMs - 2000, QStringLiteral("dial_failed"), kPeerA, 0,
                      QStringLiteral("connection refused")),
            makeEvent(2, kBaseMs - 1500, QStringLiteral("opened"), kPeerB, 5, QString()),
            makeEvent(3, kBaseMs - 1000, QStringLiteral("config"), QString(), 0, QString()),
            makeEvent(4, kBaseMs - 500, QStringLiteral("opened"), kPeerA, 1, QString()),
        });
        // Newest first, only this peer's.
        QCOMPARE(historyKinds(*widget_), (QStringList{"opened", "dial_failed"}));
        QCOMPARE(widget_->historyList()->topLevelItem(1)->text(3),
                 QStringLiteral("connection refused"));

        // A ping error at +600 ms, reported by every later snapshot: listed once.
        const qint64 errorAt = now_ + 600;
        for (int tick = 0; tick < 8; ++tick) {
            ConnectionSnapshot connection = makeConnection(1, kPeerA);
            if (now_ >= errorAt)
                connection.errors << ErrorSnapshot{double(now_ - errorAt) / 1000.0,
                                                   QStringLiteral("ping"),
                                                   QStringLiteral("probe timed out")};
            feed({makePeer(kPeerA, {connection})});
        }
        QCOMPARE(historyKinds(*widget_), (QStringList{"error (ping)", "opened", "dial_failed"}));
        QCOMPARE(widget_->historyList()->topLevelItem(0)->text(2), QStringLiteral("1"));
        QCOMPARE(widget_->historyList()->topLevelItem(0)->text(3),
                 QStringLiteral("probe timed out"));

        // An event that happened before the error lands below it.
        widget_->appendEvents({makeEvent(5, errorAt - 100, QStringLiteral("degraded"), kPeerA, 1,
                                         QStringLiteral("rtt above limit"))});
        QCOMPARE(historyKinds(*widget_),
                 (QStringList{"error (ping)", "degraded", "opened", "dial_failed"}));

        // Another peer shows its own events from the log, and back again.
        widget_->showPeer(kPeerB);
        QCOMPARE(historyKinds(*widget_), (QStringList{"opened"}));
        // Its events from the log, and its connection's errors from the latest snapshot.
        widget_->showPeer(kPeerA);
        QCOMPARE(historyKinds(*widget_),
                 (QStringList{"error (ping)", "degraded", "opened", "dial_failed"}));
        // Still once with the next snapshots.
        for (int tick = 0; tick < 2; ++tick) {
            ConnectionSnapshot connection = makeConnection(1, kPeerA);
            connection.errors << ErrorSnapshot{double(now_ - errorAt) / 1000.0,
                                               QStringLiteral("ping"),
                                               QStringLiteral("probe timed out")};
            feed({makePeer(kPeerA, {connection})});
        }
        QCOMPARE(historyKinds(*widget_),
                 (QStringList{"error (ping)", "degraded", "opened", "dial_failed"}));

        // Events arriving while hidden appear once shown.
        widget_->hide();
        widget_->appendEvents({makeEvent(6, now_, QStringLiteral("closed"), kPeerA, 1, {})});
        QCOMPARE(widget_->historyList()->topLevelItemCount(), 4);
        widget_->show();
        QCOMPARE(historyKinds(*widget_).value(0), QStringLiteral("closed"));
    }

    void historyIsBounded() {
        widget_->showPeer(kPeerA);
        QList<EventSnapshot> events;
        const int total = int(PeerDetailWidget::kHistoryCapacity) + 50;
        for (int i = 0; i < total; ++i)
            events << makeEvent(quint64(i + 1), kBaseMs + i, QStringLiteral("retry"), kPeerA, 0,
                                QStringLiteral("attempt %1").arg(i));
        widget_->appendEvents(events);
        QTreeWidget* list = widget_->historyList();
        QCOMPARE(list->topLevelItemCount(), int(PeerDetailWidget::kHistoryCapacity));
        QCOMPARE(list->topLevelItem(0)->text(3), QStringLiteral("attempt %1").arg(total - 1));
        QCOMPARE(list->topLevelItem(list->topLevelItemCount() - 1)->text(3),
                 QStringLiteral("attempt %1").arg(total - int(PeerDetailWidget::kHistoryCapacity)));
        // Older than everything kept: not listed.
        widget_->appendEvents(
            {makeEvent(9999, kBaseMs - 1, QStringLiteral("opened"), kPeerA, 0, {})});
        QCOMPARE(list->topLevelItemCount(), int(PeerDetailWidget::kHistoryCapacity));
        QVERIFY(!historyKinds(*widget_).contains(QStringLiteral("opened")));
    }

    void globalBandwidthChartUnitsAndSpans() {
        BandwidthChartView chart(*history_);
        chart.resize(600, 300);
        chart.showGlobal();
        chart.show();
        QVERIFY(QTest::qWaitForWindowExposed(&chart));
        // 3 MiB/s in, 512 B/s out from the node's byte totals, for 40 s.
        NodeSnapshot snapshot = makeSnapshot(now_, {});
        for (int tick = 0; tick <= 160; ++tick) {
            snapshot.takenAt = QDateTime::fromMSecsSinceEpoch(now_, Qt::UTC);
            snapshot.counters.bytesIn = quint64(tick) * 3 * 1024 * 1024 / 4;
            snapshot.counters.bytesOut = quint64(tick) * 128;
            history_->apply(snapshot);
            chart.refresh();
            now_ += kTickMs;
        }
        QCOMPARE(chart.rateUnit(), QStringLiteral("MiB/s"));
        QCOMPARE(chart.inSeries()->count(), 41); // 40 closed seconds and the one filling
        QCOMPARE(chart.inSeries()->at(0).y(), 3.0);
        QCOMPARE(chart.outSeries()->at(0).y(), 512.0 / (1024 * 1024));
        auto* rateAxis = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Vertical).value(0));
        QVERIFY(rateAxis);
        QCOMPARE(rateAxis->titleText(), QStringLiteral("MiB/s"));
        QVERIFY(rateAxis->max() >= 3.0);
        QVERIFY(rateAxis->max() <= 6.0);
        auto* timeAxis = qobject_cast<QValueAxis*>(chart.chart()->axes(Qt::Horizontal).value(0));
        QVERIFY(timeAxis);
        QCOMPARE(timeAxis->max(), 60.0);
        QVERIFY(timeAxis->isReverse());

        // The 1 h view: 30 s points, the axis in minutes.
        QSignalSpy changed(&chart, &BandwidthChartView::resolutionChanged);
        chart.setResolution(SeriesHistory::Resolution::ThirtySeconds);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(
            chart.findChild<QComboBox*>(QStringLiteral("bandwidthSpanSelector"))->currentIndex(),
            2);
        QCOMPARE(timeAxis->max(), 60.0);
        QCOMPARE(timeAxis->titleText(), QStringLiteral("minutes ago"));
        QCOMPARE(chart.inSeries()->count(), 2); // 0-30 s closed, 30-40 s filling
        QCOMPARE(chart.inSeries()->at(0).y(), 3.0);

        // Idle and hidden: nothing redrawn until shown, then B/s.
        chart.hide();
        for (int tick = 0; tick < 8; ++tick) {
            snapshot.takenAt = QDateTime::fromMSecsSinceEpoch(now_, Qt::UTC);
            history_->apply(snapshot);
            chart.refresh();
            now_ += 60'000;
        }
        QCOMPARE(chart.rateUnit(), QStringLiteral("MiB/s"));
        QCOMPARE(chart.inSeries()->count(), 2);
        chart.show();
        QVERIFY(chart.inSeries()->count() > 2);
        QCOMPARE(chart.inSeries()->at(chart.inSeries()->count() - 1).y(), 0.0);
    }

private:
    void feed(const QList<PeerSnapshot>& peers) {
        const NodeSnapshot snapshot = makeSnapshot(now_, peers);
        history_->apply(snapshot);
        widget_->applySnapshot(snapshot);
        now_ += kTickMs;
    }

    QPushButton* button(const char* name) const {
        auto* found = widget_->findChild<QPushButton*>(QString::fromLatin1(name));
        if (!found)
            qFatal("no button %s", name);
        return found;
    }

    QTabWidget* tabs() const {
        return widget_->findChild<QTabWidget*>(QStringLiteral("peerDetailTabs"));
    }

    void selectConnection(quint64 id) {
        QTableView* table = widget_->connectionTable();
        auto* proxy = qobject_cast<QSortFilterProxyModel*>(table->model());
        const int sourceRow = widget_->connectionModel()->rowOfConnection(id);
        QVERIFY(sourceRow >= 0);
        const QModelIndex index =
            proxy->mapFromSource(widget_->connectionModel()->index(sourceRow, 0));
        table->selectRow(index.row());
    }

    std::unique_ptr<HistoryStore> history_;
    std::unique_ptr<PeerDetailWidget> widget_;
    qint64 now_ = 0;
};

QTEST_MAIN(TestPeerDetailWidget)
#include "tst_peer_detail_widget.moc"
