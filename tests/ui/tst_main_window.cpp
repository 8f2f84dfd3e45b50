#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "support/loopback_engine.h"
#include "support/throwaway_settings.h"
#include "ui/dialogs/dial_dialog.h"
#include "ui/gesture_manager_setup.h"
#include "ui/main_window.h"
#include "ui/models/connection_table_model.h"
#include "ui/models/peer_table_model.h"
#include "ui/views/event_log_view.h"
#include "ui/views/peer_detail_widget.h"

#include <QAction>
#include <QDir>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QStatusBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

constexpr int kTimeoutMs = 10000;

} // namespace

class TestMainWindow final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(settingsDir_.isValid());
        test::useThrowawaySettings(settingsDir_.path(), QStringLiteral("tst_main_window"));
        QLocale::setDefault(QLocale::c());
        createGestureManagerBeforeThreads(); // before any engine thread

        for (auto* dir : {&dirA_, &dirB_})
            QVERIFY(dir->isValid());
        // B does not redial A after A disconnects it, so the row stays gone.
        QFile configB(dirB_.filePath(QStringLiteral("config.json")));
        QVERIFY(configB.open(QIODevice::WriteOnly));
        configB.write(R"({"connection": {"min_connections_per_peer": 0}})");
        configB.close();
        engineA_ = std::make_unique<Engine>(test::loopbackOptions(dirA_));
        engineB_ = std::make_unique<Engine>(test::loopbackOptions(dirB_));
        const Result<void> startedA = engineA_->start();
        QVERIFY2(startedA.ok(), startedA.ok() ? "" : startedA.errorMessage().c_str());
        const Result<void> startedB = engineB_->start();
        QVERIFY2(startedB.ok(), startedB.ok() ? "" : startedB.errorMessage().c_str());
        QVERIFY(!engineA_->client()->snapshot().peerId.isEmpty());
    }

    void cleanupTestCase() {
        engineB_.reset();
        engineA_.reset();
    }

    void showsLivePeers() {
        const QString idA = engineA_->client()->snapshot().peerId;
        const QString idB = engineB_->client()->snapshot().peerId;
        QVERIFY(idA != idB);

        MainWindow window(engineA_->client());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QCOMPARE(window.windowTitle(), QStringLiteral("PeerScope"));
        QVERIFY(!window.windowIcon().pixmap(32, 32).isNull()); // the compiled-in SVG renders
        window.showTab(MainWindow::PeersTab);

        auto* peerIdLabel = window.findChild<QLabel*>(QStringLiteral("peerIdLabel"));
        QVERIFY(peerIdLabel);
        QCOMPARE(peerIdLabel->text(), idA);
        QVERIFY(peerIdLabel->textInteractionFlags() & Qt::TextSelectableByMouse);
        auto* listen = window.findChild<QListWidget*>(QStringLiteral("listenAddressList"));
        QVERIFY(listen);
        QTRY_VERIFY_WITH_TIMEOUT(listen->count() >= 1 && listen->item(0)->text().contains(idA),
                                 kTimeoutMs);

        auto* table = window.findChild<QTableView*>(QStringLiteral("peerTable"));
        QVERIFY(table);
        QCOMPARE(table->model()->rowCount(), 0);
        auto* emptyLabel = window.findChild<QLabel*>(QStringLiteral("emptyPeersLabel"));
        QVERIFY(emptyLabel && emptyLabel->isVisible());

        // B dials A: A's window gets B as an inbound peer on a following tick.
        bool dialed = false;
        QString dialError;
        engineB_->client()->dial(test::loopbackAddr(*engineA_), this,
                                 [&](const DialOutcome& outcome) {
                                     dialed = outcome.ok;
                                     dialError = outcome.error;
                                 });
        QTRY_VERIFY2_WITH_TIMEOUT(dialed, qPrintable(dialError), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(table->model()->rowCount(), 1, kTimeoutMs);
        QVERIFY(!emptyLabel->isVisible());
        const QModelIndex peerCell = table->model()->index(0, PeerTableModel::PeerColumn);
        QCOMPARE(peerCell.data(PeerTableModel::PeerIdRole).toString(), idB);
        QCOMPARE(peerCell.data(Qt::ToolTipRole).toString(), idB);
        QCOMPARE(peerCell.data().toString(), PeerTableModel::shortPeerId(idB));
        QCOMPARE(table->model()->index(0, PeerTableModel::DirectionColumn).data().toString(),
                 QStringLiteral("inbound"));

        // Dial… from the window: A dials B back through the dialog; now both directions.
        auto* dialAction = window.findChild<QAction*>(QStringLiteral("dialAction"));
        QVERIFY(dialAction && dialAction->isEnabled());
        dialAction->trigger();
        DialDialog* dialog = nullptr;
        QTRY_VERIFY((dialog = window.findChild<DialDialog*>(QStringLiteral("dialDialog"))) &&
                    dialog->isVisible());
        dialog->setAddress(test::loopbackAddr(*engineB_));
        QVERIFY(QTest::qWaitForWindowExposed(dialog));
        saveScreenshot(dialog, QStringLiteral("dial_dialog.png"));
        auto* dialButton = dialog->findChild<QPushButton*>(QStringLiteral("dialButton"));
        QVERIFY(dialButton && dialButton->isEnabled());
        dialButton->click();
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().startsWith(QStringLiteral("Connected to")),
            kTimeoutMs);
        QVERIFY(window.statusBar()->currentMessage().contains(PeerTableModel::shortPeerId(idB)));
        // B's dial opened max_connections_per_peer (3) connections at once, so A's dial back
        // finds the peer at its maximum and adds none.
        QTRY_COMPARE_WITH_TIMEOUT(
            table->model()->index(0, PeerTableModel::ConnectionsColumn).data().toInt(), 3,
            kTimeoutMs);
        QCOMPARE(table->model()->index(0, PeerTableModel::DirectionColumn).data().toString(),
                 QStringLiteral("inbound"));

        // Ping the selected peer: RTT in the status bar, then in the table.
        auto* pingAction = window.findChild<QAction*>(QStringLiteral("pingAction"));
        QVERIFY(pingAction);
        QVERIFY(!pingAction->isEnabled());
        table->selectRow(0);
        QVERIFY(pingAction->isEnabled());
        pingAction->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(
            window.statusBar()->currentMessage().contains(QStringLiteral(" ms (min ")), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(table->model()
                                     ->index(0, PeerTableModel::RttColumn)
                                     .data()
                                     .toString()
                                     .endsWith(QStringLiteral(" ms")),
                                 kTimeoutMs);
        // Selection survives the live updates.
        QCOMPARE(table->selectionModel()->selectedRows().size(), 1);
        // The detail pane shows the selected peer's three connections.
        auto* detail = window.findChild<PeerDetailWidget*>(QStringLiteral("peerDetail"));
        QVERIFY(detail);
        QCOMPARE(detail->peerId(), idB);
        QTRY_COMPARE_WITH_TIMEOUT(detail->connectionModel()->rowCount(), 3, kTimeoutMs);
        saveScreenshot(&window, QStringLiteral("peers_tab.png"));

        // Every tab renders; the event log has the connections' "opened"... events.
        for (int tab = 0; tab < MainWindow::TabCount; ++tab) {
            window.showTab(MainWindow::Tab(tab));
            QVERIFY(window.tabWidget(MainWindow::Tab(tab))->isVisible());
        }
        window.showTab(MainWindow::EventsTab);
        auto* events = window.findChild<EventLogView*>(QStringLiteral("eventLogView"));
        QVERIFY(events);
        QTRY_VERIFY_WITH_TIMEOUT(events->table()->model()->rowCount() > 0, kTimeoutMs);
        saveScreenshot(&window, QStringLiteral("events_tab.png"));
        window.showTab(MainWindow::ConfigTab);
        saveScreenshot(&window, QStringLiteral("config_tab.png"));
        window.showTab(MainWindow::OverviewTab);
        auto* byState = window.findChild<QLabel*>(QStringLiteral("connectionsByStateLabel"));
        QVERIFY(byState);
        QTRY_COMPARE_WITH_TIMEOUT(byState->text(),
                                  QStringLiteral("3 healthy · 0 degraded · 0 failed"), kTimeoutMs);
        saveScreenshot(&window, QStringLiteral("overview_tab.png"));
        window.showTab(MainWindow::PeersTab);

        auto* statusCounts = window.findChild<QLabel*>(QStringLiteral("statusCountsLabel"));
        QVERIFY(statusCounts);
        QTRY_COMPARE_WITH_TIMEOUT(statusCounts->text(), QStringLiteral("1 peer  ·  3 connections"),
                                  kTimeoutMs);

        saveScreenshot(&window, QStringLiteral("main_window.png"));

        // The filter hides the peer when nothing matches, and shows it for a piece of its id.
        auto* filter = window.findChild<QLineEdit*>(QStringLiteral("peerFilterEdit"));
        QVERIFY(filter);
        filter->setText(QStringLiteral("no-such-peer"));
        QCOMPARE(table->model()->rowCount(), 0);
        QVERIFY(emptyLabel->isVisible());
        QVERIFY(emptyLabel->text().contains(QStringLiteral("filter")));
        filter->setText(idB.mid(20, 10).toLower());
        QCOMPARE(table->model()->rowCount(), 1);
        filter->clear();

        // Disconnect removes the row.
        table->selectRow(0);
        auto* disconnectAction = window.findChild<QAction*>(QStringLiteral("disconnectAction"));
        QVERIFY(disconnectAction && disconnectAction->isEnabled());
        disconnectAction->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(table->model()->rowCount(), 0, kTimeoutMs);
        QTRY_VERIFY(!disconnectAction->isEnabled());
        QVERIFY(emptyLabel->isVisible());
        QVERIFY(emptyLabel->text().startsWith(QStringLiteral("No connected peers")));
        saveScreenshot(&window, QStringLiteral("main_window_empty.png"));
    }

    void persistsHeaderState() {
        {
            MainWindow window(engineA_->client());
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            auto* table = window.findChild<QTableView*>(QStringLiteral("peerTable"));
            table->setColumnWidth(PeerTableModel::AgentColumn, 333);
            table->sortByColumn(PeerTableModel::BytesInColumn, Qt::DescendingOrder);
            window.resize(1111, 777);
            window.close();
        }
        MainWindow window(engineA_->client());
        auto* table = window.findChild<QTableView*>(QStringLiteral("peerTable"));
        QCOMPARE(table->columnWidth(PeerTableModel::AgentColumn), 333);
        QCOMPARE(table->horizontalHeader()->sortIndicatorSection(),
                 int(PeerTableModel::BytesInColumn));
        QCOMPARE(table->horizontalHeader()->sortIndicatorOrder(), Qt::DescendingOrder);
        QCOMPARE(window.size(), QSize(1111, 777));
    }

private:
    void saveScreenshot(QWidget* widget, const QString& name) {
        const QString dir = QStringLiteral(PEERSCOPE_BINARY_DIR "/artifacts");
        QVERIFY(QDir().mkpath(dir));
        // Let the last snapshot paint and the rates settle before the picture.
        QTest::qWait(600);
        const QString path = dir + QLatin1Char('/') + name;
        QVERIFY(widget->grab().save(path));
        qInfo("screenshot: %s", qPrintable(path));
    }

    QTemporaryDir settingsDir_;
    QTemporaryDir dirA_;
    QTemporaryDir dirB_;
    std::unique_ptr<Engine> engineA_;
    std::unique_ptr<Engine> engineB_;
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
