#include "support/hostile_peer.h"

#include "engine/protocol/yamux_frame.h"

#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <type_traits>
#include <unistd.h>
#include <variant>

namespace peerscope::test {

namespace {

constexpr const char* yamuxProtocol = "/yamux/1.0.0";

using SteadyTime = std::chrono::steady_clock::time_point;

SteadyTime deadlineIn(int timeoutMs) {
    return std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs);
}

int msLeft(SteadyTime deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    return left.count() > 0 ? int(left.count()) : 0;
}

} // namespace

HostilePeer::HostilePeer(std::string sourceIp)
    : sourceIp_(std::move(sourceIp)), identity_(PrivateKey::generateEd25519()) {}

HostilePeer::~HostilePeer() {
    if (fd_ >= 0)
        ::close(fd_);
}

bool HostilePeer::fail(std::string why) {
    if (error_.empty())
        error_ = std::move(why);
    return false;
}

bool HostilePeer::startConnect(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0)
        return fail(std::string("socket: ") + std::strerror(errno));
    sockaddr_in local{};
    local.sin_family = AF_INET;
    if (::inet_pton(AF_INET, sourceIp_.c_str(), &local.sin_addr) != 1)
        return fail("bad source address " + sourceIp_);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
        return fail(std::string("bind: ") + std::strerror(errno));
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
        errno != EINPROGRESS)
        return fail(std::string("connect: ") + std::strerror(errno));
    return true;
}

HostilePeer::ConnectState HostilePeer::connectState() {
    if (fd_ < 0)
        return ConnectState::Failed;
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, 0) != 1)
        return ConnectState::InProgress;
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == 0)
        return ConnectState::Connected;
    if (error == ECONNRESET || error == EPIPE) {
        eof_ = true;
        return ConnectState::ResetByNode;
    }
    fail(std::string("connect: ") + std::strerror(error));
    return ConnectState::Failed;
}

bool HostilePeer::connect(std::uint16_t port, int timeoutMs) {
    if (!startConnect(port))
        return false;
    pollfd p{fd_, POLLOUT, 0};
    if (::poll(&p, 1, timeoutMs) != 1)
        return fail("connect timed out");
    return connectState() == ConnectState::Connected || fail("connection refused");
}

void HostilePeer::queueWire(ByteView wire) {
    out_.insert(out_.end(), wire.begin(), wire.end());
}

bool HostilePeer::sendFirstHandshakeMessage() {
    NoiseHandshake::Options options;
    options.role = NoiseHandshake::Role::Initiator;
    options.muxers = {yamuxProtocol};
    handshake_ = std::make_unique<NoiseHandshake>(identity_, std::move(options));
    // /noise is the only proposal, so Noise message 1 rides right behind it, as libp2p
    // initiators do.
    security_ = std::make_unique<MultistreamSelect>(MultistreamSelect::initiator({"/noise"}));
    security_->start();
    queueWire(security_->takeOutput());
    handshake_->start();
    queueWire(handshake_->takeOutput());
    flush();
    return queuedBytes() == 0 || fail("message 1 not sent");
}

bool HostilePeer::handshake(int timeoutMs) {
    const SteadyTime deadline = deadlineIn(timeoutMs);
    if (!sendFirstHandshakeMessage())
        return false;
    Bytes buffer(64 * 1024);
    while (handshake_->state() == NoiseHandshake::State::InProgress) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, msLeft(deadline)) != 1)
            return fail("handshake timed out");
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (n <= 0 && !(n < 0 && (errno == EAGAIN || errno == EINTR)))
            return fail("connection closed during the handshake");
        if (n <= 0)
            continue;
        const ByteView got(buffer.data(), std::size_t(n));
        if (security_->state() == MultistreamSelect::State::Negotiating) {
            security_->feed(got);
            if (security_->state() == MultistreamSelect::State::Failed)
                return fail("security negotiation: " + security_->error());
            if (security_->state() == MultistreamSelect::State::Done)
                handshake_->feed(security_->takeRemainder());
        } else {
            handshake_->feed(got);
        }
    }
    if (handshake_->state() == NoiseHandshake::State::Failed)
        return fail("noise: " + handshake_->error());
    if (handshake_->negotiatedMuxer() != yamuxProtocol)
        return fail("no muxer agreed inside Noise");
    queueWire(handshake_->takeOutput()); // message 3
    transport_ = handshake_->takeTransport();
    session_ = std::make_unique<YamuxSession>(YamuxSession::Role::Client);
    const Bytes remainder = handshake_->takeRemainder();
    if (!remainder.empty()) {
        Bytes plain;
        if (!transport_->decrypt(remainder, plain).ok())
            return fail("bad transport frame after the handshake");
        session_->feed(plain, clock_.now());
        handleEvents();
    }
    flush();
    return true;
}

std::uint32_t HostilePeer::openStream(const std::string& protocol) {
    const std::uint32_t id = session_->openStream();
    if (id == 0)
        return 0;
    StreamState& state = streams_[id];
    if (!protocol.empty()) {
        state.negotiation =
            std::make_unique<MultistreamSelect>(MultistreamSelect::initiator({protocol}));
        state.negotiation->start();
        session_->write(id, state.negotiation->takeOutput());
    }
    return id;
}

