#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/core/peer_id.h"
#include "support/loopback_engine.h"
#include "support/throwaway_settings.h"
#include "ui/dialogs/dial_dialog.h"
#include "ui/gesture_manager_setup.h"

#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

constexpr int kTimeoutMs = 15000;

// A loopback port nothing listens on. Below the ephemeral range: a dial to a free port in
// that range can be given the same port as its own source and connect to itself.
quint16 closedPort() {
    for (quint16 port = 20000; port < 20200; ++port) {
        QTcpServer server;
        if (server.listen(QHostAddress::LocalHost, port))
            return port; // released again when `server` goes
    }
    return 0;
}

// A peer nobody runs: dials to it are its own, whatever other tests connected.
QString freshPeerId() {
    return QString::fromStdString(
        PeerId::fromPublicKey(PrivateKey::generateEd25519().publicKey()).toBase58());
}

QString parseError(const QString& text) {
    const Result<Multiaddr> parsed = Multiaddr::parse(text.toStdString());
    return parsed.ok() ? QString() : QString::fromStdString(parsed.errorMessage());
}

// The text of the highlighted span in the problem label.
QString highlightedPart(const QLabel* label) {
    const QString html = label->text();
    const qsizetype open = html.indexOf(QLatin1String("font-weight: bold\">"));
    if (open < 0)
        return {};
    const qsizetype start = open + qsizetype(qstrlen("font-weight: bold\">"));
    return html.mid(start, html.indexOf(QLatin1String("</span>"), start) - start);
}

} // namespace

