#include "engine/protocol/yamux_session.h"

#include "engine/protocol/yamux_frame.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <deque>
#include <limits>
#include <unordered_map>
#include <utility>

namespace peerscope {

using yamux::FrameHeader;
using yamux::FrameType;
using yamux::flag::ack;
using yamux::flag::fin;
using yamux::flag::rst;
using yamux::flag::syn;

namespace {

// Outstanding pings we remember; older ones are forgotten (their Pong is then ignored).
constexpr std::size_t maxPendingPings = 16;
// An update interval can never be shorter than one RTT (the peer needs the credit to send
// more), so like go-yamux we grow when the window was turned over within four RTTs.
constexpr int growthRttFactor = 4;
// The RTT the growth is judged against is refreshed (one ping) when a window update would not
// grow the window and the last sample is older than this. The sample taken when the connection
// opened is the idle RTT; a window has to cover the RTT under load, with data queued on the
// path (a circuit runs through two more connections and a relay), which can be many times it.
constexpr MonoTime rttRefreshAge = std::chrono::milliseconds(100);
// The refresh ping's opaque value; its Pong is not reported to the application.
constexpr std::uint32_t rttRefreshOpaque = 0xffffffffu;
// The send window is a u32 on the wire; hostile deltas saturate instead of wrapping.
constexpr std::uint64_t maxSendWindow = std::numeric_limits<std::uint32_t>::max();
// A drained send queue keeps its buffer for the next burst unless it grew this large.
// A drained send queue keeps up to this much capacity: a bulk writer refills it at once.
constexpr std::size_t keptQueueCapacity = 4 * 1024 * 1024;
// Spare Data buffers kept for reuse, and the largest one worth keeping.
constexpr std::size_t maxSpareBuffers = 4;
constexpr std::size_t maxSpareCapacity = 1024 * 1024;

struct Stream {
    std::uint32_t id = 0;
    bool inbound = false;
    bool accepted = false;     // outbound: the remote's ACK arrived
    bool finQueued = false;    // closeWrite() called: FIN goes after the queued data
    bool localClosed = false;  // FIN sent
    bool remoteClosed = false; // FIN received
    bool blocked = false;      // writes were queued for lack of window: Writable is owed
    bool waiting = false;      // in Impl::waiting: has window and data, holds for output room
    bool readClosed = false;   // closeRead(): data that comes is dropped, not credited

    std::uint64_t sendWindow = yamux::specInitialWindow;
    Bytes queue; // written, not yet sent; bytes before queueHead are already sent
    std::size_t queueHead = 0;

    // Receive side. Invariant: recvCredit + in-flight payload + unconsumed + pendingCredit
    // == recvTarget.
    std::uint32_t recvTarget = 0;
    std::uint64_t recvCredit = 0;    // bytes the remote may still send
    std::uint64_t unconsumed = 0;    // delivered to the application, not yet consumed
    std::uint64_t pendingCredit = 0; // consumed, not yet credited back to the remote
    MonoTime epoch{0};               // start of the current window-update interval
    bool epochSet = false;

    std::size_t queued() const { return queue.size() - queueHead; }
};

} // namespace

struct YamuxSession::Impl {
    // What every frame and write reads comes first, in two cache lines: a connection that is
    // pinged once a second is cold each time, and each line is a miss.
    bool failed = false;
    // feed() parser: a header split across feeds waits in `partial`; Data payloads are
    // delivered as they arrive, so no payload is ever buffered here.
    bool payloadDeliver = false;
    bool payloadFin = false;
    std::uint32_t payloadLeft = 0;
    std::uint32_t payloadStream = 0;
    std::size_t partialSize = 0;
    YamuxConfig config;
    // The streams last found, one per (id / 2) % size: a session has few streams, and a write,
    // the frame and payload of its answer and the credit for it all name the same one. A hit
    // skips the hash map's bucket array and node chain, each a miss on a cold connection. An
    // entry is cleared when its stream is released (map nodes never move, so until then it
    // stays valid).
    std::array<Stream*, 4> recent{};
    Bytes out;
    std::vector<yamux::Event> events;
    std::vector<Bytes> spareBuffers; // recycled Data buffers, empty with capacity
    std::uint8_t partial[yamux::headerSize] = {};

    Role role;
    std::unordered_map<std::uint32_t, Stream> streams;
    std::size_t inboundCount = 0;
    std::uint32_t nextId = 0; // 0 once the id space is exhausted
    std::string error;
    bool localGoAway = false;
    bool remoteGoAway = false;

