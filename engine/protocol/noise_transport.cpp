#include "engine/protocol/noise_transport.h"

#include "engine/protocol/openssl_chacha20_poly1305.h"

#include <algorithm>
#include <stdexcept>

namespace peerscope {

struct NoiseTransport::Ciphers {
    OpenSslChaCha20Poly1305 send;
    OpenSslChaCha20Poly1305 receive;
};

NoiseTransport::NoiseTransport(ByteView sendKey, ByteView receiveKey) {
    if (sendKey.size() != OpenSslChaCha20Poly1305::keySize ||
        receiveKey.size() != OpenSslChaCha20Poly1305::keySize)
        throw std::invalid_argument("noise: transport keys must be 32 bytes");
    ciphers_.reset(new Ciphers{OpenSslChaCha20Poly1305(sendKey.data()),
                               OpenSslChaCha20Poly1305(receiveKey.data())});
}

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
        const auto nonce = nonceBytes(sendNonce_++);
        ciphers_->send.seal(nonce, {}, plaintext.subspan(offset, chunk), out + 2, out + 2 + chunk);
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
        const auto nonce = nonceBytes(receiveNonce_++);
        std::uint8_t* out = plaintextOut.data() + start;
        const std::uint8_t* tag = body + plainLength;
        if (!ciphers_->receive.open(nonce, {}, ByteView(body, plainLength), tag, out)) {
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
