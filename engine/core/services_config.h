#pragma once

#include <cstdint>

namespace peerscope {

// Services the node offers to any peer that asks. Those that cost us much per request are off
// by default: a stranger must not be able to make the node work hard for free.
struct ServicesConfig {
    // /perf/1.0.0: a peer names how many bytes we send it and sends us what it likes.
    bool servePerf = false;
    // The most a perf stream may move, each way; a request for more is refused at once.
    std::uint64_t perfMaxStreamBytes = std::uint64_t(1) << 30; // 1 GiB

    bool operator==(const ServicesConfig&) const = default;
};

} // namespace peerscope
