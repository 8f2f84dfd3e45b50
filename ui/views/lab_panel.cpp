#include "ui/views/lab_panel.h"

#include "engine/api/engine_client.h"

#include <QDoubleSpinBox>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QSignalBlocker>
#include <QStackedWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>

namespace peerscope {

namespace {

constexpr double bytesPerMegabyte = 1e6;

QString shortPeerId(const QString& peerId) {
    if (peerId.size() <= 12)
        return peerId;
    return peerId.left(4) + QStringLiteral("…") + peerId.right(6);
}

QString humanBytes(quint64 bytes) {
    return QLocale().formattedDataSize(static_cast<qint64>(bytes), 1, QLocale::DataSizeIecFormat);
}

bool near(double a, double b) {
    return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(a));
}

// The engine shows what the user set (it stores exactly the values sent).
bool sameSettings(const LabLinkSnapshot& a, const LabLinkSnapshot& b) {
    return near(a.delayMs, b.delayMs) && near(a.jitterMs, b.jitterMs) &&
           near(a.lossPercent, b.lossPercent) && near(a.rateBytesPerSecond, b.rateBytesPerSecond);
}

// Leaves a spin box alone while the user is in it, and unchanged values untouched.
void showValue(QDoubleSpinBox* spin, double value) {
    if (spin->hasFocus())
        return;
    if (std::abs(spin->value() - value) < 0.5 * std::pow(10.0, -spin->decimals()))
        return;
    const QSignalBlocker blocker(spin); // a value from the engine is not an edit
    spin->setValue(value);
}

} // namespace

LabPanel::LabPanel(EngineClient* client, QWidget* parent)
    : QWidget(parent), client_(client), stack_(new QStackedWidget),
      placeholder_(new QLabel(
          tr("Not in lab mode.\n\nStart PeerScope with --lab N (for example peerscope --lab 5) "
             "to run N local peers, each behind its own simulated link with delay, jitter, "
             "loss and a rate cap that you can change here while it runs."))),
      table_(new QTableWidget(0, ColumnCount)) {
    placeholder_->setObjectName(QStringLiteral("labPlaceholder"));
    placeholder_->setAlignment(Qt::AlignCenter);
    placeholder_->setWordWrap(true);
    placeholder_->setEnabled(false); // the disabled palette greys it out

    table_->setObjectName(QStringLiteral("labTable"));
    table_->setHorizontalHeaderLabels({tr("Link"), tr("Role"), tr("Peer"), tr("Proxy"), tr("State"),
                                       tr("Delay"), tr("Jitter"), tr("Loss"), tr("Rate"),
                                       tr("Sent"), tr("Received")});
    const QStringList headerTips{
        tr("Lab link number"),
        tr("peer: a lab peer with background traffic; relay: a circuit relay this node uses; "
           "relayed: a peer reachable only through a relay, on that relay's link"),
        tr("The lab peer's ID"),
        tr("The link proxy this node dials to reach the peer (the relayed peer: the relay)"),
        tr("starting, connecting, connected, disconnected, failed or stopped"),
        tr("One-way added latency: a round trip gains twice this"),
        tr("Each piece of data is delayed by up to this much more or less"),
        tr("Chance that a piece is held back as if TCP had to retransmit it"),
        tr("The link's capacity in each direction (0: unlimited)"),
        tr("Bytes this node sent through the link"),
        tr("Bytes this node received through the link")};
    for (int column = 0; column < ColumnCount; ++column)
        table_->horizontalHeaderItem(column)->setToolTip(headerTips.at(column));
    table_->verticalHeader()->hide();
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setStretchLastSection(true);

    auto* hint = new QLabel(
        tr("Each lab peer is a local PeerScope process reached through a userspace link proxy. "
           "Changes apply at once, to new traffic. A relay link's delay above 100 ms puts its "
           "round trip past 200 ms: after three such probes this node switches relays."));
    hint->setWordWrap(true);
    auto* page = new QWidget;
    auto* pageLayout = new QVBoxLayout(page);
    pageLayout->setContentsMargins(0, 0, 0, 0);
    pageLayout->addWidget(hint);
    pageLayout->addWidget(table_);
    stack_->addWidget(placeholder_);
    stack_->addWidget(page);
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(stack_);
}

LabPanel::~LabPanel() = default;

void LabPanel::applySnapshot(const NodeSnapshot& snapshot) {
    QList<LabLinkSnapshot> links = snapshot.labLinks;
    std::sort(links.begin(), links.end(),
              [](const LabLinkSnapshot& a, const LabLinkSnapshot& b) { return a.index < b.index; });

    // Removals first, from the bottom, so the rows above keep their positions.
    for (qsizetype row = rows_.size() - 1; row >= 0; --row) {
        const int index = rows_[row].index;
        const bool kept =
            std::any_of(links.begin(), links.end(),
                        [index](const LabLinkSnapshot& l) { return l.index == index; });
        if (!kept) {
            table_->removeRow(static_cast<int>(row));
            rows_.removeAt(row);
        }
    }
    // Both lists ascend by index: walk them together.
    int position = 0;
    for (const LabLinkSnapshot& link : links) {
        while (position < rows_.size() && rows_[position].index < link.index)
            ++position;
        if (position < rows_.size() && rows_[position].index == link.index)
            updateRow(position, link);
        else
            insertRow(position, link);
        ++position;
    }
    stack_->setCurrentIndex(links.isEmpty() ? 0 : 1);
}

