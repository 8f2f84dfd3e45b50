// CPU cost of one Noise transport frame, sealed and opened, by frame size: the project's
// ChaCha20Poly1305, OpenSSL's (the calls NoiseTransport makes) and libsodium's, each warm (one
// key, back to back) and cold (a different key each time out of N, the caches swept between
// passes, as when thousands of connections each send a small frame now and then).
//   build/release/bench/bench_noise_frames [keys=3000]
#include "engine/protocol/chacha20_poly1305.h"
#include "engine/protocol/noise_transport.h"
#include "engine/protocol/openssl_chacha20_poly1305.h"
#include "engine/protocol/sodium_chacha20_poly1305.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <vector>

using namespace peerscope;
using Clock = std::chrono::steady_clock;

namespace {

struct Keyed {
    std::unique_ptr<ChaCha20Poly1305> own;
    std::unique_ptr<OpenSslChaCha20Poly1305> openssl;
    std::unique_ptr<SodiumChaCha20Poly1305> sodium;
};

// Seals and opens one frame; aborts if it does not open (the figures would mean nothing).
template <typename Cipher>
void roundTrip(Cipher& cipher, std::uint64_t counter, const Bytes& plaintext, Bytes& wire,
               Bytes& back) {
    const auto nonce = NoiseTransport::nonceBytes(counter);
    cipher.seal(nonce, {}, plaintext, wire.data(), wire.data() + plaintext.size());
    if (!cipher.open(nonce, {}, ByteView(wire.data(), plaintext.size()),
                     wire.data() + plaintext.size(), back.data()))
        std::abort();
}

// Nanoseconds per seal+open.
template <typename Pick> double measure(std::size_t size, std::size_t keys, bool cold, Pick pick) {
    const Bytes plaintext(size, 0x5a);
    Bytes wire(size + 16);
    Bytes back(size);
    std::vector<std::size_t> order(keys);
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937(size));
    static std::vector<std::uint8_t> sweep(64 << 20);
    // About 4 MB of frames per measurement, at least 3 passes.
    const std::size_t frames = std::max<std::size_t>(3 * keys, (4u << 20) / size);
    std::uint64_t counter = 0;
    Clock::duration spent{};
    for (std::size_t done = 0; done < frames;) {
        if (cold)
            for (std::size_t i = 0; i < sweep.size(); i += 64)
                ++sweep[i];
        const auto start = Clock::now();
        for (std::size_t i = 0; i < keys && done < frames; ++i, ++done)
            pick(cold ? order[i] : 0,
                 [&](auto& cipher) { roundTrip(cipher, counter++, plaintext, wire, back); });
        spent += Clock::now() - start;
    }
    return std::chrono::duration<double, std::nano>(spent).count() / double(frames);
}

} // namespace

int main(int argc, char** argv) {
    const std::size_t keys = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 3000;
    std::vector<Keyed> ciphers(std::max<std::size_t>(keys, 1));
    std::mt19937 rng(1);
    for (Keyed& keyed : ciphers) {
        std::uint8_t key[32];
        for (std::uint8_t& b : key)
            b = std::uint8_t(rng());
        keyed.own = std::make_unique<ChaCha20Poly1305>(key);
        keyed.openssl = std::make_unique<OpenSslChaCha20Poly1305>(key);
        keyed.sodium = std::make_unique<SodiumChaCha20Poly1305>(key);
    }
    auto own = [&](std::size_t i, auto&& run) { run(*ciphers[i].own); };
    auto openssl = [&](std::size_t i, auto&& run) { run(*ciphers[i].openssl); };
    auto sodium = [&](std::size_t i, auto&& run) { run(*ciphers[i].sodium); };

    std::printf("frame seal+open, ns (cold: %zu keys, caches swept); NoiseTransport uses its own "
                "cipher up to %zu bytes\n",
                ciphers.size(), NoiseTransport::ownCipherLimit);
    std::printf("%8s %12s %12s %12s %12s %12s %12s\n", "bytes", "own warm", "ossl warm",
                "sodium warm", "own cold", "ossl cold", "sodium cold");
    for (std::size_t size : {16, 44, 64, 128, 192, 256, 384, 512, 1024, 4096, 65519}) {
        const double ownWarm = measure(size, 1, false, own);
        const double opensslWarm = measure(size, 1, false, openssl);
        const double sodiumWarm = measure(size, 1, false, sodium);
        const double ownCold = measure(size, ciphers.size(), true, own);
        const double opensslCold = measure(size, ciphers.size(), true, openssl);
        const double sodiumCold = measure(size, ciphers.size(), true, sodium);
        std::printf("%8zu %12.0f %12.0f %12.0f %12.0f %12.0f %12.0f\n", size, ownWarm, opensslWarm,
                    sodiumWarm, ownCold, opensslCold, sodiumCold);
    }
    return 0;
}
