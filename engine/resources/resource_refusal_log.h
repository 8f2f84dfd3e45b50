#pragma once

#include "engine/core/clock.h"
#include "engine/resources/resource_manager.h"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace peerscope {

// Turns refusals into event-log lines, at most one per (scope, resource) per interval: the
// first of a burst at once, then how many followed ("resource limit: 37 inbound connections
// refused from 127.0.0.1 (per-ip limit 16)"). Sans-I/O: time is an argument.
class ResourceRefusalLog final {
public:
    explicit ResourceRefusalLog(MonoTime interval = std::chrono::seconds(10))
        : interval_(interval) {}

    // A line to log now, or nothing when this refusal waits for the next one.
    std::optional<std::string> note(const ResourceRefusal& refusal, MonoTime now);
    // Lines for refusals held back whose interval has passed (call it now and then).
    std::vector<std::string> takeDue(MonoTime now);

    static std::string describe(const ResourceRefusal& refusal, std::uint64_t count);

private:
    struct Burst {
        std::optional<MonoTime> lastLine;
        std::uint64_t held = 0; // refused since the last line
        ResourceRefusal latest; // what the next line names
    };

    MonoTime interval_;
    std::array<std::array<Burst, resourceCount>, resourceScopeCount> bursts_{};
};

} // namespace peerscope
