#pragma once

#include "engine/core/clock.h"
#include "engine/core/connection_config.h"
#include "engine/health/connection_health.h"
#include "engine/health/wakeup_wheel.h"
#include "engine/net/ping_prober.h"

#include <QObject>
#include <QTimer>
#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

namespace peerscope {

class Connection;
class ConnectionPool;
class EventLog;
class Host;
struct ConnectionHealthView;

// Probe round trips over the node's life, as a Prometheus histogram (cumulative buckets).
struct RttHistogram {
    static constexpr std::array<double, 12> bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1.0,  2.5};
    std::array<std::uint64_t, bounds.size()> buckets{}; // observations <= bound (cumulative)
    std::uint64_t count = 0;
    double sum = 0; // seconds
    void observe(double seconds);
};

// Measures every connection of the Host: bytes each second into the rate windows, and, when
// health monitoring is on, a ping probe (the libp2p ping protocol, one round trip on its own
// stream) every health_check_interval. Probes are spread over the interval by connection id, so
// a thousand connections do not all ping in the same tick. A probe waits ping_timeout, or with
// adaptive_timeouts the connection's RFC 6298 RTO (never longer than ping_timeout). After each
// probe the connection is scored; degraded and failed connections are logged, and a failed one
// is handed to the pool for replacement. After a missed probe the next one goes out at once
// (the connection is a suspect), so failing takes timeouts, not intervals.
// Every connection has one wake-up time in a timing wheel of 100 ms buckets (WakeupWheel): when
// its next probe is due, or, while a probe is under way, when that probe times out. The 10 Hz
// tick takes only the entries that are due, so its cost follows the probes sent, not the
// connections held; deadlines are checked on that tick, so a timeout is noticed at most 100 ms
// late (never early).
class HealthMonitor final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HealthMonitor)

public:
    HealthMonitor(Host& host, ConnectionPool& pool, EventLog& events, ConnectionConfig config,
                  QObject* parent = nullptr);
    ~HealthMonitor() override;

    void setConfig(const ConnectionConfig& config);
    const ConnectionConfig& config() const { return config_; }

    const ConnectionHealth* health(std::uint64_t connectionId) const;
    std::optional<ConnectionHealthView> view(std::uint64_t connectionId) const;
    double score(std::uint64_t connectionId) const;
    // Probes one connection now, outside its schedule (the GUI's "ping now").
    void probeNow(std::uint64_t connectionId);
    // How many probes are waiting for their answer.
    int probesInFlight() const { return probesInFlight_; }
    const RttHistogram& rttHistogram() const { return histogram_; }

Q_SIGNALS:
    void stateChanged(quint64 connectionId, peerscope::HealthState state);

private:
    // One cache line of what tick(), probe() and onProbed() read first, then the bulky health
    // (two 2.4 KiB rate windows), which a probe reaches only once its answer is in.
    struct alignas(64) Tracked {
        Tracked(Connection* c, ConnectionHealth h) : connection(c), health(std::move(h)) {}
        // Raw, not a QPointer (whose check reads a separate refcount block on every probe): an
        // entry is erased in onClosed(), which Host::connectionClosed calls before the
        // Connection is deleteLater'd, and the monitor holds Host& so it cannot outlive the
        // host and its connections. So while the entry exists, the connection does.
        Connection* connection;
        std::uint64_t id = 0;
        MonoTime nextProbe{0};            // the connection's slot on the probe grid
        std::chrono::nanoseconds wait{0}; // the next probe's timeout, kept from the health
        WakeupWheel::Handle wakeup = 0;   // next probe, or the deadline while probing
        bool probing = false;
        std::unique_ptr<PingProber> prober; // made at the first probe
        ConnectionHealth health;
    };

    void onOpened(Connection* connection);
    void onClosed(quint64 connectionId);
    void tick();
    void sampleBytes();
    void probe(Tracked& tracked);
    void onProbed(Tracked& tracked, Result<MonoTime> rtt);
    MonoTime spreadOffset(std::uint64_t connectionId) const;
    std::chrono::nanoseconds probeTimeout(const ConnectionHealth& health) const;

    Host& host_;
    ConnectionPool& pool_;
    EventLog& events_;
    const Clock& clock_;
    ConnectionConfig config_;
    std::unordered_map<std::uint64_t, Tracked> tracked_; // nodes never move
    WakeupWheel wakeups_;
    // Wake-up handle -> its entry in tracked_ (null once removed): the tick's way in, and a
    // dense array for the byte sample to walk instead of the hash map's node chain.
    std::vector<Tracked*> byHandle_;
    std::vector<WakeupWheel::Handle> due_; // the tick's, kept for its capacity
    QTimer probeTimer_;                    // checks for due probes
    QTimer byteTimer_;                     // one byte sample per second
    int probesInFlight_ = 0;
    RttHistogram histogram_;
};

} // namespace peerscope
