#include "engine/core/peer_id.h"

#include "engine/core/base58.h"
#include "engine/core/multibase.h"
#include "engine/core/varint.h"

#include <openssl/evp.h>

namespace peerscope {

namespace {

constexpr std::uint64_t identityCode = 0x00;
constexpr std::uint64_t sha256Code = 0x12;
constexpr std::size_t sha256Size = 32;
constexpr std::uint64_t libp2pKeyCodec = 0x72;
// Keys whose encoding fits in 42 bytes are inlined (spec), so larger identity digests are bogus.
constexpr std::size_t maxInlineKeySize = 42;
// Longest legitimate text form is a CIDv1 in base32 (~62 chars); this just bounds the work.
constexpr std::size_t maxTextLength = 256;

Bytes sha256(ByteView data) {
    Bytes digest(sha256Size);
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
    return digest;
}

std::string hexCode(std::uint64_t code) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    do {
        out.insert(out.begin(), digits[code & 0xf]);
        code >>= 4;
    } while (code != 0);
    if (out.size() % 2 != 0)
        out.insert(out.begin(), '0');
    return "0x" + out;
}

// Reads one complete varint or explains why not.
Result<varint::Decoded> readVarint(ByteView input, const char* what) {
    auto decoded = varint::decode(input);
    if (!decoded)
        return makeError(std::string(what) + ": " + decoded.errorMessage());
    if (!decoded->has_value())
        return makeError(std::string(what) + ": truncated");
    return **decoded;
}

} // namespace

PeerId PeerId::fromPublicKey(const PublicKey& key) {
    const Bytes encoded = key.toProtobuf();
    Bytes multihash;
    if (encoded.size() <= maxInlineKeySize) {
        varint::append(multihash, identityCode);
        varint::append(multihash, encoded.size());
        append(multihash, encoded);
    } else {
        varint::append(multihash, sha256Code);
        varint::append(multihash, sha256Size);
        append(multihash, sha256(encoded));
    }
    return PeerId(std::move(multihash));
}

Result<PeerId> PeerId::fromBytes(ByteView multihash) {
    if (multihash.empty())
        return makeError("peer id: empty multihash");
    auto code = readVarint(multihash, "peer id: multihash code");
    if (!code)
        return code.error();
    auto length = readVarint(multihash.subspan(code->length), "peer id: multihash length");
    if (!length)
        return length.error();
    const ByteView digest = multihash.subspan(code->length + length->length);
    if (length->value != digest.size())
        return makeError("peer id: multihash says " + std::to_string(length->value) +
                         " digest bytes but " + std::to_string(digest.size()) + " follow");
    switch (code->value) {
    case identityCode: {
        if (digest.size() > maxInlineKeySize)
            return makeError("peer id: identity multihash longer than 42 bytes");
        auto key = PublicKey::fromProtobuf(digest);
        if (!key)
            return makeError("peer id: inlined " + key.errorMessage());
        break;
    }
    case sha256Code:
        if (digest.size() != sha256Size)
            return makeError("peer id: sha2-256 digest must be 32 bytes, got " +
                             std::to_string(digest.size()));
        break;
    default:
        return makeError("peer id: unsupported multihash code " + hexCode(code->value) +
                         " (want identity 0x00 or sha2-256 0x12)");
    }
    return PeerId(Bytes(multihash.begin(), multihash.end()));
}

Result<PeerId> PeerId::parse(std::string_view text) {
    if (text.empty())
        return makeError("peer id: empty text");
    if (text.size() > maxTextLength)
        return makeError("peer id: text too long (" + std::to_string(text.size()) + " characters)");
    // Spec: "1..." and "Qm..." are bare base58btc multihashes; anything else is a multibase CID.
    if (text[0] == '1' || text.starts_with("Qm")) {
        auto bytes = base58::decode(text);
        if (!bytes)
            return makeError("peer id: " + bytes.errorMessage());
        return fromBytes(*bytes);
    }
    auto cid = multibase::decode(text);
    if (!cid)
        return makeError("peer id: not base58 (\"1...\"/\"Qm...\") nor a CID: " +
                         cid.errorMessage());
    auto version = readVarint(*cid, "peer id: CID version");
    if (!version)
        return version.error();
    if (version->value != 1)
        return makeError("peer id: CID version " + std::to_string(version->value) + ", expected 1");
    const ByteView rest = ByteView(*cid).subspan(version->length);
    auto codec = readVarint(rest, "peer id: CID codec");
    if (!codec)
        return codec.error();
    if (codec->value != libp2pKeyCodec)
        return makeError("peer id: CID codec " + hexCode(codec->value) +
                         " is not libp2p-key (0x72)");
    return fromBytes(rest.subspan(codec->length));
}

std::string PeerId::toBase58() const {
    return base58::encode(multihash_);
}

std::string PeerId::toCidV1() const {
    Bytes cid;
    varint::append(cid, 1);
    varint::append(cid, libp2pKeyCodec);
    append(cid, multihash_);
    return std::string("b").append(multibase::encodeBase32(cid));
}

std::optional<PublicKey> PeerId::publicKey() const {
    if (multihash_.size() < 2 || multihash_[0] != identityCode)
        return std::nullopt;
    auto length = varint::decode(ByteView(multihash_).subspan(1));
    if (!length || !length->has_value())
        return std::nullopt;
    auto key = PublicKey::fromProtobuf(ByteView(multihash_).subspan(1 + (*length)->length));
    if (!key)
        return std::nullopt;
    return std::move(key).value();
}

std::strong_ordering operator<=>(const PeerId& a, const PeerId& b) {
    return a.multihash_ <=> b.multihash_;
}

} // namespace peerscope
