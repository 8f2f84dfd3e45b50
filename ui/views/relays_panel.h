#pragma once

#include "engine/api/snapshot.h"

#include <QPointer>
#include <QWidget>

class QAction;
class QLabel;
class QSortFilterProxyModel;
class QTableView;

namespace peerscope {

class EngineClient;
class RelayTableModel;

// The Relays tab: the relays this node knows (circuit relay v2, our side) with their RTT,
// reservation, circuits and data, and what can be done with them: "Use this relay", "Add
// relay…", "Remove", "Reserve now" (toolbar and context menu). Every action goes to the
// engine through EngineClient and nothing blocks; the engine's answer, error or not, is shown
// in the tab's result line and emitted as message() for the status bar.
class RelaysPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RelaysPanel)

public:
    explicit RelaysPanel(EngineClient* client, QWidget* parent = nullptr);
    ~RelaysPanel() override;

    void applySnapshot(const NodeSnapshot& snapshot);

    RelayTableModel* model() const { return model_; }
    QTableView* table() const { return table_; }
    // The selected relay's peer id; empty when none.
    QString selectedRelay() const;
    void selectRelay(const QString& peerId);

    // The actions, as the toolbar and the context menu show them.
    void openAddRelayDialog();
    void preferSelectedRelay();
    void removeSelectedRelay();
    void reserveSelectedRelayNow();

Q_SIGNALS:
    void message(const QString& text);

private:
    void updateActions();
    void updateEmptyState();
    void showMenu(const QPoint& position);
    // The engine's answer to an action on `peerId`: `done` when it worked, else the error.
    void showResult(const QString& done, const QString& failed, const QString& error);

    QPointer<EngineClient> client_;
    RelayTableModel* model_;
    QSortFilterProxyModel* proxy_;
    QTableView* table_ = nullptr;
    QLabel* emptyLabel_ = nullptr;
    QLabel* resultLabel_ = nullptr;
    QAction* preferAction_ = nullptr;
    QAction* addAction_ = nullptr;
    QAction* removeAction_ = nullptr;
    QAction* reserveAction_ = nullptr;
};

} // namespace peerscope
