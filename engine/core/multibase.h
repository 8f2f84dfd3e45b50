#pragma once

#include "engine/core/bytes.h"
#include "engine/core/result.h"

#include <string>
#include <string_view>

namespace peerscope::multibase {

// RFC 4648 base32, lower case, no padding ('b' multibase prefix not included).
std::string encodeBase32(ByteView bytes);
Result<Bytes> decodeBase32(std::string_view text); // case-insensitive, no padding

// base64url without padding ('u' multibase prefix not included), used by certhash.
std::string encodeBase64Url(ByteView bytes);
Result<Bytes> decodeBase64Url(std::string_view text);

// Full multibase strings: the first character selects the base. Supports 'b' (base32),
// 'B' (BASE32), 'z' (base58btc), 'u' (base64url), 'f' (hex).
Result<Bytes> decode(std::string_view text);

} // namespace peerscope::multibase
