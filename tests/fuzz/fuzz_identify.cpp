// libFuzzer target for identify messages from peers: any bytes either fail to decode or decode
// into a message whose re-encoding decodes to the same message.
#include "engine/protocol/identify_message.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>

using namespace peerscope;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Result<IdentifyMessage> message = IdentifyMessage::decode(ByteView(data, size));
    if (!message)
        return 0;
    Result<IdentifyMessage> again = IdentifyMessage::decode(message->encode());
    if (!again || again->encode() != message->encode()) {
        std::fprintf(stderr, "fuzz_identify: re-encoding does not decode to the same message\n");
        std::abort();
    }
    return 0;
}
