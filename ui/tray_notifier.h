#pragma once

#include "ui/protected_peer_watch.h"

#include <QObject>
#include <QPointer>
#include <memory>

class QAction;
class QMenu;
class QSystemTrayIcon;
class QWidget;

namespace peerscope {

// The system tray icon: Show/Hide window and Quit in its menu, a click toggles the window, and
// a notification when a protected peer fails or recovers (decided by ProtectedPeerWatch).
// Without a system tray (offscreen, some desktops) there is no icon and no menu; the
// notifications are still emitted as notified() for the window to show some other way.
class TrayNotifier final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrayNotifier)

public:
    // `window` is the one Show/Hide toggles (and whose icon the tray uses); it may go away.
    explicit TrayNotifier(QWidget* window, QObject* parent = nullptr);
    ~TrayNotifier() override;

    // False when the desktop has no system tray (checked once, at construction).
    bool hasIcon() const { return icon_ != nullptr; }

    void applySnapshot(const NodeSnapshot& snapshot);

Q_SIGNALS:
    // The Quit menu entry.
    void quitRequested();
    // Every notification, shown in the tray or not.
    void notified(const QString& title, const QString& message);

private:
    void createIcon();
    void toggleWindow();
    void updateShowHideText();
    void notify(const QList<ProtectedPeerTransition>& transitions, const NodeSnapshot& snapshot);

    QPointer<QWidget> window_;
    ProtectedPeerWatch watch_;
    QSystemTrayIcon* icon_ = nullptr;
    std::unique_ptr<QMenu> menu_; // a QMenu is a widget: no QObject parent for it here
    QAction* showHideAction_ = nullptr;
    QString toolTip_;
};

} // namespace peerscope
