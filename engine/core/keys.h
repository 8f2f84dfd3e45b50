#pragma once

#include "engine/core/bytes.h"
#include "engine/core/result.h"

#include <cstdint>
#include <memory>

struct evp_pkey_st; // OpenSSL's EVP_PKEY, kept out of this header

namespace peerscope {

// Numbers as in libp2p's crypto.proto KeyType.
enum class KeyType : std::uint8_t { Rsa = 0, Ed25519 = 1, Secp256k1 = 2, Ecdsa = 3 };

const char* keyTypeName(KeyType type);

// A peer's public identity key. Ed25519 is what PeerScope creates; the other libp2p key types
// are accepted from remote peers for signature verification (via OpenSSL).
class PublicKey final {
public:
    PublicKey() = default;
    PublicKey(KeyType type, Bytes data) : type_(type), data_(std::move(data)) {}

    // libp2p PublicKey protobuf (deterministic encoding: Type then Data).
    static Result<PublicKey> fromProtobuf(ByteView encoded);
    Bytes toProtobuf() const;

    KeyType type() const { return type_; }
    // Key material as libp2p defines it per type (Ed25519: 32 raw bytes; Secp256k1:
    // 33-byte compressed point; ECDSA and RSA: DER SubjectPublicKeyInfo / PKIX).
    const Bytes& data() const { return data_; }

    bool verify(ByteView message, ByteView signature) const;

    friend bool operator==(const PublicKey&, const PublicKey&) = default;

private:
    KeyType type_ = KeyType::Ed25519;
    Bytes data_;
};

// An Ed25519 private key held by OpenSSL.
class PrivateKey final {
public:
    static PrivateKey generateEd25519();
    static Result<PrivateKey> fromEd25519Seed(ByteView seed32);
    // libp2p PrivateKey protobuf; Ed25519 Data may be the 64-byte (seed || public) form used by
    // go and js, or the bare 32-byte seed.
    static Result<PrivateKey> fromProtobuf(ByteView encoded);
    Bytes toProtobuf() const; // writes the 64-byte form, as go-libp2p and js-libp2p do

    PublicKey publicKey() const;
    Bytes sign(ByteView message) const;
    const Bytes& seed() const { return seed_; }

private:
    Bytes seed_;      // 32 bytes
    Bytes publicRaw_; // 32 bytes
    // Built once so signing does not re-derive the key; shared because it is immutable.
    std::shared_ptr<evp_pkey_st> pkey_;
};

} // namespace peerscope
