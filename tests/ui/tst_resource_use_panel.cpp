// The Overview's Resources box: one row per limited resource with its use against the system
// limit and what the limits refused, fed from snapshots; and with a real engine, the
// connection a second engine makes shows up as inbound use against the configured limit.
#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "support/loopback_engine.h"
#include "support/throwaway_settings.h"
#include "ui/gesture_manager_setup.h"
#include "ui/node_overview_widget.h"
#include "ui/resource_use_panel.h"

#include <QFile>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

constexpr int kTimeoutMs = 10000;

ResourcesSnapshot makeResources(quint64 inboundInUse) {
    ResourcesSnapshot resources;
    resources.system = {{QStringLiteral("pending_handshakes"), 2, 64},
                        {QStringLiteral("inbound_connections"), inboundInUse, 200},
                        {QStringLiteral("bytes_buffered"), 3 * 1024 * 1024, 256 * 1024 * 1024}};
    resources.refused = {{QStringLiteral("system"), QStringLiteral("pending_handshakes"), 0},
                         {QStringLiteral("ip"), QStringLiteral("pending_handshakes"), 5},
                         {QStringLiteral("system"), QStringLiteral("inbound_connections"), 1},
                         {QStringLiteral("peer"), QStringLiteral("inbound_connections"), 2}};
    return resources;
}

template <typename T> T* child(QWidget& parent, const QString& name) {
    return parent.findChild<T*>(name);
}

} // namespace

