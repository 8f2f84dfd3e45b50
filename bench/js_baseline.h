#pragma once

#include <QString>
#include <cstdint>
#include <optional>

namespace peerscope::bench {

// js-libp2p to js-libp2p figures from bench/js/baseline.mjs (two node processes on loopback),
// taken in the same run as ours, so a target can be a ratio on a VM whose speed drifts.
struct JsBaseline {
    double setupMedianMs = 0; // TCP connect + Noise + yamux + first ping
    double downloadGBps = 0;  // one /perf/1.0.0 stream, median of the runs
    double uploadGBps = 0;
};

// Runs the baseline: `connections` fresh connections for setup, `runs` perf runs of `bytes`
// each way. Needs node and tests/interop/node_modules (scripts/install-deps --test).
std::optional<JsBaseline> runJsBaseline(int connections, std::uint64_t bytes, int runs,
                                        QString* error);

// "12.3x (target at least 15x): met" and the like, for the closing lines of a bench.
QString ratioVerdict(double ratio, double target, const char* unit = "x");

} // namespace peerscope::bench
