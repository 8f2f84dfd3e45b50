// libFuzzer target: arbitrary remote bytes into a multistream-select initiator and responder.
// The first input byte picks how the rest is split into feeds, so split handling is covered.
// Invariants: no crash or UB (ASan/UBSan), output bounded, state and accessors consistent.
#include "engine/protocol/multistream_select.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using peerscope::Bytes;
using peerscope::ByteView;
using peerscope::MultistreamSelect;

namespace {

// 32 rounds of at most 1024-byte messages plus the header: anything above is a bug.
constexpr std::size_t outputBound = 40 * 1030;

void check(bool condition) {
    if (!condition)
        __builtin_trap();
}

void drive(MultistreamSelect& mss, ByteView input, std::size_t chunk,
           const std::vector<std::string>& list) {
    mss.start();
    std::size_t output = mss.takeOutput().size();
    std::size_t remainder = 0;
    for (std::size_t offset = 0; offset < input.size(); offset += chunk) {
        mss.feed(input.subspan(offset, std::min(chunk, input.size() - offset)));
        output += mss.takeOutput().size();
        check(output <= outputBound);
        if (mss.state() == MultistreamSelect::State::Done)
            remainder += mss.takeRemainder().size();
    }
    switch (mss.state()) {
    case MultistreamSelect::State::Done:
        check(std::find(list.begin(), list.end(), mss.protocol()) != list.end());
        break;
    case MultistreamSelect::State::Failed:
        check(!mss.error().empty());
        check(mss.takeRemainder().empty());
        break;
    case MultistreamSelect::State::Negotiating:
        check(mss.takeRemainder().empty());
        break;
    }
    check(remainder <= input.size());
    (void)mss.error().size();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0)
        return 0;
    const std::size_t chunk = data[0] == 0 ? size : data[0]; // 0 = everything at once
    const ByteView input(data + 1, size - 1);

    const std::vector<std::string> proposals = {"/noise", "/tls/1.0.0", "/yamux/1.0.0", "ls"};
    auto initiator = MultistreamSelect::initiator(proposals);
    drive(initiator, input, chunk, proposals);

    const std::vector<std::string> supported = {"/noise", "/yamux/1.0.0"};
    auto responder = MultistreamSelect::responder(supported);
    drive(responder, input, chunk, supported);
    return 0;
}
