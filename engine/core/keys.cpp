#include "engine/core/keys.h"

#include "crypto.pb.h"
#include "engine/core/openssl_ptr.h"
#include "engine/core/varint.h"

#include <algorithm>
#include <cstdlib>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <string>

namespace peerscope {

namespace {

constexpr std::size_t ed25519KeySize = 32;
constexpr std::size_t ed25519SignatureSize = 64;
constexpr std::size_t secp256k1KeySize = 33;
// go-libp2p's limits: smaller RSA keys are considered insecure, larger ones a DoS vector.
constexpr int rsaMinBits = 2048;
constexpr int rsaMaxBits = 8192;

using PkeyPtr = EvpPkeyPtr;
using MdCtxPtr = EvpMdCtxPtr;

PkeyPtr ed25519Public(ByteView raw) {
    if (raw.size() != ed25519KeySize)
        return nullptr;
    return PkeyPtr(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw.data(), raw.size()));
}

PkeyPtr secp256k1Public(ByteView compressed) {
    if (compressed.size() != secp256k1KeySize || (compressed[0] != 0x02 && compressed[0] != 0x03))
        return nullptr;
    OsslParamBldPtr bld(OSSL_PARAM_BLD_new());
    if (!bld ||
        !OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0) ||
        !OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, compressed.data(),
                                          compressed.size()))
        return nullptr;
    OsslParamPtr params(OSSL_PARAM_BLD_to_param(bld.get()));
    EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0)
        return nullptr;
    EVP_PKEY* key = nullptr;
    // fromdata decodes the point, which fails unless it lies on the curve.
    if (EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
        return nullptr;
    return PkeyPtr(key);
}

// DER SubjectPublicKeyInfo, accepted only when OpenSSL agrees it is of the expected kind.
PkeyPtr pkixPublic(ByteView der, int expectedId) {
    const unsigned char* p = der.data();
    PkeyPtr key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
    if (!key || p != der.data() + der.size() || EVP_PKEY_get_base_id(key.get()) != expectedId)
        return nullptr;
    return key;
}

Result<PkeyPtr> openPublic(KeyType type, ByteView data) {
    switch (type) {
    case KeyType::Ed25519:
        if (data.size() != ed25519KeySize)
            return makeError("Ed25519 public key must be 32 bytes, got " +
                             std::to_string(data.size()));
        if (auto key = ed25519Public(data))
            return key;
        return makeError("Ed25519 public key rejected by OpenSSL");
    case KeyType::Secp256k1:
        if (data.size() != secp256k1KeySize)
            return makeError("Secp256k1 public key must be 33 bytes (compressed point), got " +
                             std::to_string(data.size()));
        if (auto key = secp256k1Public(data))
            return key;
        return makeError("Secp256k1 public key is not a valid compressed curve point");
    case KeyType::Ecdsa:
        if (auto key = pkixPublic(data, EVP_PKEY_EC))
            return key;
        return makeError("ECDSA public key is not a DER SubjectPublicKeyInfo EC key");
    case KeyType::Rsa: {
        auto key = pkixPublic(data, EVP_PKEY_RSA);
        if (!key)
            return makeError("RSA public key is not a DER SubjectPublicKeyInfo RSA key");
        const int bits = EVP_PKEY_get_bits(key.get());
        if (bits < rsaMinBits || bits > rsaMaxBits)
            return makeError("RSA public key has " + std::to_string(bits) + " bits, need " +
                             std::to_string(rsaMinBits) + "-" + std::to_string(rsaMaxBits));
        return key;
    }
    }
    return makeError("unknown key type");
}

// Missing or unknown Type reads the same to protobuf; peek at field 1 to say which it was.
std::string missingTypeMessage(ByteView encoded) {
    if (!encoded.empty() && encoded[0] == 0x08) {
        auto decoded = varint::decode(encoded.subspan(1));
        if (decoded.ok() && decoded->has_value())
            return "unsupported key type " + std::to_string((*decoded)->value);
    }
    return "missing Type field";
}

template <typename Message> Result<Message> parseKeyMessage(ByteView encoded, const char* what) {
    Message message;
    if (!message.ParsePartialFromArray(encoded.data(), static_cast<int>(encoded.size())))
        return makeError(std::string(what) + ": malformed protobuf");
    if (!message.has_type())
        return makeError(std::string(what) + ": " + missingTypeMessage(encoded));
    if (!message.has_data())
        return makeError(std::string(what) + ": missing Data field");
    return message;
}

// OpenSSL wants a non-null pointer even for an empty message.
const unsigned char* dataOrEmpty(ByteView bytes) {
    static const unsigned char empty = 0;
    return bytes.empty() ? &empty : bytes.data();
}

} // namespace

const char* keyTypeName(KeyType type) {
    switch (type) {
    case KeyType::Rsa:
        return "RSA";
    case KeyType::Ed25519:
        return "Ed25519";
    case KeyType::Secp256k1:
        return "Secp256k1";
    case KeyType::Ecdsa:
        return "ECDSA";
    }
    return "unknown";
}

// ---- PublicKey ----