void HostilePeer::write(std::uint32_t id, ByteView data) {
    session_->write(id, data);
}
void HostilePeer::closeWrite(std::uint32_t id) {
    session_->closeWrite(id);
}
void HostilePeer::reset(std::uint32_t id) {
    session_->reset(id);
}
void HostilePeer::yamuxPing(std::uint32_t opaque) {
    session_->ping(opaque, clock_.now());
}

std::uint32_t HostilePeer::sendWindow(std::uint32_t id) const {
    return session_->sendWindow(id);
}

void HostilePeer::sendRawFrames(ByteView frames) {
    encryptSessionOutput(); // keep the session's frames before ours, in order
    Bytes wire;
    transport_->encrypt(frames, wire);
    queueWire(wire);
}

void HostilePeer::encryptSessionOutput() {
    if (!session_ || !session_->hasOutput())
        return;
    Bytes plain;
    session_->takeOutput(plain);
    Bytes wire;
    transport_->encrypt(plain, wire);
    queueWire(wire);
}

std::size_t HostilePeer::flush() {
    encryptSessionOutput();
    while (outOffset_ < out_.size()) {
        const ssize_t n =
            ::send(fd_, out_.data() + outOffset_, out_.size() - outOffset_, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                eof_ = true; // reset by the node: nothing more will go out
            break;
        }
        outOffset_ += std::size_t(n);
        bytesSent_ += std::uint64_t(n);
    }
    if (eof_ || outOffset_ == out_.size()) {
        out_.clear();
        outOffset_ = 0;
    } else if (outOffset_ > (std::size_t(1) << 20)) {
        out_.erase(out_.begin(), out_.begin() + std::ptrdiff_t(outOffset_));
        outOffset_ = 0;
    }
    return queuedBytes();
}

bool HostilePeer::readAvailable() {
    Bytes buffer(64 * 1024);
    for (;;) {
        const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            eof_ = true;
            return false;
        }
        if (n < 0)
            return true;
        if (!transport_)
            continue; // a half handshake: whatever the node answers is dropped
        Bytes plain;
        if (!transport_->decrypt(ByteView(buffer.data(), std::size_t(n)), plain).ok())
            return fail("bad transport frame from the node");
        session_->feed(plain, clock_.now());
        handleEvents();
    }
}

void HostilePeer::handleEvents() {
    for (yamux::Event& event : session_->takeEvents()) {
        std::visit(
            [this](auto& e) {
                using E = std::decay_t<decltype(e)>;
                if constexpr (std::is_same_v<E, yamux::Data>) {
                    StreamState& state = streams_[e.id];
                    // Never credited back (no consumed()): the node's window only shrinks.
                    if (state.negotiation &&
                        state.negotiation->state() == MultistreamSelect::State::Negotiating) {
                        state.negotiation->feed(e.bytes);
                        const Bytes reply = state.negotiation->takeOutput();
                        if (!reply.empty())
                            session_->write(e.id, reply);
                        const Bytes rest = state.negotiation->takeRemainder();
                        state.received.insert(state.received.end(), rest.begin(), rest.end());
                    } else {
                        state.received.insert(state.received.end(), e.bytes.begin(), e.bytes.end());
                    }
                } else if constexpr (std::is_same_v<E, yamux::StreamAccepted>) {
                    streams_[e.id].accepted = true;
                } else if constexpr (std::is_same_v<E, yamux::StreamReset>) {
                    streams_[e.id].reset = true;
                } else if constexpr (std::is_same_v<E, yamux::RemoteClosed>) {
                    streams_[e.id].remoteClosed = true;
                } else if constexpr (std::is_same_v<E, yamux::StreamClosed>) {
                    streams_[e.id].closed = true;
                } else if constexpr (std::is_same_v<E, yamux::Pong>) {
                    ++pongs_;
                } else if constexpr (std::is_same_v<E, yamux::GoAway>) {
                    goAway_ = true;
                    goAwayCode_ = e.code;
                }
            },
            event);
    }
}

bool HostilePeer::pump(const std::function<bool()>& done, int timeoutMs, bool read) {
    const SteadyTime deadline = deadlineIn(timeoutMs);
    for (;;) {
        flush();
        if (done())
            return true;
        if (eof_ && queuedBytes() == 0)
            return done();
        short events = 0;
        if (read && !eof_)
            events |= POLLIN;
        if (queuedBytes() > 0 && !eof_)
            events |= POLLOUT;
        const int wait = msLeft(deadline);
        if (wait == 0 || events == 0)
            return done();
        pollfd p{fd_, events, 0};
        if (::poll(&p, 1, wait) < 0 && errno != EINTR)
            return done();
        if (read && (p.revents & (POLLIN | POLLHUP | POLLERR)))
            readAvailable();
    }
}

void HostilePeer::readNow() {
    if (fd_ >= 0 && !eof_)
        readAvailable();
}

const HostilePeer::StreamState* HostilePeer::stream(std::uint32_t id) const {
    auto it = streams_.find(id);
    return it == streams_.end() ? nullptr : &it->second;
}

std::size_t HostilePeer::streamsReset() const {
    std::size_t count = 0;
    for (const auto& [id, state] : streams_)
        count += state.reset ? 1 : 0;
    return count;
}

} // namespace peerscope::test
