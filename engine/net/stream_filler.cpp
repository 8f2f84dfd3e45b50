#include "engine/net/stream_filler.h"

#include "engine/core/bytes.h"
#include "engine/net/stream.h"

namespace peerscope {

namespace {
constexpr std::size_t chunkSize = 64 * 1024;
// Keep about this much queued in yamux so the window never idles waiting for us.
constexpr std::size_t queueTarget = 1024 * 1024;

const Bytes& fillerChunk() {
    static const Bytes chunk(chunkSize, 0x5a);
    return chunk;
}
} // namespace

StreamFiller::StreamFiller(Stream* stream, std::uint64_t total, std::function<void()> finished)
    : QObject(stream), stream_(stream), remaining_(total), finished_(std::move(finished)) {
    connect(stream_, &Stream::writable, this, &StreamFiller::pump);
}

void StreamFiller::start() {
    pump();
}

void StreamFiller::pump() {
    while (remaining_ > 0 && stream_->queuedBytes() < queueTarget) {
        std::size_t count =
            static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, fillerChunk().size()));
        stream_->write(ByteView(fillerChunk().data(), count));
        remaining_ -= count;
        if (stream_->isReset())
            return;
    }
    if (remaining_ == 0 && finished_) {
        auto finished = std::move(finished_);
        finished_ = nullptr;
        finished();
    }
}

} // namespace peerscope
