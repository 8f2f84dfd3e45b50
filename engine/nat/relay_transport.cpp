#include "engine/nat/relay_transport.h"

#include "engine/net/connection.h"
#include "engine/net/host.h"
#include "engine/net/stream.h"
#include "engine/net/stream_pipe.h"
#include "engine/protocol/hop_client_exchange.h"
#include "engine/protocol/stop_server_exchange.h"

#include <QLoggingCategory>
#include <QPointer>
#include <QTimer>
#include <memory>

Q_LOGGING_CATEGORY(lcRelayTransport, "peerscope.engine.relay.transport")

namespace peerscope {

namespace {
QByteArray toQByteArray(const Bytes& bytes) {
    return QByteArray(reinterpret_cast<const char*>(bytes.data()),
                      static_cast<qsizetype>(bytes.size()));
}
} // namespace

RelayTransport::RelayTransport(Host& host, QObject* parent) : QObject(parent), host_(host) {
    host_.setStreamHandler(circuitRelayStopProtocolId,
                           [this](Stream* stream) { handleStop(stream); });
    host_.setCircuitDialer(
        [this](const Multiaddr& addr, ConnectionCallback done) { dial(addr, std::move(done)); });
}

RelayTransport::~RelayTransport() {
    host_.setCircuitDialer({});
    host_.removeStreamHandler(circuitRelayStopProtocolId);
}

void RelayTransport::onClosed(Connection* connection, const QString& reason) {
    const std::uint64_t id = connection->id();
    QString detail = reason;
    // The relay resets a circuit at its limit: say so when that is what happened.
    if (auto it = limits_.find(id); it != limits_.end()) {
        const RelayLimit& limit = it->second.limit;
        const double age =
            std::chrono::duration<double>(host_.clock().now() - it->second.startedAt).count();
        const std::uint64_t used = std::max(connection->bytesIn(), connection->bytesOut());
        if (limit.dataBytes && used >= *limit.dataBytes)
            detail = QStringLiteral("data limit reached (%1 bytes each way): %2")
                         .arg(*limit.dataBytes)
                         .arg(reason);
        else if (limit.durationSeconds && age + 1 >= *limit.durationSeconds)
            detail = QStringLiteral("duration limit reached (%1 s): %2")
                         .arg(*limit.durationSeconds)
                         .arg(reason);
        limits_.erase(it);
    }
    Q_EMIT circuitEvent(
        QStringLiteral("circuit_closed"), connection->remotePeer(), id,
        QStringLiteral("via %1: %2")
            .arg(QString::fromStdString(connection->info().relay->toBase58()), detail));
}

std::optional<RelayTransport::CircuitLimit> RelayTransport::limitOf(std::uint64_t id) const {
    auto it = limits_.find(id);
    return it == limits_.end() ? std::nullopt : std::optional(it->second);
}

void RelayTransport::dial(const Multiaddr& addr, ConnectionCallback done) {
    Result<CircuitAddr> circuit = CircuitAddr::parse(addr);
    auto fail = [this, &done](const std::string& why) {
        ++counters_.dialsFailed;
        done(makeError(why));
    };
    if (!circuit) {
        fail("dial " + addr.toString() + ": " + circuit.errorMessage());
        return;
    }
    if (!circuit->target) {
        fail("dial " + addr.toString() + ": the address names no target (/p2p-circuit/p2p/<id>)");
        return;
    }
    if (*circuit->target == host_.peerId()) {
        fail("dial " + addr.toString() + ": that is us");
        return;
    }
    if (!host_.connectionsTo(circuit->relay).empty()) {
        dialThroughRelay(*circuit, std::move(done));
        return;
    }
    if (circuit->relayAddr.empty()) {
        fail("dial " + addr.toString() + ": not connected to the relay " +
             circuit->relay.toBase58() + ", and the address does not say where it is");
        return;
    }
    // The relay first, directly; then the circuit through it.
    QPointer<RelayTransport> self(this);
    host_.dial(circuit->relayWithId(), [self, circuit = *circuit,
                                        done = std::move(done)](Result<Connection*> relay) mutable {
        if (!self)
            return;
        if (!relay) {
            ++self->counters_.dialsFailed;
            done(makeError("dial the relay " + circuit.relayWithId().toString() + ": " +
                           relay.errorMessage()));
            return;
        }
        self->dialThroughRelay(circuit, std::move(done));
    });
}

void RelayTransport::dialThroughRelay(const CircuitAddr& circuit, ConnectionCallback done) {
    const PeerId relay = circuit.relay;
    const PeerId target = *circuit.target;
    const Multiaddr remoteAddr = circuit.toMultiaddr();
    // One answer, whichever comes first: the relay's, a failure, or the timeout.
    auto finished = std::make_shared<bool>(false);
    auto failWith = [this, finished, done](const std::string& why) {
        if (*finished)
            return;
        *finished = true;
        ++counters_.dialsFailed;
        done(makeError(why));
    };
    const std::string prefix = "dial " + remoteAddr.toString() + ": ";
    host_.openStream(
        relay, {circuitRelayHopProtocolId},
        [this, relay, target, remoteAddr, finished, failWith, prefix,
         done](Result<Stream*> opened) {
            if (!opened) {
                failWith(prefix + "the relay does not serve circuits (" + opened.errorMessage() +
                         ")");
                return;
            }
            QPointer<Stream> stream = opened.value();
            auto exchange = std::make_shared<HopClientExchange>(host_.peerId(), relay);
            const Bytes request = exchange->connect(target);
            auto timer = new QTimer(stream);
            timer->setSingleShot(true);
            connect(timer, &QTimer::timeout, this, [stream, failWith, prefix] {
                failWith(prefix + "the relay did not answer within " +
                         std::to_string(requestTimeout.count()) + " s");
                if (stream)
                    stream->reset();
            });
            timer->start(requestTimeout);
            auto handle = [this, stream, exchange, finished, failWith, prefix, target, remoteAddr,
                           relay, done, timer] {
                if (*finished || !stream)
                    return;
                std::optional<HopClientExchange::Outcome> outcome =
                    exchange->feed(stream->readAll());
                if (!outcome) {
                    if (stream->isReadClosed() || stream->isReset())
                        failWith(prefix + "the relay closed the stream without an answer");
                    return;
                }
                timer->stop();
                if (auto* connected = std::get_if<HopClientExchange::Connected>(&*outcome)) {
                    *finished = true;
                    disconnect(stream, nullptr, this, nullptr);
                    upgrade(stream, exchange->takeLeftover(), true, target, remoteAddr, relay,
                            connected->limit, done);
                    return;
                }
                std::string why;
                if (auto* refused = std::get_if<HopClientExchange::Refused>(&*outcome))
                    why = std::string("the relay refused: ") + relayStatusName(refused->status);
                else if (auto* failed = std::get_if<HopClientExchange::Failed>(&*outcome))
                    why = "the relay broke the protocol: " + failed->reason;
                else
                    why = "the relay answered CONNECT with a reservation";
                stream->reset();
                failWith(prefix + why);
            };
            connect(stream, &Stream::readyRead, this, handle);
            connect(stream, &Stream::remoteClosed, this, handle);
            connect(stream, &Stream::wasReset, this,
                    [failWith, prefix] { failWith(prefix + "the relay reset the stream"); });
            stream->write(ByteView(request.data(), request.size()));
        });
}

void RelayTransport::handleStop(Stream* stream) {
    Connection* carrier = stream->connection();
    if (!carrier) {
        stream->reset();
        return;
    }
    const PeerId relay = carrier->remotePeer();
    const Multiaddr relayAddr = carrier->info().remoteAddr.withoutPeerId();
    auto exchange = std::make_shared<StopServerExchange>();
    QPointer<Stream> guard(stream);
    // A silent relay does not hold the stream for ever.
    auto timer = new QTimer(stream);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, this, [guard] {
        if (guard)
            guard->reset();
    });
    timer->start(requestTimeout);
    auto handle = [this, guard, exchange, relay, relayAddr, carrier, timer] {
        if (!guard)
            return;
        Stream* s = guard.data();
        std::optional<StopServerExchange::Request> request = exchange->feed(s->readAll());
        if (!request)
            return;
        timer->stop();
        auto answer = [s](const Bytes& bytes) { s->write(ByteView(bytes.data(), bytes.size())); };
        if (auto* malformed = std::get_if<StopServerExchange::MalformedRequest>(&*request)) {
            ++counters_.inboundRefused;
            qCDebug(lcRelayTransport) << "malformed stop request:" << malformed->reason.c_str();
            answer(StopServerExchange::status(RelayStatus::MalformedMessage));
            s->closeWrite();
            s->closeRead();
            return;
        }
        if (std::holds_alternative<StopServerExchange::UnexpectedRequest>(*request)) {
            ++counters_.inboundRefused;
            answer(StopServerExchange::status(RelayStatus::UnexpectedMessage));
            s->closeWrite();
            s->closeRead();
            return;
        }
        const auto& connectRequest = std::get<StopServerExchange::ConnectRequest>(*request);
        // Only relays we chose may bring us connections, and never through another circuit.
        if (!acceptPolicy_ || !acceptPolicy_(relay) || carrier->info().relay ||
            connectRequest.initiator.id == host_.peerId()) {
            ++counters_.inboundRefused;
            answer(StopServerExchange::status(RelayStatus::PermissionDenied));
            s->closeWrite();
            s->closeRead();
            return;
        }
        answer(StopServerExchange::accept());
        disconnect(s, nullptr, this, nullptr);
        const Multiaddr remoteAddr =
            CircuitAddr{relayAddr, relay, connectRequest.initiator.id}.toMultiaddr();
        upgrade(s, exchange->takeLeftover(), false, connectRequest.initiator.id, remoteAddr, relay,
                connectRequest.limit,
                [initiator = connectRequest.initiator.id](Result<Connection*> c) {
                    if (!c)
                        qCInfo(lcRelayTransport)
                            << "relayed connection from" << initiator.toBase58().c_str()
                            << "failed:" << c.errorMessage().c_str();
                });
    };
    connect(stream, &Stream::readyRead, this, handle);
    handle();
}

