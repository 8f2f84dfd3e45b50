// libFuzzer target for the multiaddr codecs: any input either fails cleanly or parses into an
// address whose text and binary forms both round-trip exactly.
#include "engine/core/multiaddr.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace peerscope;

namespace {

[[noreturn]] void fail(const char* what, const std::string& detail) {
    std::fprintf(stderr, "fuzz_multiaddr: %s: %s\n", what, detail.c_str());
    std::abort();
}

// Both encodings of a parsed address must decode back to the very same address.
void checkRoundTrips(const Multiaddr& addr) {
    const Bytes bytes = addr.toBytes();
    auto fromBytes = Multiaddr::fromBytes(bytes);
    if (!fromBytes)
        fail("own bytes rejected", fromBytes.errorMessage());
    if (!(*fromBytes == addr) || fromBytes->toBytes() != bytes)
        fail("binary round trip differs", toHex(bytes));

    const std::string text = addr.toString();
    auto fromText = Multiaddr::parse(text);
    if (!fromText)
        fail("own text rejected", text + ": " + fromText.errorMessage());
    if (!(*fromText == addr) || fromText->toString() != text)
        fail("text round trip differs", text);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView input(data, size);

    if (auto addr = Multiaddr::fromBytes(input)) {
        // The binary form is canonical: re-encoding gives back the input byte for byte.
        if (addr->toBytes() != Bytes(input.begin(), input.end()))
            fail("binary input not reproduced", toHex(input));
        checkRoundTrips(*addr);
    }

    const std::string text(reinterpret_cast<const char*>(data), size);
    if (auto addr = Multiaddr::parse(text))
        checkRoundTrips(*addr);
    return 0;
}
