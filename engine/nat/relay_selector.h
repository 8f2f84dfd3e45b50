#pragma once

#include "engine/core/clock.h"
#include "engine/core/peer_id.h"

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace peerscope {

// Which relays to hold reservations on, and when to switch: the relay manager's decisions,
// without I/O. It is told of relays, of their probes' round trips and of whether they can be
// used; it answers with changes (take this relay, let go of that one, and why).
//
// The rules, from what users of go-libp2p, js-libp2p and Tailscale ask for:
// - A preferred relay ("use this relay") is held whenever it can be used; it wins over every
//   automatic choice unless it is unreachable.
// - Free places go to the usable relays with the lowest round trip (those not yet measured
//   last), static relays before automatic ones at equal standing.
// - A relay in use that cannot be used any more is replaced at once.
// - A relay in use whose round trip stays above the switch threshold for the given number of
//   consecutive probes is replaced by one that is clearly better: at least 10 ms faster and
//   under 2/3 of its round trip (Tailscale's home-relay hysteresis), so a relay only slightly
//   better never causes churn. A relay takes part in at most one automatic switch per 5
//   minutes.
class RelaySelector final {
public:
    struct Config {
        int wanted = 2;           // reservations to hold
        double switchRttMs = 200; // relay_switch_rtt_ms
        int switchProbes = 3;     // relay_switch_probes
        std::chrono::minutes switchInterval{5};
    };
    enum class Source { Static, Automatic };

    struct Change {
        std::optional<PeerId> take;    // reserve on this one
        std::optional<PeerId> release; // and let go of this one once the new one is reserved
        std::string reason;
    };

    explicit RelaySelector(Config config);
    void setConfig(Config config);
    const Config& config() const { return config_; }

    void addRelay(const PeerId& relay, Source source);
    void removeRelay(const PeerId& relay);
    bool hasRelay(const PeerId& relay) const { return relays_.count(relay) > 0; }
    // Usable: connected and not refusing us. A relay that is not usable is never chosen.
    void setUsable(const PeerId& relay, bool usable);
    // A probe's round trip, or none when it went unanswered (counts as above the threshold).
    void observeProbe(const PeerId& relay, std::optional<double> rttMs);
    // "Use this relay": it is held as long as it is usable. Empty: no preference.
    void setPreferred(const std::optional<PeerId>& relay);
    const std::optional<PeerId>& preferred() const { return preferred_; }

    // The relays held (the manager reports what it actually holds after applying changes).
    void setHeld(const PeerId& relay, bool held);
    std::vector<PeerId> held() const;
    bool isHeld(const PeerId& relay) const;
    std::optional<double> lastRtt(const PeerId& relay) const;

    // What to change now. Applying a change is the manager's job; it then calls setHeld().
    std::vector<Change> decide(MonoTime now);

private:
    struct Relay {
        Source source = Source::Static;
        bool usable = false;
        bool held = false;
        std::optional<double> rttMs; // the last answered probe
        bool lastProbeUnanswered = false;
        int probesAboveThreshold = 0; // consecutive
        std::optional<MonoTime> lastSwitch;
    };
    // Candidates not held, best first.
    std::vector<PeerId> rankedCandidates() const;
    bool better(const Relay& a, const Relay& b) const;
    bool recentlySwitched(const Relay& relay, MonoTime now) const;
    static std::string ms(double value);

    Config config_;
    std::map<PeerId, Relay> relays_;
    std::optional<PeerId> preferred_;
};

} // namespace peerscope
