#pragma once

#include "engine/core/peer_id.h"
#include "engine/core/result.h"

#include <QObject>
#include <cstdint>
#include <functional>
#include <optional>

namespace peerscope {

class Connection;
class Host;
class Stream;

struct PerfResult {
    std::uint64_t uploaded = 0;
    std::uint64_t downloaded = 0;
    double seconds = 0;
};

// The libp2p perf protocol (/perf/1.0.0) as server and client, for throughput measurements
// and the lab's background traffic. Serving is opt-in (HostOptions::servePerf): a peer asking
// a node that does not serve gets mss "na", like for any protocol it does not know.
class PerfService final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(PerfService)

public:
    explicit PerfService(Host& host);
    ~PerfService() override;

    using PerfCallback = std::function<void(Result<PerfResult>)>;
    void run(Connection* connection, std::uint64_t upload, std::uint64_t download,
             PerfCallback done);
    void run(const PeerId& peer, std::uint64_t upload, std::uint64_t download, PerfCallback done);

    // Serve with this per-stream limit (each way), or stop serving (nullopt): the protocol
    // leaves the host's list, and identify push tells connected peers. Streams under way go on.
    void setServing(std::optional<std::uint64_t> maxStreamBytes);
    bool isServing() const { return maxStreamBytes_.has_value(); }

private:
    void serve(Stream* stream);

    Host& host_;
    std::optional<std::uint64_t> maxStreamBytes_;
};

} // namespace peerscope
