#include "engine/api/engine.h"
#include "engine/api/engine_client.h"
#include "ui/dialogs/config_editor_widget.h"
#include "ui/gesture_manager_setup.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <memory>

using namespace peerscope;

namespace {

constexpr int kTimeoutMs = 10000;

QStringList engineMessages(const EngineConfig& config) {
    QStringList messages;
    for (const std::string& message : config.validate())
        messages << QString::fromStdString(message);
    return messages;
}

template <typename Widget> Widget* field(const ConfigEditorWidget& editor, const char* name) {
    return editor.findChild<Widget*>(QLatin1String(name));
}

QLabel* errorLabel(const ConfigEditorWidget& editor, const char* name) {
    return editor.findChild<QLabel*>(QLatin1String(name) + QStringLiteral("Error"));
}

QPushButton* button(const ConfigEditorWidget& editor, const char* name) {
    return editor.findChild<QPushButton*>(QLatin1String(name));
}

// The form label of the field (its buddy is the editor).
QLabel* labelOf(const ConfigEditorWidget& editor, const char* name) {
    QWidget* editorWidget = editor.findChild<QWidget*>(QLatin1String(name));
    for (QLabel* label : editor.findChildren<QLabel*>())
        if (label->buddy() == editorWidget)
            return label;
    return nullptr;
}

} // namespace

