#pragma once

#include "engine/api/snapshot.h"

#include <QByteArray>

namespace peerscope {

// Renders a NodeSnapshot as Prometheus text exposition format 0.0.4 (what /metrics serves);
// `promtool check metrics` must accept it.
QByteArray renderPrometheus(const NodeSnapshot& snapshot);

} // namespace peerscope
