#include "ui/dialogs/dial_dialog.h"

#include "engine/core/multiaddr.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QSettings>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>

namespace peerscope {

namespace {

const QString kRecentKey = QStringLiteral("dial/recent");
constexpr int kElapsedUpdateMs = 100;
constexpr int kMaxEventLines = 200;

const QColor kErrorText(0xa4, 0x16, 0x1a);
const QColor kErrorBackground(0xf8, 0xd7, 0xda);
const QColor kSuccessText(0x1e, 0x6b, 0x35);

// The characters of component `position` (1-based, as Multiaddr::parse counts them) in
// `text`, with its leading slash and its value: "/tcp/99999". {-1, 0} if there is none.
std::pair<qsizetype, qsizetype> componentRange(const QString& text, int position) {
    struct Segment {
        qsizetype start;
        qsizetype length;
    };
    QList<Segment> segments;
    for (qsizetype start = 1;;) {
        const qsizetype slash = text.indexOf(QLatin1Char('/'), start);
        const qsizetype end = slash < 0 ? text.size() : slash;
        segments.append({start, end - start});
        if (slash < 0)
            break;
        start = slash + 1;
    }
    int component = 0;
    for (qsizetype i = 0; i < segments.size(); ++i) {
        ++component;
        const Segment name = segments[i];
        qsizetype end = name.start + name.length;
        // Whether the protocol takes a value, in the parser's own words: "/tcp" alone lacks
        // one, "/tls" does not, "/ip5" is unknown (no value to skip).
        const QString protocol = text.mid(name.start, name.length);
        bool takesValue = false;
        if (!protocol.isEmpty()) {
            const Result<Multiaddr> alone =
                Multiaddr::parse(QStringLiteral("/%1").arg(protocol).toStdString());
            takesValue =
                !alone.ok() && alone.errorMessage().find("missing value") != std::string::npos;
        }
        if (takesValue && i + 1 < segments.size()) {
            ++i;
            end = segments[i].start + segments[i].length;
        }
        if (component == position)
            return {name.start - 1, end - (name.start - 1)};
    }
    return {-1, 0};
}

QString highlighted(const QString& text, qsizetype start, qsizetype length) {
    if (start < 0)
        return text.toHtmlEscaped();
    return text.left(start).toHtmlEscaped() +
           QStringLiteral("<span style=\"background-color: %1; color: %2; font-weight: bold\">")
               .arg(kErrorBackground.name(), kErrorText.name()) +
           text.mid(start, length).toHtmlEscaped() + QStringLiteral("</span>") +
           text.mid(start + length).toHtmlEscaped();
}

QString shortPeerId(const QString& peerId) {
    return peerId.size() <= 16 ? peerId : peerId.left(8) + QStringLiteral("…") + peerId.right(6);
}

} // namespace

DialDialog::AddressCheck DialDialog::checkAddress(const QString& text) {
    AddressCheck check;
    const QString address = text.trimmed();
    if (address.isEmpty())
        return check;
    const Result<Multiaddr> parsed = Multiaddr::parse(address.toStdString());
    if (!parsed) {
        check.error = QString::fromStdString(parsed.errorMessage());
        static const QRegularExpression componentPattern(QStringLiteral("^component (\\d+)"));
        const QRegularExpressionMatch match = componentPattern.match(check.error);
        if (match.hasMatch()) {
            const auto [start, length] = componentRange(address, match.captured(1).toInt());
            check.badStart = start;
            check.badLength = length;
        }
        if (check.badStart < 0) { // e.g. 'must start with "/"': the whole input is wrong
            check.badStart = 0;
            check.badLength = address.size();
        }
        // Offsets are into the trimmed text; shift them to the text as typed.
        check.badStart += text.indexOf(address);
        return check;
    }
    // The host dials TCP (and relayed addresses, which the relay dialler judges).
    const bool relayed = std::any_of(
        parsed->components().begin(), parsed->components().end(),
        [](const MultiaddrComponent& c) { return c.protocol == MultiaddrProtocol::P2pCircuit; });
    if (!relayed && !parsed->tcpEndpoint()) {
        check.error = tr("not a TCP address: PeerScope dials "
                         "/ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>[/p2p/<peer ID>]");
        return check;
    }
    if (const std::optional<PeerId> peer = parsed->peerId())
        check.peerId = QString::fromStdString(peer->toBase58());
    else
        check.note = tr("Without /p2p/<peer ID> the peer is not known in advance: one attempt, "
                        "no retries, and any peer that answers is accepted.");
    return check;
}

QStringList DialDialog::recentAddresses() {
    QStringList recent = QSettings().value(kRecentKey).toStringList();
    recent.removeAll(QString());
    recent.removeDuplicates();
    if (recent.size() > kMaxRecentAddresses)
        recent.resize(kMaxRecentAddresses);
    return recent;
}

void DialDialog::rememberAddress(const QString& address) {
    const QString trimmed = address.trimmed();
    if (trimmed.isEmpty())
        return;
    QStringList recent = recentAddresses();
    recent.removeAll(trimmed);
    recent.prepend(trimmed);
    if (recent.size() > kMaxRecentAddresses)
        recent.resize(kMaxRecentAddresses);
    QSettings().setValue(kRecentKey, recent);
}

DialDialog::DialDialog(EngineClient* client, QWidget* parent)
    : QDialog(parent), client_(client), elapsedTimer_(new QTimer(this)) {
    setObjectName(QStringLiteral("dialDialog"));
    setWindowTitle(tr("Dial Peer"));

    const QFont fixed = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    auto* prompt = new QLabel(tr("&Multiaddr of the peer, ending in /p2p/<peer ID>:"));
    addressEdit_ = new QLineEdit;
    addressEdit_->setObjectName(QStringLiteral("multiaddrEdit"));
    addressEdit_->setPlaceholderText(QStringLiteral("/ip4/192.0.2.1/tcp/4001/p2p/12D3KooW…"));
    addressEdit_->setFont(fixed);
    addressEdit_->setClearButtonEnabled(true);
    // Wide enough for /ip4/…/tcp/…/p2p/<52-character ID>.
    addressEdit_->setMinimumWidth(QFontMetrics(fixed).horizontalAdvance(QLatin1Char('x')) * 96);
    prompt->setBuddy(addressEdit_);
    connect(addressEdit_, &QLineEdit::textChanged, this, &DialDialog::addressChanged);

    problemLabel_ = new QLabel;
    problemLabel_->setObjectName(QStringLiteral("multiaddrProblemLabel"));
    problemLabel_->setTextFormat(Qt::RichText);
    problemLabel_->setWordWrap(true);
    problemLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    noteLabel_ = new QLabel;
    noteLabel_->setObjectName(QStringLiteral("multiaddrNoteLabel"));
    noteLabel_->setWordWrap(true);
    noteLabel_->setEnabled(false); // greyed: a hint, not an error

    auto* recentTitle = new QLabel(tr("&Recent addresses:"));
    recentList_ = new QListWidget;
    recentList_->setObjectName(QStringLiteral("recentAddressList"));
    recentList_->setFont(fixed);
    recentList_->setToolTip(tr("Click to use an address, double-click to dial it"));
    recentList_->setMaximumHeight(QFontMetrics(fixed).height() * 6 + 8);
    recentTitle->setBuddy(recentList_);
    connect(recentList_, &QListWidget::itemClicked, this,
            [this](QListWidgetItem* item) { setAddress(item->text()); });
    connect(recentList_, &QListWidget::itemActivated, this, &DialDialog::recentActivated);

    auto* progress = new QGroupBox(tr("Progress"));
    busyBar_ = new QProgressBar;
    busyBar_->setObjectName(QStringLiteral("dialProgressBar"));
    busyBar_->setRange(0, 0); // busy: how long a dial takes is not known
    busyBar_->setTextVisible(false);
    busyBar_->setMaximumHeight(QFontMetrics(font()).height());
    statusLabel_ = new QLabel(tr("Not dialling."));
    statusLabel_->setObjectName(QStringLiteral("dialStatusLabel"));
    statusLabel_->setWordWrap(true);
    statusLabel_->setTextFormat(Qt::PlainText);
    elapsedLabel_ = new QLabel;
    elapsedLabel_->setObjectName(QStringLiteral("dialElapsedLabel"));
    eventList_ = new QListWidget;
    eventList_->setObjectName(QStringLiteral("dialEventList"));
    eventList_->setToolTip(tr("What the engine reported about this peer while dialling"));
    eventList_->setMinimumHeight(QFontMetrics(font()).height() * 5 + 8);
    eventList_->setWordWrap(true);
    eventList_->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    resultLabel_ = new QLabel;
    resultLabel_->setObjectName(QStringLiteral("dialResultLabel"));
    resultLabel_->setWordWrap(true);
    resultLabel_->setTextFormat(Qt::PlainText);
    resultLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    resultLabel_->hide();
    auto* busyRow = new QHBoxLayout;
    busyRow->addWidget(busyBar_, 1);
    busyRow->addStretch(0);
    busyRow->addWidget(elapsedLabel_);
    auto* progressLayout = new QVBoxLayout(progress);
    progressLayout->addLayout(busyRow);
    progressLayout->addWidget(statusLabel_);
    progressLayout->addWidget(eventList_);
    progressLayout->addWidget(resultLabel_);
    busyBar_->hide();
    eventList_->hide();

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    dialButton_ = buttons->addButton(tr("&Dial"), QDialogButtonBox::ActionRole);
    dialButton_->setObjectName(QStringLiteral("dialButton"));
    connect(dialButton_, &QPushButton::clicked, this, &DialDialog::startDial);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    // Enter dials (when Dial is enabled) and never closes the dialog.
    buttons->button(QDialogButtonBox::Close)->setAutoDefault(false);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(prompt);
    layout->addWidget(addressEdit_);
    layout->addWidget(problemLabel_);
    layout->addWidget(noteLabel_);
    layout->addWidget(recentTitle);
    layout->addWidget(recentList_);
    layout->addWidget(progress);
    layout->addWidget(buttons);
    dialButton_->setDefault(true); // once in the dialog, or QDialog picks its own default

    elapsedTimer_->setInterval(kElapsedUpdateMs);
    connect(elapsedTimer_, &QTimer::timeout, this, &DialDialog::updateElapsed);
    if (client_)
        // Emitted on the engine thread: queued, so the widgets are only touched here.
        connect(client_, &EngineClient::eventsAppended, this, &DialDialog::applyEvents,
                Qt::QueuedConnection);

    loadRecentAddresses();
    const QStringList recent = recentAddresses();
    setAddress(recent.value(0));
    addressEdit_->selectAll(); // typing replaces the suggestion
    addressChanged();
}

DialDialog::~DialDialog() = default;

void DialDialog::setAddress(const QString& multiaddr) {
    addressEdit_->setText(multiaddr);
    addressEdit_->setFocus();
}

QString DialDialog::address() const {
    return addressEdit_->text().trimmed();
}

void DialDialog::addressChanged() {
    const QString text = addressEdit_->text();
    const AddressCheck check = checkAddress(text);
    addressValid_ = !text.trimmed().isEmpty() && check.error.isEmpty();
    const bool flagged = !check.error.isEmpty();
    QPalette editPalette = palette();
    if (flagged) {
        editPalette.setColor(QPalette::Base, kErrorBackground);
        editPalette.setColor(QPalette::Text, kErrorText);
    }
    addressEdit_->setPalette(flagged ? editPalette : QPalette());
    problemLabel_->setVisible(flagged);
    if (flagged) {
        const QString input = check.badStart >= 0
                                  ? highlighted(text, check.badStart, check.badLength)
                                  : text.toHtmlEscaped();
        problemLabel_->setText(QStringLiteral("<div style=\"font-family: monospace\">%1</div>"
                                              "<div style=\"color: %2\">%3</div>")
                                   .arg(input, kErrorText.name(), check.error.toHtmlEscaped()));
        problemLabel_->setToolTip(check.error);
    }
    noteLabel_->setText(check.note);
    noteLabel_->setVisible(!check.note.isEmpty());
    updateControls();
}

void DialDialog::updateControls() {
    dialButton_->setEnabled(client_ && addressValid_ && !dialling_);
    dialButton_->setToolTip(!client_         ? tr("The engine is not running")
                            : dialling_      ? tr("A dial is running")
                            : !addressValid_ ? tr("Enter a valid multiaddr first")
                                             : tr("Connect to this address"));
    addressEdit_->setReadOnly(dialling_);
    recentList_->setEnabled(!dialling_);
}

void DialDialog::loadRecentAddresses() {
    recentList_->clear();
    const QStringList recent = recentAddresses();
    recentList_->addItems(recent);
    if (recent.isEmpty()) {
        auto* placeholder = new QListWidgetItem(tr("No addresses dialled yet"));
        placeholder->setFlags(Qt::NoItemFlags);
        recentList_->addItem(placeholder);
    }
}

void DialDialog::recentActivated(QListWidgetItem* item) {
    if (!(item->flags() & Qt::ItemIsEnabled))
        return;
    setAddress(item->text());
    if (dialButton_->isEnabled())
        startDial();
}

void DialDialog::startDial() {
    const QString address = this->address();
    const AddressCheck check = checkAddress(address);
    if (!client_ || dialling_ || address.isEmpty() || !check.error.isEmpty())
        return;
    rememberAddress(address);
    loadRecentAddresses();

    dialling_ = true;
    dialPeerId_ = check.peerId;
    // Only what the engine logs from now on belongs to this dial.
    sinceSeq_ = client_->snapshot().lastEventSeq;
    dialStartedAt_ = QDateTime::currentDateTimeUtc();
    elapsed_.start();
    elapsedTimer_->start();
    lastError_.clear();

    eventList_->clear();
    eventList_->setVisible(!dialPeerId_.isEmpty());
    resultLabel_->hide();
    setWindowTitle(tr("Dial Peer"));
    busyBar_->show();
    statusLabel_->setText(tr("Dialling %1 (attempt 1)…").arg(address));
    updateElapsed();
    updateControls();

    // `this` as the context: if the dialog is gone by then, the result is dropped.
    client_->dial(address, this,
                  [this, address](const DialOutcome& outcome) { finishDial(address, outcome); });
}

void DialDialog::applyEvents(const QList<EventSnapshot>& events) {
    if (dialPeerId_.isEmpty())
        return;
    static const QRegularExpression ofTotal(QStringLiteral("attempt (\\d+) of (\\d+)"));
    for (const EventSnapshot& event : events) {
        if (event.seq <= sinceSeq_ || event.peerId != dialPeerId_)
            continue;
        // The result can overtake the tick with the dial's last events: those still belong
        // here, later ones (the pool topping the peer up, ...) do not.
        if (!dialling_ && event.at > dialFinishedAt_)
            continue;
        sinceSeq_ = event.seq;
        const double offset = dialStartedAt_.msecsTo(event.at) / 1000.0;
        auto* item = new QListWidgetItem(
            QStringLiteral("+%1 s  %2  %3")
                .arg(QLocale().toString(std::max(0.0, offset), 'f', 2), event.kind, event.detail));
        item->setToolTip(event.detail);
        eventList_->addItem(item);
        if (!dialling_)
            continue; // the status already says how it ended
        if (event.kind == QLatin1String("dial_failed")) {
            lastError_ = event.detail;
            statusLabel_->setText(tr("Attempt failed: %1").arg(event.detail));
        } else if (event.kind == QLatin1String("backoff")) {
            // "retrying in 200 ms (attempt 2 of 4)": said before the wait.
            statusLabel_->setText(lastError_.isEmpty()
                                      ? tr("Waiting: %1").arg(event.detail)
                                      : tr("%1 — %2").arg(lastError_, event.detail));
        } else if (event.kind == QLatin1String("retry")) {
            const QRegularExpressionMatch match = ofTotal.match(event.detail);
            statusLabel_->setText(
                match.hasMatch() ? tr("Attempt %1 of %2…").arg(match.captured(1), match.captured(2))
                                 : tr("Retrying: %1").arg(event.detail));
        }
    }
    while (eventList_->count() > kMaxEventLines)
        delete eventList_->takeItem(0);
    eventList_->scrollToBottom();
}

void DialDialog::finishDial(const QString& address, const DialOutcome& outcome) {
    dialling_ = false;
    dialFinishedAt_ = QDateTime::currentDateTimeUtc();
    elapsedTimer_->stop();
    busyBar_->hide();
    updateElapsed();
    QPalette resultPalette = palette();
    resultPalette.setColor(QPalette::WindowText, outcome.ok ? kSuccessText : kErrorText);
    resultLabel_->setPalette(resultPalette);
    if (outcome.ok) {
        const ConnectionSnapshot& c = outcome.connection;
        statusLabel_->setText(tr("Connected in %1.").arg(elapsedText()));
        resultLabel_->setText(tr("Connected to %1\nConnection %2, %3, via %4")
                                  .arg(c.peerId)
                                  .arg(c.id)
                                  .arg(c.direction, c.remoteAddr));
        resultLabel_->setToolTip(c.peerId);
    } else {
        statusLabel_->setText(tr("Failed after %1.").arg(elapsedText()));
        resultLabel_->setText(tr("Dial failed: %1").arg(outcome.error));
        resultLabel_->setToolTip(address);
    }
    resultLabel_->show();
    setWindowTitle(
        outcome.ok ? tr("Dial Peer — connected to %1").arg(shortPeerId(outcome.connection.peerId))
                   : tr("Dial Peer — failed"));
    updateControls();
    Q_EMIT dialFinished(address, outcome);
}

QString DialDialog::elapsedText() const {
    return tr("%1 s").arg(QLocale().toString(elapsed_.elapsed() / 1000.0, 'f', 1));
}

void DialDialog::updateElapsed() {
    elapsedLabel_->setText(elapsed_.isValid() ? elapsedText() : QString());
}

} // namespace peerscope
