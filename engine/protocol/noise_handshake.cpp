#include "engine/protocol/noise_handshake.h"

#include "engine/protocol/ephemeral_key_pool.h"
#include "engine/protocol/noise_static_key.h"
#include "engine/protocol/openssl_chacha20_poly1305.h"
#include "engine/protocol/verified_signature_cache.h"
#include "noise.pb.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace peerscope {

namespace {

constexpr std::size_t keySize = 32;
constexpr std::size_t tagSize = 16;
constexpr std::size_t maxMessage = 65535;
constexpr char protocolName[] = "Noise_XX_25519_ChaChaPoly_SHA256";
constexpr char signaturePrefix[] = "noise-libp2p-static-key:";

using Key = std::array<std::uint8_t, keySize>;

Key sha256(ByteView a, ByteView b = {}) {
    Key out{};
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
    EVP_DigestUpdate(ctx.get(), a.data(), a.size());
    EVP_DigestUpdate(ctx.get(), b.data(), b.size());
    unsigned int length = 0;
    EVP_DigestFinal_ex(ctx.get(), out.data(), &length);
    return out;
}

Key hmacSha256(ByteView key, ByteView data) {
    Key out{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
         out.data(), &length);
    return out;
}

// Noise HKDF with two outputs.
std::pair<Key, Key> hkdf(ByteView chainingKey, ByteView inputKeyMaterial) {
    Key temp = hmacSha256(chainingKey, inputKeyMaterial);
    std::uint8_t one = 0x01;
    Key out1 = hmacSha256(temp, ByteView(&one, 1));
    Bytes second(out1.begin(), out1.end());
    second.push_back(0x02);
    Key out2 = hmacSha256(temp, second);
    return {out1, out2};
}

// The Noise SymmetricState: chaining key, handshake hash and the current cipher key.
class SymmetricState {
public:
    SymmetricState() {
        // The protocol name is exactly 32 bytes (HASHLEN), so it is used as h unhashed.
        static_assert(sizeof(protocolName) - 1 == keySize);
        std::memcpy(h_.data(), protocolName, keySize);
        ck_ = h_;
        mixHash({}); // empty prologue
    }

    void mixHash(ByteView data) { h_ = sha256(h_, data); }

    void mixKey(const Key& inputKeyMaterial) {
        auto [ck, k] = hkdf(ck_, inputKeyMaterial);
        ck_ = ck;
        cipher_.emplace(k.data());
        n_ = 0;
    }

    Bytes encryptAndHash(ByteView plaintext) {
        Bytes ciphertext(plaintext.size() + (cipher_ ? tagSize : 0));
        if (cipher_)
            cipher_->seal(NoiseTransport::nonceBytes(n_++), h_, plaintext, ciphertext.data(),
                          ciphertext.data() + plaintext.size());
        else
            std::copy(plaintext.begin(), plaintext.end(), ciphertext.begin());
        mixHash(ciphertext);
        return ciphertext;
    }

    std::optional<Bytes> decryptAndHash(ByteView ciphertext) {
        if (!cipher_) {
            mixHash(ciphertext);
            return Bytes(ciphertext.begin(), ciphertext.end());
        }
        if (ciphertext.size() < tagSize)
            return std::nullopt;
        const std::size_t plainLength = ciphertext.size() - tagSize;
        Bytes plaintext(plainLength);
        if (!cipher_->open(NoiseTransport::nonceBytes(n_++), h_, ciphertext.first(plainLength),
                           ciphertext.data() + plainLength, plaintext.data()))
            return std::nullopt;
        mixHash(ciphertext);
        return plaintext;
    }

    bool hasKey() const { return cipher_.has_value(); }
    std::pair<Key, Key> split() const { return hkdf(ck_, {}); }

private:
    Key ck_{};
    Key h_{};
    std::optional<OpenSslChaCha20Poly1305> cipher_; // keyed by the last mixKey()
    std::uint64_t n_ = 0;
};

} // namespace

struct NoiseHandshake::State_ {
    const PrivateKey& identity;
    Options options;
    SymmetricState symmetric;
    X25519Key ephemeral;
    std::shared_ptr<const NoiseStaticKey> staticKey;
    Key remoteEphemeral{};
    Key remoteStatic{};
    int step = 0; // messages processed so far (0..3)
    State state = State::InProgress;
    std::string error;
    Bytes input;
    Bytes output;
    Bytes remainder;
    PeerId remotePeer;
    PublicKey remoteKey;
    std::string muxer;
    std::vector<std::string> remoteMuxers;
    std::unique_ptr<NoiseTransport> transport;

    State_(const PrivateKey& id, Options o)
        : identity(id), options(std::move(o)),
          ephemeral(options.ephemeralKeys ? options.ephemeralKeys->take() : X25519Key::generate()),
          staticKey(options.staticKey ? options.staticKey : NoiseStaticKey::create(id)) {}

    bool initiator() const { return options.role == Role::Initiator; }

    void fail(std::string why) {
        if (state != State::InProgress)
            return;
        state = State::Failed;
        error = std::move(why);
    }

