#pragma once

#include "engine/core/bytes.h"
#include "engine/core/keys.h"
#include "engine/core/result.h"

#include <compare>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace peerscope {

// A libp2p PeerId (libp2p/specs peer-ids): the multihash of the protobuf-encoded public key,
// identity multihash when that encoding is at most 42 bytes, sha2-256 otherwise.
class PeerId final {
public:
    PeerId() = default;

    static PeerId fromPublicKey(const PublicKey& key);
    // From the binary multihash.
    static Result<PeerId> fromBytes(ByteView multihash);
    // Legacy base58btc form ("12D3KooW...", "Qm...") or CIDv1 with the libp2p-key codec
    // (multibase, e.g. "bafzaa..."). Errors say what is wrong with the text.
    static Result<PeerId> parse(std::string_view text);

    const Bytes& bytes() const { return multihash_; }
    std::string toBase58() const;
    std::string toCidV1() const; // base32 multibase, "b..."
    bool isValid() const { return !multihash_.empty(); }

    // The public key, when it is inlined (identity multihash).
    std::optional<PublicKey> publicKey() const;

    friend bool operator==(const PeerId&, const PeerId&) = default;
    // Out of line: GCC 12 warns falsely on the inlined defaulted vector comparison.
    friend std::strong_ordering operator<=>(const PeerId& a, const PeerId& b);

private:
    explicit PeerId(Bytes multihash) : multihash_(std::move(multihash)) {}
    Bytes multihash_;
};

} // namespace peerscope

template <> struct std::hash<peerscope::PeerId> {
    std::size_t operator()(const peerscope::PeerId& id) const noexcept {
        return std::hash<std::string_view>{}(
            std::string_view(reinterpret_cast<const char*>(id.bytes().data()), id.bytes().size()));
    }
};
