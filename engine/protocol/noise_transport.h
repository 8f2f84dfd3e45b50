#pragma once

#include "engine/core/bytes.h"
#include "engine/core/result.h"
#include "engine/protocol/little_endian.h"

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace peerscope {

// The Noise transport phase: ChaCha20-Poly1305 frames of at most 65535 bytes on the wire
// (2-byte big-endian length, ciphertext, 16-byte tag), nonces counting up from 0 per direction.
class NoiseTransport final {
public:
    static constexpr std::size_t maxFrame = 65535;
    static constexpr std::size_t tagSize = 16;
    static constexpr std::size_t maxPlaintext = maxFrame - tagSize;

    // Keys are the 32-byte CipherState keys from Split().
    NoiseTransport(ByteView sendKey, ByteView receiveKey);
    ~NoiseTransport();
    NoiseTransport(const NoiseTransport&) = delete;
    NoiseTransport& operator=(const NoiseTransport&) = delete;

    // Appends the framed ciphertext of `plaintext` to `out`, split into as many frames as needed.
    void encrypt(ByteView plaintext, Bytes& out);
    // The same into caller memory of exactly wireSize(plaintext.size()) bytes, so the I/O layer
    // can encrypt straight into the buffer it hands to the socket.
    static std::size_t wireSize(std::size_t plaintextSize);
    void encrypt(ByteView plaintext, std::uint8_t* out);
    // Consumes wire bytes; decrypted plaintext is appended to `plaintextOut`. An
    // authentication failure is an error and the transport is unusable afterwards.
    Result<void> decrypt(ByteView wire, Bytes& plaintextOut);

    // Noise ChaChaPoly nonce: 32 bits of zeros, then the 64-bit counter little-endian. Inline
    // and one 64-bit store: built out of line, the caller's 8-byte load of the returned bytes
    // missed store forwarding on every frame.
    static std::array<std::uint8_t, 12> nonceBytes(std::uint64_t counter) {
        std::array<std::uint8_t, 12> nonce{};
        littleEndian::store64(nonce.data() + 4, counter);
        return nonce;
    }

    std::uint64_t framesSent() const { return sendNonce_; }
    std::uint64_t framesReceived() const { return receiveNonce_; }

private:
    struct Ciphers;
    std::unique_ptr<Ciphers> ciphers_;
    std::uint64_t sendNonce_ = 0;
    std::uint64_t receiveNonce_ = 0;
    Bytes pending_; // incomplete inbound frame
    bool broken_ = false;
};

} // namespace peerscope