QDoubleSpinBox* LabPanel::makeSpinBox(int index, const QString& objectName, double maximum,
                                      int decimals, double step, const QString& suffix) {
    auto* spin = new QDoubleSpinBox;
    spin->setObjectName(QStringLiteral("%1-%2").arg(objectName).arg(index));
    spin->setRange(0, maximum);
    spin->setDecimals(decimals);
    spin->setSingleStep(step);
    spin->setSuffix(suffix);
    spin->setAccelerated(true);
    spin->setFrame(false);
    // Typed values count once, on Enter or leaving the box; arrows and the wheel at once.
    spin->setKeyboardTracking(false);
    connect(spin, &QDoubleSpinBox::valueChanged, this, [this, index] { onEdited(index); });
    return spin;
}

void LabPanel::insertRow(int position, const LabLinkSnapshot& link) {
    table_->insertRow(position);
    const bool relayed = link.role == QLatin1String("relayed");
    QList<int> textColumns{LinkColumn,  RoleColumn, PeerColumn,    ProxyColumn,
                           StateColumn, SentColumn, ReceivedColumn};
    if (relayed)
        textColumns << DelayColumn << JitterColumn << LossColumn << RateColumn;
    for (int column : textColumns) {
        auto* item = new QTableWidgetItem;
        item->setFlags(Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        if (column == LinkColumn || column == SentColumn || column == ReceivedColumn ||
            column == ProxyColumn)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        table_->setItem(position, column, item);
    }
    Row row;
    row.index = link.index;
    if (relayed) {
        const QString why = tr("No link of its own: its path is its relay's link");
        for (int column : {DelayColumn, JitterColumn, LossColumn, RateColumn}) {
            table_->item(position, column)->setText(QStringLiteral("—"));
            table_->item(position, column)->setToolTip(why);
        }
        rows_.insert(position, row);
        updateRow(position, link);
        return;
    }
    row.delay = makeSpinBox(link.index, QStringLiteral("labDelay"), 10000, 1, 5, tr(" ms"));
    row.jitter = makeSpinBox(link.index, QStringLiteral("labJitter"), 10000, 1, 1, tr(" ms"));
    row.loss = makeSpinBox(link.index, QStringLiteral("labLoss"), 100, 2, 0.5, tr(" %"));
    row.rate = makeSpinBox(link.index, QStringLiteral("labRate"), 100000, 2, 1, tr(" MB/s"));
    row.rate->setSpecialValueText(tr("unlimited"));
    row.delay->setToolTip(table_->horizontalHeaderItem(DelayColumn)->toolTip());
    row.jitter->setToolTip(table_->horizontalHeaderItem(JitterColumn)->toolTip());
    row.loss->setToolTip(table_->horizontalHeaderItem(LossColumn)->toolTip());
    row.rate->setToolTip(table_->horizontalHeaderItem(RateColumn)->toolTip());
    table_->setCellWidget(position, DelayColumn, row.delay);
    table_->setCellWidget(position, JitterColumn, row.jitter);
    table_->setCellWidget(position, LossColumn, row.loss);
    table_->setCellWidget(position, RateColumn, row.rate);
    rows_.insert(position, row);
    updateRow(position, link);
}

void LabPanel::setText(int row, int column, const QString& text, const QString& toolTip) {
    QTableWidgetItem* item = table_->item(row, column);
    if (item->text() != text)
        item->setText(text);
    if (item->toolTip() != toolTip)
        item->setToolTip(toolTip);
}

void LabPanel::updateRow(int position, const LabLinkSnapshot& link) {
    static const QString none = QStringLiteral("—");
    setText(position, LinkColumn, QString::number(link.index));
    setText(position, RoleColumn, link.role);
    setText(position, PeerColumn, link.peerId.isEmpty() ? none : shortPeerId(link.peerId),
            link.peerId);
    if (link.role == QLatin1String("relayed"))
        setText(position, ProxyColumn,
                link.viaRelay.isEmpty() ? none : tr("via relay %1").arg(shortPeerId(link.viaRelay)),
                link.viaRelay);
    else
        setText(position, ProxyColumn,
                link.proxyPort ? QStringLiteral("127.0.0.1:%1").arg(link.proxyPort) : none);
    setText(position, StateColumn, link.state);
    // The relayed peer's bytes cross its relay's link, and are counted there.
    const bool ownLink = link.role != QLatin1String("relayed");
    setText(position, SentColumn, ownLink ? humanBytes(link.bytesUp) : none);
    setText(position, ReceivedColumn, ownLink ? humanBytes(link.bytesDown) : none);

    Row& row = rows_[position];
    if (!row.delay)
        return; // the relayed peer: nothing to edit
    if (row.editPending) {
        // Until the engine shows the edit, a snapshot taken before it would undo it on screen.
        if (!sameSettings(link, row.edited) && row.editedAt.elapsed() < kPendingEditMs)
            return;
        row.editPending = false;
    }
    showValue(row.delay, link.delayMs);
    showValue(row.jitter, link.jitterMs);
    showValue(row.loss, link.lossPercent);
    showValue(row.rate, link.rateBytesPerSecond / bytesPerMegabyte);
}

void LabPanel::onEdited(int index) {
    auto it = std::find_if(rows_.begin(), rows_.end(),
                           [index](const Row& row) { return row.index == index; });
    if (it == rows_.end() || !it->delay)
        return;
    LabLinkSnapshot& edited = it->edited;
    edited.index = index;
    edited.delayMs = it->delay->value();
    edited.jitterMs = it->jitter->value();
    edited.lossPercent = it->loss->value();
    edited.rateBytesPerSecond = it->rate->value() * bytesPerMegabyte;
    it->editPending = true;
    it->editedAt.start();
    if (client_)
        client_->setLabLink(index, edited.delayMs, edited.jitterMs, edited.lossPercent,
                            edited.rateBytesPerSecond);
    Q_EMIT linkEdited(index, edited.delayMs, edited.jitterMs, edited.lossPercent,
                      edited.rateBytesPerSecond);
}

} // namespace peerscope