    struct PendingPing {
        std::uint32_t opaque;
        MonoTime sentAt;
    };
    std::vector<PendingPing> pings;
    MonoTime rtt{0};
    MonoTime rttMeasuredAt{0}; // when rtt was last set
    bool refreshPending = false;
    MonoTime refreshSentAt{0};

    // Transport backpressure: Data frames go out while room > 0; streams that have data and
    // window but no room wait here, in turn.
    std::size_t room = std::numeric_limits<std::size_t>::max();
    std::deque<std::uint32_t> waiting;
    std::size_t queuedTotal = 0;       // every stream's queued()
    std::uint64_t unconsumedTotal = 0; // every stream's unconsumed
    std::function<bool(std::uint32_t, std::uint32_t)> growthGate;

    Impl(Role r, YamuxConfig c) : config(c), role(r) {
        // The remote assumes the spec window: ours may start larger (announced in the
        // SYN/ACK delta), never smaller.
        config.initialWindow = std::max(config.initialWindow, yamux::specInitialWindow);
        config.maxWindow = std::max(config.maxWindow, config.initialWindow);
        config.maxFrameData = std::max<std::uint32_t>(config.maxFrameData, 1);
        nextId = role == Role::Client ? 1 : 2;
    }

    Stream*& recentSlot(std::uint32_t id) { return recent[(id >> 1) % recent.size()]; }

    Stream* find(std::uint32_t id) {
        Stream*& cached = recentSlot(id);
        if (cached != nullptr && cached->id == id)
            return cached;
        auto it = streams.find(id);
        if (it == streams.end())
            return nullptr;
        cached = &it->second;
        return cached;
    }

    bool isLocalId(std::uint32_t id) const { return (id % 2 == 1) == (role == Role::Client); }

    void frame(FrameType type, std::uint16_t flags, std::uint32_t id, std::uint32_t length) {
        yamux::appendHeader(out, type, flags, id, length);
    }

    void fail(std::string why) {
        if (failed) {
            return;
        }
        failed = true;
        error = std::move(why);
        payloadLeft = 0;
        partialSize = 0;
        if (!localGoAway) {
            localGoAway = true;
            frame(FrameType::GoAway, 0, 0, yamux::goAwayProtocolError);
        }
        // Nothing more will be sent: free the queued writes now.
        for (auto& [id, s] : streams) {
            Bytes().swap(s.queue);
            s.queueHead = 0;
            s.unconsumed = 0;
        }
        waiting.clear();
        queuedTotal = 0;
        unconsumedTotal = 0;
    }

    Stream& createStream(std::uint32_t id, bool inbound) {
        Stream& s = streams[id];
        recentSlot(id) = &s;
        s.id = id;
        s.inbound = inbound;
        s.accepted = inbound;
        s.recvTarget = config.initialWindow;
        s.recvCredit = config.initialWindow;
        if (inbound) {
            ++inboundCount;
        }
        return s;
    }

    // Forgets the stream; `s` is dangling afterwards.
    void release(Stream& s) {
        const std::uint32_t id = s.id;
        if (s.inbound) {
            --inboundCount;
        }
        queuedTotal -= s.queued();
        unconsumedTotal -= s.unconsumed;
        if (Stream*& cached = recentSlot(id); cached == &s) {
            cached = nullptr;
        }
        streams.erase(id);
        events.emplace_back(yamux::StreamClosed{id});
    }

    void releaseIfDone(Stream& s) {
        if (s.localClosed && (s.remoteClosed || s.readClosed)) {
            release(s);
        }
    }

    void sendData(Stream& s, const std::uint8_t* data, std::size_t size, std::uint16_t flags) {
        frame(FrameType::Data, flags, s.id, static_cast<std::uint32_t>(size));
        out.insert(out.end(), data, data + size);
        s.sendWindow -= size;
        room -= std::min(room, size + yamux::headerSize);
    }

    bool canSend(const Stream& s) const { return s.sendWindow > 0 && room > 0; }

    // A stream with data and window but no room takes its turn once room comes back.
    void waitForRoom(Stream& s) {
        if (!s.waiting && s.queued() > 0 && s.sendWindow > 0) {
            s.waiting = true;
            waiting.push_back(s.id);
        }
    }

