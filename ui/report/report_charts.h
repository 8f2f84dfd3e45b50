#pragma once

#include "engine/api/snapshot.h"
#include "ui/report/pdf_report_writer.h"

namespace peerscope {

class HistoryStore;

// The report's chart series from what the window has recorded: the last ten minutes (5 s
// points) of the node's receive and send rates, and of the smoothed RTT of each peer's first
// connection, for at most `maxPeers` peers (the busiest first), so the chart stays readable.
ReportCharts reportChartsFrom(const HistoryStore& history, const NodeSnapshot& snapshot,
                              int maxPeers = 8);

} // namespace peerscope
