#pragma once

#include <cstddef>

namespace peerscope::bench {

struct SocketFloor {
    double cpuPercent = 0;    // of one core
    double kernelPercent = 0; // the part of it in the kernel
    double roundTripsPerSecond = 0;
};

// What the scale run's traffic costs with no engine at all: `connections` loopback TCP
// connections to a forked echo process, each sent one `messageSize`-byte message per second
// (spread over ten batches a second, as the health monitor's 10 Hz tick does) and its echo read
// back, with nothing but epoll_wait, send and recv. No user-space code can make a probe cheaper
// than this on the same machine, so it tells apart what is ours from what is the kernel's.
SocketFloor measureSocketFloor(int connections, int seconds, std::size_t messageSize);

} // namespace peerscope::bench
