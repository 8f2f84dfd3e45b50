#pragma once

#include "engine/api/snapshot.h"

#include <QGroupBox>
#include <QList>

class QGridLayout;
class QLabel;
class QProgressBar;

namespace peerscope {

// The Overview's "Resources" box: for each resource the engine limits (pending handshakes,
// connections, streams, bytes buffered), what the node uses now against its system limit, and
// how often a limit refused it in any scope. Rows are made once for the resources the engine
// reports and then only updated, so the 4 Hz ticks relayout nothing.
class ResourceUsePanel final : public QGroupBox {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ResourceUsePanel)

public:
    explicit ResourceUsePanel(QWidget* parent = nullptr);
    ~ResourceUsePanel() override;

    void applyResources(const ResourcesSnapshot& resources);

    // "Inbound connections" for "inbound_connections".
    static QString resourceLabel(const QString& resource);
    // "12 / 200", or "1.5 MiB / 256 MiB" for bytes; "no limit" when the limit is 0.
    static QString useText(const QString& resource, quint64 inUse, quint64 limit);

private:
    struct Row {
        QString resource;
        QLabel* name = nullptr;
        QProgressBar* bar = nullptr;
        QLabel* use = nullptr;
        QLabel* refused = nullptr;
    };
    void rebuild(const ResourcesSnapshot& resources);

    QGridLayout* grid_;
    QList<Row> rows_;
};

} // namespace peerscope
