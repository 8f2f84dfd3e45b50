// The circuit relay v2 service on real Hosts over loopback: A (source) and B (target) talk to
// the relay R with the client-side exchanges (HopClientExchange, StopServerExchange) over real
// streams. R's Host runs on a manual clock, so reservation expiry, request deadlines and the
// stop timeout are driven by hand; R's wall clock is a number the test sets.
#include "engine/core/clock.h"
#include "engine/core/keys.h"
#include "engine/core/multiaddr.h"
#include "engine/nat/relay_service.h"
#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/ping_service.h"
#include "engine/net/stream.h"
#include "engine/pool/connection_pool.h"
#include "engine/protocol/hop_client_exchange.h"
#include "engine/protocol/hop_server_exchange.h"
#include "engine/protocol/reservation_voucher.h"
#include "engine/protocol/stop_server_exchange.h"

#include <QElapsedTimer>
#include <QPointer>
#include <QTest>
#include <memory>
#include <optional>

using namespace peerscope;
using namespace std::chrono_literals;

namespace {

constexpr std::uint64_t unixStart = 1'800'000'000;

Bytes pattern(std::size_t size) {
    Bytes out(size);
    for (std::size_t i = 0; i < size; ++i)
        out[i] = static_cast<std::uint8_t>((i * 131 + 7) & 0xff);
    return out;
}

// One hop request from a client's side: the request goes out, the response is read with
// HopClientExchange, and what follows it (a circuit's bytes) is collected.
struct HopCall {
    QPointer<Stream> stream;
    std::unique_ptr<HopClientExchange> exchange;
    std::optional<HopClientExchange::Outcome> outcome;
    Bytes after;
    Bytes raw; // everything read, the response included
    bool reset = false;
    bool remoteClosed = false;

    const HopClientExchange::Reserved* reserved() const {
        return outcome ? std::get_if<HopClientExchange::Reserved>(&*outcome) : nullptr;
    }
    std::optional<RelayStatus> refusal() const {
        if (!outcome)
            return std::nullopt;
        if (auto* refused = std::get_if<HopClientExchange::Refused>(&*outcome))
            return refused->status;
        return std::nullopt;
    }
    bool connected() const {
        return outcome && std::holds_alternative<HopClientExchange::Connected>(*outcome);
    }
};

} // namespace

class TestRelayService final : public QObject {
    Q_OBJECT

private:
    SteadyClock clock_;
    ManualClock relayClock_;
    std::uint64_t unixNow_ = unixStart;
    std::unique_ptr<Host> a_, b_, r_;
    std::unique_ptr<RelayService> relay_;
    std::unique_ptr<ConnectionPool> relayPool_; // only where a test gives R a pool
    Multiaddr relayAddr_;
    RelayServiceConfig config_;
    std::vector<std::pair<QString, QString>> events_; // kind, detail

    // How B answers a stop request.
    enum class StopMode { Echo, Collect, Count, Refuse, Silent };
    StopMode stopMode_ = StopMode::Echo;
    QPointer<Stream> atB_;
    std::optional<RelayPeerInfo> initiatorAtB_;
    std::optional<RelayLimit> limitAtB_;
    Bytes receivedAtB_;
    std::uint64_t countedAtB_ = 0; // StopMode::Count
    bool bReset_ = false;

