#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "support/loopback_engine.h"
#include "support/throwaway_settings.h"
#include "ui/dialogs/add_relay_dialog.h"
#include "ui/gesture_manager_setup.h"
#include "ui/main_window.h"
#include "ui/models/relay_table_model.h"
#include "ui/views/relays_panel.h"

#include <QAction>
#include <QDir>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

constexpr int kTimeoutMs = 20000;

} // namespace

// The Relays tab against real engines on loopback: A's window adds B as a relay. B runs no
// relay service, so the reservation there cannot be made.
class TestRelaysTab final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(settingsDir_.isValid());
        test::useThrowawaySettings(settingsDir_.path(), QStringLiteral("tst_relays_tab"));
        QLocale::setDefault(QLocale::c());
        createGestureManagerBeforeThreads(); // before any engine thread

        for (auto* dir : {&dirA_, &dirB_})
            QVERIFY(dir->isValid());
        engineA_ = std::make_unique<Engine>(test::loopbackOptions(dirA_));
        engineB_ = std::make_unique<Engine>(test::loopbackOptions(dirB_));
        const Result<void> startedA = engineA_->start();
        QVERIFY2(startedA.ok(), startedA.ok() ? "" : startedA.errorMessage().c_str());
        const Result<void> startedB = engineB_->start();
        QVERIFY2(startedB.ok(), startedB.ok() ? "" : startedB.errorMessage().c_str());
        idB_ = engineB_->client()->snapshot().peerId;
        QVERIFY(!idB_.isEmpty());
    }

    void cleanupTestCase() {
        engineB_.reset();
        engineA_.reset();
    }

    void addsReservesAndRemovesARelay() {
        MainWindow window(engineA_->client());
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.showTab(MainWindow::RelaysTab);
        auto* panel = qobject_cast<RelaysPanel*>(window.tabWidget(MainWindow::RelaysTab));
        QVERIFY(panel);
        QCOMPARE(window.findChild<QTabWidget*>(QStringLiteral("mainTabs"))
                     ->tabText(MainWindow::RelaysTab),
                 QStringLiteral("Relays"));
        QTableView* table = panel->table();
        RelayTableModel* model = panel->model();
        QCOMPARE(model->rowCount(), 0);
        QVERIFY(panel->findChild<QLabel*>(QStringLiteral("relayEmptyLabel"))->isVisible());
        auto* addAction = panel->findChild<QAction*>(QStringLiteral("addRelayAction"));
        auto* removeAction = panel->findChild<QAction*>(QStringLiteral("removeRelayAction"));
        auto* reserveAction = panel->findChild<QAction*>(QStringLiteral("reserveRelayAction"));
        auto* preferAction = panel->findChild<QAction*>(QStringLiteral("preferRelayAction"));
        QVERIFY(addAction && removeAction && reserveAction && preferAction);
        QVERIFY(addAction->isEnabled());
        QVERIFY(!removeAction->isEnabled()); // nothing selected

        // Our own address: the dialog lets it through, the engine refuses it, inline.
        addAction->trigger();
        QPointer<AddRelayDialog> dialog = panel->findChild<AddRelayDialog*>();
        QVERIFY(dialog);
        auto* edit = dialog->findChild<QLineEdit*>(QStringLiteral("relayAddressEdit"));
        auto* problem = dialog->findChild<QLabel*>(QStringLiteral("relayProblemLabel"));
        auto* add = dialog->findChild<QPushButton*>(QStringLiteral("addRelayButton"));
        QVERIFY(edit && problem && add);
        QVERIFY(!add->isEnabled());
        edit->setText(QStringLiteral("/ip4/127.0.0.1/tcp/4001")); // no /p2p/
        QVERIFY(!add->isEnabled());
        QVERIFY(problem->text().contains(QStringLiteral("/p2p/")));
        edit->setText(test::loopbackAddr(*engineA_));
        QVERIFY(add->isEnabled());
        QVERIFY(problem->isHidden());
        QTest::mouseClick(add, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->lastError().isEmpty(), kTimeoutMs);
        QVERIFY(dialog->isVisible()); // stays open to correct the address
        QVERIFY2(problem->isVisible() && problem->text().contains(QStringLiteral("own peer ID")),
                 qPrintable(problem->text()));
        QCOMPARE(model->rowCount(), 0);

        // B's address: added, the dialog closes, the row comes with the next snapshot.
        const QString addrB = test::loopbackAddr(*engineB_);
        QVERIFY(addrB.contains(idB_));
        edit->setText(addrB);
        QVERIFY(problem->isHidden());
        QTest::mouseClick(add, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(dialog.isNull(), kTimeoutMs); // closed and deleted
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1, kTimeoutMs);
        QCOMPARE(model->relayAt(0).peerId, idB_);
        QVERIFY(!panel->findChild<QLabel*>(QStringLiteral("relayEmptyLabel"))->isVisible());
        const QModelIndex source = model->index(0, RelayTableModel::SourceColumn);
        QCOMPARE(source.data().toString(), QStringLiteral("static"));
        QVERIFY(model->index(0, RelayTableModel::AddressColumn)
                    .data()
                    .toString()
                    .startsWith(QStringLiteral("/ip4/127.0.0.1/tcp/")));

        // Selected: the actions apply to it. B offers no relay service: the reservation
        // there fails, and the row says so.
        panel->selectRelay(idB_);
        QCOMPARE(panel->selectedRelay(), idB_);
        QVERIFY(removeAction->isEnabled() && reserveAction->isEnabled());
        reserveAction->trigger();
        const QModelIndex reservation = model->index(0, RelayTableModel::ReservationColumn);
        QTRY_VERIFY2_WITH_TIMEOUT(
            reservation.data().toString().startsWith(QStringLiteral("failed")) ||
                reservation.data().toString().startsWith(QStringLiteral("refused")),
            qPrintable(reservation.data().toString()), kTimeoutMs);
        auto* result = panel->findChild<QLabel*>(QStringLiteral("relayResultLabel"));
        QVERIFY(result->isVisible());

        // "Use this relay": the row shows it preferred.
        preferAction->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(model->rowCount() == 1 && model->relayAt(0).preferred, kTimeoutMs);
        QVERIFY(model->index(0, RelayTableModel::PreferredColumn)
                    .data()
                    .toString()
                    .contains(QStringLiteral("preferred")));
        QTRY_VERIFY_WITH_TIMEOUT(!preferAction->isEnabled(), kTimeoutMs); // already preferred

        // The Overview counts it.
        window.showTab(MainWindow::OverviewTab);
        auto* counts = window.findChild<QLabel*>(QStringLiteral("relayCountsLabel"));
        QVERIFY(counts);
        QTRY_COMPARE_WITH_TIMEOUT(counts->text(), QStringLiteral("0 of 1 relays reserved"),
                                  kTimeoutMs);
        window.showTab(MainWindow::RelaysTab);
        QVERIFY(table->isVisible());
        saveScreenshot(&window, QStringLiteral("relays_tab.png"));

        // Remove: the row goes, and the engine forgets it.
        panel->selectRelay(idB_);
        removeAction->trigger();
        QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 0, kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(engineA_->client()->snapshot().relays.isEmpty(), kTimeoutMs);
        QVERIFY(result->text().contains(QStringLiteral("Removed relay")));
        QVERIFY(window.statusBar()->currentMessage().contains(QStringLiteral("Removed relay")));
    }

    void engineErrorsAreShown() {
        // An action on a relay the engine no longer knows: its error reaches the user.
        RelaysPanel panel(engineA_->client());
        RelaySnapshot ghost;
        ghost.peerId = idB_;
        ghost.source = QStringLiteral("static");
        panel.model()->applyRelays({ghost});
        panel.selectRelay(idB_);
        QCOMPARE(panel.selectedRelay(), idB_);
        panel.reserveSelectedRelayNow();
        auto* result = panel.findChild<QLabel*>(QStringLiteral("relayResultLabel"));
        QTRY_VERIFY_WITH_TIMEOUT(result->text().contains(QStringLiteral("failed")), kTimeoutMs);
        QVERIFY2(result->text().size() > QStringLiteral("Reserve on relay x failed: ").size(),
                 qPrintable(result->text()));
    }

private:
    void saveScreenshot(QWidget* widget, const QString& name) {
        const QString dir = QStringLiteral(PEERSCOPE_BINARY_DIR "/artifacts");
        QVERIFY(QDir().mkpath(dir));
        QTest::qWait(600); // let the last snapshot paint before the picture
        const QString path = dir + QLatin1Char('/') + name;
        QVERIFY(widget->grab().save(path));
        qInfo("screenshot: %s", qPrintable(path));
    }

    QTemporaryDir settingsDir_;
    QTemporaryDir dirA_;
    QTemporaryDir dirB_;
    std::unique_ptr<Engine> engineA_;
    std::unique_ptr<Engine> engineB_;
    QString idB_;
};

QTEST_MAIN(TestRelaysTab)
#include "tst_relays_tab.moc"
