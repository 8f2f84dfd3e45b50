#pragma once

#include "engine/api/snapshot.h"

#include <QElapsedTimer>
#include <QList>
#include <QWidget>

class QDoubleSpinBox;
class QLabel;
class QStackedWidget;
class QTableWidget;

namespace peerscope {

class EngineClient;

// The Lab panel (lab mode): one row per lab link, with its role, peer, proxy port, state and
// bytes, and spin boxes for delay, jitter, loss and rate that change the link live through
// EngineClient::setLabLink. The relayed lab peer has no link of its own: its row shows the
// relay it is reached through instead of a proxy, and no spin boxes. Outside lab mode it
// shows how to start it instead.
// applySnapshot() applies a diff: rows are inserted and removed by link index and cells are
// only touched when their value changed, so a spin box being edited keeps its state.
class LabPanel final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LabPanel)

public:
    enum Column {
        LinkColumn,
        RoleColumn, // "peer", "relay" or "relayed"
        PeerColumn,
        ProxyColumn, // the relayed peer: "via relay <short id>"
        StateColumn,
        DelayColumn,  // spin box, ms
        JitterColumn, // spin box, ms
        LossColumn,   // spin box, %
        RateColumn,   // spin box, MB/s (0 = unlimited)
        SentColumn,   // bytes this node sent through the link
        ReceivedColumn,
        ColumnCount
    };

    // An edit wins over snapshots that still show the old value for this long.
    static constexpr int kPendingEditMs = 2000;

    // `client` may be null (nothing is sent; linkEdited still fires).
    explicit LabPanel(EngineClient* client, QWidget* parent = nullptr);
    ~LabPanel() override;

    void applySnapshot(const NodeSnapshot& snapshot);

    QTableWidget* table() const { return table_; }
    // The link index shown in `row`, or -1.
    int linkAt(int row) const { return row >= 0 && row < rows_.size() ? rows_[row].index : -1; }

Q_SIGNALS:
    // The user changed a link (rate in bytes/s, 0 = unlimited); already sent to the engine.
    void linkEdited(int index, double delayMs, double jitterMs, double lossPercent,
                    double rateBytesPerSecond);

private:
    struct Row {
        int index = -1;
        // All four null for the relayed peer, which has no link to edit.
        QDoubleSpinBox* delay = nullptr;
        QDoubleSpinBox* jitter = nullptr;
        QDoubleSpinBox* loss = nullptr;
        QDoubleSpinBox* rate = nullptr; // MB/s
        bool editPending = false;
        QElapsedTimer editedAt;
        LabLinkSnapshot edited; // what the user set, while the engine has not shown it yet
    };

    void insertRow(int position, const LabLinkSnapshot& link);
    void updateRow(int position, const LabLinkSnapshot& link);
    void setText(int row, int column, const QString& text, const QString& toolTip = {});
    void onEdited(int index);
    QDoubleSpinBox* makeSpinBox(int index, const QString& objectName, double maximum, int decimals,
                                double step, const QString& suffix);

    EngineClient* client_;
    QStackedWidget* stack_;
    QLabel* placeholder_;
    QTableWidget* table_;
    QList<Row> rows_; // by ascending link index, as the table shows them
};

} // namespace peerscope