    // Gives the room to the waiting streams a frame each in turn, so a bulk stream does not
    // keep the others waiting.
    void flushWaiting() {
        while (room > 0 && !waiting.empty()) {
            const std::uint32_t id = waiting.front();
            waiting.pop_front();
            Stream* s = find(id);
            if (s == nullptr || !s->waiting) {
                continue; // released while it waited
            }
            s->waiting = false;
            flush(*s, 1);
            releaseIfDone(*s);
        }
    }

    std::size_t nextChunk(const Stream& s, std::size_t left) const {
        return static_cast<std::size_t>(
            std::min<std::uint64_t>({left, s.sendWindow, config.maxFrameData}));
    }

    // Sends what the window and the room allow from the queue (at most `maxFrames` frames);
    // a FIN queued behind the data follows the last frame, in a frame of its own as go-yamux
    // sends it: js-libp2p's yamux ends the stream on a Data frame's FIN before it takes that
    // frame's payload, and loses it.
    void flush(Stream& s, std::size_t maxFrames = std::numeric_limits<std::size_t>::max()) {
        for (std::size_t frames = 0; s.queued() > 0 && canSend(s) && frames < maxFrames; ++frames) {
            const std::size_t n = nextChunk(s, s.queued());
            sendData(s, s.queue.data() + s.queueHead, n, 0);
            s.queueHead += n;
            queuedTotal -= n;
        }
        if (s.queued() == 0 && s.finQueued && !s.localClosed) {
            frame(FrameType::WindowUpdate, fin, s.id, 0);
            s.localClosed = true;
        }
        waitForRoom(s);
        if (s.queued() == 0) {
            if (s.queue.capacity() > keptQueueCapacity) {
                Bytes().swap(s.queue);
            } else {
                s.queue.clear();
            }
            s.queueHead = 0;
            if (s.blocked) {
                s.blocked = false;
                if (!s.finQueued) {
                    events.emplace_back(yamux::Writable{s.id});
                }
            }
        } else if (s.queueHead >= 64 * 1024 && s.queueHead * 2 >= s.queue.size()) {
            // Compact once the sent prefix dominates, so a long-blocked stream stays O(queued).
            s.queue.erase(s.queue.begin(),
                          s.queue.begin() + static_cast<std::ptrdiff_t>(s.queueHead));
            s.queueHead = 0;
        }
    }

    void remoteFin(Stream& s) {
        if (!s.remoteClosed) {
            s.remoteClosed = true;
            events.emplace_back(yamux::RemoteClosed{s.id});
        }
    }

    // Returns false if the SYN failed the session. A refused SYN leaves no stream behind.
    bool acceptSyn(std::uint32_t id) {
        if (id == 0 || isLocalId(id)) {
            fail("yamux: SYN for stream " + std::to_string(id) + " has our parity");
            return false;
        }
        if (streams.count(id) != 0) {
            fail("yamux: SYN reuses live stream " + std::to_string(id));
            return false;
        }
        if (localGoAway || inboundCount >= config.maxInboundStreams) {
            frame(FrameType::WindowUpdate, rst, id, 0);
            events.emplace_back(yamux::InboundRejected{id, localGoAway});
            return true;
        }
        createStream(id, true);
        // Answer at once: the ACK announces any window beyond the spec's initial one.
        frame(FrameType::WindowUpdate, ack, id, config.initialWindow - yamux::specInitialWindow);
        events.emplace_back(yamux::StreamOpened{id});
        return true;
    }

    void startPayload(std::uint32_t length, std::uint32_t id, bool deliver, bool withFin) {
        payloadLeft = length;
        payloadStream = id;
        payloadDeliver = deliver;
        payloadFin = withFin;
        if (length == 0) {
            endPayload();
        }
    }

    void deliver(const std::uint8_t* data, std::size_t size) {
        if (!payloadDeliver) {
            return;
        }
        Stream* s = find(payloadStream);
        if (s == nullptr || s->readClosed) { // reset or read-closed while the frame arrived
            return;
        }
        s->unconsumed += size;
        unconsumedTotal += size;
        if (!events.empty()) {
            if (auto* last = std::get_if<yamux::Data>(&events.back());
                last != nullptr && last->id == payloadStream) {
                last->bytes.insert(last->bytes.end(), data, data + size);
                return;
            }
        }
        Bytes bytes;
        if (!spareBuffers.empty()) {
            bytes.swap(spareBuffers.back());
            spareBuffers.pop_back();
        }
        bytes.reserve(payloadLeft); // the rest of this frame is likely to follow
        bytes.assign(data, data + size);
        events.emplace_back(yamux::Data{payloadStream, std::move(bytes)});
    }

