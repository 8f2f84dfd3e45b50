#include "engine/nat/relay_selector.h"

#include <algorithm>
#include <cstdio>

namespace peerscope {

namespace {
// Tailscale's margin: a new relay must be this much faster, and under this share of the old.
constexpr double minGainMs = 10;
constexpr double maxShare = 2.0 / 3.0;

std::string shortId(const PeerId& peer) {
    const std::string text = peer.toBase58();
    return text.size() > 8 ? "…" + text.substr(text.size() - 8) : text;
}
} // namespace

RelaySelector::RelaySelector(Config config) : config_(config) {}

void RelaySelector::setConfig(Config config) {
    config_ = config;
}

void RelaySelector::addRelay(const PeerId& relay, Source source) {
    auto [it, added] = relays_.try_emplace(relay);
    // A relay known both ways counts as static: the user named it.
    if (added || source == Source::Static)
        it->second.source = source;
}

void RelaySelector::removeRelay(const PeerId& relay) {
    relays_.erase(relay);
    if (preferred_ == relay)
        preferred_.reset();
}

void RelaySelector::setUsable(const PeerId& relay, bool usable) {
    if (auto it = relays_.find(relay); it != relays_.end())
        it->second.usable = usable;
}

void RelaySelector::observeProbe(const PeerId& relay, std::optional<double> rttMs) {
    auto it = relays_.find(relay);
    if (it == relays_.end())
        return;
    Relay& r = it->second;
    if (rttMs)
        r.rttMs = rttMs;
    r.lastProbeUnanswered = !rttMs;
    if (!rttMs || *rttMs > config_.switchRttMs)
        ++r.probesAboveThreshold;
    else
        r.probesAboveThreshold = 0;
}

void RelaySelector::setPreferred(const std::optional<PeerId>& relay) {
    preferred_ = relay;
}

void RelaySelector::setHeld(const PeerId& relay, bool held) {
    if (auto it = relays_.find(relay); it != relays_.end())
        it->second.held = held;
}

std::vector<PeerId> RelaySelector::held() const {
    std::vector<PeerId> out;
    for (const auto& [peer, relay] : relays_)
        if (relay.held)
            out.push_back(peer);
    return out;
}

bool RelaySelector::isHeld(const PeerId& relay) const {
    auto it = relays_.find(relay);
    return it != relays_.end() && it->second.held;
}

std::optional<double> RelaySelector::lastRtt(const PeerId& relay) const {
    auto it = relays_.find(relay);
    return it == relays_.end() ? std::nullopt : it->second.rttMs;
}

bool RelaySelector::better(const Relay& a, const Relay& b) const {
    if (a.rttMs.has_value() != b.rttMs.has_value())
        return a.rttMs.has_value(); // measured before not yet measured
    if (a.rttMs && *a.rttMs != *b.rttMs)
        return *a.rttMs < *b.rttMs;
    return a.source == Source::Static && b.source == Source::Automatic;
}

std::vector<PeerId> RelaySelector::rankedCandidates() const {
    std::vector<PeerId> out;
    for (const auto& [peer, relay] : relays_)
        if (relay.usable && !relay.held)
            out.push_back(peer);
    // Stable on the map's peer order, so equal relays rank the same every time.
    std::stable_sort(out.begin(), out.end(), [this](const PeerId& a, const PeerId& b) {
        return better(relays_.at(a), relays_.at(b));
    });
    return out;
}

bool RelaySelector::recentlySwitched(const Relay& relay, MonoTime now) const {
    return relay.lastSwitch &&
           now - *relay.lastSwitch < std::chrono::duration_cast<MonoTime>(config_.switchInterval);
}

std::string RelaySelector::ms(double value) {
    char text[32];
    std::snprintf(text, sizeof text, "%.0f ms", value);
    return text;
}

std::vector<RelaySelector::Change> RelaySelector::decide(MonoTime now) {
    std::vector<Change> changes;
    auto take = [&](const PeerId& peer) { relays_.at(peer).held = true; };
    auto release = [&](const PeerId& peer) { relays_.at(peer).held = false; };
    auto nextCandidate = [&]() -> std::optional<PeerId> {
        for (const PeerId& peer : rankedCandidates())
            if (peer != preferred_) // the preferred one enters by its own rule below
                return peer;
        return std::nullopt;
    };

    // 1. Held relays that cannot be used any more are replaced at once.
    for (const PeerId& peer : held()) {
        if (relays_.at(peer).usable)
            continue;
        release(peer);
        Change change{std::nullopt, peer, shortId(peer) + " is unreachable"};
        if (std::optional<PeerId> next = nextCandidate()) {
            take(*next);
            change.take = next;
            change.reason += ": " + shortId(*next) + " takes its place";
        }
        changes.push_back(change);
    }

    // 2. The preferred relay is held whenever it is usable, in place of the slowest other.
    if (preferred_) {
        auto it = relays_.find(*preferred_);
        if (it != relays_.end() && it->second.usable && !it->second.held) {
            Change change{*preferred_, std::nullopt, "preferred by the user"};
            const std::vector<PeerId> current = held();
            if (static_cast<int>(current.size()) >= config_.wanted && !current.empty()) {
                const PeerId slowest = *std::max_element(
                    current.begin(), current.end(), [this](const PeerId& a, const PeerId& b) {
                        return better(relays_.at(a), relays_.at(b));
                    });
                release(slowest);
                change.release = slowest;
            }
            take(*preferred_);
            changes.push_back(change);
        }
    }

    // 3. Free places go to the best candidates.
    while (static_cast<int>(held().size()) < config_.wanted) {
        std::optional<PeerId> next = nextCandidate();
        if (!next)
            break;
        take(*next);
        changes.push_back({*next, std::nullopt, "a free place"});
    }

    // 4. Held relays slow for long enough make way for a clearly better one.
    for (const PeerId& peer : held()) {
        Relay& current = relays_.at(peer);
        if (peer == preferred_ || current.probesAboveThreshold < config_.switchProbes ||
            recentlySwitched(current, now))
            continue;
        for (const PeerId& candidatePeer : rankedCandidates()) {
            Relay& candidate = relays_.at(candidatePeer);
            if (!candidate.rttMs || recentlySwitched(candidate, now))
                continue;
            // An unanswered last probe: the current relay is as slow as can be.
            const bool unanswered = current.lastProbeUnanswered || !current.rttMs;
            const double currentMs = unanswered ? 0 : *current.rttMs;
            const bool clearlyBetter = unanswered || (*candidate.rttMs <= currentMs - minGainMs &&
                                                      *candidate.rttMs < currentMs * maxShare);
            if (!clearlyBetter)
                break; // candidates are ranked: none further down is better
            release(peer);
            take(candidatePeer);
            current.lastSwitch = now;
            candidate.lastSwitch = now;
            current.probesAboveThreshold = 0;
            changes.push_back(
                {candidatePeer, peer,
                 shortId(peer) + "'s round trip stayed above " + ms(config_.switchRttMs) + " for " +
                     std::to_string(config_.switchProbes) + " probes (last " +
                     (unanswered ? std::string("unanswered") : ms(currentMs)) + "); " +
                     shortId(candidatePeer) + " answers in " + ms(*candidate.rttMs)});
            break;
        }
    }
    return changes;
}

} // namespace peerscope
