#include "ui/tray_notifier.h"

#include "ui/models/peer_table_model.h"

#include <QAction>
#include <QApplication>
#include <QMenu>
#include <QStyle>
#include <QSystemTrayIcon>
#include <QWidget>

namespace peerscope {

namespace {

constexpr int kMessageTimeoutMs = 10000;

QString describePeer(const QString& peerId, const NodeSnapshot& snapshot) {
    const QString shortId = PeerTableModel::shortPeerId(peerId);
    for (const PeerSnapshot& peer : snapshot.peers) {
        if (peer.peerId == peerId && !peer.agentVersion.isEmpty())
            return QStringLiteral("%1 (%2)").arg(shortId, peer.agentVersion);
    }
    return shortId;
}

} // namespace

TrayNotifier::TrayNotifier(QWidget* window, QObject* parent) : QObject(parent), window_(window) {
    if (QSystemTrayIcon::isSystemTrayAvailable())
        createIcon();
}

TrayNotifier::~TrayNotifier() {
    // The icon refers to the menu: let it go first.
    delete icon_;
}

void TrayNotifier::createIcon() {
    QIcon icon = window_ ? window_->windowIcon() : QIcon();
    if (icon.isNull())
        icon = QApplication::windowIcon();
    if (icon.isNull())
        icon = QApplication::style()->standardIcon(QStyle::SP_DriveNetIcon);

    menu_ = std::make_unique<QMenu>();
    showHideAction_ = menu_->addAction(tr("Show Window"));
    connect(showHideAction_, &QAction::triggered, this, &TrayNotifier::toggleWindow);
    menu_->addSeparator();
    QAction* quit = menu_->addAction(tr("Quit"));
    connect(quit, &QAction::triggered, this, &TrayNotifier::quitRequested);
    connect(menu_.get(), &QMenu::aboutToShow, this, &TrayNotifier::updateShowHideText);

    icon_ = new QSystemTrayIcon(icon, this);
    icon_->setToolTip(QStringLiteral("PeerScope"));
    icon_->setContextMenu(menu_.get());
    connect(icon_, &QSystemTrayIcon::activated, this,
            [this](QSystemTrayIcon::ActivationReason reason) {
                if (reason == QSystemTrayIcon::Trigger)
                    toggleWindow();
            });
    connect(icon_, &QSystemTrayIcon::messageClicked, this, [this] {
        if (window_ && !window_->isVisible())
            toggleWindow();
    });
    updateShowHideText();
    icon_->show();
}

void TrayNotifier::toggleWindow() {
    if (!window_)
        return;
    if (window_->isVisible() && !window_->isMinimized()) {
        window_->hide();
    } else {
        window_->showNormal();
        window_->raise();
        window_->activateWindow();
    }
    updateShowHideText();
}

void TrayNotifier::updateShowHideText() {
    if (!showHideAction_)
        return;
    const bool shown = window_ && window_->isVisible() && !window_->isMinimized();
    showHideAction_->setText(shown ? tr("Hide Window") : tr("Show Window"));
    showHideAction_->setEnabled(!window_.isNull());
}

void TrayNotifier::applySnapshot(const NodeSnapshot& snapshot) {
    const QList<ProtectedPeerTransition> transitions = watch_.applySnapshot(snapshot);
    if (!transitions.isEmpty())
        notify(transitions, snapshot);

    if (!icon_)
        return;
    int connected = 0;
    for (const PeerSnapshot& peer : snapshot.peers)
        connected += peer.connections.isEmpty() ? 0 : 1;
    const QString toolTip =
        connected == 1 ? tr("PeerScope: 1 peer") : tr("PeerScope: %1 peers").arg(connected);
    // Only when it changes: some trays redraw on every setToolTip.
    if (toolTip != toolTip_) {
        toolTip_ = toolTip;
        icon_->setToolTip(toolTip);
    }
}

void TrayNotifier::notify(const QList<ProtectedPeerTransition>& transitions,
                          const NodeSnapshot& snapshot) {
    // One message per snapshot: a new showMessage replaces the one before it.
    QStringList failed;
    QStringList recovered;
    for (const ProtectedPeerTransition& transition : transitions) {
        const QString peer = describePeer(transition.peerId, snapshot);
        if (transition.kind == ProtectedPeerTransition::Kind::Failed)
            failed << tr("%1 has no working connection").arg(peer);
        else
            recovered << tr("%1 is connected again").arg(peer);
    }
    const bool anyFailed = !failed.isEmpty();
    const QString title = anyFailed ? tr("Protected peer failed") : tr("Protected peer recovered");
    const QString message = (failed + recovered).join(QLatin1Char('\n'));
    if (icon_)
        icon_->showMessage(title, message,
                           anyFailed ? QSystemTrayIcon::Warning : QSystemTrayIcon::Information,
                           kMessageTimeoutMs);
    Q_EMIT notified(title, message);
}

} // namespace peerscope
