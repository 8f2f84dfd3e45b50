#pragma once

#include "engine/api/snapshot.h"

#include <QWidget>

class QLabel;
class QListWidget;
class QPushButton;

namespace peerscope {

class ResourceUsePanel;

// The "this node" panel: identity, agent, listen and observed addresses, totals, and the
// resources in use against the node's limits.
// Fed with every snapshot; widgets are only touched when their value changes so selections
// and scroll positions in the address lists survive the 4 Hz updates. While hidden it only
// keeps the snapshot (a shared copy) and shows the latest one when shown again.
class NodeOverviewWidget final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NodeOverviewWidget)

public:
    explicit NodeOverviewWidget(QWidget* parent = nullptr);
    ~NodeOverviewWidget() override;

    void applySnapshot(const NodeSnapshot& snapshot);
    // What can be said of being reachable without AutoNAT: from where the node listens and
    // the addresses peers report seeing (unverified).
    static QString reachabilityText(const NodeSnapshot& snapshot);
    QString peerId() const { return peerId_; }
    // The relay service (serving others as a relay) in a line or two, shown in the Relays box
    // under our own reservations; empty hides it. For the snapshot's relay service section.
    void setRelayServiceText(const QString& text);

Q_SIGNALS:
    void peerIdCopied(const QString& peerId);

protected:
    void changeEvent(QEvent* event) override;
    void showEvent(QShowEvent* event) override;

private:
    void refresh();
    void copyPeerId();
    static QListWidget* makeAddressList(const QString& objectName);
    static void setAddresses(QListWidget* list, const QStringList& addresses,
                             const QString& placeholder);

    QString peerId_;
    QLabel* peerIdLabel_;
    QPushButton* copyButton_;
    QLabel* agentLabel_;
    QListWidget* listenList_;
    QListWidget* observedList_;
    QLabel* peersLabel_;
    QLabel* connectionsLabel_;
    QLabel* streamsLabel_;
    QLabel* bytesInLabel_;
    QLabel* bytesOutLabel_;
    QLabel* reachabilityLabel_;
    QLabel* byStateLabel_;
    QLabel* byPathLabel_;
    QLabel* averageHealthLabel_;
    QLabel* relayCountsLabel_;
    QListWidget* relayedList_;
    QLabel* relayServiceLabel_;
    ResourceUsePanel* resourcePanel_;
    NodeSnapshot latest_;
    bool stale_ = false;
    QStringList listenAddrs_;
    QStringList observedAddrs_;
    QStringList relayedAddrs_;
    bool addressesShown_ = false;
};

} // namespace peerscope
