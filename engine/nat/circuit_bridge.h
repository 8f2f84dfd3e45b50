#pragma once

#include "engine/core/bytes.h"
#include "engine/core/clock.h"

#include <QObject>
#include <QPointer>
#include <chrono>
#include <cstdint>

namespace peerscope {

class Stream;

// The relay's half of a circuit: joins the source's hop stream and the destination's stop
// stream and copies bytes both ways, within the circuit's limit.
//
// Backpressure: a direction reads from its source only while the other stream holds less than
// queueBound unsent, so a destination that does not read leaves the data in the source
// stream's buffer, whose yamux window then stops the sender; nothing here grows without end.
// A half-close is passed on; a reset of either side resets the other. Past the data limit (more
// bytes than the limit arrive in one direction) or the duration, both streams are reset.
class CircuitBridge final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CircuitBridge)

public:
    struct Limit {
        std::chrono::seconds duration{0}; // 0: none
        std::uint64_t dataBytes = 0;      // each way; 0: none
    };
    enum class Outcome {
        Closed,             // both sides closed their writing, all relayed
        DataLimit,          // one direction went past the data limit
        DurationLimit,      // the circuit outlived its duration
        ResetBySource,      // the source reset its stream (or its connection went)
        ResetByDestination, // likewise the destination
    };
    static const char* outcomeName(Outcome outcome); // "closed", "data_limit", ...

    // What a direction may leave queued in the stream it writes to.
    static constexpr std::size_t queueBound = 256 * 1024;

    CircuitBridge(Stream* source, Stream* destination, Limit limit, MonoTime now,
                  QObject* parent = nullptr);
    ~CircuitBridge() override;

    // Starts relaying. `fromSource` and `fromDestination` are bytes each side sent after its
    // relay message that were already read from its stream; they are relayed first.
    void start(Bytes fromSource, Bytes fromDestination);
    // Ends the circuit once its duration is over; the owner calls it from its timer.
    void checkDeadline(MonoTime now);

    bool isFinished() const { return finished_; }
    std::uint64_t bytesToDestination() const { return forward_.bytes; }
    std::uint64_t bytesToSource() const { return backward_.bytes; }
    const Limit& limit() const { return limit_; }
    MonoTime openedAt() const { return openedAt_; }

Q_SIGNALS:
    // Once; both streams are closed or reset by then. The owner deletes the bridge.
    void finished(peerscope::CircuitBridge::Outcome outcome);

private:
    struct Direction {
        QPointer<Stream> from;
        QPointer<Stream> to;
        std::uint64_t bytes = 0;
        bool finForwarded = false;
    };
    void pump(Direction& direction, std::size_t bound = queueBound);
    static Bytes& scratch();
    // Writes early bytes; false when they alone pass the limit.
    bool relayEarly(Direction& direction, const Bytes& bytes);
    void finish(Outcome outcome);
    void resetBoth();

    Direction forward_;  // source -> destination
    Direction backward_; // destination -> source
    Limit limit_;
    MonoTime openedAt_;
    bool started_ = false;
    bool finished_ = false;
};

} // namespace peerscope
