#include "engine/health/health_monitor.h"

#include "engine/health/event_log.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/ping_prober.h"
#include "engine/pool/connection_pool.h"

#include <algorithm>

namespace peerscope {

namespace {

std::chrono::nanoseconds toNanos(std::chrono::duration<double> seconds) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(seconds);
}

QString peerText(const Connection& connection) {
    return QString::fromStdString(connection.remotePeer().toBase58());
}

} // namespace

void RttHistogram::observe(double seconds) {
    for (std::size_t i = 0; i < bounds.size(); ++i)
        if (seconds <= bounds[i])
            ++buckets[i];
    ++count;
    sum += seconds;
}

HealthMonitor::HealthMonitor(Host& host, ConnectionPool& pool, EventLog& events,
                             ConnectionConfig config, QObject* parent)
    : QObject(parent), host_(host), pool_(pool), events_(events), clock_(host.clock()),
      config_(config) {
    connect(&host_, &Host::connectionOpened, this, &HealthMonitor::onOpened);
    connect(&host_, &Host::connectionClosed, this,
            [this](quint64 id, const PeerId& peer, const QString& reason) {
                events_.append(QStringLiteral("closed"), QString::fromStdString(peer.toBase58()),
                               id, reason);
                onClosed(id);
            });
    for (Connection* connection : host_.connections())
        onOpened(connection);
    // Due probes are checked 10 times a second: at most 100 ms late, whatever the interval.
    probeTimer_.setInterval(100);
    connect(&probeTimer_, &QTimer::timeout, this, &HealthMonitor::tick);
    probeTimer_.start();
    byteTimer_.setInterval(1000);
    connect(&byteTimer_, &QTimer::timeout, this, &HealthMonitor::sampleBytes);
    byteTimer_.start();
    pool_.setHealthLookup([this](std::uint64_t id) { return view(id); });
}

HealthMonitor::~HealthMonitor() {
    pool_.setHealthLookup({});
    // Tearing a prober down resets its stream, which can close the connection and call back
    // into onClosed() while tracked_ is being destroyed: stop listening first, then let go of
    // the probers from a map nobody else can reach.
    disconnect(&host_, nullptr, this, nullptr);
    probeTimer_.stop();
    byteTimer_.stop();
    std::unordered_map<std::uint64_t, Tracked> doomed;
    doomed.swap(tracked_);
    doomed.clear();
}

void HealthMonitor::setConfig(const ConnectionConfig& config) {
    const bool intervalChanged = config.healthCheckInterval != config_.healthCheckInterval ||
                                 config.enableHealthMonitoring != config_.enableHealthMonitoring;
    config_ = config;
    const MonoTime now = clock_.now();
    for (auto& [id, tracked] : tracked_) {
        if (intervalChanged)
            tracked.health.rtt().setInitialRto(toNanos(config_.pingTimeout));
        // ping_timeout and adaptive_timeouts decide each probe's wait.
        tracked.wait = probeTimeout(tracked.health);
        if (!intervalChanged)
            continue;
        // Re-spread the schedule over the new interval.
        tracked.nextProbe = now + spreadOffset(id);
        if (!tracked.probing) // a probe under way keeps its deadline
            wakeups_.schedule(tracked.wakeup, tracked.nextProbe);
    }
}

MonoTime HealthMonitor::spreadOffset(std::uint64_t connectionId) const {
    // Golden-ratio hashing spreads consecutive ids evenly over the interval.
    const double fraction =
        static_cast<double>((connectionId * 0x9e3779b97f4a7c15ULL) >> 11) * 0x1.0p-53;
    return std::chrono::duration_cast<MonoTime>(config_.healthCheckInterval * fraction);
}

void HealthMonitor::onOpened(Connection* connection) {
    const MonoTime now = clock_.now();
    auto [it, inserted] = tracked_.try_emplace(
        connection->id(), connection,
        ConnectionHealth(connection->openedAtMono(), toNanos(config_.pingTimeout)));
    if (!inserted)
        return;
    Tracked& tracked = it->second;
    tracked.id = connection->id();
    tracked.wait = probeTimeout(tracked.health);
    tracked.nextProbe = now + spreadOffset(connection->id());
    tracked.wakeup = wakeups_.add(tracked.nextProbe);
    if (tracked.wakeup >= byHandle_.size())
        byHandle_.resize(tracked.wakeup + 1, nullptr);
    byHandle_[tracked.wakeup] = &tracked;
    events_.append(QStringLiteral("opened"), peerText(*connection), connection->id(),
                   QStringLiteral("%1 %2 (%3)")
                       .arg(QString::fromLatin1(directionName(connection->info().direction)),
                            QString::fromStdString(connection->info().remoteAddr.toString()),
                            QString::fromStdString(connection->info().muxer)));
    connect(connection, &Connection::streamOpened, this, [this, id = connection->id()](Stream*) {
        if (auto found = tracked_.find(id); found != tracked_.end())
            found->second.health.recordStreamOpened();
    });
}

void HealthMonitor::onClosed(quint64 connectionId) {
    auto it = tracked_.find(connectionId);
    if (it == tracked_.end())
        return;
    // Its prober goes with it, and so does the answer of a probe under way.
    if (it->second.probing)
        --probesInFlight_;
    wakeups_.remove(it->second.wakeup);
    byHandle_[it->second.wakeup] = nullptr;
    tracked_.erase(it);
}

const ConnectionHealth* HealthMonitor::health(std::uint64_t connectionId) const {
    auto it = tracked_.find(connectionId);
    return it == tracked_.end() ? nullptr : &it->second.health;
}