    Connection* dial(Host& from, Host& to, const Multiaddr& addr) {
        std::optional<Result<Connection*>> result;
        from.dial(addr.withPeerId(to.peerId()),
                  [&](Result<Connection*> r) { result = std::move(r); });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 10000) || !*result)
            return nullptr;
        return result->value();
    }

    void startRelay() {
        RelayService::Options options;
        options.tickInterval = 10ms;
        options.unixNow = [this] { return unixNow_; };
        if (relayPool_)
            options.keepConnected = [this](const PeerId& peer, bool keep) {
                relayPool_->setKept(peer, keep);
            };
        relay_ = std::make_unique<RelayService>(*r_, config_, options);
        connect(relay_.get(), &RelayService::relayEvent, this,
                [this](const QString& kind, const PeerId&, const QString& detail) {
                    events_.emplace_back(kind, detail);
                });
    }

    bool sawEvent(const QString& kind) const {
        for (const auto& [k, detail] : events_)
            if (k == kind)
                return true;
        return false;
    }

    std::shared_ptr<HopCall> hop(Host& from, const Bytes& request,
                                 std::optional<HopClientExchange> exchange = std::nullopt) {
        auto call = std::make_shared<HopCall>();
        call->exchange = std::make_unique<HopClientExchange>(
            exchange ? std::move(*exchange) : HopClientExchange(from.peerId(), r_->peerId()));
        std::optional<Result<Stream*>> opened;
        from.openStream(r_->peerId(), {circuitRelayHopProtocolId},
                        [&](Result<Stream*> r) { opened = std::move(r); });
        if (!QTest::qWaitFor([&] { return opened.has_value(); }, 10000) || !*opened)
            return nullptr;
        Stream* stream = opened->value();
        call->stream = stream;
        auto read = [call, stream] {
            Bytes bytes = stream->readAll();
            append(call->raw, bytes);
            if (call->outcome) {
                append(call->after, bytes);
                return;
            }
            call->outcome = call->exchange->feed(ByteView(bytes.data(), bytes.size()));
            if (call->outcome)
                append(call->after, call->exchange->takeLeftover());
        };
        connect(stream, &Stream::readyRead, this, read);
        connect(stream, &Stream::remoteClosed, this, [call, read] {
            read();
            call->remoteClosed = true;
        });
        connect(stream, &Stream::wasReset, this, [call] { call->reset = true; });
        if (!request.empty())
            stream->write(ByteView(request.data(), request.size()));
        return call;
    }

    std::shared_ptr<HopCall> reserve(Host& from) {
        HopClientExchange exchange(from.peerId(), r_->peerId());
        const Bytes request = exchange.reserve(unixNow_);
        auto result = hop(from, request, std::move(exchange));
        if (!result)
            return nullptr;
        if (!QTest::qWaitFor([&] { return result->outcome.has_value() || result->reset; }, 10000))
            return nullptr;
        return result;
    }

    // A CONNECT from `from` to `target`, with `early` bytes written right behind the request.
    std::shared_ptr<HopCall> connectTo(Host& from, const PeerId& target, const Bytes& early = {}) {
        HopClientExchange exchange(from.peerId(), r_->peerId());
        Bytes request = exchange.connect(target);
        append(request, early);
        return hop(from, request, std::move(exchange));
    }

    static bool waitOutcome(const std::shared_ptr<HopCall>& call, int ms = 10000) {
        return call && QTest::qWaitFor([&] { return call->outcome.has_value(); }, ms);
    }