class TestDialDialog final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(settingsDir_.isValid());
        test::useThrowawaySettings(settingsDir_.path(), QStringLiteral("tst_dial_dialog"));
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

    void init() { QSettings().remove(QStringLiteral("dial/recent")); }

    void cleanupTestCase() {
        engineB_.reset();
        engineA_.reset();
    }

    void flagsMalformedMultiaddrs() {
        DialDialog dialog(engineA_->client());
        auto* edit = dialog.findChild<QLineEdit*>(QStringLiteral("multiaddrEdit"));
        auto* problem = dialog.findChild<QLabel*>(QStringLiteral("multiaddrProblemLabel"));
        auto* note = dialog.findChild<QLabel*>(QStringLiteral("multiaddrNoteLabel"));
        auto* dial = dialog.findChild<QPushButton*>(QStringLiteral("dialButton"));
        QVERIFY(edit && problem && note && dial);
        QVERIFY(edit->text().isEmpty()); // nothing dialled yet, nothing suggested
        QVERIFY(!dial->isEnabled());
        QVERIFY(problem->isHidden());

        struct Case {
            QString text;
            QString badPart;
        };
        const QList<Case> cases{
            {QStringLiteral("/ip4/127.0.0.1/tcp/99999"), QStringLiteral("/tcp/99999")},
            {QStringLiteral("/ip5/1.2.3.4/tcp/1"), QStringLiteral("/ip5")},
            {QStringLiteral("/ip4/1.2.3.256/tcp/4001"), QStringLiteral("/ip4/1.2.3.256")},
            {QStringLiteral("/ip4/127.0.0.1/tcp"), QStringLiteral("/tcp")},
            {QStringLiteral("/ip4/127.0.0.1/tcp/4001/p2p/notapeerid"),
             QStringLiteral("/p2p/notapeerid")},
            {QStringLiteral("ip4/127.0.0.1/tcp/4001"), QStringLiteral("ip4/127.0.0.1/tcp/4001")},
        };
        for (const Case& c : cases) {
            // Typed, so the check runs on every keystroke as a user types.
            edit->clear();
            QTest::keyClicks(edit, c.text);
            QCOMPARE(edit->text(), c.text);
            const QString expected = parseError(c.text);
            QVERIFY2(!expected.isEmpty(), qPrintable(c.text));
            const DialDialog::AddressCheck check = DialDialog::checkAddress(c.text);
            QCOMPARE(check.error, expected); // the engine's message, word for word
            QCOMPARE(c.text.mid(check.badStart, check.badLength), c.badPart);
            QVERIFY2(!problem->isHidden(), qPrintable(c.text));
            QVERIFY2(problem->text().contains(expected.toHtmlEscaped()), qPrintable(c.text));
            QCOMPARE(highlightedPart(problem), c.badPart.toHtmlEscaped());
            QVERIFY2(!dial->isEnabled(), qPrintable(c.text));
            // The field itself is tinted too.
            QVERIFY(edit->palette().color(QPalette::Base) !=
                    dialog.palette().color(QPalette::Base));
        }
        QVERIFY(parseError(QStringLiteral("/ip4/127.0.0.1/tcp/99999"))
                    .contains(QLatin1String("component 2 (tcp)")));

        // Parses, but PeerScope cannot dial it.
        edit->setText(QStringLiteral("/ip4/127.0.0.1/udp/4001/quic-v1"));
        QVERIFY(!problem->isHidden());
        QVERIFY(problem->text().contains(QLatin1String("not a TCP address")));
        QVERIFY(!dial->isEnabled());

        // Valid: no problem, Dial on. Without /p2p/ a note says what that means.
        const QString good = QStringLiteral("/ip4/127.0.0.1/tcp/4001/p2p/") + idB_;
        edit->setText(good);
        QVERIFY(problem->isHidden());
        QVERIFY(note->isHidden());
        QVERIFY(dial->isEnabled());
        QCOMPARE(edit->palette().color(QPalette::Base), dialog.palette().color(QPalette::Base));
        QCOMPARE(DialDialog::checkAddress(good).peerId, idB_);
        edit->setText(QStringLiteral("/dns4/localhost/tcp/4001"));
        QVERIFY(problem->isHidden());
        QVERIFY(!note->isHidden());
        QVERIFY(note->text().contains(QLatin1String("/p2p/")));
        QVERIFY(dial->isEnabled());
        edit->setText(QStringLiteral("   "));
        QVERIFY(problem->isHidden());
        QVERIFY(!dial->isEnabled());
    }

    void withoutAnEngineNothingDials() {
        DialDialog dialog(nullptr);
        auto* edit = dialog.findChild<QLineEdit*>(QStringLiteral("multiaddrEdit"));
        edit->setText(QStringLiteral("/ip4/127.0.0.1/tcp/4001"));
        QVERIFY(!dialog.findChild<QPushButton*>(QStringLiteral("dialButton"))->isEnabled());
    }

    void remembersTenRecentAddresses() {
        for (int i = 0; i < 12; ++i)
            DialDialog::rememberAddress(QStringLiteral("/ip4/10.0.0.%1/tcp/4001").arg(i));
        DialDialog::rememberAddress(QStringLiteral("/ip4/10.0.0.5/tcp/4001")); // again
        DialDialog::rememberAddress(QStringLiteral("  "));                     // ignored
        const QStringList recent = DialDialog::recentAddresses();
        QCOMPARE(recent.size(), DialDialog::kMaxRecentAddresses);
        QCOMPARE(recent.first(), QStringLiteral("/ip4/10.0.0.5/tcp/4001")); // most recent first
        QCOMPARE(recent.at(1), QStringLiteral("/ip4/10.0.0.11/tcp/4001"));
        QCOMPARE(recent.count(QStringLiteral("/ip4/10.0.0.5/tcp/4001")), 1);
        QVERIFY(!recent.contains(QStringLiteral("/ip4/10.0.0.0/tcp/4001"))); // the oldest went
        QCOMPARE(QSettings().value(QStringLiteral("dial/recent")).toStringList(), recent);

        DialDialog dialog(engineA_->client());
        auto* list = dialog.findChild<QListWidget*>(QStringLiteral("recentAddressList"));
        auto* edit = dialog.findChild<QLineEdit*>(QStringLiteral("multiaddrEdit"));
        QCOMPARE(list->count(), DialDialog::kMaxRecentAddresses);
        QCOMPARE(list->item(0)->text(), recent.first());
        QCOMPARE(edit->text(), recent.first()); // suggested, selected to type over
        QVERIFY(edit->hasSelectedText());
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        const QRect third = list->visualItemRect(list->item(2));
        QTest::mouseClick(list->viewport(), Qt::LeftButton, {}, third.center());
        QCOMPARE(edit->text(), recent.at(2));
    }

    void dialShowsTheConnection() {
        DialDialog dialog(engineA_->client());
        dialog.show();
        QSignalSpy finished(&dialog, &DialDialog::dialFinished);
        auto* edit = dialog.findChild<QLineEdit*>(QStringLiteral("multiaddrEdit"));
        auto* dial = dialog.findChild<QPushButton*>(QStringLiteral("dialButton"));
        auto* busy = dialog.findChild<QProgressBar*>(QStringLiteral("dialProgressBar"));
        auto* result = dialog.findChild<QLabel*>(QStringLiteral("dialResultLabel"));
        auto* elapsed = dialog.findChild<QLabel*>(QStringLiteral("dialElapsedLabel"));
        // Enter with a bad address neither dials nor closes the dialog.
        edit->setText(QStringLiteral("/ip4/127.0.0.1/tcp/99999"));
        QTest::keyClick(edit, Qt::Key_Return);
        QVERIFY(dialog.isVisible());
        QVERIFY(!dialog.isDialling());

        const QString address = test::loopbackAddr(*engineB_);
        QVERIFY(address.contains(idB_));
        edit->setText(address);
        QVERIFY(dial->isEnabled());
        QTest::keyClick(edit, Qt::Key_Return);
        QVERIFY(dialog.isDialling());
        QVERIFY(!busy->isHidden());
        QVERIFY(!dial->isEnabled()); // one dial at a time
        QVERIFY(edit->isReadOnly());
        QCOMPARE(DialDialog::recentAddresses().value(0), address);

        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
        const DialOutcome outcome = finished.first().at(1).value<DialOutcome>();
        QVERIFY2(outcome.ok, qPrintable(outcome.error));
        QCOMPARE(finished.first().at(0).toString(), address);
        QVERIFY(!dialog.isDialling());
        QVERIFY(busy->isHidden());
        QVERIFY(!result->isHidden());
        QVERIFY(result->text().startsWith(QLatin1String("Connected to ") + idB_));
        QVERIFY(
            result->text().contains(QStringLiteral("Connection %1").arg(outcome.connection.id)));
        QVERIFY(result->text().contains(outcome.connection.remoteAddr));
        QVERIFY(elapsed->text().endsWith(QLatin1String(" s")));
        QVERIFY(dial->isEnabled());  // again
        QVERIFY(dialog.isVisible()); // stays open to show the result
        engineA_->client()->disconnectPeer(idB_);
    }

    void failedDialShowsRetriesAndTheError() {
        // Nothing listens there: each attempt is refused, the pool backs off and retries.
        const quint16 port = closedPort();
        QVERIFY(port != 0);
        const QString address =
            QStringLiteral("/ip4/127.0.0.1/tcp/%1/p2p/%2").arg(port).arg(freshPeerId());
        DialDialog dialog(engineA_->client());
        dialog.show();
        QSignalSpy finished(&dialog, &DialDialog::dialFinished);
        dialog.setAddress(address);
        auto* events = dialog.findChild<QListWidget*>(QStringLiteral("dialEventList"));
        auto* status = dialog.findChild<QLabel*>(QStringLiteral("dialStatusLabel"));
        auto* result = dialog.findChild<QLabel*>(QStringLiteral("dialResultLabel"));
        dialog.findChild<QPushButton*>(QStringLiteral("dialButton"))->click();
        QVERIFY(dialog.isDialling());
        QVERIFY(!events->isHidden());

        // The engine's backoff is visible while it waits.
        QTRY_VERIFY_WITH_TIMEOUT(
            !events->findItems(QStringLiteral("backoff  retrying in"), Qt::MatchContains).isEmpty(),
            kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, kTimeoutMs);
        const DialOutcome outcome = finished.first().at(1).value<DialOutcome>();
        QVERIFY(!outcome.ok);
        QVERIFY(!outcome.error.isEmpty());
        QVERIFY(!events->findItems(QStringLiteral("dial_failed"), Qt::MatchContains).isEmpty());
        QVERIFY(
            !events->findItems(QStringLiteral("retry  attempt 2 to"), Qt::MatchContains).isEmpty());
        QVERIFY(!result->isHidden());
        QCOMPARE(result->text(), QStringLiteral("Dial failed: ") + outcome.error);
        QVERIFY2(status->text().startsWith(QLatin1String("Failed after")),
                 qPrintable(status->text()));
    }

    void closingWhileDiallingIsSafe() {
        const quint16 port = closedPort();
        const QString address =
            QStringLiteral("/ip4/127.0.0.1/tcp/%1/p2p/%2").arg(port).arg(freshPeerId());
        QPointer<DialDialog> dialog = new DialDialog(engineA_->client());
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->show();
        dialog->setAddress(address);
        dialog->findChild<QPushButton*>(QStringLiteral("dialButton"))->click();
        QVERIFY(dialog->isDialling());
        dialog->close();
        QTRY_VERIFY_WITH_TIMEOUT(dialog.isNull(), kTimeoutMs);
        // The dial runs on to its end in the engine; its result and events find no dialog.
        const quint64 failedBefore = engineA_->client()->snapshot().pool.dialsFailed;
        QTRY_VERIFY_WITH_TIMEOUT(
            engineA_->client()->snapshot().pool.dialsFailed >= failedBefore + 2, kTimeoutMs);
        QTest::qWait(300); // a few more ticks with events for the deleted dialog
        QVERIFY(!engineA_->client()->snapshot().peerId.isEmpty());
    }

private:
    QTemporaryDir settingsDir_;
    QTemporaryDir dirA_;
    QTemporaryDir dirB_;
    std::unique_ptr<Engine> engineA_;
    std::unique_ptr<Engine> engineB_;
    QString idB_;
};

QTEST_MAIN(TestDialDialog)
#include "tst_dial_dialog.moc"