    void endPayload() {
        if (payloadFin) {
            payloadFin = false;
            if (Stream* s = find(payloadStream)) {
                remoteFin(*s);
                releaseIfDone(*s);
            }
        }
    }

    void handleStreamFrame(const FrameHeader& h, MonoTime now) {
        const bool isData = h.type == static_cast<std::uint8_t>(FrameType::Data);
        if (h.has(syn) && !acceptSyn(h.streamId)) {
            return;
        }
        Stream* sp = find(h.streamId);
        if (sp == nullptr) {
            // Unknown, refused or already released (e.g. we reset it and data was in
            // flight): drop it like go-yamux does, without failing the session.
            if (isData) {
                startPayload(h.length, h.streamId, false, false);
            }
            return;
        }
        Stream& s = *sp;
        if (h.has(ack) && !s.accepted) {
            s.accepted = true;
            events.emplace_back(yamux::StreamAccepted{s.id});
        }
        if (h.has(rst)) {
            // A WindowUpdate+RST carries an error code, not a delta; a Data+RST's payload is
            // dropped.
            events.emplace_back(yamux::StreamReset{s.id});
            release(s);
            if (isData) {
                startPayload(h.length, h.streamId, false, false);
            }
            return;
        }
        if (!isData) {
            s.sendWindow = std::min(s.sendWindow + h.length, maxSendWindow);
            flush(s);
            if (h.has(fin)) {
                remoteFin(s);
            }
            releaseIfDone(s);
            return;
        }
        if (h.length > s.recvCredit) {
            fail("yamux: stream " + std::to_string(s.id) + " sent " + std::to_string(h.length) +
                 " bytes over a window of " + std::to_string(s.recvCredit));
            return;
        }
        s.recvCredit -= h.length;
        if (!s.epochSet) {
            s.epoch = now;
            s.epochSet = true;
        }
        // Data after the remote's own FIN is a peer bug: count it against the window, drop it.
        startPayload(h.length, s.id, !s.remoteClosed && !s.readClosed, h.has(fin));
    }

    void handlePing(const FrameHeader& h, MonoTime now) {
        if (h.has(syn)) {
            frame(FrameType::Ping, ack, 0, h.length);
            return;
        }
        if (!h.has(ack)) {
            return;
        }
        auto it = std::find_if(pings.begin(), pings.end(),
                               [&](const PendingPing& p) { return p.opaque == h.length; });
        if (it == pings.end()) {
            if (refreshPending && h.length == rttRefreshOpaque) {
                refreshPending = false;
                setRttSample(now - refreshSentAt, now);
            }
            return; // unsolicited or forgotten
        }
        const MonoTime measured = now - it->sentAt;
        pings.erase(it);
        setRttSample(measured, now);
        events.emplace_back(yamux::Pong{h.length, measured});
    }

    void setRttSample(MonoTime measured, MonoTime now) {
        if (measured > MonoTime::zero()) {
            rtt = measured;
            rttMeasuredAt = now;
        }
    }

    // A window update that did not grow the window: if the RTT it was judged against is old,
    // measure it again, so the next update is judged against the RTT of the path as it is now.
    void refreshRtt(MonoTime now) {
        if (rtt <= MonoTime::zero() || now - rttMeasuredAt < rttRefreshAge) {
            return; // no RTT to refresh (windows do not grow), or a fresh one
        }
        if (refreshPending && now - refreshSentAt < rttRefreshAge * 10) {
            return; // answered soon, or the Pong was lost (then ask again)
        }
        refreshPending = true;
        refreshSentAt = now;
        frame(FrameType::Ping, syn, 0, rttRefreshOpaque);
    }

