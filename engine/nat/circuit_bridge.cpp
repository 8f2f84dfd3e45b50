#include "engine/nat/circuit_bridge.h"

#include "engine/net/stream.h"

#include <algorithm>
#include <limits>

namespace peerscope {

const char* CircuitBridge::outcomeName(Outcome outcome) {
    switch (outcome) {
    case Outcome::Closed:
        return "closed";
    case Outcome::DataLimit:
        return "data_limit";
    case Outcome::DurationLimit:
        return "duration_limit";
    case Outcome::ResetBySource:
        return "reset_by_source";
    case Outcome::ResetByDestination:
        return "reset_by_destination";
    }
    return "unknown";
}

CircuitBridge::CircuitBridge(Stream* source, Stream* destination, Limit limit, MonoTime now,
                             QObject* parent)
    : QObject(parent), limit_(limit), openedAt_(now) {
    forward_.from = source;
    forward_.to = destination;
    backward_.from = destination;
    backward_.to = source;
}

CircuitBridge::~CircuitBridge() {
    // Torn down with the circuit still running (the service stops): nothing may stay half open.
    if (!finished_) {
        finished_ = true;
        resetBoth();
    }
}

void CircuitBridge::start(Bytes fromSource, Bytes fromDestination) {
    if (started_ || finished_)
        return;
    started_ = true;
    Stream* source = forward_.from;
    Stream* destination = forward_.to;
    if (!source || !destination || source->isReset() || destination->isReset()) {
        finish(!source || source->isReset() ? Outcome::ResetBySource : Outcome::ResetByDestination);
        return;
    }
    for (Stream* stream : {source, destination}) {
        const bool isSource = stream == source;
        Direction& reading = isSource ? forward_ : backward_;
        Direction& writing = isSource ? backward_ : forward_;
        connect(stream, &Stream::readyRead, this, [this, &reading] { pump(reading); });
        connect(stream, &Stream::remoteClosed, this, [this, &reading] { pump(reading); });
        connect(stream, &Stream::writable, this, [this, &writing] { pump(writing); });
        connect(stream, &Stream::wasReset, this, [this, isSource] {
            finish(isSource ? Outcome::ResetBySource : Outcome::ResetByDestination);
        });
        connect(stream, &Stream::closed, this, [this, stream, isSource, &reading] {
            if (finished_)
                return;
            if (stream->isReset() || !stream->isReadClosed() || !stream->isWriteClosed()) {
                // Gone without a reset we saw (its connection closed): the same as a reset.
                finish(isSource ? Outcome::ResetBySource : Outcome::ResetByDestination);
                return;
            }
            // Closed both ways with bytes still unread, and deleted at the next turn of the
            // event loop: pass them on now (at most a yamux window) past the queue bound.
            pump(reading, std::numeric_limits<std::size_t>::max());
        });
    }
    if (!relayEarly(forward_, fromSource) || !relayEarly(backward_, fromDestination)) {
        finish(Outcome::DataLimit);
        return;
    }
    pump(forward_);
    if (!finished_)
        pump(backward_);
}

bool CircuitBridge::relayEarly(Direction& direction, const Bytes& bytes) {
    if (bytes.empty())
        return true;
    if (limit_.dataBytes > 0 && direction.bytes + bytes.size() > limit_.dataBytes)
        return false;
    direction.to->write(ByteView(bytes.data(), bytes.size()));
    direction.bytes += bytes.size();
    return true;
}

// One copy buffer per thread, shared by its bridges (they pump one at a time): a fresh buffer
// per chunk made the relay allocate, fault in and free up to a queue bound per wakeup.
Bytes& CircuitBridge::scratch() {
    thread_local Bytes buffer(queueBound);
    return buffer;
}

void CircuitBridge::pump(Direction& direction, std::size_t bound) {
    if (finished_ || !started_)
        return;
    Stream* from = direction.from;
    Stream* to = direction.to;
    if (!from || !to)
        return; // its closed() ends the circuit
    while (from->bytesAvailable() > 0 && to->queuedBytes() < bound) {
        if (limit_.dataBytes > 0 && direction.bytes >= limit_.dataBytes) {
            // One byte more than the circuit may carry this way.
            finish(Outcome::DataLimit);
            return;
        }
        Bytes& chunk = scratch();
        std::size_t count =
            std::min({from->bytesAvailable(), bound - to->queuedBytes(), chunk.size()});
        if (limit_.dataBytes > 0)
            count = static_cast<std::size_t>(
                std::min<std::uint64_t>(count, limit_.dataBytes - direction.bytes));
        count = from->read(chunk.data(), count);
        direction.bytes += count;
        to->write(ByteView(chunk.data(), count));
        if (finished_ || to->isReset())
            return;
    }
    if (from->isReadClosed() && from->bytesAvailable() == 0 && !direction.finForwarded) {
        direction.finForwarded = true;
        to->closeWrite();
        if (forward_.finForwarded && backward_.finForwarded)
            finish(Outcome::Closed);
    }
}

void CircuitBridge::checkDeadline(MonoTime now) {
    if (finished_ || limit_.duration.count() == 0)
        return;
    if (now - openedAt_ >= std::chrono::duration_cast<MonoTime>(limit_.duration))
        finish(Outcome::DurationLimit);
}

void CircuitBridge::resetBoth() {
    for (Stream* stream : {forward_.from.data(), forward_.to.data()}) {
        if (!stream)
            continue;
        disconnect(stream, nullptr, this, nullptr);
        stream->reset();
    }
}

void CircuitBridge::finish(Outcome outcome) {
    if (finished_)
        return;
    finished_ = true;
    if (outcome == Outcome::Closed) {
        for (Stream* stream : {forward_.from.data(), forward_.to.data()})
            if (stream)
                disconnect(stream, nullptr, this, nullptr);
    } else {
        resetBoth();
    }
    Q_EMIT finished(outcome);
}

} // namespace peerscope
