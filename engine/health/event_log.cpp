#include "engine/health/event_log.h"

#include <algorithm>

namespace peerscope {

const LifecycleEvent& EventLog::append(QString kind, QString peer, std::uint64_t connectionId,
                                       QString detail) {
    LifecycleEvent event;
    event.seq = nextSeq_++;
    event.at = QDateTime::currentDateTimeUtc();
    event.kind = std::move(kind);
    event.peer = std::move(peer);
    event.connectionId = connectionId;
    event.detail = std::move(detail);
    events_.push_back(std::move(event));
    if (events_.size() > capacity_)
        events_.pop_front();
    return events_.back();
}

std::vector<LifecycleEvent> EventLog::since(std::uint64_t seq, std::size_t limit) const {
    // Sequence numbers are dense, so the first newer event is found by arithmetic.
    std::vector<LifecycleEvent> out;
    if (events_.empty() || seq >= lastSeq())
        return out;
    const std::uint64_t first = events_.front().seq;
    std::size_t index = seq < first ? 0 : static_cast<std::size_t>(seq - first + 1);
    for (; index < events_.size() && out.size() < limit; ++index)
        out.push_back(events_[index]);
    return out;
}

} // namespace peerscope
