#include "ui/node_overview_widget.h"

#include "ui/resource_use_panel.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QEvent>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHostAddress>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>
#include <algorithm>

namespace peerscope {

namespace {

QLabel* makeValueLabel(const QString& objectName) {
    auto* label = new QLabel(QStringLiteral("—"));
    label->setObjectName(objectName);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    label->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    return label;
}

void setTextIfChanged(QLabel* label, const QString& text) {
    // setText() re-lays out and clears a selection the user may be making.
    if (label->text() != text)
        label->setText(text);
}

// For the figures that change on every tick (byte totals): the label gets a fixed size that
// only ever grows to fit. setText() on a label that may resize asks every layout up to the
// window to recompute, and the tab widget then repaints the whole page, group box frames and
// all; a fixed-size label only repaints itself.
void setValueText(QLabel* label, const QString& text) {
    if (label->text() == text)
        return;
    label->setText(text);
    const bool fixed = label->minimumSize() == label->maximumSize();
    // Most values fit the room the label has already: measuring the text is much cheaper than
    // the label's size hint (a text document: the label is selectable).
    constexpr int kSlack = 2;
    const int advance = label->fontMetrics().horizontalAdvance(text);
    if (fixed && advance + kSlack <= label->contentsRect().width())
        return;
    const QSize hint = label->sizeHint();
    // Room for the slack too: sized to the hint alone (a pixel over the advance), the next
    // value of the same width would miss the test above and ask for the hint again, every tick.
    const int width = std::max(hint.width(), advance + kSlack);
    if (!fixed || width > label->width() || hint.height() != label->height())
        label->setFixedSize(std::max(width, fixed ? label->width() : 0), hint.height());
}

// The engine names the relay of every relayed connection.
bool isRelayed(const ConnectionSnapshot& connection) {
    return !connection.relayPeerId.isEmpty();
}

QString humanBytes(quint64 bytes) {
    return QLocale().formattedDataSize(static_cast<qint64>(bytes), 1, QLocale::DataSizeIecFormat);
}

} // namespace

NodeOverviewWidget::NodeOverviewWidget(QWidget* parent)
    : QWidget(parent), peerIdLabel_(new QLabel(tr("Starting…"))),
      copyButton_(new QPushButton(tr("Copy"))), agentLabel_(new QLabel(QStringLiteral("—"))),
      listenList_(makeAddressList(QStringLiteral("listenAddressList"))),
      observedList_(makeAddressList(QStringLiteral("observedAddressList"))),
      peersLabel_(makeValueLabel(QStringLiteral("peersTotalLabel"))),
      connectionsLabel_(makeValueLabel(QStringLiteral("connectionsTotalLabel"))),
      streamsLabel_(makeValueLabel(QStringLiteral("streamsTotalLabel"))),
      bytesInLabel_(makeValueLabel(QStringLiteral("bytesInTotalLabel"))),
      bytesOutLabel_(makeValueLabel(QStringLiteral("bytesOutTotalLabel"))),
      reachabilityLabel_(makeValueLabel(QStringLiteral("reachabilityLabel"))),
      byStateLabel_(makeValueLabel(QStringLiteral("connectionsByStateLabel"))),
      byPathLabel_(makeValueLabel(QStringLiteral("connectionsByPathLabel"))),
      averageHealthLabel_(makeValueLabel(QStringLiteral("averageHealthLabel"))),
      relayCountsLabel_(makeValueLabel(QStringLiteral("relayCountsLabel"))),
      relayedList_(makeAddressList(QStringLiteral("relayedAddressList"))),
      relayServiceLabel_(new QLabel), resourcePanel_(new ResourceUsePanel) {
    peerIdLabel_->setObjectName(QStringLiteral("peerIdLabel"));
    peerIdLabel_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    peerIdLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    peerIdLabel_->setCursor(Qt::IBeamCursor);
    peerIdLabel_->setToolTip(tr("This node's peer ID: what other peers dial after /p2p/"));
    agentLabel_->setObjectName(QStringLiteral("agentLabel"));
    agentLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    copyButton_->setObjectName(QStringLiteral("copyPeerIdButton"));
    copyButton_->setIcon(QIcon::fromTheme(QStringLiteral("edit-copy")));
    copyButton_->setToolTip(tr("Copy the peer ID to the clipboard"));
    copyButton_->setEnabled(false);
    connect(copyButton_, &QPushButton::clicked, this, &NodeOverviewWidget::copyPeerId);

    auto* idRow = new QHBoxLayout;
    idRow->addWidget(peerIdLabel_);
    idRow->addWidget(copyButton_);
    idRow->addStretch(1);

    auto* identityBox = new QGroupBox(tr("This node"));
    auto* identityForm = new QFormLayout(identityBox);
    identityForm->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    identityForm->addRow(tr("Peer ID:"), idRow);
    identityForm->addRow(tr("Agent:"), agentLabel_);

    auto* listenBox = new QGroupBox(tr("Listen addresses"));
    (new QVBoxLayout(listenBox))->addWidget(listenList_);
    auto* observedBox = new QGroupBox(tr("Observed addresses"));
    observedBox->setToolTip(tr("How peers report seeing this node (identify)"));
    (new QVBoxLayout(observedBox))->addWidget(observedList_);

    auto* totalsBox = new QGroupBox(tr("Totals"));
    auto* totalsForm = new QFormLayout(totalsBox);
    totalsForm->addRow(tr("Peers:"), peersLabel_);
    totalsForm->addRow(tr("Connections:"), connectionsLabel_);
    totalsForm->addRow(tr("Open streams:"), streamsLabel_);
    totalsForm->addRow(tr("Received:"), bytesInLabel_);
    totalsForm->addRow(tr("Sent:"), bytesOutLabel_);
    totalsBox->setMinimumWidth(totalsBox->fontMetrics().horizontalAdvance(QLatin1Char('x')) * 30);

    auto* healthBox = new QGroupBox(tr("Health"));
    auto* healthForm = new QFormLayout(healthBox);
    healthForm->addRow(tr("Reachability:"), reachabilityLabel_);
    healthForm->addRow(tr("By state:"), byStateLabel_);
    healthForm->addRow(tr("By path:"), byPathLabel_);
    healthForm->addRow(tr("Average health:"), averageHealthLabel_);
    reachabilityLabel_->setWordWrap(true);
    healthBox->setMinimumWidth(healthBox->fontMetrics().horizontalAdvance(QLatin1Char('x')) * 34);

    // Reachable through relays: our reservations and the addresses they give us.
    auto* relayBox = new QGroupBox(tr("Relays"));
    relayBox->setObjectName(QStringLiteral("relayStatusBox"));
    relayBox->setToolTip(tr("Circuit relays this node reserves a slot on, so that peers can "
                            "reach it through them (see the Relays tab)"));
    auto* relayLayout = new QVBoxLayout(relayBox);
    relayLayout->addWidget(relayCountsLabel_);
    relayLayout->addWidget(relayedList_, 1);
    relayServiceLabel_->setObjectName(QStringLiteral("relayServiceLabel"));
    relayServiceLabel_->setWordWrap(true);
    relayServiceLabel_->hide();
    relayLayout->addWidget(relayServiceLabel_);

    auto* addressRow = new QHBoxLayout;
    addressRow->addWidget(listenBox, 5);
    addressRow->addWidget(observedBox, 3);
    addressRow->addWidget(relayBox, 3);
    addressRow->addWidget(totalsBox, 0);
    addressRow->addWidget(healthBox, 0);

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(identityBox);
    layout->addLayout(addressRow, 1);
    layout->addWidget(resourcePanel_);
}

NodeOverviewWidget::~NodeOverviewWidget() = default;

QListWidget* NodeOverviewWidget::makeAddressList(const QString& objectName) {
    auto* list = new QListWidget;
    list->setObjectName(objectName);
    list->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    list->setSelectionMode(QAbstractItemView::ExtendedSelection);
    list->setUniformItemSizes(true);
    // Long addresses are elided in the middle (full text in the tooltip and on copy)
    // rather than scrolled sideways.
    list->setTextElideMode(Qt::ElideMiddle);
    list->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    list->setMinimumHeight(list->fontMetrics().height() * 3);
    list->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);