    Bytes ownPayload() const {
        wire::NoiseHandshakePayload payload;
        Bytes key = identity.publicKey().toProtobuf();
        payload.set_identity_key(key.data(), key.size());
        const Bytes& signature = staticKey->signature();
        payload.set_identity_sig(signature.data(), signature.size());
        if (!options.muxers.empty()) {
            wire::NoiseExtensions* extensions = payload.mutable_extensions();
            for (const std::string& muxer : options.muxers)
                extensions->add_stream_muxers(muxer);
        }
        std::string encoded = payload.SerializeAsString();
        return Bytes(encoded.begin(), encoded.end());
    }

    // Checks the remote's payload against the static key it just proved.
    bool acceptPayload(ByteView bytes) {
        wire::NoiseHandshakePayload payload;
        if (!payload.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
            fail("noise: malformed handshake payload");
            return false;
        }
        const std::string& keyBytes = payload.identity_key();
        Result<PublicKey> key = PublicKey::fromProtobuf(
            ByteView(reinterpret_cast<const std::uint8_t*>(keyBytes.data()), keyBytes.size()));
        if (!key) {
            fail("noise: bad identity key: " + key.errorMessage());
            return false;
        }
        const std::string& signature = payload.identity_sig();
        const ByteView signatureView(reinterpret_cast<const std::uint8_t*>(signature.data()),
                                     signature.size());
        const ByteView keyView(reinterpret_cast<const std::uint8_t*>(keyBytes.data()),
                               keyBytes.size());
        VerifiedSignatureCache* cache = options.verifiedSignatures.get();
        if (!cache || !cache->contains(keyView, remoteStatic, signatureView)) {
            Bytes signed_ = toBytes(signaturePrefix);
            signed_.insert(signed_.end(), remoteStatic.begin(), remoteStatic.end());
            if (!key->verify(signed_, signatureView)) {
                fail("noise: identity signature does not match the static key");
                return false;
            }
            if (cache)
                cache->insert(keyView, remoteStatic, signatureView);
        }
        remoteKey = *key;
        remotePeer = PeerId::fromPublicKey(remoteKey);
        if (options.expectedRemote && *options.expectedRemote != remotePeer) {
            fail("peer id mismatch: expected " + options.expectedRemote->toBase58() + ", got " +
                 remotePeer.toBase58());
            return false;
        }
        if (payload.has_extensions())
            for (const std::string& muxer : payload.extensions().stream_muxers())
                remoteMuxers.push_back(muxer);
        return true;
    }

    void chooseMuxer() {
        // The initiator's order decides (inlined muxer negotiation spec).
        const std::vector<std::string>& initiatorList = initiator() ? options.muxers : remoteMuxers;
        const std::vector<std::string>& responderList = initiator() ? remoteMuxers : options.muxers;
        for (const std::string& candidate : initiatorList)
            if (std::find(responderList.begin(), responderList.end(), candidate) !=
                responderList.end()) {
                muxer = candidate;
                return;
            }
    }

    void emit(const Bytes& message) {
        output.push_back(static_cast<std::uint8_t>(message.size() >> 8));
        output.push_back(static_cast<std::uint8_t>(message.size() & 0xff));
        append(output, message);
    }

    bool mixDh(const X25519Key& local, const Key& remote) {
        std::optional<Key> shared = local.dh(remote);
        if (!shared) {
            fail("noise: invalid remote X25519 key");
            return false;
        }
        symmetric.mixKey(*shared);
        return true;
    }

    // -> e
    void writeMessage1() {
        Bytes message(ephemeral.publicKey().begin(), ephemeral.publicKey().end());
        symmetric.mixHash(ephemeral.publicKey());
        append(message, symmetric.encryptAndHash({}));
        emit(message);
        step = 1;
    }

    void readMessage1(ByteView message) {
        if (message.size() < keySize) {
            fail("noise: message 1 too short");
            return;
        }
        std::copy_n(message.begin(), keySize, remoteEphemeral.begin());
        symmetric.mixHash(remoteEphemeral);
        // The first payload is unencrypted; libp2p leaves it empty, but accept any.
        (void)symmetric.decryptAndHash(message.subspan(keySize));
        step = 1;
        writeMessage2();
    }

    // <- e, ee, s, es
    void writeMessage2() {
        Bytes message(ephemeral.publicKey().begin(), ephemeral.publicKey().end());
        symmetric.mixHash(ephemeral.publicKey());
        if (!mixDh(ephemeral, remoteEphemeral))
            return;
        append(message, symmetric.encryptAndHash(staticKey->key().publicKey()));
        if (!mixDh(staticKey->key(), remoteEphemeral))
            return;
        append(message, symmetric.encryptAndHash(ownPayload()));
        emit(message);
        step = 2;
    }

