#pragma once

#include "engine/core/bytes.h"
#include "engine/core/result.h"

#include <string>
#include <string_view>

namespace peerscope::base58 {

// Bitcoin alphabet (base58btc), as used by libp2p PeerIds.
std::string encode(ByteView bytes);
Result<Bytes> decode(std::string_view text); // error names the first bad character and its index

} // namespace peerscope::base58
