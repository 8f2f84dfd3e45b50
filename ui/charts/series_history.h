#pragma once

#include "ui/charts/ring_buffer.h"

#include <QList>
#include <QtGlobal>
#include <array>
#include <cstddef>
#include <optional>

namespace peerscope {

// One time series (a rate, an RTT) kept at three resolutions, one ring buffer each, as
// qBittorrent's speed plot does: 1 s points for the 1 min view, 5 s points for 10 min, 30 s
// points for 1 h. Samples arrive at the snapshot tick with the caller's timestamp (the
// snapshot's takenAt), so the history is deterministic under test. Buckets are aligned to
// multiples of their period since the epoch; each point is the mean of the samples whose time
// falls in its bucket, so with evenly spaced samples a coarser point is the mean of the finer
// points under it. A bucket closes when the first sample of a later bucket arrives.
class SeriesHistory final {
public:
    enum class Resolution { OneSecond, FiveSeconds, ThirtySeconds };
    static constexpr int kResolutionCount = 3;

    struct Point {
        // A closed bucket: its end. The bucket still filling: its latest sample.
        qint64 atMs = 0;
        double value = 0;
        bool operator==(const Point&) const = default;
    };

    SeriesHistory();

    // A sample taken at `atMs` (ms since the epoch). A sample older than the bucket being
    // filled (the wall clock stepped back) counts towards that bucket.
    void add(qint64 atMs, double value);

    // Closed points, oldest first; index must be below size().
    std::size_t size(Resolution resolution) const;
    Point at(Resolution resolution, std::size_t index) const;
    // The bucket still filling, if it has a sample.
    std::optional<Point> pending(Resolution resolution) const;
    // Closed points then, if asked, the pending one: what a chart draws.
    QList<Point> points(Resolution resolution, bool withPending = true) const;
    // The time of the newest sample, if any.
    std::optional<qint64> lastSampleMs() const;

    bool isEmpty() const { return lastSampleMs_ < 0; }
    // Asks for what add() writes ahead of time: both cache lines when it straddles two.
    void prefetchForAdd() const;
    // Closed points over all resolutions, and the bytes their storage holds.
    std::size_t pointCount() const;
    std::size_t memoryBytes() const;
    void clear();

    static int periodSeconds(Resolution resolution);
    static std::size_t capacity(Resolution resolution);
    // What a chart at this resolution spans: period x capacity.
    static int spanSeconds(Resolution resolution);

private:
    // 8 bytes a point: thousands of connections x 4 series x 300 points stay small.
    struct StoredPoint {
        quint32 bucketStartSeconds;
        float value;
    };
    struct Bucket {
        quint32 endSeconds = 0; // exclusive; valid once it has a sample
        quint32 samples = 0;
        double sum = 0;
    };

    static int levelIndex(Resolution resolution) { return static_cast<int>(resolution); }
    void close(int level);

    // What every add() touches comes first and fits one cache line: feeding thousands of
    // series per tick is bound by memory, not arithmetic.
    std::array<Bucket, kResolutionCount> filling_;
    qint64 lastSampleMs_ = -1;
    std::array<RingBuffer<StoredPoint>, kResolutionCount> closed_;
};

} // namespace peerscope