    auto* copy = new QAction(QIcon::fromTheme(QStringLiteral("edit-copy")),
                             QObject::tr("Copy address"), list);
    copy->setShortcut(QKeySequence::Copy);
    copy->setShortcutContext(Qt::WidgetShortcut);
    QObject::connect(copy, &QAction::triggered, list, [list] {
        QStringList lines;
        for (const QListWidgetItem* item : list->selectedItems())
            lines << item->text();
        if (!lines.isEmpty())
            QApplication::clipboard()->setText(lines.join(QLatin1Char('\n')));
    });
    list->addAction(copy);
    list->setContextMenuPolicy(Qt::ActionsContextMenu);
    return list;
}

void NodeOverviewWidget::setAddresses(QListWidget* list, const QStringList& addresses,
                                      const QString& placeholder) {
    list->clear();
    if (addresses.isEmpty()) {
        auto* item = new QListWidgetItem(placeholder, list);
        item->setFlags(Qt::NoItemFlags);
        QFont font = list->font();
        font.setItalic(true);
        item->setFont(font);
        return;
    }
    for (const QString& address : addresses) {
        auto* item = new QListWidgetItem(address, list);
        item->setToolTip(address);
    }
}

void NodeOverviewWidget::applySnapshot(const NodeSnapshot& snapshot) {
    latest_ = snapshot; // implicitly shared: cheap even while hidden
    if (!isVisible()) {
        stale_ = true;
        return;
    }
    refresh();
}