class TestResourceUsePanel : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(settingsDir_.isValid());
        test::useThrowawaySettings(settingsDir_.path(), QStringLiteral("tst_resource_use_panel"));
        QLocale::setDefault(QLocale::c());
        createGestureManagerBeforeThreads(); // before any engine thread
    }

    void labelsAndAmounts() {
        QCOMPARE(ResourceUsePanel::resourceLabel(QStringLiteral("inbound_connections")),
                 QStringLiteral("Inbound connections"));
        QCOMPARE(ResourceUsePanel::useText(QStringLiteral("inbound_streams"), 12, 8192),
                 QStringLiteral("12 / 8192"));
        QCOMPARE(ResourceUsePanel::useText(QStringLiteral("bytes_buffered"), 1536 * 1024,
                                           256 * 1024 * 1024),
                 QStringLiteral("1.5 MiB / 256.0 MiB"));
        QCOMPARE(ResourceUsePanel::useText(QStringLiteral("inbound_streams"), 3, 0),
                 QStringLiteral("3 (no limit)"));
    }

    void rowsFollowTheSnapshot() {
        ResourceUsePanel panel;
        panel.applyResources(makeResources(20));

        auto* bar = child<QProgressBar>(panel, QStringLiteral("resourceBar_inbound_connections"));
        QVERIFY(bar);
        QCOMPARE(bar->value(), 100); // 20 of 200, per mille
        QCOMPARE(child<QLabel>(panel, QStringLiteral("resourceUse_inbound_connections"))->text(),
                 QStringLiteral("20 / 200"));
        QCOMPARE(child<QLabel>(panel, QStringLiteral("resourceUse_bytes_buffered"))->text(),
                 QStringLiteral("3.0 MiB / 256.0 MiB"));
        // Refusals add up over the scopes; the tooltip says which.
        auto* refused = child<QLabel>(panel, QStringLiteral("resourceRefused_inbound_connections"));
        QCOMPARE(refused->text(), QStringLiteral("3"));
        QVERIFY(refused->toolTip().contains(QStringLiteral("peer scope: 2")));
        QVERIFY(refused->toolTip().contains(QStringLiteral("system scope: 1")));
        auto* handshakes =
            child<QLabel>(panel, QStringLiteral("resourceRefused_pending_handshakes"));
        QCOMPARE(handshakes->text(), QStringLiteral("5"));
        QVERIFY(!handshakes->toolTip().contains(QStringLiteral("system scope")));
        QVERIFY(!bar->property("nearLimit").toBool());

        // The next tick updates the same widgets; near the limit the bar says so.
        panel.applyResources(makeResources(190));
        QCOMPARE(child<QProgressBar>(panel, QStringLiteral("resourceBar_inbound_connections")),
                 bar);
        QCOMPARE(bar->value(), 950);
        QVERIFY(bar->property("nearLimit").toBool());
        QVERIFY(bar->palette().color(QPalette::Highlight) != QPalette().color(QPalette::Highlight));

        // Use above a lowered limit stays (the engine keeps what it admitted): the bar is full.
        panel.applyResources(makeResources(400));
        QCOMPARE(bar->value(), 1000);
        QCOMPARE(child<QLabel>(panel, QStringLiteral("resourceUse_inbound_connections"))->text(),
                 QStringLiteral("400 / 200"));

        // Another set of resources (a newer engine) makes new rows, and the old ones go.
        ResourcesSnapshot fewer;
        fewer.system = {{QStringLiteral("inbound_streams"), 1, 8192}};
        panel.applyResources(fewer);
        QCOMPARE(panel.findChildren<QProgressBar*>().size(), 1);
        QCOMPARE(child<QLabel>(panel, QStringLiteral("resourceUse_inbound_streams"))->text(),
                 QStringLiteral("1 / 8192"));
        QCOMPARE(child<QLabel>(panel, QStringLiteral("resourceRefused_inbound_streams"))->text(),
                 QStringLiteral("0"));
    }

    // A real engine: its limits from the config file, and a connection from another engine
    // counted as inbound use on the Overview.
    void overviewShowsTheEnginesUse() {
        QTemporaryDir dirA;
        QTemporaryDir dirB;
        QVERIFY(dirA.isValid() && dirB.isValid());
        QFile config(dirA.filePath(QStringLiteral("config.json")));
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write(R"({"resources": {"system_inbound_connections": 150}})");
        config.close();
        Engine engineA(test::loopbackOptions(dirA));
        Engine engineB(test::loopbackOptions(dirB));
        QVERIFY(engineA.start().ok());
        QVERIFY(engineB.start().ok());

        NodeOverviewWidget overview;
        connect(engineA.client(), &EngineClient::snapshotUpdated, &overview,
                &NodeOverviewWidget::applySnapshot);
        overview.show();
        QVERIFY(QTest::qWaitForWindowExposed(&overview));

        QLabel* inbound = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT(
            (inbound = child<QLabel>(overview, QStringLiteral("resourceUse_inbound_connections"))),
            kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(inbound->text(), QStringLiteral("0 / 150"), kTimeoutMs);
        // Every resource the engine limits has a row.
        const NodeSnapshot snapshot = engineA.client()->snapshot();
        QVERIFY(!snapshot.resources.system.isEmpty());
        QCOMPARE(overview.findChildren<QProgressBar*>().size(), snapshot.resources.system.size());

        bool dialed = false;
        QString error;
        engineB.client()->dial(test::loopbackAddr(engineA), this, [&](const DialOutcome& outcome) {
            dialed = outcome.ok;
            error = outcome.error;
        });
        QTRY_VERIFY2_WITH_TIMEOUT(dialed, qPrintable(error), kTimeoutMs);
        // B's pool may keep more than one connection to A: at least one is counted.
        QTRY_VERIFY_WITH_TIMEOUT(inbound->text() != QStringLiteral("0 / 150"), kTimeoutMs);
        QVERIFY2(inbound->text().endsWith(QStringLiteral(" / 150")), qPrintable(inbound->text()));
        auto* bar =
            child<QProgressBar>(overview, QStringLiteral("resourceBar_inbound_connections"));
        QVERIFY(bar->value() > 0);
    }

private:
    QTemporaryDir settingsDir_;
};

QTEST_MAIN(TestResourceUsePanel)
#include "tst_resource_use_panel.moc"
