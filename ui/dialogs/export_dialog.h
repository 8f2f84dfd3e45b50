#pragma once

#include "ui/report/pdf_report_writer.h"
#include "ui/report/report_exporter.h"

#include <QDialog>
#include <QPointer>
#include <QString>

class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;

namespace peerscope {

class EngineClient;

// Export the current metrics: pick a format (JSON, CSV, Prometheus text, PDF report) and a
// file, then Export writes the engine's latest snapshot through writeReport on a worker
// thread (the GUI never waits for a PDF) and says what was written or why not. The last
// directory and format are remembered (QSettings "export/...").
class ExportDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExportDialog)

public:
    explicit ExportDialog(EngineClient* client, QWidget* parent = nullptr);
    ~ExportDialog() override;

    // History for the PDF's charts; without it the PDF draws per-peer bars from the snapshot.
    void setCharts(const ReportCharts& charts) { charts_ = charts; }
    void setFormat(ExportFormat format);
    ExportFormat format() const;
    void setPath(const QString& path);
    QString path() const;
    bool isWriting() const { return writing_; }

Q_SIGNALS:
    // After a successful write.
    void exported(const QString& path, peerscope::ExportFormat format);

private:
    enum class StatusKind { Info, Success, Error };

    void formatChanged();
    void pathChanged();
    void browse();
    void startExport();
    void finishExport(const QString& path, ExportFormat format, const QString& error, qint64 bytes);
    void updateControls();
    void showStatus(const QString& text, StatusKind kind);

    QPointer<EngineClient> client_;
    ReportCharts charts_;
    QComboBox* formatCombo_ = nullptr;
    QLineEdit* pathEdit_ = nullptr;
    QPushButton* browseButton_ = nullptr;
    QPushButton* exportButton_ = nullptr;
    QProgressBar* busyBar_ = nullptr;
    QLabel* statusLabel_ = nullptr;
    bool writing_ = false;
};

} // namespace peerscope
