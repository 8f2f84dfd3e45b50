#include "ui/dialogs/export_dialog.h"

#include "engine/api/engine_client.h"

#include <QComboBox>
#include <QDateTime>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QStandardPaths>
#include <QThread>
#include <QVBoxLayout>
#include <memory>

namespace peerscope {

namespace {

const QString kDirectoryKey = QStringLiteral("export/lastDirectory");
const QString kFormatKey = QStringLiteral("export/lastFormat");
const QColor kErrorText(0xa4, 0x16, 0x1a);
const QColor kSuccessText(0x1e, 0x6b, 0x35);

QString formatTitle(ExportFormat format) {
    switch (format) {
    case ExportFormat::Json:
        return ExportDialog::tr("JSON report: node, peers, connections");
    case ExportFormat::Csv:
        return ExportDialog::tr("CSV: one row per connection");
    case ExportFormat::Prometheus:
        return ExportDialog::tr("Prometheus text: the /metrics exposition");
    case ExportFormat::Pdf:
        return ExportDialog::tr("PDF report: summary, peer table, charts");
    }
    return {};
}

QString nameFilter(ExportFormat format) {
    return ExportDialog::tr("%1 files (*.%2)")
        .arg(formatName(format).toUpper(), formatFileSuffix(format));
}

QString defaultDirectory() {
    const QString remembered = QSettings().value(kDirectoryKey).toString();
    if (!remembered.isEmpty() && QFileInfo(remembered).isDir())
        return remembered;
    const QString documents = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
    return documents.isEmpty() ? QDir::homePath() : documents;
}

bool isReportSuffix(const QString& suffix) {
    for (const QString& name : formatNames())
        if (suffix == formatFileSuffix(*formatFromName(name)))
            return true;
    return false;
}

} // namespace

ExportDialog::ExportDialog(EngineClient* client, QWidget* parent)
    : QDialog(parent), client_(client) {
    setObjectName(QStringLiteral("exportDialog"));
    setWindowTitle(tr("Export Report"));

    formatCombo_ = new QComboBox;
    formatCombo_->setObjectName(QStringLiteral("formatCombo"));
    for (const QString& name : formatNames()) {
        const ExportFormat format = *formatFromName(name);
        formatCombo_->addItem(formatTitle(format), static_cast<int>(format));
    }

    pathEdit_ = new QLineEdit;
    pathEdit_->setObjectName(QStringLiteral("pathEdit"));
    pathEdit_->setClearButtonEnabled(true);
    pathEdit_->setMinimumWidth(QFontMetrics(pathEdit_->font()).horizontalAdvance(QLatin1Char('x')) *
                               60);
    browseButton_ = new QPushButton(tr("&Browse…"));
    browseButton_->setObjectName(QStringLiteral("browseButton"));
    browseButton_->setAutoDefault(false);
    auto* pathRow = new QHBoxLayout;
    pathRow->addWidget(pathEdit_, 1);
    pathRow->addWidget(browseButton_);

    auto* form = new QFormLayout;
    form->addRow(tr("&Format:"), formatCombo_);
    auto* pathLabel = new QLabel(tr("F&ile:"));
    pathLabel->setBuddy(pathEdit_);
    form->addRow(pathLabel, pathRow);

    busyBar_ = new QProgressBar;
    busyBar_->setObjectName(QStringLiteral("exportProgressBar"));
    busyBar_->setRange(0, 0);
    busyBar_->setTextVisible(false);
    busyBar_->setMaximumHeight(QFontMetrics(font()).height());
    busyBar_->hide();
    statusLabel_ = new QLabel;
    statusLabel_->setObjectName(QStringLiteral("exportStatusLabel"));
    statusLabel_->setWordWrap(true);
    statusLabel_->setTextFormat(Qt::PlainText);
    statusLabel_->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    exportButton_ = buttons->addButton(tr("&Export"), QDialogButtonBox::ActionRole);
    exportButton_->setObjectName(QStringLiteral("exportButton"));
    buttons->button(QDialogButtonBox::Close)->setAutoDefault(false);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto* layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(busyBar_);
    layout->addWidget(statusLabel_);
    layout->addStretch(1);
    layout->addWidget(buttons);
    exportButton_->setDefault(true); // once in the dialog, or QDialog picks its own default

    connect(formatCombo_, &QComboBox::currentIndexChanged, this, &ExportDialog::formatChanged);
    connect(pathEdit_, &QLineEdit::textChanged, this, &ExportDialog::pathChanged);
    connect(browseButton_, &QPushButton::clicked, this, &ExportDialog::browse);
    connect(exportButton_, &QPushButton::clicked, this, &ExportDialog::startExport);

    const std::optional<ExportFormat> remembered =
        formatFromName(QSettings().value(kFormatKey).toString());
    const ExportFormat initial = remembered.value_or(ExportFormat::Pdf);
    formatCombo_->setCurrentIndex(formatCombo_->findData(static_cast<int>(initial)));
    pathEdit_->setText(QDir(defaultDirectory())
                           .filePath(QStringLiteral("peerscope-report-%1.%2")
                                         .arg(QDateTime::currentDateTime().toString(
                                                  QStringLiteral("yyyyMMdd-HHmmss")),
                                              formatFileSuffix(initial))));
    updateControls();
}

ExportDialog::~ExportDialog() = default;

void ExportDialog::setFormat(ExportFormat format) {
    formatCombo_->setCurrentIndex(formatCombo_->findData(static_cast<int>(format)));
}

ExportFormat ExportDialog::format() const {
    return static_cast<ExportFormat>(formatCombo_->currentData().toInt());
}

void ExportDialog::setPath(const QString& path) {
    pathEdit_->setText(path);
}

QString ExportDialog::path() const {
    return pathEdit_->text().trimmed();
}

void ExportDialog::formatChanged() {
    // report.json becomes report.pdf; a name the user chose with another suffix stays.
    const QString current = path();
    const QFileInfo info(current);
    if (!current.isEmpty() && isReportSuffix(info.suffix()))
        pathEdit_->setText(
            QDir(info.path())
                .filePath(info.completeBaseName() + QLatin1Char('.') + formatFileSuffix(format())));
    updateControls();
}

void ExportDialog::pathChanged() {
    const QFileInfo info(path());
    if (path().isEmpty())
        showStatus(QString(), StatusKind::Info);
    else if (info.isDir())
        showStatus(tr("%1 is a directory: add a file name.").arg(path()), StatusKind::Error);
    else if (info.exists())
        showStatus(tr("The file exists and will be replaced."), StatusKind::Info);
    else
        showStatus(QString(), StatusKind::Info);
    updateControls();
}

void ExportDialog::browse() {
    auto* dialog = new QFileDialog(this, tr("Export Report To"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setFileMode(QFileDialog::AnyFile);
    dialog->setNameFilter(nameFilter(format()));
    dialog->setDefaultSuffix(formatFileSuffix(format()));
    const QFileInfo info(path());
    dialog->setDirectory(info.path().isEmpty() || !QFileInfo(info.path()).isDir()
                             ? defaultDirectory()
                             : info.path());
    dialog->selectFile(info.fileName());
    connect(dialog, &QFileDialog::fileSelected, this, &ExportDialog::setPath);
    dialog->open(); // window-modal, no nested event loop
}

void ExportDialog::updateControls() {
    const QFileInfo info(path());
    exportButton_->setEnabled(client_ && !writing_ && !path().isEmpty() && !info.isDir());
    exportButton_->setToolTip(!client_ ? tr("The engine is not running")
                                       : tr("Write the current metrics to the file"));
    formatCombo_->setEnabled(!writing_);
    pathEdit_->setReadOnly(writing_);
    browseButton_->setEnabled(!writing_);
}

void ExportDialog::showStatus(const QString& text, StatusKind kind) {
    QPalette statusPalette = palette();
    if (kind != StatusKind::Info)
        statusPalette.setColor(QPalette::WindowText,
                               kind == StatusKind::Error ? kErrorText : kSuccessText);
    statusLabel_->setPalette(statusPalette);
    statusLabel_->setText(text);
}

void ExportDialog::startExport() {
    if (!client_ || writing_ || path().isEmpty())
        return;
    const QString target = QFileInfo(path()).absoluteFilePath();
    const ExportFormat chosen = format();
    const NodeSnapshot snapshot = client_->snapshot();
    const ReportCharts charts = charts_;
    writing_ = true;
    busyBar_->show();
    showStatus(tr("Writing %1…").arg(target), StatusKind::Info);
    updateControls();

    // Off the GUI thread: a PDF of many peers takes a while. The result comes back through
    // `finished`, queued to this dialog; a dialog closed meanwhile just never hears of it.
    struct Outcome {
        QString error;
        qint64 bytes = 0;
    };
    auto outcome = std::make_shared<Outcome>();
    QThread* worker = QThread::create([outcome, snapshot, charts, chosen, target] {
        const Result<void> written = writeReport(chosen, snapshot, target, charts);
        if (written)
            outcome->bytes = QFileInfo(target).size();
        else
            outcome->error = QString::fromStdString(written.errorMessage());
    });
    connect(worker, &QThread::finished, worker, &QObject::deleteLater);
    connect(worker, &QThread::finished, this, [this, outcome, target, chosen] {
        finishExport(target, chosen, outcome->error, outcome->bytes);
    });
    worker->start();
}

void ExportDialog::finishExport(const QString& path, ExportFormat format, const QString& error,
                                qint64 bytes) {
    writing_ = false;
    busyBar_->hide();
    if (error.isEmpty()) {
        QSettings settings;
        settings.setValue(kDirectoryKey, QFileInfo(path).path());
        settings.setValue(kFormatKey, formatName(format));
        showStatus(tr("Wrote %1 (%2) to %3")
                       .arg(formatName(format).toUpper(),
                            QLocale().formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat),
                            path),
                   StatusKind::Success);
    } else {
        showStatus(tr("Export failed: %1").arg(error), StatusKind::Error);
    }
    updateControls();
    if (error.isEmpty())
        Q_EMIT exported(path, format);
}

} // namespace peerscope
