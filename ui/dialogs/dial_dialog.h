#pragma once

#include "engine/api/engine_client.h"
#include "engine/api/snapshot.h"

#include <QDateTime>
#include <QDialog>
#include <QElapsedTimer>
#include <QPointer>
#include <QString>
#include <QStringList>

class QLabel;
class QLineEdit;
class QListWidget;
class QListWidgetItem;
class QProgressBar;
class QPushButton;
class QTimer;

namespace peerscope {

// Dial a peer by multiaddr. The address is checked with Multiaddr::parse as it is typed: the
// engine's error is shown with the bad component highlighted, and Dial stays off. While the
// dial runs: a busy bar, the elapsed time, and the attempts, failures and backoff waits the
// engine reports for the /p2p/ peer; then the connection or the error. Recent addresses
// (QSettings "dial/recent") are offered below. Nothing blocks, and closing or deleting the
// dialog mid-dial is safe (the engine finishes the dial; the result is dropped).
class DialDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DialDialog)

public:
    static constexpr int kMaxRecentAddresses = 10;

    // What is wrong with a dial target. `error` empty: it can be dialled (`note` may still
    // hint at something). badStart/badLength: the characters to highlight, -1 when none.
    struct AddressCheck {
        QString error;
        QString note;
        qsizetype badStart = -1;
        qsizetype badLength = 0;
        QString peerId; // of the /p2p/ component, base58; empty without
    };
    static AddressCheck checkAddress(const QString& text);

    // Most recent first, at most kMaxRecentAddresses.
    static QStringList recentAddresses();
    static void rememberAddress(const QString& address);

    explicit DialDialog(EngineClient* client, QWidget* parent = nullptr);
    ~DialDialog() override;

    void setAddress(const QString& multiaddr);
    QString address() const;
    bool isDialling() const { return dialling_; }

Q_SIGNALS:
    void dialFinished(const QString& address, const peerscope::DialOutcome& outcome);

private:
    void addressChanged();
    void updateControls();
    void startDial();
    void applyEvents(const QList<EventSnapshot>& events);
    void finishDial(const QString& address, const DialOutcome& outcome);
    void updateElapsed();
    void loadRecentAddresses();
    void recentActivated(QListWidgetItem* item);
    QString elapsedText() const;

    QPointer<EngineClient> client_;
    QLineEdit* addressEdit_ = nullptr;
    QLabel* problemLabel_ = nullptr;
    QLabel* noteLabel_ = nullptr;
    QListWidget* recentList_ = nullptr;
    QProgressBar* busyBar_ = nullptr;
    QLabel* statusLabel_ = nullptr;
    QLabel* elapsedLabel_ = nullptr;
    QListWidget* eventList_ = nullptr;
    QLabel* resultLabel_ = nullptr;
    QPushButton* dialButton_ = nullptr;
    QTimer* elapsedTimer_ = nullptr;

    bool addressValid_ = false;
    bool dialling_ = false;
    QString dialPeerId_;   // events about this peer belong to the running dial
    quint64 sinceSeq_ = 0; // events up to this one came before the dial
    QDateTime dialStartedAt_;
    QDateTime dialFinishedAt_;
    QElapsedTimer elapsed_;
    QString lastError_;
};

} // namespace peerscope
