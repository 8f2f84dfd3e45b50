#pragma once

#include <QDialog>
#include <QPointer>
#include <QString>

class QLabel;
class QLineEdit;
class QPushButton;

namespace peerscope {

class EngineClient;

// Add a static relay by its multiaddr (ending in /p2p/<relay id>). The address is checked as
// it is typed, as the Dial dialog does; then the engine's answer to addRelay: its error is
// shown inline and the dialog stays open, success closes it. Nothing blocks; closing the
// dialog while the engine answers drops the answer.
class AddRelayDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AddRelayDialog)

public:
    explicit AddRelayDialog(EngineClient* client, QWidget* parent = nullptr);
    ~AddRelayDialog() override;

    void setAddress(const QString& multiaddr);
    QString address() const;
    // The engine's error for the last attempt; empty when none or not answered yet.
    QString lastError() const { return lastError_; }
    bool isAdding() const { return adding_; }

Q_SIGNALS:
    void relayAdded(const QString& multiaddr);

private:
    void addressChanged();
    void updateControls();
    void addRelay();
    void showProblem(const QString& problem);

    QPointer<EngineClient> client_;
    QLineEdit* addressEdit_ = nullptr;
    QLabel* problemLabel_ = nullptr;
    QPushButton* addButton_ = nullptr;
    bool addressValid_ = false;
    bool adding_ = false;
    QString lastError_;
};

} // namespace peerscope
