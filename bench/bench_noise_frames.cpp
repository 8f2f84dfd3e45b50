// CPU cost of one Noise transport frame, sealed and opened by the cipher NoiseTransport uses, by
// frame size: warm (one key, back to back) and cold (a different key each time out of N, the
// caches swept between passes, as when thousands of connections each send a small frame now and
// then).
//   build/release/bench/bench_noise_frames [keys=3000]
#include "engine/protocol/noise_transport.h"
#include "engine/protocol/openssl_chacha20_poly1305.h"

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

using Cipher = OpenSslChaCha20Poly1305;

// Seals and opens one frame; aborts if it does not open (the figures would mean nothing).
void roundTrip(Cipher& cipher, std::uint64_t counter, const Bytes& plaintext, Bytes& wire,
               Bytes& back) {
    const auto nonce = NoiseTransport::nonceBytes(counter);
    cipher.seal(nonce, {}, plaintext, wire.data(), wire.data() + plaintext.size());
    if (!cipher.open(nonce, {}, ByteView(wire.data(), plaintext.size()),
                     wire.data() + plaintext.size(), back.data()))
        std::abort();
}

// Nanoseconds per seal+open, with the first `keys` ciphers.
double measure(std::vector<std::unique_ptr<Cipher>>& ciphers, std::size_t size, std::size_t keys,
               bool cold) {
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
            roundTrip(*ciphers[cold ? order[i] : 0], counter++, plaintext, wire, back);
        spent += Clock::now() - start;
    }
    return std::chrono::duration<double, std::nano>(spent).count() / double(frames);
}

} // namespace

int main(int argc, char** argv) {
    const std::size_t keys = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 3000;
    std::vector<std::unique_ptr<Cipher>> ciphers(std::max<std::size_t>(keys, 1));
    std::mt19937 rng(1);
    for (std::unique_ptr<Cipher>& cipher : ciphers) {
        std::uint8_t key[Cipher::keySize];
        for (std::uint8_t& b : key)
            b = std::uint8_t(rng());
        cipher = std::make_unique<Cipher>(key);
    }

    std::printf("frame seal+open with OpenSSL's ChaCha20-Poly1305, ns (cold: %zu keys, caches "
                "swept)\n",
                ciphers.size());
    std::printf("%8s %10s %10s\n", "bytes", "warm", "cold");
    for (std::size_t size : {16, 44, 64, 128, 192, 256, 384, 512, 1024, 4096, 65519}) {
        const double warm = measure(ciphers, size, 1, false);
        const double cold = measure(ciphers, size, ciphers.size(), true);
        std::printf("%8zu %10.0f %10.0f\n", size, warm, cold);
    }
    return 0;
}
