#pragma once

#include "engine/core/clock.h"
#include "engine/core/result.h"
#include "engine/lab/link_shaper.h"

#include <QHostAddress>
#include <QObject>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>

class QTcpServer;
class QTcpSocket;

namespace peerscope {

// What went through a LinkProxy over its life, closed connections included.
struct LinkProxyCounters {
    std::uint64_t bytesUp = 0;   // delivered from the accepted side to the target
    std::uint64_t bytesDown = 0; // delivered from the target to the accepted side
    std::uint64_t piecesHeldForLoss = 0;
    std::uint64_t connectionsAccepted = 0;
    std::uint64_t targetFailures = 0; // the target refused or dropped a new connection
};

// A userspace link on loopback: listens on 127.0.0.1 and forwards every accepted connection
// to one target through two LinkShapers (one each way), so whoever dials the proxy sees the
// target behind the configured delay, jitter, loss and rate cap (`tc netem` is not available).
// Releases are driven by one single-shot timer per connection at the shaper's next release
// time; a side stops being read while more than backPressureBytes wait for the other.
// Lives on one thread; time comes from the injected clock.
class LinkProxy final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LinkProxy)

public:
    static constexpr std::size_t backPressureBytes = 4 * 1024 * 1024;

    LinkProxy(QHostAddress targetHost, quint16 targetPort, LinkSettings settings,
              const Clock& clock, std::uint64_t seed = 1, QObject* parent = nullptr);
    ~LinkProxy() override;

    // Listens on 127.0.0.1 with an ephemeral port.
    Result<void> listen();
    quint16 listenPort() const;

    // Applies to every open connection and every later one, from the next byte on.
    void setSettings(const LinkSettings& settings);
    const LinkSettings& settings() const { return settings_; }

    LinkProxyCounters counters() const;
    int openConnections() const { return static_cast<int>(links_.size()); }
    // Bytes on the link now (in the shapers, both ways, every connection).
    std::size_t queuedBytes() const;
    // Drops every forwarded connection (both sides).
    void closeAll();

Q_SIGNALS:
    void targetFailed(const QString& error);

private:
    struct Link;

    void accept();
    void service(std::uint64_t id);
    void removeLink(std::uint64_t id);

    QHostAddress targetHost_;
    quint16 targetPort_;
    LinkSettings settings_;
    const Clock& clock_;
    std::uint64_t seed_;
    QTcpServer* server_;
    std::map<std::uint64_t, std::unique_ptr<Link>> links_;
    std::uint64_t nextLinkId_ = 1;
    LinkProxyCounters counters_; // piecesHeldForLoss: closed connections only
};

} // namespace peerscope
