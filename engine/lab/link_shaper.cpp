#include "engine/lab/link_shaper.h"

#include <algorithm>
#include <chrono>
#include <cmath>

namespace peerscope {

namespace {

MonoTime fromMillis(double milliseconds) {
    return MonoTime(static_cast<MonoTime::rep>(std::llround(milliseconds * 1e6)));
}

constexpr std::size_t minPieceBytes = 1460; // about one TCP segment
constexpr std::size_t maxPieceBytesCap = 64 * 1024;
constexpr double pieceMilliseconds = 4;

} // namespace

LinkShaper::LinkShaper(LinkSettings settings, std::uint64_t seed)
    : settings_(settings), random_(seed) {}

MonoTime LinkShaper::lossPenalty(const LinkSettings& settings) {
    return fromMillis(std::max(200.0, 2 * settings.delayMs + 3 * settings.jitterMs));
}

std::size_t LinkShaper::maxPieceBytes(const LinkSettings& settings) {
    if (settings.rateBytesPerSecond <= 0)
        return 0;
    const double bytes = settings.rateBytesPerSecond * pieceMilliseconds / 1000;
    return std::clamp(static_cast<std::size_t>(bytes), minPieceBytes, maxPieceBytesCap);
}

double LinkShaper::uniform() {
    // The top 53 bits as a double: std::uniform_real_distribution may differ between
    // standard libraries, and the tests want exact numbers.
    return static_cast<double>(random_() >> 11) * 0x1.0p-53;
}

void LinkShaper::push(const QByteArray& bytes, MonoTime now) {
    if (bytes.isEmpty())
        return;
    const std::size_t limit = maxPieceBytes(settings_);
    const auto size = static_cast<std::size_t>(bytes.size());
    if (limit == 0 || size <= limit) {
        enqueue(bytes, now);
        return;
    }
    for (std::size_t offset = 0; offset < size; offset += limit)
        enqueue(bytes.sliced(static_cast<qsizetype>(offset),
                             static_cast<qsizetype>(std::min(limit, size - offset))),
                now);
}

void LinkShaper::enqueue(QByteArray bytes, MonoTime now) {
    const auto size = static_cast<std::size_t>(bytes.size());
    MonoTime sent = std::max(now, linkFreeAt_);
    if (settings_.rateBytesPerSecond > 0)
        sent += MonoTime(static_cast<MonoTime::rep>(
            std::llround(static_cast<double>(size) * 1e9 / settings_.rateBytesPerSecond)));
    linkFreeAt_ = sent;

    double delayMs = std::max(0.0, settings_.delayMs);
    if (settings_.jitterMs > 0)
        delayMs = std::max(0.0, delayMs + (2 * uniform() - 1) * settings_.jitterMs);
    MonoTime releaseAt = sent + fromMillis(delayMs);
    if (settings_.lossPercent > 0 && uniform() * 100 < settings_.lossPercent) {
        releaseAt += lossPenalty(settings_);
        ++piecesHeldForLoss_;
    }
    releaseAt = std::max(releaseAt, lastReleaseAt_); // a stream: never overtake
    lastReleaseAt_ = releaseAt;
    queuedBytes_ += size;
    pieces_.push_back({std::move(bytes), releaseAt});
}

QByteArray LinkShaper::releasable(MonoTime now) {
    QByteArray out;
    while (!pieces_.empty() && pieces_.front().releaseAt <= now) {
        QByteArray& bytes = pieces_.front().bytes;
        queuedBytes_ -= static_cast<std::size_t>(bytes.size());
        bytesReleased_ += static_cast<std::uint64_t>(bytes.size());
        if (out.isEmpty())
            out = std::move(bytes);
        else
            out += bytes;
        pieces_.pop_front();
    }
    return out;
}

std::optional<MonoTime> LinkShaper::nextReleaseTime() const {
    if (pieces_.empty())
        return std::nullopt;
    return pieces_.front().releaseAt; // release times never decrease along the queue
}

} // namespace peerscope
