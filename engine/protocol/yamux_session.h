#pragma once

#include "engine/core/bytes.h"
#include "engine/core/clock.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace peerscope {

struct YamuxConfig {
    std::uint32_t initialWindow = 256 * 1024;   // spec default, both directions
    std::uint32_t maxWindow = 16 * 1024 * 1024; // receive window may grow up to this
    std::uint32_t maxInboundStreams = 512;      // more SYNs than this are answered with RST
    std::uint32_t maxFrameData = 256 * 1024;    // largest Data frame we send
};

namespace yamux {
// One line per event reads better as a table.
// clang-format off
struct StreamOpened { std::uint32_t id; };   // remote opened a stream (SYN)
struct StreamAccepted { std::uint32_t id; }; // remote acknowledged our stream (ACK)
struct Data { std::uint32_t id; Bytes bytes; };
struct RemoteClosed { std::uint32_t id; };  // remote half-closed (FIN)
struct StreamReset { std::uint32_t id; };   // remote reset (RST)
struct StreamClosed { std::uint32_t id; };  // both sides closed, stream state released
struct Writable { std::uint32_t id; };      // send window reopened after writes were queued
struct Pong { std::uint32_t opaque; MonoTime rtt; };
struct GoAway { std::uint32_t code; };
struct InboundRejected { std::uint32_t id; bool goingAway; }; // SYN refused: over maxInboundStreams, or after our GoAway
// clang-format on
// GoAway error codes (spec): the length field of a GoAway frame.
inline constexpr std::uint32_t goAwayNormal = 0;
inline constexpr std::uint32_t goAwayProtocolError = 1;
inline constexpr std::uint32_t goAwayInternalError = 2;
using Event = std::variant<StreamOpened, StreamAccepted, Data, RemoteClosed, StreamReset,
                           StreamClosed, Writable, Pong, GoAway, InboundRejected>;
} // namespace yamux

// yamux (libp2p/specs yamux/README.md, hashicorp spec), sans-I/O. 12-byte big-endian header:
// version 0, type (Data, WindowUpdate, Ping, GoAway), flags (SYN, ACK, FIN, RST), stream id,
// length. Client-opened streams are odd, server-opened even. Window updates carry a delta.
// Writes beyond the peer's window are queued per stream and flushed as window updates arrive.
// Writes beyond the transport's room (setOutputRoom) wait the same way: a connection whose
// socket does not drain holds data back here instead of piling it up in its socket queue.
// The receive window is credited back as the application reports bytes consumed, and grows
// (doubling, up to maxWindow) when the application turns it over within four RTTs.
class YamuxSession final {
public:
    enum class Role { Client, Server };

    YamuxSession(Role role, YamuxConfig config = {});
    ~YamuxSession();
    YamuxSession(const YamuxSession&) = delete;
    YamuxSession& operator=(const YamuxSession&) = delete;

    // Consumes decrypted bytes from the remote. A protocol violation makes the session failed
    // (queues GoAway with protocol error); check failed().
    void feed(ByteView bytes, MonoTime now);
    // Appends queued frames to `out` and clears the queue.
    void takeOutput(Bytes& out);
    bool hasOutput() const;
    std::vector<yamux::Event> takeEvents();
    bool hasEvents() const;
    // Hands back a Data event's buffer once its bytes are used, so the next Data event reuses
    // the allocation instead of making a new one (bulk transfers would otherwise allocate and
    // free a frame-sized buffer per frame).
    void recycle(Bytes&& buffer);

    // Opens an outbound stream; the SYN is sent at once (with an empty WindowUpdate).
    // Returns 0 if the session is failed or going away.
    std::uint32_t openStream();
    void write(std::uint32_t id, ByteView data);
    std::size_t queuedBytes(std::uint32_t id) const; // written but not yet sent (window)
    // What the session holds for the application: queued writes of every stream, and data
    // delivered but not yet consumed. Kept as a running total (no walk over the streams).
    std::size_t bufferedBytes() const;
    std::uint32_t sendWindow(std::uint32_t id) const;    // bytes the peer lets us send now
    std::uint32_t receiveWindow(std::uint32_t id) const; // our window size (grows when tuned)
    void closeWrite(std::uint32_t id);                   // FIN, after queued data
    // Local only, like go-yamux's CloseRead: the remote is not told. Data that arrives later is
    // dropped without crediting the window, so a peer that keeps sending is stopped by the
    // window. Unconsumed data is forgotten. Once our FIN is also out the stream is released.
    void closeRead(std::uint32_t id);
    void reset(std::uint32_t id); // RST, drops queued data
    // The application has taken `count` bytes of stream `id`: credit the window.
    void consumed(std::uint32_t id, std::size_t count, MonoTime now);

    // How many bytes the transport can take now (the connection's socket queue is below its
    // high-water mark by this much). Data frames go out only while there is room (a frame may
    // pass it by up to maxFrameData); the rest waits in its stream's queue as if the window were
    // shut, and a Writable is owed. Giving room sends the waiting streams a frame at a time in
    // turn (round robin). Control frames are never held. Unlimited until first set.
    void setOutputRoom(std::size_t bytes);
    std::size_t outputRoom() const;
    // Asked before a receive window grows by `bytes` (the application keeps up, so the peer may
    // send more at once): false keeps the window as it is. Unset: windows grow freely.
    void setGrowthGate(std::function<bool(std::uint32_t id, std::uint32_t bytes)> gate);

    void ping(std::uint32_t opaque, MonoTime now);
    // Window growth needs an RTT: the last Pong sets it, or the I/O layer may supply one
    // (e.g. from the libp2p ping protocol). Zero means unknown: windows do not grow. Once
    // known, it is measured again (a ping of the session's own, whose Pong is not reported)
    // when a window update does not grow the window and the sample is over 100 ms old: the
    // RTT under load, not the idle one, is what the window has to cover.
    void setRtt(MonoTime rtt);
    MonoTime rtt() const;
    void goAway(std::uint32_t code = 0);

    bool failed() const;
    const std::string& error() const;
    std::size_t streamCount() const;
    std::size_t inboundStreamCount() const;
    bool remoteWentAway() const;

private:
    struct Impl;
    std::unique_ptr<Impl> d_;
};

} // namespace peerscope