class TestConfigEditorWidget final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QLocale::setDefault(QLocale::c());
        createGestureManagerBeforeThreads(); // before any engine thread
    }

    void hasAnEditorForEveryEngineField() {
        ConfigEditorWidget editor;
        // The engine's own schema: a field added there without a form row fails here.
        const QJsonObject json = EngineConfig{}.toJson();
        int fields = 0;
        for (const std::string& name : EngineConfig::sectionNames()) {
            const QString section = QString::fromStdString(name);
            const QJsonObject values = json.value(section).toObject();
            QVERIFY(!values.isEmpty());
            for (auto it = values.begin(); it != values.end(); ++it) {
                QWidget* widget = editor.findChild<QWidget*>(it.key());
                QVERIFY2(widget, qPrintable(it.key()));
                QVERIFY2(!widget->toolTip().isEmpty(), qPrintable(it.key()));
                QVERIFY2(widget->toolTip().contains(section + QLatin1Char('.') + it.key()),
                         qPrintable(it.key()));
                QVERIFY2(labelOf(editor, qPrintable(it.key())), qPrintable(it.key()));
                ++fields;
            }
        }
        QCOMPARE(fields, 61);
        QCOMPARE(field<QSpinBox>(editor, "max_connections_per_peer")->value(), 3);
        QCOMPARE(field<QDoubleSpinBox>(editor, "connection_timeout")->suffix(),
                 QStringLiteral(" s"));
        QCOMPARE(field<QDoubleSpinBox>(editor, "max_ping_latency_ms")->suffix(),
                 QStringLiteral(" ms"));
        QCOMPARE(field<QDoubleSpinBox>(editor, "idle_timeout")->specialValueText(),
                 QStringLiteral("never"));
        QCOMPARE(field<QDoubleSpinBox>(editor, "jitter_factor")->maximum(), 1.0);
        QCOMPARE(field<QComboBox>(editor, "load_balancing_strategy")->count(), 4);
        QVERIFY(field<QCheckBox>(editor, "enable_health_monitoring"));
        QVERIFY(field<QCheckBox>(editor, "adaptive_timeouts")->isChecked());
        QCOMPARE(editor.editedConfig(), EngineConfig{});
        QVERIFY(editor.validationMessages().isEmpty());
        QVERIFY(!button(editor, "applyButton")->isEnabled()); // nothing to apply
        QVERIFY(!button(editor, "restoreDefaultsButton")->isEnabled());
    }

    void editsTheStaticRelays() {
        ConfigEditorWidget editor;
        auto* relays = editor.findChild<QLineEdit*>(QStringLiteral("relays"));
        QVERIFY(relays);
        QVERIFY(relays->text().isEmpty());
        EngineConfig running;
        const QString relay = QStringLiteral(
            "/ip4/192.0.2.1/tcp/4001/p2p/12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE");
        running.relayClient.relays = {relay.toStdString()};
        running.relayClient.reservations = 3;
        editor.setRunningConfig(running, {});
        QCOMPARE(relays->text(), relay);
        QCOMPARE(field<QSpinBox>(editor, "reservations")->value(), 3);
        QCOMPARE(editor.editedConfig().relayClient.relays, running.relayClient.relays);
        // A second relay, typed after the first; then one without /p2p/ is named as bad.
        const QString second = QStringLiteral(
            "/ip4/192.0.2.2/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN");
        relays->clear();
        QTest::keyClicks(relays, relay + QStringLiteral(" ") + second);
        QCOMPARE(editor.editedConfig().relayClient.relays.size(), std::size_t(2));
        relays->clear();
        QTest::keyClicks(relays, QStringLiteral("/ip4/192.0.2.3/tcp/4001"));
        QVERIFY(!button(editor, "applyButton")->isEnabled());
    }

    void formFollowsTheRunningConfig() {
        ConfigEditorWidget editor;
        EngineConfig running;
        running.connection.maxConnectionsPerPeer = 5;
        running.connection.idleTimeout = ConnectionConfig::Seconds(12.5);
        running.connection.loadBalancingStrategy = LoadBalancingStrategy::LatencyBased;
        running.connection.enableHealthMonitoring = true;
        running.retry.jitterFactor = 0.12345; // more decimals than the spin box shows
        editor.setRunningConfig(running, QStringLiteral("/tmp/peerscope-test/config.json"));

        QCOMPARE(editor.editedConfig(), running); // exact, not rounded to the form
        QVERIFY(!editor.hasUnappliedEdits());
        QCOMPARE(field<QSpinBox>(editor, "max_connections_per_peer")->value(), 5);
        QCOMPARE(field<QDoubleSpinBox>(editor, "idle_timeout")->value(), 12.5);
        QCOMPARE(field<QComboBox>(editor, "load_balancing_strategy")->currentData().toInt(),
                 int(LoadBalancingStrategy::LatencyBased));
        QVERIFY(field<QCheckBox>(editor, "enable_health_monitoring")->isChecked());
        QVERIFY(editor.findChild<QLabel*>(QStringLiteral("configPathLabel"))
                    ->text()
                    .contains(QLatin1String("/tmp/peerscope-test/config.json")));

        // Differences from the defaults: bold labels and the engine's list of names.
        QVERIFY(labelOf(editor, "max_connections_per_peer")->font().bold());
        QVERIFY(labelOf(editor, "jitter_factor")->font().bold());
        QVERIFY(!labelOf(editor, "max_connections")->font().bold());
        const QString differing =
            editor.findChild<QLabel*>(QStringLiteral("differingFromDefaultsLabel"))->text();
        for (const std::string& name : running.differingFromDefaults())
            QVERIFY2(differing.contains(QString::fromStdString(name)), name.c_str());
        QVERIFY(!differing.contains(QLatin1String("connection.max_connections,")));

        // With unapplied edits a new running config does not overwrite the form...
        field<QSpinBox>(editor, "max_retries")->setValue(7);
        QVERIFY(editor.hasUnappliedEdits());
        QVERIFY(labelOf(editor, "max_retries")->text().contains(QStringLiteral("●")));
        EngineConfig newer = running;
        newer.connection.maxConnections = 250;
        editor.setRunningConfig(newer, QStringLiteral("/tmp/peerscope-test/config.json"));
        QCOMPARE(editor.editedConfig().retry.maxRetries, 7);
        QCOMPARE(editor.editedConfig().connection.maxConnections, 300);
        QCOMPARE(field<QSpinBox>(editor, "max_connections")->value(), 300);
        // ...and Revert goes to the newest running config.
        QVERIFY(button(editor, "revertButton")->isEnabled());
        button(editor, "revertButton")->click();
        QCOMPARE(editor.editedConfig(), newer);
        QCOMPARE(field<QSpinBox>(editor, "max_connections")->value(), 250);
        QCOMPARE(field<QSpinBox>(editor, "max_retries")->value(), 3);
        QVERIFY(!editor.hasUnappliedEdits());
        QVERIFY(!labelOf(editor, "max_retries")->text().contains(QStringLiteral("●")));
    }

    void rejectsBadValuesWithTheEngineMessages() {
        ConfigEditorWidget editor;
        QSignalSpy applied(&editor, &ConfigEditorWidget::applyRequested);
        auto* apply = button(editor, "applyButton");
        auto* save = button(editor, "saveButton");
        auto* messagesLabel = editor.findChild<QLabel*>(QStringLiteral("validationMessagesLabel"));
        QVERIFY(messagesLabel);

        // A cross-field rule: min above max.
        field<QSpinBox>(editor, "min_connections_per_peer")->setValue(5);
        const QString minMessage =
            QStringLiteral("min_connections_per_peer (5) exceeds max_connections_per_peer (3)");
        QCOMPARE(editor.validationMessages(), QStringList{minMessage});
        QCOMPARE(editor.validationMessages(), engineMessages(editor.editedConfig()));
        QVERIFY(!apply->isEnabled());
        QVERIFY(!save->isEnabled());
        QVERIFY(!errorLabel(editor, "min_connections_per_peer")->isHidden());
        QCOMPARE(errorLabel(editor, "min_connections_per_peer")->text(), minMessage);
        // Shown under both fields it names, and not under max_connections (a name prefix).
        QCOMPARE(errorLabel(editor, "max_connections_per_peer")->text(), minMessage);
        QVERIFY(errorLabel(editor, "max_connections")->isHidden());
        QVERIFY(!messagesLabel->isHidden());
        QVERIFY(messagesLabel->text().contains(minMessage));

        // A value the engine refuses on its own: a zero timeout.
        field<QDoubleSpinBox>(editor, "connection_timeout")->setValue(0);
        const QString timeoutMessage =
            QStringLiteral("connection_timeout (0) must be greater than 0");
        QVERIFY(editor.validationMessages().contains(timeoutMessage));
        QCOMPARE(errorLabel(editor, "connection_timeout")->text(), timeoutMessage);

        // Retry delays out of order, and all three weights zero.
        field<QDoubleSpinBox>(editor, "initial_delay")->setValue(45);
        for (const char* weight : {"latency_weight", "success_rate_weight", "stability_weight"})
            field<QDoubleSpinBox>(editor, weight)->setValue(0);
        const QString delayMessage = QStringLiteral("initial_delay (45) exceeds max_delay (30)");
        const QString weightMessage = QStringLiteral(
            "latency_weight + success_rate_weight + stability_weight must be greater than 0");
        QCOMPARE(editor.validationMessages(), engineMessages(editor.editedConfig()));
        QCOMPARE(editor.validationMessages().size(), 4);
        QCOMPARE(errorLabel(editor, "max_delay")->text(), delayMessage);
        QCOMPARE(errorLabel(editor, "stability_weight")->text(), weightMessage);
        QVERIFY(messagesLabel->text().contains(QLatin1String("4 values are not valid")));

        // Clicking a disabled Apply does nothing; nothing was ever requested.
        apply->click();
        QCOMPARE(applied.count(), 0);

        // Fixing every field clears the messages and enables Apply.
        field<QSpinBox>(editor, "min_connections_per_peer")->setValue(2);
        field<QDoubleSpinBox>(editor, "connection_timeout")->setValue(10);
        field<QDoubleSpinBox>(editor, "initial_delay")->setValue(0.5);
        field<QDoubleSpinBox>(editor, "latency_weight")->setValue(1);
        QVERIFY(editor.validationMessages().isEmpty());
        QVERIFY(messagesLabel->isHidden());
        QVERIFY(errorLabel(editor, "min_connections_per_peer")->isHidden());
        QVERIFY(apply->isEnabled());
        QVERIFY(save->isEnabled());
    }

    void editsTheRelayServiceAndItsTrustedPeers() {
        ConfigEditorWidget editor;
        editor.setRunningConfig(EngineConfig{}, QStringLiteral("/tmp/peerscope-test/config.json"));
        auto* trusted = field<QLineEdit>(editor, "trusted_peers");
        QVERIFY(trusted);
        QVERIFY(trusted->text().isEmpty());
        field<QCheckBox>(editor, "enabled")->setChecked(true);
        field<QSpinBox>(editor, "circuit_duration")->setValue(60);
        QVERIFY(editor.editedConfig().relayService.enabled);
        QCOMPARE(editor.editedConfig().relayService.circuitDuration.count(), 60);

        // Typed entries, separated by commas or spaces; a bad one is named by its place.
        const QString good = QStringLiteral("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA");
        trusted->setFocus();
        QTest::keyClicks(trusted, good + QStringLiteral(", xyz"));
        QCOMPARE(editor.editedConfig().relayService.trustedPeers,
                 (std::vector<std::string>{good.toStdString(), "xyz"}));
        const QString message =
            QStringLiteral("relay_service.trusted_peers[1]: \"xyz\" is not a peer ID");
        QCOMPARE(editor.validationMessages(), QStringList{message});
        QCOMPARE(errorLabel(editor, "trusted_peers")->text(), message);
        QVERIFY(!button(editor, "applyButton")->isEnabled());
        QVERIFY(labelOf(editor, "trusted_peers")->font().bold());
        QVERIFY(labelOf(editor, "trusted_peers")->text().contains(QStringLiteral("●")));

        for (int i = 0; i < 5; ++i)
            QTest::keyClick(trusted, Qt::Key_Backspace);
        QCOMPARE(editor.editedConfig().relayService.trustedPeers,
                 std::vector<std::string>{good.toStdString()});
        QVERIFY(editor.validationMessages().isEmpty());
        QVERIFY(button(editor, "applyButton")->isEnabled());

        // A running config fills the line; Revert goes back to it.
        EngineConfig running;
        running.relayService.trustedPeers = {good.toStdString()};
        button(editor, "revertButton")->click();
        QVERIFY(trusted->text().isEmpty());
        editor.setRunningConfig(running, QStringLiteral("/tmp/peerscope-test/config.json"));
        QCOMPARE(trusted->text(), good);
        QVERIFY(!editor.hasUnappliedEdits());
    }

    void appliesGoodValues() {
        ConfigEditorWidget editor;
        editor.setRunningConfig(EngineConfig{}, QStringLiteral("/tmp/peerscope-test/config.json"));
        QSignalSpy applied(&editor, &ConfigEditorWidget::applyRequested);
        auto* apply = button(editor, "applyButton");
        auto* status = editor.findChild<QLabel*>(QStringLiteral("applyStatusLabel"));

        field<QSpinBox>(editor, "max_connections_per_peer")->setValue(6);
        auto* strategy = field<QComboBox>(editor, "load_balancing_strategy");
        strategy->setCurrentIndex(strategy->findData(int(LoadBalancingStrategy::HealthBased)));
        field<QCheckBox>(editor, "enable_health_monitoring")->setChecked(true);
        QVERIFY(status->text().contains(QLatin1String("3 edited values")));
        QVERIFY(apply->isEnabled());
        apply->click();
        QCOMPARE(applied.count(), 1);
        const auto sent = applied.takeFirst();
        const EngineConfig config = sent.at(0).value<EngineConfig>();
        QCOMPARE(config.connection.maxConnectionsPerPeer, 6);
        QCOMPARE(config.connection.loadBalancingStrategy, LoadBalancingStrategy::HealthBased);
        QVERIFY(config.connection.enableHealthMonitoring);
        QCOMPARE(sent.at(1).toBool(), false);
        QCOMPARE(config, editor.editedConfig());

        // Waiting for the engine: no second request, and the status says so.
        QVERIFY(!apply->isEnabled());
        QVERIFY(!button(editor, "saveButton")->isEnabled());
        QCOMPARE(status->text(), QStringLiteral("Applying…"));
        editor.showApplyResult(QString());
        QCOMPARE(status->text(), QStringLiteral("Applied."));
        QVERIFY(!editor.hasUnappliedEdits());
        QVERIFY(!apply->isEnabled());

        // The engine refuses: its message is shown and the edits stay for another try.
        field<QSpinBox>(editor, "max_retries")->setValue(9);
        apply->click();
        QCOMPARE(applied.count(), 1);
        editor.showApplyResult(QStringLiteral("cannot apply: the engine is shutting down"));
        QVERIFY(status->text().contains(QLatin1String("the engine is shutting down")));
        QVERIFY(editor.hasUnappliedEdits());
        QCOMPARE(editor.editedConfig().retry.maxRetries, 9);
        QVERIFY(apply->isEnabled());

        // Save applies and persists.
        applied.clear();
        button(editor, "saveButton")->click();
        QCOMPARE(applied.count(), 1);
        QCOMPARE(applied.first().at(1).toBool(), true);
        QCOMPARE(status->text(), QStringLiteral("Saving…"));
        editor.showApplyResult(QString());
        QCOMPARE(status->text(),
                 QStringLiteral("Applied and saved to /tmp/peerscope-test/config.json."));
    }

    void restoreDefaultsFillsTheFormOnly() {
        ConfigEditorWidget editor;
        EngineConfig running;
        running.connection.maxConnections = 400;
        running.connection.highWater = 350;
        running.retry.maxRetries = 0;
        editor.setRunningConfig(running, QString());
        QSignalSpy applied(&editor, &ConfigEditorWidget::applyRequested);
        auto* defaults = button(editor, "restoreDefaultsButton");
        QVERIFY(defaults->isEnabled());
        defaults->click();
        QCOMPARE(editor.editedConfig(), EngineConfig{});
        QCOMPARE(field<QSpinBox>(editor, "max_connections")->value(), 300);
        QCOMPARE(field<QSpinBox>(editor, "max_retries")->value(), 3);
        QCOMPARE(applied.count(), 0); // nothing applied until Apply
        QVERIFY(editor.hasUnappliedEdits());
        QVERIFY(!defaults->isEnabled());
        QCOMPARE(editor.findChild<QLabel*>(QStringLiteral("differingFromDefaultsLabel"))->text(),
                 QStringLiteral("All values are the defaults."));
        QVERIFY(!labelOf(editor, "max_connections")->font().bold());
        button(editor, "applyButton")->click();
        QCOMPARE(applied.count(), 1);
        QCOMPARE(applied.first().at(0).value<EngineConfig>(), EngineConfig{});
    }

    void appliesThroughTheEngine() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        EngineOptions options;
        options.dataDir = dir.path();
        options.configPath = dir.filePath(QStringLiteral("config.json"));
        options.listenAddrs = {QStringLiteral("/ip4/127.0.0.1/tcp/0")};
        options.apiEndpoint = std::nullopt;
        Engine engine(options);
        const Result<void> started = engine.start();
        QVERIFY2(started.ok(), started.ok() ? "" : started.errorMessage().c_str());
        EngineClient* client = engine.client();

        // Wired as the main window does it.
        ConfigEditorWidget editor;
        connect(&editor, &ConfigEditorWidget::applyRequested, client,
                [&editor, client](const EngineConfig& config, bool persist) {
                    client->applyConfig(config, persist, &editor, [&editor](const QString& error) {
                        editor.showApplyResult(error);
                    });
                });
        connect(client, &EngineClient::snapshotUpdated, &editor,
                [&editor](const NodeSnapshot& snapshot) {
                    editor.setRunningConfig(snapshot.config, snapshot.configPath);
                });
        QTRY_COMPARE_WITH_TIMEOUT(editor.findChild<QLabel*>(QStringLiteral("configPathLabel"))
                                      ->text()
                                      .contains(options.configPath),
                                  true, kTimeoutMs);

        auto* status = editor.findChild<QLabel*>(QStringLiteral("applyStatusLabel"));
        field<QSpinBox>(editor, "max_connections_per_peer")->setValue(5);
        field<QDoubleSpinBox>(editor, "max_delay")->setValue(12);
        button(editor, "applyButton")->click();
        QTRY_COMPARE_WITH_TIMEOUT(status->text(), QStringLiteral("Applied."), kTimeoutMs);
        QTRY_COMPARE_WITH_TIMEOUT(client->config().connection.maxConnectionsPerPeer, 5, kTimeoutMs);
        QCOMPARE(client->config().retry.maxDelay.count(), 12.0);
        QVERIFY(!QFile::exists(options.configPath)); // applied, not saved

        field<QSpinBox>(editor, "metrics_peer_label_limit")->setValue(7);
        button(editor, "saveButton")->click();
        QTRY_VERIFY_WITH_TIMEOUT(status->text().startsWith(QLatin1String("Applied and saved")),
                                 kTimeoutMs);
        QFile file(options.configPath);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QJsonObject saved = QJsonDocument::fromJson(file.readAll()).object();
        const QJsonObject connection = saved.value(QStringLiteral("connection")).toObject();
        QCOMPARE(connection.value(QStringLiteral("max_connections_per_peer")).toInt(), 5);
        QCOMPARE(connection.value(QStringLiteral("metrics_peer_label_limit")).toInt(), 7);
        QCOMPARE(client->config(), editor.editedConfig());
        QTRY_VERIFY_WITH_TIMEOUT(!editor.hasUnappliedEdits(), kTimeoutMs);
    }
};

QTEST_MAIN(TestConfigEditorWidget)
#include "tst_config_editor_widget.moc"