Result<PublicKey> PublicKey::fromProtobuf(ByteView encoded) {
    auto message = parseKeyMessage<wire::PublicKey>(encoded, "public key");
    if (!message)
        return message.error();
    const auto type = static_cast<KeyType>(message->type());
    const std::string& data = message->data();
    PublicKey key(type, Bytes(data.begin(), data.end()));
    if (auto opened = openPublic(type, key.data_); !opened)
        return makeError("public key: " + opened.errorMessage());
    // PeerIds hash this exact encoding, so only the canonical form is accepted (libp2p spec:
    // fields in tag order, minimal varints, no extra fields).
    if (key.toProtobuf() != Bytes(encoded.begin(), encoded.end()))
        return makeError("public key: protobuf is not in the deterministic libp2p encoding");
    return key;
}

Bytes PublicKey::toProtobuf() const {
    wire::PublicKey message;
    message.set_type(static_cast<wire::KeyType>(type_));
    message.set_data(data_.data(), data_.size());
    const std::string out = message.SerializePartialAsString();
    return Bytes(out.begin(), out.end());
}

bool PublicKey::verify(ByteView message, ByteView signature) const {
    auto key = openPublic(type_, data_);
    if (!key)
        return false;
    if (type_ == KeyType::Ed25519 && signature.size() != ed25519SignatureSize)
        return false;
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx)
        return false;
    // Ed25519 hashes internally (no digest); the others sign SHA-256 of the message.
    const EVP_MD* md = type_ == KeyType::Ed25519 ? nullptr : EVP_sha256();
    if (EVP_DigestVerifyInit(ctx.get(), nullptr, md, nullptr, key->get()) != 1)
        return false;
    return EVP_DigestVerify(ctx.get(), dataOrEmpty(signature), signature.size(),
                            dataOrEmpty(message), message.size()) == 1;
}

// ---- PrivateKey ----

PrivateKey PrivateKey::generateEd25519() {
    EVP_PKEY* raw = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!raw)
        std::abort(); // no usable RNG/provider: nothing sensible to continue with
    PkeyPtr key(raw);
    Bytes seed(ed25519KeySize);
    std::size_t length = seed.size();
    if (EVP_PKEY_get_raw_private_key(key.get(), seed.data(), &length) != 1 ||
        length != ed25519KeySize)
        std::abort();
    auto made = fromEd25519Seed(seed);
    if (!made)
        std::abort();
    return std::move(made).value();
}

Result<PrivateKey> PrivateKey::fromEd25519Seed(ByteView seed32) {
    if (seed32.size() != ed25519KeySize)
        return makeError("Ed25519 private key seed must be 32 bytes, got " +
                         std::to_string(seed32.size()));
    PkeyPtr key(
        EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed32.data(), seed32.size()));
    if (!key)
        return makeError("Ed25519 private key rejected by OpenSSL");
    Bytes pub(ed25519KeySize);
    std::size_t length = pub.size();
    if (EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &length) != 1 ||
        length != ed25519KeySize)
        return makeError("Ed25519: cannot derive the public key");
    PrivateKey out;
    out.seed_.assign(seed32.begin(), seed32.end());
    out.publicRaw_ = std::move(pub);
    out.pkey_ = std::shared_ptr<evp_pkey_st>(key.release(), OpenSslFree<EVP_PKEY_free>{});
    return out;
}

Result<PrivateKey> PrivateKey::fromProtobuf(ByteView encoded) {
    auto message = parseKeyMessage<wire::PrivateKey>(encoded, "private key");
    if (!message)
        return message.error();
    const auto type = static_cast<KeyType>(message->type());
    if (type != KeyType::Ed25519)
        return makeError(std::string("private key: type ") + keyTypeName(type) +
                         " is not supported (PeerScope identities are Ed25519)");
    const std::string& data = message->data();
    const ByteView bytes(reinterpret_cast<const std::uint8_t*>(data.data()), data.size());
    if (bytes.size() != 32 && bytes.size() != 64 && bytes.size() != 96)
        return makeError("private key: Ed25519 Data must be 32, 64 or 96 bytes, got " +
                         std::to_string(bytes.size()));
    auto key = fromEd25519Seed(bytes.first(ed25519KeySize));
    if (!key)
        return makeError("private key: " + key.errorMessage());
    // The 64-byte form carries the public key (96: twice, an old go format); it must match.
    for (std::size_t at = ed25519KeySize; at < bytes.size(); at += ed25519KeySize) {
        const ByteView half = bytes.subspan(at, ed25519KeySize);
        if (!std::equal(half.begin(), half.end(), key->publicRaw_.begin()))
            return makeError("private key: embedded Ed25519 public key does not match the seed");
    }
    return key;
}

Bytes PrivateKey::toProtobuf() const {
    wire::PrivateKey message;
    message.set_type(wire::Ed25519);
    Bytes data = seed_;
    append(data, publicRaw_);
    message.set_data(data.data(), data.size());
    const std::string out = message.SerializePartialAsString();
    OPENSSL_cleanse(data.data(), data.size());
    return Bytes(out.begin(), out.end());
}

PublicKey PrivateKey::publicKey() const {
    return PublicKey(KeyType::Ed25519, publicRaw_);
}

Bytes PrivateKey::sign(ByteView message) const {
    if (!pkey_)
        return {};
    MdCtxPtr ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, pkey_.get()) != 1)
        return {};
    Bytes signature(ed25519SignatureSize);
    std::size_t length = signature.size();
    if (EVP_DigestSign(ctx.get(), signature.data(), &length, dataOrEmpty(message),
                       message.size()) != 1)
        return {};
    signature.resize(length);
    return signature;
}

} // namespace peerscope