void NodeOverviewWidget::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (stale_)
        refresh();
}

void NodeOverviewWidget::refresh() {
    stale_ = false;
    const NodeSnapshot& snapshot = latest_;
    if (snapshot.peerId != peerId_ && !snapshot.peerId.isEmpty()) {
        peerId_ = snapshot.peerId;
        peerIdLabel_->setText(peerId_);
        copyButton_->setEnabled(true);
    }
    setTextIfChanged(agentLabel_,
                     snapshot.agentVersion.isEmpty() ? QStringLiteral("—") : snapshot.agentVersion);

    bool addressesChanged = !addressesShown_;
    if (!addressesShown_ || snapshot.listenAddrs != listenAddrs_) {
        listenAddrs_ = snapshot.listenAddrs;
        setAddresses(listenList_, listenAddrs_, tr("Not listening"));
        addressesChanged = true;
    }
    if (!addressesShown_ || snapshot.observedAddrs != observedAddrs_) {
        observedAddrs_ = snapshot.observedAddrs;
        setAddresses(observedList_, observedAddrs_, tr("None reported yet"));
        addressesChanged = true;
    }
    if (!addressesShown_ || snapshot.relayedAddrs != relayedAddrs_) {
        relayedAddrs_ = snapshot.relayedAddrs;
        setAddresses(relayedList_, relayedAddrs_, tr("No relayed address"));
    }
    addressesShown_ = true;
    int reserved = 0;
    for (const RelaySnapshot& relay : snapshot.relays)
        reserved += relay.reservation == QLatin1String("reserved") ? 1 : 0;
    setValueText(relayCountsLabel_,
                 tr("%1 of %2 relays reserved").arg(reserved).arg(snapshot.relays.size()));
    const RelayServiceSnapshot& service = snapshot.relayService;
    setRelayServiceText(service.enabled
                            ? tr("Relay service on: %1 reservations, %2 circuits, %3 relayed")
                                  .arg(service.reservations)
                                  .arg(service.circuits)
                                  .arg(QLocale().formattedDataSize(static_cast<qint64>(
                                      service.bytesToDestination + service.bytesToSource)))
                            : QString());

    // One pass over the peers for every count below.
    int peers = 0;
    int connections = 0;
    int relayed = 0;
    for (const PeerSnapshot& peer : snapshot.peers) {
        if (peer.connections.isEmpty())
            continue;
        ++peers;
        connections += static_cast<int>(peer.connections.size());
        for (const ConnectionSnapshot& connection : peer.connections)
            relayed += isRelayed(connection) ? 1 : 0;
    }
    const int direct = connections - relayed;
    const QLocale locale;
    setValueText(peersLabel_, locale.toString(peers));
    setValueText(connectionsLabel_, locale.toString(connections));
    setValueText(streamsLabel_, locale.toString(snapshot.openStreams));
    setValueText(bytesInLabel_, humanBytes(snapshot.counters.bytesIn));
    setValueText(bytesOutLabel_, humanBytes(snapshot.counters.bytesOut));

    const HealthSummary& health = snapshot.health;
    setValueText(byStateLabel_, tr("%1 healthy · %2 degraded · %3 failed")
                                    .arg(health.healthy)
                                    .arg(health.degraded)
                                    .arg(health.failed));
    setValueText(byPathLabel_, tr("%1 direct · %2 relayed").arg(direct).arg(relayed));
    setValueText(
        averageHealthLabel_,
        health.monitoring
            ? locale.toString(health.averageHealth, 'f', 2)
            : tr("%1 (monitoring off)").arg(locale.toString(health.averageHealth, 'f', 2)));
    resourcePanel_->applyResources(snapshot.resources);
    // It only reads the addresses (parsing each one): worked out again when they change.
    if (addressesChanged)
        setTextIfChanged(reachabilityLabel_, reachabilityText(snapshot));
}

