#include "engine/resources/resource_refusal_log.h"

#include <utility>

namespace peerscope {

std::string ResourceRefusalLog::describe(const ResourceRefusal& refusal, std::uint64_t count) {
    std::string what = resourceText(refusal.resource);
    if (refusal.resource == Resource::BytesBuffered)
        what = count == 1 ? "request to buffer more bytes" : "requests to buffer more bytes";
    else if (count == 1)
        what.pop_back(); // "1 inbound connection"
    std::string line = "resource limit: " + std::to_string(count) + " " + what + " refused";
    switch (refusal.scope) {
    case ResourceScope::System:
        break;
    case ResourceScope::SourceIp:
        line += " from " + refusal.key;
        break;
    case ResourceScope::Peer:
    case ResourceScope::Protocol:
        line += " for " + refusal.key;
        break;
    case ResourceScope::Connection:
    case ResourceScope::Stream:
        line += " on " + refusal.key;
        break;
    }
    static constexpr const char* scopeText[resourceScopeCount] = {
        "system", "per-IP", "per-peer", "per-connection", "per-protocol", "per-stream"};
    line += std::string(" (") + scopeText[static_cast<std::size_t>(refusal.scope)] + " limit " +
            std::to_string(refusal.limit) + ")";
    return line;
}

std::optional<std::string> ResourceRefusalLog::note(const ResourceRefusal& refusal, MonoTime now) {
    Burst& burst = bursts_[static_cast<std::size_t>(refusal.scope)]
                          [static_cast<std::size_t>(refusal.resource)];
    burst.latest = refusal;
    ++burst.held;
    if (burst.lastLine && now - *burst.lastLine < interval_)
        return std::nullopt;
    burst.lastLine = now;
    return describe(refusal, std::exchange(burst.held, 0));
}

std::vector<std::string> ResourceRefusalLog::takeDue(MonoTime now) {
    std::vector<std::string> lines;
    for (auto& byResource : bursts_)
        for (Burst& burst : byResource)
            if (burst.held > 0 && now - *burst.lastLine >= interval_) {
                burst.lastLine = now;
                lines.push_back(describe(burst.latest, std::exchange(burst.held, 0)));
            }
    return lines;
}

} // namespace peerscope
