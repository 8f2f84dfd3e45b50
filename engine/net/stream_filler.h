#pragma once

#include <QObject>
#include <cstdint>
#include <functional>

namespace peerscope {

class Stream;

// Writes `total` filler bytes to a stream as its window allows, then calls `finished`.
// Shared by the perf server and client.
class StreamFiller final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(StreamFiller)

public:
    StreamFiller(Stream* stream, std::uint64_t total, std::function<void()> finished);
    void start();

private:
    void pump();

    Stream* stream_;
    std::uint64_t remaining_;
    std::function<void()> finished_;
};

} // namespace peerscope
