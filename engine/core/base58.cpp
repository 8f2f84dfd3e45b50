#include "engine/core/base58.h"

#include <array>

namespace peerscope::base58 {

namespace {

constexpr char alphabet[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

constexpr std::array<std::int8_t, 256> makeIndex() {
    std::array<std::int8_t, 256> index{};
    index.fill(-1);
    for (int i = 0; i < 58; ++i)
        index[static_cast<unsigned char>(alphabet[i])] = static_cast<std::int8_t>(i);
    return index;
}
constexpr auto digitIndex = makeIndex();

std::string describeChar(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f)
        return std::string("'") + c + "'";
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[u >> 4] + hex[u & 0x0f];
}

} // namespace

std::string encode(ByteView bytes) {
    std::size_t zeros = 0;
    while (zeros < bytes.size() && bytes[zeros] == 0)
        ++zeros;
    // Base-58 digits, least significant first; log(256)/log(58) < 1.37.
    std::vector<std::uint8_t> digits;
    digits.reserve((bytes.size() - zeros) * 137 / 100 + 1);
    for (std::size_t i = zeros; i < bytes.size(); ++i) {
        unsigned carry = bytes[i];
        for (auto& digit : digits) {
            carry += static_cast<unsigned>(digit) << 8;
            digit = static_cast<std::uint8_t>(carry % 58);
            carry /= 58;
        }
        while (carry > 0) {
            digits.push_back(static_cast<std::uint8_t>(carry % 58));
            carry /= 58;
        }
    }
    std::string out(zeros, '1');
    for (auto it = digits.rbegin(); it != digits.rend(); ++it)
        out.push_back(alphabet[*it]);
    return out;
}

Result<Bytes> decode(std::string_view text) {
    std::size_t ones = 0;
    while (ones < text.size() && text[ones] == '1')
        ++ones;
    // Base-256 bytes, least significant first.
    Bytes value;
    value.reserve(text.size());
    for (std::size_t i = ones; i < text.size(); ++i) {
        const int digit = digitIndex[static_cast<unsigned char>(text[i])];
        if (digit < 0)
            return makeError("invalid base58 character " + describeChar(text[i]) + " at index " +
                             std::to_string(i));
        unsigned carry = static_cast<unsigned>(digit);
        for (auto& byte : value) {
            carry += static_cast<unsigned>(byte) * 58;
            byte = static_cast<std::uint8_t>(carry & 0xff);
            carry >>= 8;
        }
        while (carry > 0) {
            value.push_back(static_cast<std::uint8_t>(carry & 0xff));
            carry >>= 8;
        }
    }
    Bytes out(ones, 0);
    out.insert(out.end(), value.rbegin(), value.rend());
    return out;
}

} // namespace peerscope::base58