void RelayTransport::upgrade(Stream* stream, Bytes early, bool initiator, const PeerId& remote,
                             const Multiaddr& remoteAddr, const PeerId& relay,
                             const std::optional<RelayLimit>& limit, ConnectionCallback done) {
    auto pipe = std::make_unique<StreamPipe>(stream);
    pipe->setEarlyBytes(toQByteArray(early));
    PipeOrigin origin;
    origin.remoteAddr = remoteAddr;
    origin.relay = relay;
    const MonoTime startedAt = host_.clock().now();
    QPointer<RelayTransport> self(this);
    host_.upgradePipe(
        std::move(pipe), initiator ? Upgrader::Role::Initiator : Upgrader::Role::Responder, remote,
        std::move(origin),
        [self, initiator, limit, startedAt, done = std::move(done)](Result<Connection*> result) {
            if (self) {
                if (result) {
                    ++(initiator ? self->counters_.dialsSucceeded
                                 : self->counters_.inboundAccepted);
                    Connection* connection = result.value();
                    const std::uint64_t id = connection->id();
                    if (limit && (limit->durationSeconds || limit->dataBytes))
                        self->limits_[id] = CircuitLimit{*limit, startedAt};
                    QObject::connect(connection, &Connection::closed, self,
                                     [self, connection](const QString& reason) {
                                         self->onClosed(connection, reason);
                                     });
                    Q_EMIT self->circuitEvent(
                        QStringLiteral("circuit_opened"), connection->remotePeer(), id,
                        QStringLiteral("%1 via %2%3")
                            .arg(initiator ? QStringLiteral("outbound") : QStringLiteral("inbound"),
                                 QString::fromStdString(connection->info().relay->toBase58()),
                                 limit ? QStringLiteral(", limit %1 s, %2 bytes each way")
                                             .arg(limit->durationSeconds.value_or(0))
                                             .arg(limit->dataBytes.value_or(0))
                                       : QString()));
                } else {
                    ++(initiator ? self->counters_.dialsFailed : self->counters_.inboundRefused);
                }
            }
            if (done)
                done(std::move(result));
        });
}

} // namespace peerscope
