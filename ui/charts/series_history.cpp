#include "ui/charts/series_history.h"

#include <algorithm>

namespace peerscope {

namespace {

constexpr int kPeriodSeconds[SeriesHistory::kResolutionCount] = {1, 5, 30};
constexpr std::size_t kCapacity[SeriesHistory::kResolutionCount] = {60, 120, 120};

} // namespace

SeriesHistory::SeriesHistory()
    : closed_{RingBuffer<StoredPoint>(kCapacity[0]), RingBuffer<StoredPoint>(kCapacity[1]),
              RingBuffer<StoredPoint>(kCapacity[2])} {}

int SeriesHistory::periodSeconds(Resolution resolution) {
    return kPeriodSeconds[levelIndex(resolution)];
}

std::size_t SeriesHistory::capacity(Resolution resolution) {
    return kCapacity[levelIndex(resolution)];
}

int SeriesHistory::spanSeconds(Resolution resolution) {
    return periodSeconds(resolution) * static_cast<int>(capacity(resolution));
}

void SeriesHistory::add(qint64 atMs, double value) {
    // Snapshot times are after the epoch (and before 2106): bucket times fit in 32 bits.
    atMs = std::max<qint64>(atMs, 0);
    for (int i = 0; i < kResolutionCount; ++i) {
        Bucket& filling = filling_[i];
        // The common case (the sample falls in the bucket being filled) costs a compare.
        if (filling.samples > 0 && atMs >= qint64(filling.endSeconds) * 1000)
            close(i);
        if (filling.samples == 0) {
            const qint64 period = kPeriodSeconds[i];
            filling.endSeconds = static_cast<quint32>((atMs / 1000 / period + 1) * period);
        }
        filling.sum += value;
        ++filling.samples;
    }
    lastSampleMs_ = std::max(lastSampleMs_, atMs);
}

void SeriesHistory::prefetchForAdd() const {
    __builtin_prefetch(&filling_, 1);
    __builtin_prefetch(&lastSampleMs_, 1);
}

void SeriesHistory::close(int level) {
    Bucket& filling = filling_[level];
    const double mean = filling.sum / filling.samples;
    closed_[level].push({filling.endSeconds - static_cast<quint32>(kPeriodSeconds[level]),
                         static_cast<float>(mean)});
    filling = {};
}

std::size_t SeriesHistory::size(Resolution resolution) const {
    return closed_[levelIndex(resolution)].size();
}

SeriesHistory::Point SeriesHistory::at(Resolution resolution, std::size_t index) const {
    const StoredPoint& stored = closed_[levelIndex(resolution)].at(index);
    const qint64 endSeconds = qint64(stored.bucketStartSeconds) + periodSeconds(resolution);
    return {endSeconds * 1000, stored.value};
}

std::optional<SeriesHistory::Point> SeriesHistory::pending(Resolution resolution) const {
    const Bucket& filling = filling_[levelIndex(resolution)];
    if (filling.samples == 0)
        return std::nullopt;
    // The newest sample always belongs to the bucket still filling at every resolution
    // (a stepped-back sample is folded in, so it never precedes lastSampleMs_).
    return Point{lastSampleMs_, filling.sum / filling.samples};
}

QList<SeriesHistory::Point> SeriesHistory::points(Resolution resolution, bool withPending) const {
    QList<Point> result;
    const std::size_t closed = size(resolution);
    result.reserve(static_cast<qsizetype>(closed) + 1);
    for (std::size_t i = 0; i < closed; ++i)
        result.append(at(resolution, i));
    if (withPending) {
        if (const std::optional<Point> filling = pending(resolution))
            result.append(*filling);
    }
    return result;
}

std::optional<qint64> SeriesHistory::lastSampleMs() const {
    if (lastSampleMs_ < 0)
        return std::nullopt;
    return lastSampleMs_;
}

std::size_t SeriesHistory::pointCount() const {
    std::size_t total = 0;
    for (const RingBuffer<StoredPoint>& ring : closed_)
        total += ring.size();
    return total;
}

std::size_t SeriesHistory::memoryBytes() const {
    std::size_t total = sizeof(*this);
    for (const RingBuffer<StoredPoint>& ring : closed_)
        total += ring.memoryBytes();
    return total;
}

void SeriesHistory::clear() {
    for (RingBuffer<StoredPoint>& ring : closed_)
        ring.clear();
    filling_ = {};
    lastSampleMs_ = -1;
}

} // namespace peerscope