private Q_SLOTS:
    void init() {
        config_ = RelayServiceConfig{};
        config_.enabled = true;
        unixNow_ = unixStart;
        relayClock_.set(1000s);
        events_.clear();
        stopMode_ = StopMode::Echo;
        initiatorAtB_.reset();
        limitAtB_.reset();
        receivedAtB_.clear();
        countedAtB_ = 0;
        bReset_ = false;
        a_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        b_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, clock_);
        r_ = std::make_unique<Host>(PrivateKey::generateEd25519(), HostOptions{}, relayClock_);
        Result<Multiaddr> bound = r_->listen(Multiaddr::parse("/ip4/127.0.0.1/tcp/0").value());
        QVERIFY(bound.ok());
        relayAddr_ = bound.value();
        // B, the target, answers stop requests as the test asks.
        b_->setStreamHandler(circuitRelayStopProtocolId, [this](Stream* stream) {
            atB_ = stream;
            auto exchange = std::make_shared<StopServerExchange>();
            auto accepted = std::make_shared<bool>(false);
            connect(stream, &Stream::wasReset, this, [this] { bReset_ = true; });
            auto read = [this, stream, exchange, accepted] {
                Bytes bytes = stream->readAll();
                if (*accepted) {
                    countedAtB_ += bytes.size();
                    if (stopMode_ == StopMode::Count)
                        return;
                    if (stopMode_ == StopMode::Echo)
                        stream->write(ByteView(bytes.data(), bytes.size()));
                    append(receivedAtB_, bytes);
                    return;
                }
                std::optional<StopServerExchange::Request> request =
                    exchange->feed(ByteView(bytes.data(), bytes.size()));
                if (!request || stopMode_ == StopMode::Silent)
                    return;
                auto* connectRequest = std::get_if<StopServerExchange::ConnectRequest>(&*request);
                QVERIFY(connectRequest);
                initiatorAtB_ = connectRequest->initiator;
                limitAtB_ = connectRequest->limit;
                if (stopMode_ == StopMode::Refuse) {
                    const Bytes no = StopServerExchange::status(RelayStatus::ConnectionFailed);
                    stream->write(ByteView(no.data(), no.size()));
                    stream->closeWrite();
                    return;
                }
                const Bytes ok = StopServerExchange::accept();
                stream->write(ByteView(ok.data(), ok.size()));
                *accepted = true;
                Bytes early = exchange->takeLeftover();
                if (stopMode_ == StopMode::Echo)
                    stream->write(ByteView(early.data(), early.size()));
                append(receivedAtB_, early);
            };
            connect(stream, &Stream::readyRead, this, read);
            connect(stream, &Stream::remoteClosed, this, [stream, read] {
                read();
                stream->closeWrite();
            });
            read();
        });
        QVERIFY(dial(*a_, *r_, relayAddr_));
        QVERIFY(dial(*b_, *r_, relayAddr_));
    }

    void cleanup() {
        relay_.reset();
        relayPool_.reset();
        a_.reset();
        b_.reset();
        r_.reset();
    }

    void reservationCarriesAVoucherOurAddrsAndTheLimit() {
        startRelay();
        const auto protocols = r_->supportedProtocols();
        QVERIFY(std::count(protocols.begin(), protocols.end(), circuitRelayHopProtocolId) == 1);
        auto call = reserve(*b_);
        QVERIFY(call);
        const HopClientExchange::Reserved* reserved = call->reserved();
        QVERIFY(reserved);
        QCOMPARE(reserved->expire, unixStart + 3600);
        QVERIFY2(reserved->voucher.has_value(), reserved->voucherError.c_str());
        QCOMPARE(reserved->voucher->relay, r_->peerId());
        QCOMPARE(reserved->voucher->peer, b_->peerId());
        QCOMPARE(reserved->voucher->expiration, unixStart + 3600);
        QCOMPARE(reserved->addrs.size(), std::size_t(1));
        QCOMPARE(reserved->addrs[0], relayAddr_.withPeerId(r_->peerId()));
        QVERIFY(reserved->limit.has_value());
        QCOMPARE(reserved->limit->durationSeconds, std::optional<std::uint32_t>(120));
        QCOMPARE(reserved->limit->dataBytes, std::optional<std::uint64_t>(128 * 1024));
        QTRY_VERIFY(call->remoteClosed); // answered and closed
        QCOMPARE(relay_->reservationCount(), std::size_t(1));
        QCOMPARE(relay_->counters().reservationsGranted, std::uint64_t(1));
        QVERIFY(sawEvent("relay_reservation_granted"));
    }

    void voucherVerifiesOnItsOwn() {
        startRelay();
        // The voucher's bytes as they came off the stream, opened with reservation_voucher.h
        // alone.
        auto call = reserve(*b_);
        QVERIFY(call && call->reserved());
        const RelayFrame<RelayHopMessage> frame = decodeHopFrame(call->raw);
        QCOMPARE(frame.status, RelayFrameStatus::Message);
        QCOMPARE(frame.message.status, std::optional(RelayStatus::Ok));
        QVERIFY(frame.message.reservation && frame.message.reservation->voucher);
        const Bytes& sealed = *frame.message.reservation->voucher;
        Result<ReservationVoucher> opened =
            ReservationVoucher::verify(sealed, r_->peerId(), b_->peerId(), unixNow_);
        QVERIFY2(opened.ok(), opened.ok() ? "" : opened.errorMessage().c_str());
        QCOMPARE(opened.value().expiration, unixStart + 3600);
        // For B alone, and over when it says.
        QVERIFY(!ReservationVoucher::verify(sealed, r_->peerId(), a_->peerId(), unixNow_).ok());
        QVERIFY(
            !ReservationVoucher::verify(sealed, r_->peerId(), b_->peerId(), unixStart + 3601).ok());
    }

    void refreshKeepsOneReservation() {
        startRelay();
        QVERIFY(reserve(*b_) && relay_->reservationCount() == 1);
        relayClock_.advance(600s);
        unixNow_ += 600;
        auto again = reserve(*b_);
        QVERIFY(again && again->reserved());
        QCOMPARE(again->reserved()->expire, unixStart + 600 + 3600);
        QCOMPARE(relay_->reservationCount(), std::size_t(1));
        QCOMPARE(relay_->counters().reservationsGranted, std::uint64_t(2));
        // The refresh moved the expiry: 3,000 s later (past the first TTL) it still holds.
        relayClock_.advance(3100s);
        relay_->tick();
        QCOMPARE(relay_->reservationCount(), std::size_t(1));
    }

    // A reservation's connection has no streams once the answer is read, but circuits reach
    // the peer over it: R's pool must not close it as idle while the reservation holds.
    void reservedPeersConnectionsAreNotClosedAsIdle() {
        ConnectionConfig connection;
        connection.idleTimeout = ConnectionConfig::Seconds(60);
        relayPool_ = std::make_unique<ConnectionPool>(*r_, connection, RetryConfig{}, 1);
        startRelay();
        QVERIFY(reserve(*b_) && relay_->reservationCount() == 1);
        QTRY_VERIFY_WITH_TIMEOUT(r_->connectionsTo(b_->peerId()).front()->activeStreamCount() == 0,
                                 5000);
        QVERIFY(relayPool_->isKept(b_->peerId()));
        QVERIFY(!relayPool_->isKept(a_->peerId()));
        // Two idle timeouts later: A (no reservation) is gone, B stays.
        relayClock_.advance(120s);
        QTRY_VERIFY_WITH_TIMEOUT(r_->connectionsTo(a_->peerId()).empty(), 5000);
        QVERIFY(!r_->connectionsTo(b_->peerId()).empty());
        // Once the reservation has expired, B's idle connection goes too.
        relayClock_.advance(3600s);
        unixNow_ += 3720;
        relay_->tick();
        QCOMPARE(relay_->reservationCount(), std::size_t(0));
        QVERIFY(!relayPool_->isKept(b_->peerId()));
        QTRY_VERIFY_WITH_TIMEOUT(r_->connectionsTo(b_->peerId()).empty(), 5000);
    }

    void reservationLimitsRefuse_data() {
        QTest::addColumn<int>("total");
        QTest::addColumn<int>("perIp");
        QTest::newRow("max_reservations") << 1 << 8;
        QTest::newRow("max_reservations_per_ip") << 8 << 1;
    }
    void reservationLimitsRefuse() {
        QFETCH(int, total);
        QFETCH(int, perIp);
        config_.maxReservations = total;
        config_.maxReservationsPerIp = perIp;
        startRelay();
        auto first = reserve(*b_);
        QVERIFY(first && first->reserved());
        auto second = reserve(*a_);
        QVERIFY(second);
        QCOMPARE(second->refusal(), std::optional(RelayStatus::ReservationRefused));
        QCOMPARE(relay_->counters().refused.at("reservation_refused"), std::uint64_t(1));
        QVERIFY(sawEvent("relay_reservation_refused"));
        QCOMPARE(relay_->reservationCount(), std::size_t(1));
    }

    void peerEventsAreRateLimited() {
        config_.maxReservations = 1;
        startRelay();
        QVERIFY(reserve(*b_)); // one event
        for (int i = 0; i < 60; ++i) {
            auto refused = reserve(*a_);
            QVERIFY(refused && refused->refusal() == RelayStatus::ReservationRefused);
        }
        auto count = [this](const char* kind) {
            return std::count_if(events_.begin(), events_.end(),
                                 [kind](const auto& e) { return e.first == kind; });
        };
        QCOMPARE(relay_->counters().refused.at("reservation_refused"), std::uint64_t(60));
        QCOMPARE(count("relay_reservation_refused"), 49);
        QCOMPARE(relay_->counters().eventsSuppressed, std::uint64_t(11));
        // The next window logs again.
        relayClock_.advance(10s);
        QVERIFY(reserve(*a_));
        QCOMPARE(count("relay_reservation_refused"), 50);
    }

    void connectWithoutReservationIsRefused() {
        startRelay();
        auto call = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(call));
        QCOMPARE(call->refusal(), std::optional(RelayStatus::NoReservation));
        QCOMPARE(relay_->counters().refused.at("no_reservation"), std::uint64_t(1));
        QCOMPARE(relay_->ledger().circuitCount(), std::size_t(0));
    }

    void connectToTheRelayItselfIsDenied() {
        startRelay();
        QVERIFY(reserve(*b_));
        auto call = connectTo(*a_, r_->peerId());
        QVERIFY(waitOutcome(call));
        QCOMPARE(call->refusal(), std::optional(RelayStatus::PermissionDenied));
        QCOMPARE(relay_->counters().refused.at("permission_denied"), std::uint64_t(1));
    }

    void circuitLimitsRefuse_data() {
        QTest::addColumn<int>("total");
        QTest::addColumn<int>("perPeer");
        QTest::newRow("max_circuits") << 1 << 16;
        QTest::newRow("max_circuits_per_peer") << 256 << 1;
    }
    void circuitLimitsRefuse() {
        QFETCH(int, total);
        QFETCH(int, perPeer);
        config_.maxCircuits = total;
        config_.maxCircuitsPerPeer = perPeer;
        startRelay();
        QVERIFY(reserve(*b_));
        auto first = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(first));
        QVERIFY(first->connected());
        auto second = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(second));
        QCOMPARE(second->refusal(), std::optional(RelayStatus::ResourceLimitExceeded));
        QCOMPARE(relay_->counters().refused.at("resource_limit_exceeded"), std::uint64_t(1));
        QCOMPARE(relay_->circuitCount(), std::size_t(1));
        // The first circuit ends: its place is free again.
        first->stream->reset();
        QTRY_COMPARE(relay_->circuitCount(), std::size_t(0));
        QCOMPARE(relay_->ledger().circuitCount(), std::size_t(0));
        auto third = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(third));
        QVERIFY(third->connected());
    }

    void targetThatRefusesTheStopFails() {
        startRelay();
        QVERIFY(reserve(*b_));
        stopMode_ = StopMode::Refuse;
        auto call = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(call));
        QCOMPARE(call->refusal(), std::optional(RelayStatus::ConnectionFailed));
        QCOMPARE(relay_->counters().refused.at("connection_failed"), std::uint64_t(1));
        QCOMPARE(relay_->ledger().circuitCount(), std::size_t(0));
    }

    void targetWithoutTheStopProtocolFails() {
        startRelay();
        QVERIFY(reserve(*b_));
        b_->removeStreamHandler(circuitRelayStopProtocolId);
        auto call = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(call));
        QCOMPARE(call->refusal(), std::optional(RelayStatus::ConnectionFailed));
        QCOMPARE(relay_->ledger().circuitCount(), std::size_t(0));
    }

    void silentTargetTimesOut() {
        startRelay();
        QVERIFY(reserve(*b_));
        stopMode_ = StopMode::Silent;
        auto call = connectTo(*a_, b_->peerId());
        QVERIFY(call);
        QTRY_VERIFY(atB_);
        QTest::qWait(50);
        QVERIFY(!call->outcome.has_value());
        relayClock_.advance(11s);
        QVERIFY(waitOutcome(call));
        QCOMPARE(call->refusal(), std::optional(RelayStatus::ConnectionFailed));
        QTRY_VERIFY(bReset_); // the stop stream is reset
        QCOMPARE(relay_->ledger().circuitCount(), std::size_t(0));
    }

    void circuitCarriesBytesBothWays() {
        startRelay();
        QVERIFY(reserve(*b_));
        const Bytes early = pattern(100);
        auto call = connectTo(*a_, b_->peerId(), early);
        QVERIFY(waitOutcome(call));
        QVERIFY(call->connected());
        QVERIFY(initiatorAtB_.has_value());
        QCOMPARE(initiatorAtB_->id, a_->peerId());
        QVERIFY(limitAtB_.has_value());
        QCOMPARE(limitAtB_->dataBytes, std::optional<std::uint64_t>(128 * 1024));
        QCOMPARE(relay_->circuitCount(), std::size_t(1));
        QVERIFY(sawEvent("relay_circuit_opened"));
        // B echoes: what A sends (early bytes first) comes back in order.
        const Bytes more = pattern(60 * 1024);
        call->stream->write(ByteView(more.data(), more.size()));
        Bytes sent = early;
        append(sent, more);
        QTRY_COMPARE(call->after.size(), sent.size());
        QVERIFY(call->after == sent);
        QCOMPARE(receivedAtB_, sent);
        call->stream->closeWrite();
        QTRY_VERIFY(call->remoteClosed);
        QTRY_COMPARE(relay_->circuitCount(), std::size_t(0));
        QCOMPARE(relay_->counters().circuitsOpened, std::uint64_t(1));
        QCOMPARE(relay_->counters().circuitsClosed.at("closed"), std::uint64_t(1));
        QCOMPARE(relay_->bytesToDestination(), std::uint64_t(sent.size()));
        QCOMPARE(relay_->bytesToSource(), std::uint64_t(sent.size()));
        QVERIFY(sawEvent("relay_circuit_closed"));
        QCOMPARE(relay_->ledger().circuitCount(), std::size_t(0));
    }

    void dataLimitEndsTheCircuit() {
        config_.circuitDataBytes = 64 * 1024;
        startRelay();
        QVERIFY(reserve(*b_));
        stopMode_ = StopMode::Collect;
        auto call = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(call));
        QVERIFY(call->connected());
        const Bytes data = pattern(100 * 1024);
        call->stream->write(ByteView(data.data(), data.size()));
        QTRY_VERIFY(call->reset);
        QTRY_VERIFY(bReset_);
        QTRY_COMPARE(relay_->circuitCount(), std::size_t(0));
        QCOMPARE(relay_->counters().circuitsClosed.at("data_limit"), std::uint64_t(1));
        QCOMPARE(relay_->bytesToDestination(), std::uint64_t(64 * 1024));
        QVERIFY(receivedAtB_.size() <= 64 * 1024);
    }

    void durationLimitEndsTheCircuit() {
        config_.circuitDuration = 30s;
        startRelay();
        QVERIFY(reserve(*b_));
        auto call = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(call));
        QVERIFY(call->connected());
        relayClock_.advance(29s);
        QTest::qWait(50);
        QVERIFY(!call->reset);
        relayClock_.advance(1s);
        QTRY_VERIFY(call->reset);
        QCOMPARE(relay_->counters().circuitsClosed.at("duration_limit"), std::uint64_t(1));
    }

    void trustedPeersHaveNoLimit() {
        config_.trustedPeers = {b_->peerId().toBase58()};
        config_.circuitDataBytes = 1024;
        startRelay();
        auto reserved = reserve(*b_);
        QVERIFY(reserved && reserved->reserved());
        QVERIFY(!reserved->reserved()->limit.has_value());
        auto call = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(call));
        QVERIFY(call->connected());
        QVERIFY(!limitAtB_.has_value());
        const Bytes data = pattern(8 * 1024);
        call->stream->write(ByteView(data.data(), data.size()));
        QTRY_COMPARE(call->after.size(), data.size());
        QVERIFY(!call->reset);
    }

    // What one circuit carries on loopback without limits (a trusted destination): the bridge
    // and two yamux sessions in the middle, all three hosts on this one thread.
    void trustedCircuitThroughput() {
        config_.trustedPeers = {b_->peerId().toBase58()};
        startRelay();
        QVERIFY(reserve(*b_));
        stopMode_ = StopMode::Count;
        auto call = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(call));
        QVERIFY(call->connected());
        Stream* a = call->stream;
        const std::uint64_t total = 64 * 1024 * 1024;
        const Bytes chunk = pattern(64 * 1024);
        std::uint64_t written = 0;
        auto fill = [&] {
            while (written < total && a->queuedBytes() < 1024 * 1024) {
                a->write(ByteView(chunk.data(), chunk.size()));
                written += chunk.size();
            }
        };
        connect(a, &Stream::writable, this, fill);
        QElapsedTimer elapsed;
        elapsed.start();
        fill();
        QTRY_VERIFY_WITH_TIMEOUT(countedAtB_ == total, 60000);
        const double seconds = elapsed.nsecsElapsed() / 1e9;
        qInfo("64 MiB through the relay in %.3f s: %.0f MiB/s", seconds, 64 / seconds);
        QCOMPARE(relay_->bytesToDestination(), total);
        QCOMPARE(relay_->circuitCount(), std::size_t(1));
    }

    void badRequestsCloseOnlyTheirStream_data() {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        // A frame whose protobuf does not parse.
        QTest::newRow("malformed")
            << QByteArray("\x03\xff\xff\xff", 4) << int(RelayStatus::MalformedMessage);
        RelayHopMessage status;
        status.type = RelayHopMessage::Type::Status;
        status.status = RelayStatus::Ok;
        const Bytes frame = status.encodeFrame();
        QTest::newRow("unexpected")
            << QByteArray(reinterpret_cast<const char*>(frame.data()), qsizetype(frame.size()))
            << int(RelayStatus::UnexpectedMessage);
    }
    void badRequestsCloseOnlyTheirStream() {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        startRelay();
        // Another stream of A's to R, open throughout.
        auto other = hop(*a_, {});
        QVERIFY(other);
        const Bytes bytes(request.begin(), request.end());
        auto call = hop(*a_, bytes);
        QVERIFY(call);
        QTRY_VERIFY(call->remoteClosed);
        // No request of ours to answer, so the response is read as a bare frame.
        const RelayFrame<RelayHopMessage> frame = decodeHopFrame(call->raw);
        QCOMPARE(frame.status, RelayFrameStatus::Message);
        QCOMPARE(frame.message.type, RelayHopMessage::Type::Status);
        QCOMPARE(frame.message.status, std::optional(static_cast<RelayStatus>(status)));
        QCOMPARE(frame.consumed, call->raw.size());
        QVERIFY(!call->reset);
        QCOMPARE(relay_->counters().refused.at(relayStatusKey(static_cast<RelayStatus>(status))),
                 std::uint64_t(1));
        // The connection lives on, and so does the other stream: it still gets its answer.
        QCOMPARE(a_->connectionsTo(r_->peerId()).size(), std::size_t(1));
        QVERIFY(other->stream && !other->reset);
        const Bytes reserveRequest = other->exchange->reserve(unixNow_);
        other->stream->write(ByteView(reserveRequest.data(), reserveRequest.size()));
        QVERIFY(waitOutcome(other));
        QVERIFY(other->reserved());
    }

    void silentHopStreamIsClosedAfterItsDeadline() {
        startRelay();
        auto call = hop(*a_, {});
        QVERIFY(call);
        QTRY_COMPARE(relay_->pendingRequestCount(), std::size_t(1));
        relayClock_.advance(9s);
        QTest::qWait(50);
        QVERIFY(!call->reset);
        relayClock_.advance(1s);
        QTRY_VERIFY(call->reset);
        QCOMPARE(relay_->pendingRequestCount(), std::size_t(0));
        QCOMPARE(relay_->counters().refused.at("request_timeout"), std::uint64_t(1));
        QCOMPARE(a_->connectionsTo(r_->peerId()).size(), std::size_t(1));
    }

    void reservationExpires() {
        config_.reservationTtl = 60s;
        startRelay();
        QVERIFY(reserve(*b_));
        relayClock_.advance(59s);
        relay_->tick();
        QCOMPARE(relay_->reservationCount(), std::size_t(1));
        relayClock_.advance(1s);
        QTRY_COMPARE(relay_->reservationCount(), std::size_t(0));
        QCOMPARE(relay_->counters().reservationsExpired, std::uint64_t(1));
        QVERIFY(sawEvent("relay_reservation_expired"));
        auto call = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(call));
        QCOMPARE(call->refusal(), std::optional(RelayStatus::NoReservation));
    }

    void reservationEndsWithTheLastConnection() {
        startRelay();
        QVERIFY(reserve(*b_));
        QCOMPARE(relay_->reservationCount(), std::size_t(1));
        for (Connection* connection : b_->connectionsTo(r_->peerId()))
            connection->close(QStringLiteral("test"));
        QTRY_COMPARE(relay_->reservationCount(), std::size_t(0));
        QVERIFY(sawEvent("relay_reservation_ended"));
    }

    void switchingOffEndsEverythingAndLeavesIdentify() {
        startRelay();
        QVERIFY(reserve(*b_));
        auto call = connectTo(*a_, b_->peerId());
        QVERIFY(waitOutcome(call));
        QVERIFY(call->connected());
        RelayServiceConfig off = config_;
        off.enabled = false;
        relay_->setConfig(off);
        QVERIFY(!relay_->isEnabled());
        QTRY_VERIFY(call->reset);
        QCOMPARE(relay_->circuitCount(), std::size_t(0));
        QCOMPARE(relay_->reservationCount(), std::size_t(0));
        const auto protocols = r_->supportedProtocols();
        QVERIFY(std::count(protocols.begin(), protocols.end(), circuitRelayHopProtocolId) == 0);
        // A new hop stream is declined by multistream-select.
        std::optional<Result<Stream*>> opened;
        a_->openStream(r_->peerId(), {circuitRelayHopProtocolId},
                       [&](Result<Stream*> r) { opened = std::move(r); });
        QTRY_VERIFY(opened.has_value());
        QVERIFY(!opened->ok());
        // And on again.
        relay_->setConfig(config_);
        QVERIFY(reserve(*b_)->reserved());
    }
};

QTEST_GUILESS_MAIN(TestRelayService)
#include "tst_relay_service.moc"
