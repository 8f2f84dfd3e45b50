#pragma once

#include "engine/core/bytes.h"
#include "engine/core/result.h"

#include <cstdint>
#include <optional>

namespace peerscope {

inline constexpr const char* perfProtocolId = "/perf/1.0.0";

// perf (libp2p/specs perf/perf.md): the client sends an 8-byte big-endian u64, the number of
// bytes it wants back, then uploads its bytes and closes its write side; the server reads the
// u64, drains the upload until EOF, then sends the requested number of bytes and closes.
class PerfServerCore final {
public:
    // Feed what the client sent; returns an error if the stream ends before the 8-byte header.
    void feed(ByteView bytes);
    // Call when the client closed its write side. Returns the number of bytes to send back,
    // or an error if the header was incomplete.
    Result<std::uint64_t> finish();
    std::uint64_t uploadedBytes() const { return uploaded_; }
    bool headerComplete() const { return header_.size() == 8; }
    // What the client asks us to send, once the header is complete.
    std::optional<std::uint64_t> requestedBytes() const;
    // Counts upload bytes the caller dropped without copying (only after the header).
    void countUpload(std::uint64_t count);

private:
    Bytes header_;
    std::uint64_t uploaded_ = 0;
};

class PerfClientCore final {
public:
    PerfClientCore(std::uint64_t uploadBytes, std::uint64_t downloadBytes)
        : upload_(uploadBytes), download_(downloadBytes) {}
    // The 8-byte header to send first.
    Bytes header() const;
    std::uint64_t uploadBytes() const { return upload_; }
    // Count downloaded bytes; returns an error if the server sends more than requested.
    Result<void> feed(std::size_t count);
    // Call at EOF; error if fewer bytes than requested arrived.
    Result<void> finish() const;
    std::uint64_t downloaded() const { return received_; }

private:
    std::uint64_t upload_;
    std::uint64_t download_;
    std::uint64_t received_ = 0;
};

} // namespace peerscope
