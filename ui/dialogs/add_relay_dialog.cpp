#include "ui/dialogs/add_relay_dialog.h"

#include "engine/api/engine_client.h"
#include "ui/dialogs/dial_dialog.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace peerscope {

namespace {

const QColor kErrorText(0xc0, 0x1c, 0x28);

} // namespace

AddRelayDialog::AddRelayDialog(EngineClient* client, QWidget* parent)
    : QDialog(parent), client_(client) {
    setWindowTitle(tr("Add Relay"));

    auto* intro = new QLabel(tr("The relay's multiaddr, ending in /p2p/&lt;relay peer ID&gt;. "
                                "This node keeps it connected and reserves a slot on it, so "
                                "that peers can reach this node through it."));
    intro->setWordWrap(true);

    addressEdit_ = new QLineEdit;
    addressEdit_->setObjectName(QStringLiteral("relayAddressEdit"));
    addressEdit_->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    addressEdit_->setPlaceholderText(QStringLiteral("/ip4/203.0.113.7/tcp/4001/p2p/12D3KooW…"));
    addressEdit_->setClearButtonEnabled(true);
    addressEdit_->setMinimumWidth(addressEdit_->fontMetrics().horizontalAdvance(
                                      QStringLiteral("/ip4/203.0.113.7/tcp/4001/p2p/")) *
                                  2);
    connect(addressEdit_, &QLineEdit::textChanged, this, &AddRelayDialog::addressChanged);

    problemLabel_ = new QLabel;
    problemLabel_->setObjectName(QStringLiteral("relayProblemLabel"));
    problemLabel_->setWordWrap(true);
    problemLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QPalette problemPalette = problemLabel_->palette();
    problemPalette.setColor(QPalette::WindowText, kErrorText);
    problemLabel_->setPalette(problemPalette);
    problemLabel_->hide();

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Cancel);
    addButton_ = buttons->addButton(tr("Add Relay"), QDialogButtonBox::AcceptRole);
    addButton_->setObjectName(QStringLiteral("addRelayButton"));
    addButton_->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &AddRelayDialog::addRelay);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addWidget(intro);
    layout->addWidget(addressEdit_);
    layout->addWidget(problemLabel_);
    layout->addStretch(1);
    layout->addWidget(buttons);
    addressChanged();
}

AddRelayDialog::~AddRelayDialog() = default;

void AddRelayDialog::setAddress(const QString& multiaddr) {
    addressEdit_->setText(multiaddr);
}

QString AddRelayDialog::address() const {
    return addressEdit_->text().trimmed();
}

void AddRelayDialog::showProblem(const QString& problem) {
    problemLabel_->setText(problem);
    problemLabel_->setToolTip(problem);
    problemLabel_->setVisible(!problem.isEmpty());
}

void AddRelayDialog::addressChanged() {
    const QString text = address();
    lastError_.clear();
    if (text.isEmpty()) {
        addressValid_ = false;
        showProblem({});
    } else {
        // The same parser the engine uses; the engine also needs to know which peer it is.
        const DialDialog::AddressCheck check = DialDialog::checkAddress(text);
        QString problem = check.error;
        if (problem.isEmpty() && check.peerId.isEmpty())
            problem = tr("A relay's address must end in /p2p/<relay peer ID>");
        addressValid_ = problem.isEmpty();
        showProblem(problem);
    }
    updateControls();
}

void AddRelayDialog::updateControls() {
    addButton_->setEnabled(client_ && addressValid_ && !adding_);
    addButton_->setToolTip(!client_         ? tr("The engine is not running")
                           : adding_        ? tr("Waiting for the engine")
                           : !addressValid_ ? tr("Enter the relay's multiaddr first")
                                            : tr("Add this relay"));
    addressEdit_->setReadOnly(adding_);
}

void AddRelayDialog::addRelay() {
    if (!client_ || !addressValid_ || adding_)
        return;
    adding_ = true;
    updateControls();
    const QString multiaddr = address();
    // `this` as the context: if the dialog goes first, the answer is dropped.
    client_->addRelay(multiaddr, this, [this, multiaddr](const QString& error) {
        adding_ = false;
        lastError_ = error;
        updateControls();
        if (!error.isEmpty()) {
            showProblem(tr("The engine refused the relay: %1").arg(error));
            return;
        }
        Q_EMIT relayAdded(multiaddr);
        accept();
    });
}

} // namespace peerscope
