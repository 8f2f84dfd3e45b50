#pragma once

// Spies on a model's row and reset signals, for tests that check an update was a diff (rows
// inserted, removed or changed) and never a reset or a layout change.
#include <QAbstractItemModel>
#include <QSignalSpy>

namespace peerscope::test {

struct ModelSpies {
    explicit ModelSpies(QAbstractItemModel* model)
        : inserted(model, &QAbstractItemModel::rowsInserted),
          removed(model, &QAbstractItemModel::rowsRemoved),
          changed(model, &QAbstractItemModel::dataChanged),
          reset(model, &QAbstractItemModel::modelReset),
          layout(model, &QAbstractItemModel::layoutChanged) {}
    void clear() {
        inserted.clear();
        removed.clear();
        changed.clear();
        reset.clear();
        layout.clear();
    }
    QSignalSpy inserted;
    QSignalSpy removed;
    QSignalSpy changed;
    QSignalSpy reset;
    QSignalSpy layout;
};

} // namespace peerscope::test
