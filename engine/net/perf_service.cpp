#include "engine/net/perf_service.h"

#include "engine/net/host.h"
#include "engine/net/stream_filler.h"
#include "engine/protocol/perf_exchange.h"

#include <QElapsedTimer>

namespace peerscope {

PerfService::PerfService(Host& host) : QObject(&host), host_(host) {
    if (host_.options().servePerf)
        setServing(host_.options().perfMaxStreamBytes);
}

PerfService::~PerfService() = default;

void PerfService::setServing(std::optional<std::uint64_t> maxStreamBytes) {
    const bool wasServing = isServing();
    maxStreamBytes_ = maxStreamBytes;
    if (isServing() && !wasServing)
        host_.setStreamHandler(perfProtocolId, [this](Stream* stream) { serve(stream); });
    else if (!isServing() && wasServing)
        host_.removeStreamHandler(perfProtocolId);
}

void PerfService::serve(Stream* stream) {
    auto core = std::make_shared<PerfServerCore>();
    const std::uint64_t limit = maxStreamBytes_.value_or(0);
    // Past the limit either way the stream is reset at once: neither an endless upload nor a
    // request for more than the limit costs us more than the limit.
    auto overLimit = [this, stream, core, limit] {
        if (core->uploadedBytes() <= limit && core->requestedBytes().value_or(0) <= limit)
            return false;
        host_.countStreamReset("perf_over_limit");
        stream->reset();
        return true;
    };
    auto drain = [stream, core, overLimit] {
        // Only the 8-byte header is read; the upload is counted and dropped without a copy.
        if (!core->headerComplete())
            core->feed(stream->read(8));
        core->countUpload(stream->discardAll());
        return !overLimit();
    };
    connect(stream, &Stream::readyRead, this, drain);
    connect(stream, &Stream::remoteClosed, this, [stream, core, drain] {
        if (!drain())
            return;
        Result<std::uint64_t> toSend = core->finish();
        if (!toSend) {
            stream->reset();
            return;
        }
        auto* filler = new StreamFiller(stream, *toSend, [stream] { stream->closeWrite(); });
        filler->start();
    });
    if (stream->bytesAvailable() > 0)
        drain();
}

namespace {
struct PerfRun {
    std::shared_ptr<PerfClientCore> core;
    QElapsedTimer elapsed;
    PerfService::PerfCallback done;
    void finish(Result<PerfResult> result) {
        if (!done)
            return;
        auto call = std::move(done);
        done = nullptr;
        call(std::move(result));
    }
};
} // namespace

void PerfService::run(Connection* connection, std::uint64_t upload, std::uint64_t download,
                      PerfCallback done) {
    auto run = std::make_shared<PerfRun>();
    run->core = std::make_shared<PerfClientCore>(upload, download);
    run->done = std::move(done);
    run->elapsed.start();
    connection->openStream({perfProtocolId}, [this, run](Result<Stream*> opened) {
        if (!opened) {
            run->finish(makeError("perf: " + opened.errorMessage()));
            return;
        }
        Stream* stream = *opened;
        connect(stream, &Stream::readyRead, this, [stream, run] {
            Result<void> counted = run->core->feed(stream->discardAll());
            if (!counted) {
                run->finish(makeError("perf: " + counted.errorMessage()));
                stream->reset();
            }
        });
        connect(stream, &Stream::remoteClosed, this, [stream, run] {
            Result<void> complete = run->core->finish();
            if (!complete) {
                run->finish(makeError("perf: " + complete.errorMessage()));
                return;
            }
            run->finish(PerfResult{run->core->uploadBytes(), run->core->downloaded(),
                                   static_cast<double>(run->elapsed.nsecsElapsed()) / 1e9});
            if (stream->isWriteClosed())
                return;
            stream->closeWrite();
        });
        connect(stream, &Stream::wasReset, this,
                [run] { run->finish(makeError("perf: stream reset by the peer")); });
        stream->write(run->core->header());
        auto* filler =
            new StreamFiller(stream, run->core->uploadBytes(), [stream] { stream->closeWrite(); });
        filler->start();
    });
}

void PerfService::run(const PeerId& peer, std::uint64_t upload, std::uint64_t download,
                      PerfCallback done) {
    std::vector<Connection*> connections = host_.connectionsTo(peer);
    if (connections.empty()) {
        done(makeError("perf: not connected to " + peer.toBase58()));
        return;
    }
    run(connections.front(), upload, download, std::move(done));
}

} // namespace peerscope