std::optional<ConnectionHealthView> HealthMonitor::view(std::uint64_t connectionId) const {
    const ConnectionHealth* h = health(connectionId);
    if (h == nullptr)
        return std::nullopt;
    ConnectionHealthView out;
    out.score = h->score(config_);
    out.smoothedRtt = h->rtt().smoothed();
    out.failed = h->state() == HealthState::Failed;
    return out;
}

double HealthMonitor::score(std::uint64_t connectionId) const {
    const ConnectionHealth* h = health(connectionId);
    return h ? h->score(config_) : 1.0;
}

std::chrono::nanoseconds HealthMonitor::probeTimeout(const ConnectionHealth& health) const {
    const auto limit = toNanos(config_.pingTimeout);
    if (!config_.adaptiveTimeouts || health.rtt().sampleCount() == 0)
        return limit;
    return std::min(limit, health.rtt().rto());
}

void HealthMonitor::tick() {
    if (!config_.enableHealthMonitoring)
        return;
    const MonoTime now = clock_.now();
    const auto interval =
        std::max(std::chrono::duration_cast<MonoTime>(config_.healthCheckInterval),
                 MonoTime(std::chrono::milliseconds(100)));
    // Every entry handled here moves past now (a probe that fails at once is retried on the
    // next tick, not in this loop), so this takes each due entry once.
    due_.clear();
    wakeups_.takeDue(now, due_);
    for (const WakeupWheel::Handle handle : due_) {
        // Handling an earlier entry can close this one's connection or reschedule it (a probe
        // of its own): then it is not due any more.
        Tracked* entry = byHandle_[handle];
        if (entry == nullptr || wakeups_.scheduled(handle))
            continue;
        Tracked& tracked = *entry;
        if (tracked.probing) {
            // Its callback reschedules it; this is only in case no callback came.
            wakeups_.schedule(handle, now + interval);
            const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(tracked.wait);
            tracked.prober->giveUp("ping: no reply within " + std::to_string(waited.count()) +
                                   " ms");
            continue;
        }
        // Next slot on the same grid: a late tick does not shift the schedule.
        while (tracked.nextProbe <= now)
            tracked.nextProbe += interval;
        if (tracked.connection->isOpen())
            probe(tracked); // which files the probe's deadline
        else
            wakeups_.schedule(handle, tracked.nextProbe);
    }
}

void HealthMonitor::probeNow(std::uint64_t connectionId) {
    auto it = tracked_.find(connectionId);
    if (it == tracked_.end() || it->second.probing)
        return;
    probe(it->second);
}

void HealthMonitor::probe(Tracked& tracked) {
    tracked.probing = true;
    ++probesInFlight_;
    // The deadline is set before the probe starts: a probe that fails at once reschedules
    // from its callback, inside probe().
    const auto timeout =
        std::max(tracked.wait, std::chrono::nanoseconds(std::chrono::milliseconds(1)));
    wakeups_.schedule(tracked.wakeup, clock_.now() + timeout);
    if (!tracked.prober)
        tracked.prober = std::make_unique<PingProber>(host_, tracked.connection);
    // Only this entry's own prober calls back, and it goes with the entry (and the entry with
    // the monitor; a prober being destroyed does not call back): neither pointer can outlive
    // what it refers to. Two pointers fit std::function's inline buffer, so a probe allocates
    // no closure.
    tracked.prober->probe(
        [this, entry = &tracked](Result<MonoTime> rtt) { onProbed(*entry, std::move(rtt)); });
}

void HealthMonitor::onProbed(Tracked& t, Result<MonoTime> rtt) {
    const std::uint64_t id = t.id;
    --probesInFlight_;
    t.probing = false;
    const MonoTime now = clock_.now();
    if (rtt) {
        t.health.recordProbe(now, *rtt);
        histogram_.observe(std::chrono::duration<double>(*rtt).count());
    } else {
        t.health.recordProbe(now, std::nullopt, rtt.errorMessage());
    }
    t.wait = probeTimeout(t.health); // the RTO moved with this outcome
    const HealthState before = t.health.state();
    const HealthState after = t.health.evaluate(config_);
    // A missed probe makes the connection a suspect: the next probe goes out at once rather
    // than an interval later, so a silent peer is failed after unhealthy_checks_before_replace
    // timeouts, not that many intervals.
    if (t.health.probes().consecutiveFailures() > 0 && after != HealthState::Failed)
        t.nextProbe = now + MonoTime(1); // the next tick
    wakeups_.schedule(t.wakeup, t.nextProbe);
    if (after == before)
        return;
    Connection* connection = host_.connectionById(id);
    const QString peer = connection ? peerText(*connection) : QString();
    const QString detail = QStringLiteral("score %1 after %2 probes, %3 failed in a row")
                               .arg(t.health.score(config_), 0, 'f', 2)
                               .arg(t.health.probesSent())
                               .arg(t.health.probes().consecutiveFailures());
    const QString kind = after == HealthState::Healthy
                             ? QStringLiteral("recovered")
                             : QString::fromLatin1(healthStateName(after));
    events_.append(kind, peer, id, detail);
    Q_EMIT stateChanged(id, after);
    if (after == HealthState::Failed)
        pool_.replace(id, QStringLiteral("health failed: ") + detail);
}

void HealthMonitor::sampleBytes() {
    const MonoTime now = clock_.now();
    for (Tracked* tracked : byHandle_)
        if (tracked != nullptr)
            tracked->health.recordBytes(now, tracked->connection->bytesIn(),
                                        tracked->connection->bytesOut());
}

} // namespace peerscope
