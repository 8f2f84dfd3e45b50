// CPU cost of one libp2p Noise XX handshake, both sides in this process (no sockets): the
// floor under connection setup. Prints the median of N handshakes and the split per side.
//   build/release/bench/bench_noise_handshake [count]
#include "engine/core/keys.h"
#include "engine/protocol/noise_handshake.h"
#include "engine/protocol/noise_static_key.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

using namespace peerscope;
using Clock = std::chrono::steady_clock;

namespace {

double micros(Clock::duration d) {
    return std::chrono::duration<double, std::micro>(d).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

} // namespace

int main(int argc, char** argv) {
    const int count = argc > 1 ? std::max(1, std::atoi(argv[1])) : 1000;
    const PrivateKey initiatorKey = PrivateKey::generateEd25519();
    const PrivateKey responderKey = PrivateKey::generateEd25519();
    const std::vector<std::string> muxers{"/yamux/1.0.0"};
    // As a Host does: one static key per node, made once.
    const auto initiatorStatic = NoiseStaticKey::create(initiatorKey);
    const auto responderStatic = NoiseStaticKey::create(responderKey);
    std::vector<double> total, initiatorSide, responderSide;
    for (int i = 0; i < count; ++i) {
        NoiseHandshake initiator(
            initiatorKey, {NoiseHandshake::Role::Initiator, muxers, {}, initiatorStatic, {}, {}});
        NoiseHandshake responder(
            responderKey, {NoiseHandshake::Role::Responder, muxers, {}, responderStatic, {}, {}});
        double mine = 0, theirs = 0;
        const auto begin = Clock::now();
        auto t = Clock::now();
        initiator.start();
        Bytes msg1 = initiator.takeOutput();
        mine += micros(Clock::now() - t);
        t = Clock::now();
        responder.feed(msg1);
        Bytes msg2 = responder.takeOutput();
        theirs += micros(Clock::now() - t);
        t = Clock::now();
        initiator.feed(msg2);
        Bytes msg3 = initiator.takeOutput();
        auto initiatorTransport = initiator.takeTransport();
        mine += micros(Clock::now() - t);
        t = Clock::now();
        responder.feed(msg3);
        auto responderTransport = responder.takeTransport();
        theirs += micros(Clock::now() - t);
        if (initiator.state() != NoiseHandshake::State::Complete ||
            responder.state() != NoiseHandshake::State::Complete) {
            std::fprintf(stderr, "handshake failed: %s %s\n", initiator.error().c_str(),
                         responder.error().c_str());
            return 1;
        }
        total.push_back(micros(Clock::now() - begin));
        initiatorSide.push_back(mine);
        responderSide.push_back(theirs);
    }
    std::printf("noise XX handshake, both sides: median %.1f us (initiator %.1f us, responder "
                "%.1f us), n=%d\n",
                median(total), median(initiatorSide), median(responderSide), count);
    return 0;
}
