#pragma once

#include "engine/core/clock.h"

#include <QByteArray>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <random>

namespace peerscope {

// The impairment of one lab link, applied the same way in each direction.
struct LinkSettings {
    double delayMs = 0;            // one-way added latency: a round trip gains 2 x delay
    double jitterMs = 0;           // each piece: uniform +- jitterMs around the delay
    double lossPercent = 0;        // chance a piece is held back by a retransmission penalty
    double rateBytesPerSecond = 0; // 0 = unlimited

    bool operator==(const LinkSettings&) const = default;
};

// One direction of a lab link, sans-I/O: bytes go in with push(), and releasable() hands back
// those whose time has come. Time is an argument; nothing here owns a socket or a timer.
//
// The link carries a TCP byte stream, so order always holds: a piece never leaves before an
// earlier one, whatever its own jitter or loss says. A rate cap serializes the bytes (n bytes
// occupy the link n / rate seconds) and large pushes are cut into pieces so the cap is smooth.
// A byte stream cannot lose bytes: "loss" is what TCP loss looks like to the application, a
// piece held back by a retransmission penalty, holding everything behind it.
class LinkShaper final {
public:
    explicit LinkShaper(LinkSettings settings = {}, std::uint64_t seed = 1);

    // Applies to bytes pushed from now on; bytes already on the link keep their release times,
    // as packets in flight would.
    void setSettings(const LinkSettings& settings) { settings_ = settings; }
    const LinkSettings& settings() const { return settings_; }

    void push(const QByteArray& bytes, MonoTime now);
    // Removes and returns, in order, every byte whose release time is at or before `now`
    // (empty when none is due).
    QByteArray releasable(MonoTime now);
    // When the next byte is due; nullopt when nothing is queued.
    std::optional<MonoTime> nextReleaseTime() const;

    bool isEmpty() const { return pieces_.empty(); }
    std::size_t queuedBytes() const { return queuedBytes_; }
    std::uint64_t bytesReleased() const { return bytesReleased_; }
    std::uint64_t piecesHeldForLoss() const { return piecesHeldForLoss_; }

    // What a "lost" piece waits on top of its delay: max(200 ms, 2 x delay + 3 x jitter), about
    // a TCP retransmission timeout.
    static MonoTime lossPenalty(const LinkSettings& settings);
    // The largest piece a push is cut into: 4 ms of the rate cap, within 1460 B..64 KiB; no
    // cutting without a cap.
    static std::size_t maxPieceBytes(const LinkSettings& settings);

private:
    struct Piece {
        QByteArray bytes;
        MonoTime releaseAt;
    };

    void enqueue(QByteArray bytes, MonoTime now);
    double uniform(); // [0, 1), the same sequence for the same seed on every platform

    LinkSettings settings_;
    std::mt19937_64 random_;
    std::deque<Piece> pieces_;
    MonoTime linkFreeAt_{0};    // when the bytes pushed so far have been serialized
    MonoTime lastReleaseAt_{0}; // the release time of the newest piece: later ones wait for it
    std::size_t queuedBytes_ = 0;
    std::uint64_t bytesReleased_ = 0;
    std::uint64_t piecesHeldForLoss_ = 0;
};

} // namespace peerscope
