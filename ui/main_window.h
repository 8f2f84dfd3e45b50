#pragma once

#include "engine/api/snapshot.h"

#include <QDateTime>
#include <QList>
#include <QMainWindow>
#include <QPointer>

class QAction;
class QLabel;
class QLineEdit;
class QSortFilterProxyModel;
class QSplitter;
class QTableView;

namespace peerscope {

class EngineClient;
class NodeOverviewWidget;
class PeerTableModel;

// The first vertical slice of the desktop UI: this node's identity and addresses, totals, and
// a live, sortable, filterable table of connected peers with dial / ping / disconnect.
// Everything engine-side goes through the injected EngineClient; nothing here blocks.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    explicit MainWindow(EngineClient* client, QWidget* parent = nullptr);
    ~MainWindow() override;

protected:
    void closeEvent(QCloseEvent* event) override;
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void createActions();
    void createMenus();
    void createCentralWidget();
    void createStatusBar();
    void setDefaultColumnWidths();
    void restoreSettings();
    void saveSettings() const;

    void applySnapshot(const NodeSnapshot& snapshot);
    void updateRates(const NodeSnapshot& snapshot);
    void updateActions();
    void updateEmptyState();
    QString selectedPeerId() const;

    void openDialDialog();
    void dial(const QString& multiaddr);
    void pingSelectedPeer();
    void disconnectSelectedPeer();
    void copySelectedPeerId();
    void showTableMenu(const QPoint& position);
    void showMessage(const QString& message);

    QPointer<EngineClient> client_;
    PeerTableModel* model_;
    QSortFilterProxyModel* proxy_;
    NodeOverviewWidget* overview_ = nullptr;
    QSplitter* splitter_ = nullptr;
    QTableView* table_ = nullptr;
    QLineEdit* filterEdit_ = nullptr;
    QLabel* emptyLabel_ = nullptr;
    QLabel* countsLabel_ = nullptr;
    QLabel* ratesLabel_ = nullptr;

    QAction* dialAction_ = nullptr;
    QAction* pingAction_ = nullptr;
    QAction* disconnectAction_ = nullptr;
    QAction* copyPeerIdAction_ = nullptr;
    QAction* quitAction_ = nullptr;
    QAction* aboutAction_ = nullptr;

    // Recent (time, bytes in, bytes out) counter samples: the rates are averaged over about a
    // second so the 4 Hz ticks do not make them flicker.
    struct RateSample {
        QDateTime at;
        quint64 bytesIn = 0;
        quint64 bytesOut = 0;
    };
    QList<RateSample> rateSamples_;
};

} // namespace peerscope
