#pragma once

#include "engine/core/bytes.h"
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/protocol/multistream_select.h"
#include "engine/protocol/noise_handshake.h"
#include "engine/protocol/noise_transport.h"
#include "engine/protocol/yamux_session.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace peerscope::test {

// One TCP connection to a node on loopback that misbehaves exactly as a test asks, built on
// the project's own sans-I/O cores (NoiseHandshake, NoiseTransport, YamuxSession,
// MultistreamSelect) over a raw non-blocking socket. Nothing happens behind the test's back:
// bytes move only inside the calls below, each bounded in time, so "never read" means the
// socket is never read. The socket is closed by the destructor.
class HostilePeer final {
public:
    struct StreamState {
        std::unique_ptr<MultistreamSelect> negotiation; // null: bare SYN, nothing proposed
        Bytes received;                                 // stream data after negotiation
        bool accepted = false;                          // the node ACKed our SYN
        bool reset = false;                             // the node sent RST
        bool remoteClosed = false;                      // the node sent FIN
        bool closed = false;                            // both sides done
    };

    // sourceIp: the loopback address the connection comes from (127.0.0.2, ...), so attacks
    // count in their own source-IP scope and leave 127.0.0.1 to the well-behaved peers.
    explicit HostilePeer(std::string sourceIp = "127.0.0.1");
    ~HostilePeer();
    HostilePeer(const HostilePeer&) = delete;
    HostilePeer& operator=(const HostilePeer&) = delete;

    enum class ConnectState {
        InProgress,
        Connected,
        ResetByNode, // accepted, then closed at once: how the node refuses over a limit
        Failed
    };
    // Starts a non-blocking connect; connectState() tells how it went, without blocking.
    bool startConnect(std::uint16_t port);
    bool connect(std::uint16_t port, int timeoutMs);
    ConnectState connectState();
    int fd() const { return fd_; }

    // multistream-select for /noise and Noise message 1 only (-> e): the half handshake. The
    // reply is never read.
    bool sendFirstHandshakeMessage();
    // /noise, the whole XX handshake with yamux chosen inside Noise, then a yamux client
    // session.
    bool handshake(int timeoutMs);

    // yamux over the established session. Output is queued; flush() or pump() sends it.
    // Opens a stream and, unless `protocol` is empty, proposes it with multistream-select.
    std::uint32_t openStream(const std::string& protocol = {});
    void write(std::uint32_t id, ByteView data); // respects the node's window (session)
    void closeWrite(std::uint32_t id);
    void reset(std::uint32_t id);
    void yamuxPing(std::uint32_t opaque);
    // What the node lets us send on a stream now (its window, as its frames told us).
    std::uint32_t sendWindow(std::uint32_t id) const;
    // Plaintext yamux frames exactly as given, past any window: the session is bypassed.
    void sendRawFrames(ByteView frames);

    // Reads what has arrived, without blocking (a half handshake only learns whether the node
    // closed it).
    void readNow();
    // Sends what is queued without blocking; returns the bytes still queued.
    std::size_t flush();
    // Sends, and reads if `read` (decrypt, feed yamux, negotiate streams; stream data is kept
    // but never credited back to the node), until done() or the deadline. Never blocks past
    // the deadline. Returns done().
    bool pump(const std::function<bool()>& done, int timeoutMs, bool read = true);

    std::size_t queuedBytes() const { return out_.size() - outOffset_; }
    std::uint64_t bytesSent() const { return bytesSent_; }
    bool remoteClosedConnection() const { return eof_; } // EOF or RST seen while reading
    bool sessionFailed() const { return session_ && session_->failed(); }
    bool goAwayReceived() const { return goAway_; }
    std::uint32_t goAwayCode() const { return goAwayCode_; }
    std::size_t pongs() const { return pongs_; }
    const std::map<std::uint32_t, StreamState>& streams() const { return streams_; }
    const StreamState* stream(std::uint32_t id) const;
    std::size_t streamsReset() const;
    const std::string& error() const { return error_; }

private:
    bool fail(std::string why);
    void queueWire(ByteView wire);
    void encryptSessionOutput();
    bool readAvailable(); // false on EOF or error
    void handleEvents();

    std::string sourceIp_;
    int fd_ = -1;
    SteadyClock clock_;
    PrivateKey identity_;
    std::unique_ptr<MultistreamSelect> security_; // "/noise" before the handshake
    std::unique_ptr<NoiseHandshake> handshake_;
    std::unique_ptr<NoiseTransport> transport_;
    std::unique_ptr<YamuxSession> session_;
    std::map<std::uint32_t, StreamState> streams_;
    Bytes out_; // wire bytes not yet written
    std::size_t outOffset_ = 0;
    std::uint64_t bytesSent_ = 0;
    bool eof_ = false;
    bool goAway_ = false;
    std::uint32_t goAwayCode_ = 0;
    std::size_t pongs_ = 0;
    std::string error_;
};

} // namespace peerscope::test