void NodeOverviewWidget::changeEvent(QEvent* event) {
    QWidget::changeEvent(event);
    // The fixed sizes of the value labels were measured in the old font: let them fit again.
    if (event->type() != QEvent::FontChange && event->type() != QEvent::StyleChange)
        return;
    for (QLabel* label :
         {peersLabel_, connectionsLabel_, streamsLabel_, bytesInLabel_, bytesOutLabel_,
          byStateLabel_, byPathLabel_, averageHealthLabel_, relayCountsLabel_}) {
        label->setMinimumSize(0, 0);
        label->setMaximumSize(QWIDGETSIZE_MAX, QWIDGETSIZE_MAX);
        const QString text = label->text();
        label->clear();
        setValueText(label, text);
    }
}

QString NodeOverviewWidget::reachabilityText(const NodeSnapshot& snapshot) {
    const auto hostOf = [](const QString& addr) {
        const QStringList parts = addr.split(QLatin1Char('/'), Qt::SkipEmptyParts);
        return parts.size() >= 2 &&
                       (parts[0] == QLatin1String("ip4") || parts[0] == QLatin1String("ip6"))
                   ? QHostAddress(parts[1])
                   : QHostAddress();
    };
    // QHostAddress::isGlobal() counts RFC 1918, CGNAT and IPv6 unique local space as global.
    const auto isPublic = [](const QHostAddress& address) {
        if (address.isNull() || !address.isGlobal() || address.isUniqueLocalUnicast())
            return false;
        for (const char* range : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"})
            if (address.isInSubnet(QHostAddress::parseSubnet(QLatin1String(range))))
                return false;
        return true;
    };
    for (const QString& addr : snapshot.observedAddrs)
        if (isPublic(hostOf(addr)))
            return tr("public: peers see this node at a public address (not verified by AutoNAT)");
    bool onlyLoopback = !snapshot.listenAddrs.isEmpty();
    for (const QString& addr : snapshot.listenAddrs) {
        const QHostAddress host = hostOf(addr);
        if (isPublic(host))
            return tr("public: listening on a public address");
        if (!host.isLoopback())
            onlyLoopback = false;
    }
    if (onlyLoopback)
        return tr("this machine only (listening on loopback)");
    return tr("local network: no public address seen");
}

void NodeOverviewWidget::setRelayServiceText(const QString& text) {
    setTextIfChanged(relayServiceLabel_, text);
    relayServiceLabel_->setVisible(!text.isEmpty());
}

void NodeOverviewWidget::copyPeerId() {
    if (peerId_.isEmpty())
        return;
    QApplication::clipboard()->setText(peerId_);
    Q_EMIT peerIdCopied(peerId_);
}

} // namespace peerscope
