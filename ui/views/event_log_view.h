#pragma once

#include <QWidget>

class QComboBox;
class QLineEdit;
class QPushButton;
class QSortFilterProxyModel;
class QTableView;

namespace peerscope {

class EventLogModel;

// The event log: a table over an EventLogModel with a kind filter, a text filter (kind, full
// peer id, connection id, detail) and Clear. It follows the newest event while the user is at
// the bottom; once they scroll up it stays put, even as the oldest rows drop off the top.
class EventLogView final : public QWidget {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventLogView)

public:
    explicit EventLogView(EventLogModel* model, QWidget* parent = nullptr);
    ~EventLogView() override;

    // Empty: every kind.
    void setKindFilter(const QString& kind);
    QString kindFilter() const;
    void setTextFilter(const QString& text);

    // Whether new events scroll into view (the user is at the bottom).
    bool followsNewest() const { return followNewest_; }
    QTableView* table() const { return table_; }

private:
    void addKind(const QString& kind);
    void applyKindFilter();
    void rememberTopRow(int first, int last);
    void keepTopRow();

    EventLogModel* model_;
    QSortFilterProxyModel* kindProxy_;
    QSortFilterProxyModel* textProxy_;
    QComboBox* kindCombo_;
    QLineEdit* textEdit_;
    QPushButton* clearButton_;
    QTableView* table_;
    bool followNewest_ = true;
    int rowsRemovedAboveTop_ = 0;
};

} // namespace peerscope
