#include "engine/protocol/noise_transport.h"

#include <array>
#include <cstring>
#include <openssl/evp.h>
#include <stdexcept>

namespace peerscope {

namespace {
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

Ctx makeContext(ByteView key, bool encrypt) {
    Ctx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    if (!ctx || key.size() != 32)
        throw std::runtime_error("noise: cannot create cipher context");
    // The key is set once; each frame only sets its nonce.
    if (EVP_CipherInit_ex(ctx.get(), EVP_chacha20_poly1305(), nullptr, key.data(), nullptr,
                          encrypt ? 1 : 0) != 1)
        throw std::runtime_error("noise: cannot initialise ChaCha20-Poly1305");
    return ctx;
}

} // namespace

std::array<std::uint8_t, 12> NoiseTransport::nonceBytes(std::uint64_t counter) {
    std::array<std::uint8_t, 12> nonce{};
    for (int i = 0; i < 8; ++i)
        nonce[4 + i] = static_cast<std::uint8_t>(counter >> (8 * i));
    return nonce;
}

struct NoiseTransport::Ciphers {
    Ctx send;
    Ctx receive;
};

NoiseTransport::NoiseTransport(ByteView sendKey, ByteView receiveKey)
    : ciphers_(new Ciphers{makeContext(sendKey, true), makeContext(receiveKey, false)}) {}

NoiseTransport::~NoiseTransport() = default;

std::size_t NoiseTransport::wireSize(std::size_t plaintextSize) {
    const std::size_t frames = (plaintextSize + maxPlaintext - 1) / maxPlaintext;
    return plaintextSize + frames * (2 + tagSize);
}

void NoiseTransport::encrypt(ByteView plaintext, Bytes& out) {
    const std::size_t start = out.size();
    out.resize(start + wireSize(plaintext.size()));
    encrypt(plaintext, out.data() + start);
}

void NoiseTransport::encrypt(ByteView plaintext, std::uint8_t* out) {
    std::size_t offset = 0;
    while (offset < plaintext.size()) {
        const std::size_t chunk = std::min(maxPlaintext, plaintext.size() - offset);
        const std::size_t frameLength = chunk + tagSize;
        out[0] = static_cast<std::uint8_t>(frameLength >> 8);
        out[1] = static_cast<std::uint8_t>(frameLength & 0xff);
        auto nonce = nonceBytes(sendNonce_++);
        EVP_CIPHER_CTX* ctx = ciphers_->send.get();
        int written = 0;
        int finalLength = 0;
        EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data(), 1);
        EVP_CipherUpdate(ctx, out + 2, &written, plaintext.data() + offset,
                         static_cast<int>(chunk));
        EVP_CipherFinal_ex(ctx, out + 2 + written, &finalLength);
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(tagSize), out + 2 + chunk);
        offset += chunk;
        out += 2 + frameLength;
    }
}

Result<void> NoiseTransport::decrypt(ByteView wire, Bytes& plaintextOut) {
    if (broken_)
        return makeError("noise transport is broken after an earlier failure");
    // Work on `pending_ + wire` without copying `wire` unless a frame straddles the boundary.
    auto decryptFrame = [&](const std::uint8_t* body, std::size_t length) -> Result<void> {
        if (length < tagSize) {
            broken_ = true;
            return makeError("noise frame shorter than its tag");
        }
        if (receiveNonce_ == UINT64_MAX) {
            broken_ = true;
            return makeError("noise nonce exhausted");
        }
        const std::size_t plainLength = length - tagSize;
        const std::size_t start = plaintextOut.size();
        plaintextOut.resize(start + plainLength);
        auto nonce = nonceBytes(receiveNonce_++);
        EVP_CIPHER_CTX* ctx = ciphers_->receive.get();
        int written = 0;
        int finalLength = 0;
        bool ok = EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data(), 0) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(tagSize),
                                      const_cast<std::uint8_t*>(body + plainLength)) == 1 &&
                  EVP_CipherUpdate(ctx, plaintextOut.data() + start, &written, body,
                                   static_cast<int>(plainLength)) == 1 &&
                  EVP_CipherFinal_ex(ctx, plaintextOut.data() + start + written, &finalLength) == 1;
        if (!ok) {
            plaintextOut.resize(start);
            broken_ = true;
            return makeError("noise frame failed authentication");
        }
        return {};
    };

    std::size_t offset = 0;
    // Complete a frame left over from the previous call.
    if (!pending_.empty()) {
        if (pending_.size() < 2) {
            while (pending_.size() < 2 && offset < wire.size())
                pending_.push_back(wire[offset++]);
            if (pending_.size() < 2)
                return {};
        }
        const std::size_t frameLength = std::size_t(pending_[0]) << 8 | pending_[1];
        const std::size_t have = pending_.size() - 2;
        const std::size_t take = std::min(frameLength - have, wire.size() - offset);
        pending_.insert(pending_.end(), wire.begin() + static_cast<std::ptrdiff_t>(offset),
                        wire.begin() + static_cast<std::ptrdiff_t>(offset + take));
        offset += take;
        if (pending_.size() - 2 < frameLength)
            return {};
        Result<void> done = decryptFrame(pending_.data() + 2, frameLength);
        pending_.clear();
        if (!done)
            return done;
    }
    while (wire.size() - offset >= 2) {
        const std::size_t frameLength = std::size_t(wire[offset]) << 8 | wire[offset + 1];
        if (wire.size() - offset - 2 < frameLength)
            break;
        Result<void> done = decryptFrame(wire.data() + offset + 2, frameLength);
        if (!done)
            return done;
        offset += 2 + frameLength;
    }
    pending_.assign(wire.begin() + static_cast<std::ptrdiff_t>(offset), wire.end());
    return {};
}

} // namespace peerscope
