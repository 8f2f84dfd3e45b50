#pragma once

#include <QDateTime>
#include <QString>
#include <cstdint>
#include <deque>
#include <vector>

namespace peerscope {

// One lifecycle event or error, as /api/v1/events and the GUI's event log show it.
struct LifecycleEvent {
    std::uint64_t seq = 0;
    QDateTime at; // wall clock, UTC
    QString kind; // "opened", "closed", "degraded", "failed", "recovered", "replaced", ...
    QString peer; // base58, empty for node-wide events
    std::uint64_t connectionId = 0; // 0 when not about one connection
    QString detail;
};

// A bounded log with increasing sequence numbers, so a client can ask for what is new since
// the last seq it saw and tell when it fell behind (firstSeq() moved past it).
class EventLog final {
public:
    explicit EventLog(std::size_t capacity = 10000) : capacity_(capacity) {}

    const LifecycleEvent& append(QString kind, QString peer, std::uint64_t connectionId,
                                 QString detail);
    std::vector<LifecycleEvent> since(std::uint64_t seq, std::size_t limit = 1000) const;
    std::uint64_t firstSeq() const { return events_.empty() ? nextSeq_ : events_.front().seq; }
    std::uint64_t lastSeq() const { return nextSeq_ - 1; }
    std::size_t size() const { return events_.size(); }

private:
    std::size_t capacity_;
    std::deque<LifecycleEvent> events_;
    std::uint64_t nextSeq_ = 1;
};

} // namespace peerscope
