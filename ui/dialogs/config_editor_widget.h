#pragma once

#include "engine/core/engine_config.h"

#include <QStringList>
#include <QWidget>
#include <optional>
#include <vector>

class QLabel;
class QPushButton;

namespace peerscope {

// The connection settings as a form: one row per ConnectionConfig and RetryConfig field, with
// units, ranges and tooltips. Every edit is checked with EngineConfig::validate(), whose exact
// messages show under the fields they name; Apply is off while anything is invalid. Labels of
// values that differ from the defaults are bold, and those fields are listed.
// Apply asks for the edited config to run now, Save to File also persists it, Revert goes back
// to the running config and Restore Defaults fills in EngineConfig{} (applied only by Apply).
// The widget never talks to the engine: it emits applyRequested and is told the outcome.
class ConfigEditorWidget final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConfigEditorWidget)

public:
    explicit ConfigEditorWidget(QWidget* parent = nullptr);
    ~ConfigEditorWidget() override;

    // The engine's running config and where Save writes it. The form follows unless the user
    // has unapplied edits (or an apply is on its way); Revert then goes to this one.
    void setRunningConfig(const EngineConfig& config, const QString& configPath);

    EngineConfig editedConfig() const { return edited_; }
    // EngineConfig::validate() of the edited config, word for word.
    QStringList validationMessages() const;
    // The form differs from the running config.
    bool hasUnappliedEdits() const { return edited_ != running_; }

Q_SIGNALS:
    void applyRequested(const peerscope::EngineConfig& config, bool persist);

public Q_SLOTS:
    // The outcome of the last applyRequested: empty when applied, else the engine's message.
    void showApplyResult(const QString& error);

private:
    struct FieldRow;

    QWidget* createForm();
    QWidget* createEditor(FieldRow& row);
    void fieldEdited(const FieldRow& row, double value);
    void loadForm(const EngineConfig& config);
    void refresh();
    void requestApply(bool persist);
    void revert();
    void restoreDefaults();
    QString statusText() const;

    std::vector<FieldRow> rows_;
    EngineConfig running_;
    EngineConfig edited_;
    QString configPath_;
    std::optional<EngineConfig> pending_; // sent with applyRequested, no result yet
    bool pendingPersist_ = false;
    QString resultText_; // what the last apply came to
    bool resultIsError_ = false;

    QLabel* pathLabel_ = nullptr;
    QLabel* messagesLabel_ = nullptr;
    QLabel* differingLabel_ = nullptr;
    QLabel* statusLabel_ = nullptr;
    QLabel* staticRelaysLabel_ = nullptr; // relay_client.relays, read-only here
    QPushButton* applyButton_ = nullptr;
    QPushButton* revertButton_ = nullptr;
    QPushButton* saveButton_ = nullptr;
    QPushButton* defaultsButton_ = nullptr;
};

} // namespace peerscope