    void readMessage2(ByteView message) {
        if (message.size() < keySize + keySize + tagSize + tagSize) {
            fail("noise: message 2 too short");
            return;
        }
        std::copy_n(message.begin(), keySize, remoteEphemeral.begin());
        symmetric.mixHash(remoteEphemeral);
        if (!mixDh(ephemeral, remoteEphemeral))
            return;
        std::optional<Bytes> remoteStaticBytes =
            symmetric.decryptAndHash(message.subspan(keySize, keySize + tagSize));
        if (!remoteStaticBytes) {
            fail("noise: message 2 failed to decrypt (static key)");
            return;
        }
        std::copy_n(remoteStaticBytes->begin(), keySize, remoteStatic.begin());
        if (!mixDh(ephemeral, remoteStatic))
            return;
        std::optional<Bytes> payload =
            symmetric.decryptAndHash(message.subspan(keySize + keySize + tagSize));
        if (!payload) {
            fail("noise: message 2 failed to decrypt (payload)");
            return;
        }
        if (!acceptPayload(*payload))
            return;
        step = 2;
        writeMessage3();
    }

    // -> s, se
    void writeMessage3() {
        Bytes message = symmetric.encryptAndHash(staticKey->key().publicKey());
        if (!mixDh(staticKey->key(), remoteEphemeral))
            return;
        append(message, symmetric.encryptAndHash(ownPayload()));
        emit(message);
        step = 3;
        complete();
    }

    void readMessage3(ByteView message) {
        if (message.size() < keySize + tagSize + tagSize) {
            fail("noise: message 3 too short");
            return;
        }
        std::optional<Bytes> remoteStaticBytes =
            symmetric.decryptAndHash(message.subspan(0, keySize + tagSize));
        if (!remoteStaticBytes) {
            fail("noise: message 3 failed to decrypt (static key)");
            return;
        }
        std::copy_n(remoteStaticBytes->begin(), keySize, remoteStatic.begin());
        if (!mixDh(ephemeral, remoteStatic))
            return;
        std::optional<Bytes> payload = symmetric.decryptAndHash(message.subspan(keySize + tagSize));
        if (!payload) {
            fail("noise: message 3 failed to decrypt (payload)");
            return;
        }
        if (!acceptPayload(*payload))
            return;
        step = 3;
        complete();
    }

    void complete() {
        if (state != State::InProgress)
            return;
        auto [k1, k2] = symmetric.split();
        transport = initiator() ? std::make_unique<NoiseTransport>(k1, k2)
                                : std::make_unique<NoiseTransport>(k2, k1);
        chooseMuxer();
        state = State::Complete;
    }

    void handleMessage(ByteView message) {
        const bool ours = initiator() ? (step == 1) : (step == 0 || step == 2);
        if (!ours) {
            fail("noise: unexpected handshake message");
            return;
        }
        if (initiator())
            readMessage2(message);
        else if (step == 0)
            readMessage1(message);
        else
            readMessage3(message);
    }
};

NoiseHandshake::NoiseHandshake(const PrivateKey& identity, Options options)
    : d_(std::make_unique<State_>(identity, std::move(options))) {}

NoiseHandshake::~NoiseHandshake() = default;

void NoiseHandshake::start() {
    if (d_->initiator() && d_->step == 0 && d_->state == State::InProgress)
        d_->writeMessage1();
}

void NoiseHandshake::feed(ByteView bytes) {
    if (d_->state == State::Failed)
        return;
    if (d_->state == State::Complete) {
        append(d_->remainder, bytes);
        return;
    }
    append(d_->input, bytes);
    std::size_t offset = 0;
    while (d_->state == State::InProgress && d_->input.size() - offset >= 2) {
        const std::size_t length = std::size_t(d_->input[offset]) << 8 | d_->input[offset + 1];
        if (d_->input.size() - offset - 2 < length)
            break;
        d_->handleMessage(ByteView(d_->input.data() + offset + 2, length));
        offset += 2 + length;
    }
    if (d_->state == State::Complete)
        d_->remainder.insert(d_->remainder.end(),
                             d_->input.begin() + static_cast<std::ptrdiff_t>(offset),
                             d_->input.end());
    d_->input.erase(d_->input.begin(), d_->input.begin() + static_cast<std::ptrdiff_t>(offset));
    if (d_->state == State::Complete)
        d_->input.clear();
    static_assert(maxMessage == 65535);
}

Bytes NoiseHandshake::takeOutput() {
    return std::exchange(d_->output, {});
}
NoiseHandshake::State NoiseHandshake::state() const {
    return d_->state;
}
const std::string& NoiseHandshake::error() const {
    return d_->error;
}
const PeerId& NoiseHandshake::remotePeer() const {
    return d_->remotePeer;
}
const PublicKey& NoiseHandshake::remoteIdentityKey() const {
    return d_->remoteKey;
}
const std::string& NoiseHandshake::negotiatedMuxer() const {
    return d_->muxer;
}
std::unique_ptr<NoiseTransport> NoiseHandshake::takeTransport() {
    return std::move(d_->transport);
}
Bytes NoiseHandshake::takeRemainder() {
    return std::exchange(d_->remainder, {});
}

} // namespace peerscope
