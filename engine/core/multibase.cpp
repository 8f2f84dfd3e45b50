#include "engine/core/multibase.h"

#include "engine/core/base58.h"

#include <array>

namespace peerscope::multibase {

namespace {

constexpr char base32Alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";
constexpr char base64UrlAlphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string describeChar(char c) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f)
        return std::string("'") + c + "'";
    static constexpr char hex[] = "0123456789abcdef";
    return std::string("byte 0x") + hex[u >> 4] + hex[u & 0x0f];
}

int base32Value(char c) {
    if (c >= 'a' && c <= 'z')
        return c - 'a';
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= '2' && c <= '7')
        return c - '2' + 26;
    return -1;
}

int base64UrlValue(char c) {
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

// Shared bit-packing for the power-of-two bases (5 bits for base32, 6 for base64url).
std::string encodeBits(ByteView bytes, const char* alphabet, int bitsPerChar) {
    std::string out;
    out.reserve((bytes.size() * 8 + bitsPerChar - 1) / bitsPerChar);
    const unsigned mask = (1u << bitsPerChar) - 1;
    unsigned buffer = 0;
    int bits = 0;
    for (std::uint8_t b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= bitsPerChar) {
            bits -= bitsPerChar;
            out.push_back(alphabet[(buffer >> bits) & mask]);
        }
    }
    if (bits > 0)
        out.push_back(alphabet[(buffer << (bitsPerChar - bits)) & mask]);
    return out;
}

Result<Bytes> decodeBits(std::string_view text, int (*value)(char), int bitsPerChar,
                         const char* name) {
    // A trailing group too short to hold a whole byte can only come from truncation.
    if ((text.size() * bitsPerChar) % 8 >= static_cast<std::size_t>(bitsPerChar))
        return makeError(std::string("invalid ") + name + " length " + std::to_string(text.size()));
    Bytes out;
    out.reserve(text.size() * bitsPerChar / 8);
    unsigned buffer = 0;
    int bits = 0;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const int v = value(text[i]);
        if (v < 0)
            return makeError(std::string("invalid ") + name + " character " +
                             describeChar(text[i]) + " at index " + std::to_string(i));
        buffer = ((buffer << bitsPerChar) | static_cast<unsigned>(v)) & 0xffff;
        bits += bitsPerChar;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<std::uint8_t>(buffer >> bits));
        }
    }
    return out;
}

} // namespace

std::string encodeBase32(ByteView bytes) {
    return encodeBits(bytes, base32Alphabet, 5);
}

Result<Bytes> decodeBase32(std::string_view text) {
    return decodeBits(text, base32Value, 5, "base32");
}

std::string encodeBase64Url(ByteView bytes) {
    return encodeBits(bytes, base64UrlAlphabet, 6);
}

Result<Bytes> decodeBase64Url(std::string_view text) {
    return decodeBits(text, base64UrlValue, 6, "base64url");
}

Result<Bytes> decode(std::string_view text) {
    if (text.empty())
        return makeError("empty multibase string");
    const std::string_view body = text.substr(1);
    switch (text[0]) {
    case 'b':
    case 'B':
        return decodeBase32(body);
    case 'z':
        return base58::decode(body);
    case 'u':
        return decodeBase64Url(body);
    case 'f':
    case 'F': {
        Bytes out = fromHex(body);
        if (out.empty() && !body.empty())
            return makeError("invalid base16 text");
        return out;
    }
    default:
        return makeError("unsupported multibase prefix " + describeChar(text[0]));
    }
}

} // namespace peerscope::multibase