    void handleFrame(const FrameHeader& h, MonoTime now) {
        if (h.version != yamux::protocolVersion) {
            fail("yamux: unsupported version " + std::to_string(h.version));
            return;
        }
        switch (static_cast<FrameType>(h.type)) {
        case FrameType::Data:
        case FrameType::WindowUpdate:
            handleStreamFrame(h, now);
            return;
        case FrameType::Ping:
            handlePing(h, now);
            return;
        case FrameType::GoAway:
            if (!remoteGoAway) { // report once: repeats carry no news
                remoteGoAway = true;
                events.emplace_back(yamux::GoAway{h.length});
            }
            return;
        }
        fail("yamux: unknown frame type " + std::to_string(h.type));
    }
};

YamuxSession::YamuxSession(Role role, YamuxConfig config)
    : d_(std::make_unique<Impl>(role, config)) {}

YamuxSession::~YamuxSession() = default;

void YamuxSession::feed(ByteView bytes, MonoTime now) {
    Impl& d = *d_;
    const std::uint8_t* p = bytes.data();
    const std::size_t n = bytes.size();
    std::size_t pos = 0;
    while (pos < n && !d.failed) {
        if (d.payloadLeft > 0) {
            const std::size_t take = std::min<std::size_t>(d.payloadLeft, n - pos);
            d.deliver(p + pos, take);
            pos += take;
            d.payloadLeft -= static_cast<std::uint32_t>(take);
            if (d.payloadLeft == 0) {
                d.endPayload();
            }
            continue;
        }
        FrameHeader h;
        if (d.partialSize == 0 && n - pos >= yamux::headerSize) {
            h = yamux::decodeHeader(p + pos); // common case: parse in place
            pos += yamux::headerSize;
        } else {
            const std::size_t take = std::min(yamux::headerSize - d.partialSize, n - pos);
            std::memcpy(d.partial + d.partialSize, p + pos, take);
            d.partialSize += take;
            pos += take;
            if (d.partialSize < yamux::headerSize) {
                break;
            }
            d.partialSize = 0;
            h = yamux::decodeHeader(d.partial);
        }
        d.handleFrame(h, now);
    }
}

void YamuxSession::takeOutput(Bytes& out) {
    if (out.empty()) {
        out.swap(d_->out); // no copy in the common case
    } else {
        append(out, d_->out);
    }
    d_->out.clear();
}

bool YamuxSession::hasOutput() const {
    return !d_->out.empty();
}

void YamuxSession::recycle(Bytes&& buffer) {
    if (buffer.capacity() == 0 || buffer.capacity() > maxSpareCapacity ||
        d_->spareBuffers.size() >= maxSpareBuffers) {
        return;
    }
    buffer.clear();
    d_->spareBuffers.push_back(std::move(buffer));
}

bool YamuxSession::hasEvents() const {
    return !d_->events.empty();
}

std::vector<yamux::Event> YamuxSession::takeEvents() {
    return std::exchange(d_->events, {});
}

std::uint32_t YamuxSession::openStream() {
    Impl& d = *d_;
    if (d.failed || d.localGoAway || d.remoteGoAway || d.nextId == 0) {
        return 0;
    }
    const std::uint32_t id = d.nextId;
    d.nextId = id > std::numeric_limits<std::uint32_t>::max() - 2 ? 0 : id + 2;
    d.createStream(id, false);
    d.frame(FrameType::WindowUpdate, syn, id, d.config.initialWindow - yamux::specInitialWindow);
    return id;
}

void YamuxSession::write(std::uint32_t id, ByteView data) {
    Impl& d = *d_;
    Stream* s = d.find(id);
    if (d.failed || data.empty() || s == nullptr || s->finQueued || s->localClosed) {
        return;
    }
    std::size_t off = 0;
    if (s->queued() == 0) {
        // Straight from the caller's buffer into the output: one copy.
        while (off < data.size() && d.canSend(*s)) {
            const std::size_t n = d.nextChunk(*s, data.size() - off);
            d.sendData(*s, data.data() + off, n, 0);
            off += n;
        }
    }
    if (off < data.size()) {
        s->queue.insert(s->queue.end(), data.begin() + static_cast<std::ptrdiff_t>(off),
                        data.end());
        d.queuedTotal += data.size() - off;
        s->blocked = true;
        d.waitForRoom(*s);
    }
}

std::size_t YamuxSession::queuedBytes(std::uint32_t id) const {
    const Stream* s = d_->find(id);
    return s == nullptr ? 0 : s->queued();
}

std::size_t YamuxSession::bufferedBytes() const {
    return d_->queuedTotal + static_cast<std::size_t>(d_->unconsumedTotal);
}

std::uint32_t YamuxSession::sendWindow(std::uint32_t id) const {
    const Stream* s = d_->find(id);
    return s == nullptr ? 0 : static_cast<std::uint32_t>(s->sendWindow);
}

std::uint32_t YamuxSession::receiveWindow(std::uint32_t id) const {
    const Stream* s = d_->find(id);
    return s == nullptr ? 0 : s->recvTarget;
}

void YamuxSession::closeWrite(std::uint32_t id) {
    Impl& d = *d_;
    Stream* s = d.find(id);
    if (d.failed || s == nullptr || s->finQueued || s->localClosed) {
        return;
    }
    s->finQueued = true;
    if (s->queued() == 0) {
        d.frame(FrameType::WindowUpdate, fin, id, 0);
        s->localClosed = true;
        d.releaseIfDone(*s);
    } // else flush() puts the FIN on the last queued frame
}

void YamuxSession::closeRead(std::uint32_t id) {
    Impl& d = *d_;
    Stream* s = d.find(id);
    if (d.failed || s == nullptr || s->readClosed) {
        return;
    }
    s->readClosed = true;
    d.unconsumedTotal -= s->unconsumed;
    s->unconsumed = 0;
    s->pendingCredit = 0;
    d.releaseIfDone(*s);
}

void YamuxSession::reset(std::uint32_t id) {
    Impl& d = *d_;
    Stream* s = d.find(id);
    if (d.failed || s == nullptr) {
        return;
    }
    d.frame(FrameType::WindowUpdate, rst, id, 0);
    d.release(*s);
}

void YamuxSession::consumed(std::uint32_t id, std::size_t count, MonoTime now) {
    Impl& d = *d_;
    Stream* s = d.find(id);
    if (d.failed || s == nullptr || s->readClosed) {
        return;
    }
    const std::uint64_t c = std::min<std::uint64_t>(count, s->unconsumed);
    s->unconsumed -= c;
    d.unconsumedTotal -= c;
    s->pendingCredit += c;
    // After the remote's FIN no more data comes: crediting would be wasted bytes.
    if (s->remoteClosed || s->pendingCredit < s->recvTarget / 2) {
        return;
    }
    std::uint32_t growth = 0;
    if (d.rtt > MonoTime::zero() && s->epochSet && now - s->epoch < d.rtt * growthRttFactor) {
        // The window turned over within a few RTTs: it, not the reader, limits throughput.
        const std::uint64_t grown =
            std::min<std::uint64_t>(std::uint64_t{s->recvTarget} * 2, d.config.maxWindow);
        growth = static_cast<std::uint32_t>(grown - s->recvTarget);
        if (growth > 0 && d.growthGate && !d.growthGate(id, growth)) {
            growth = 0; // the node holds too much already: the peer sends no more at once
        }
        s->recvTarget += growth;
    } else if (s->recvTarget < d.config.maxWindow) {
        d.refreshRtt(now); // maybe the reader is slow, maybe the RTT sample is old
    }
    const std::uint64_t delta = s->pendingCredit + growth; // <= recvTarget <= u32 max
    s->recvCredit += delta;
    s->pendingCredit = 0;
    s->epoch = now;
    s->epochSet = true;
    d.frame(FrameType::WindowUpdate, 0, id, static_cast<std::uint32_t>(delta));
}

void YamuxSession::ping(std::uint32_t opaque, MonoTime now) {
    Impl& d = *d_;
    if (d.failed) {
        return;
    }
    std::erase_if(d.pings, [&](const Impl::PendingPing& p) { return p.opaque == opaque; });
    if (d.pings.size() >= maxPendingPings) {
        d.pings.erase(d.pings.begin());
    }
    d.pings.push_back({opaque, now});
    d.frame(FrameType::Ping, syn, 0, opaque);
}

void YamuxSession::setOutputRoom(std::size_t bytes) {
    d_->room = bytes;
    if (!d_->failed) {
        d_->flushWaiting();
    }
}

std::size_t YamuxSession::outputRoom() const {
    return d_->room;
}

void YamuxSession::setGrowthGate(std::function<bool(std::uint32_t, std::uint32_t)> gate) {
    d_->growthGate = std::move(gate);
}

void YamuxSession::setRtt(MonoTime rtt) {
    d_->rtt = std::max(rtt, MonoTime::zero());
}

MonoTime YamuxSession::rtt() const {
    return d_->rtt;
}

void YamuxSession::goAway(std::uint32_t code) {
    Impl& d = *d_;
    if (d.failed || d.localGoAway) {
        return;
    }
    d.localGoAway = true;
    d.frame(FrameType::GoAway, 0, 0, code);
}

bool YamuxSession::failed() const {
    return d_->failed;
}

const std::string& YamuxSession::error() const {
    return d_->error;
}

std::size_t YamuxSession::streamCount() const {
    return d_->streams.size();
}

std::size_t YamuxSession::inboundStreamCount() const {
    return d_->inboundCount;
}

bool YamuxSession::remoteWentAway() const {
    return d_->remoteGoAway;
}

} // namespace peerscope
