#include "engine/core/keys.h"
#include "engine/protocol/autonat_v1_client.h"
#include "engine/protocol/autonat_v1_server.h"
#include "engine/protocol/autonat_v2_client.h"
#include "engine/protocol/autonat_v2_dial_back_listener.h"
#include "engine/protocol/autonat_v2_dial_back_sender.h"
#include "engine/protocol/autonat_v2_server.h"

#include <QtTest>
#include <string>

using namespace peerscope;

Q_DECLARE_METATYPE(peerscope::AutonatV1Status)
Q_DECLARE_METATYPE(peerscope::AutonatV2ResponseStatus)
Q_DECLARE_METATYPE(peerscope::AutonatV2DialStatus)

namespace {

PeerId peerFromByte(std::uint8_t fill) {
    return PeerId::fromPublicKey(PrivateKey::fromEd25519Seed(Bytes(32, fill)).value().publicKey());
}

Multiaddr addr(const char* text) {
    return Multiaddr::parse(text).value();
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Feeds bytes one at a time, as a stream may deliver them; returns the one result.
template <typename Exchange> auto feedBytewise(Exchange& exchange, const Bytes& bytes) {
    decltype(exchange.feed(ByteView())) result;
    for (std::uint8_t byte : bytes) {
        auto got = exchange.feed(ByteView(&byte, 1));
        if (got) {
            if (result)
                throw std::logic_error("two results");
            result = std::move(got);
        }
    }
    return result;
}

// Frames a v2 server would write, decoded.
std::vector<AutonatV2Message> decodeAll(const Bytes& bytes) {
    std::vector<AutonatV2Message> messages;
    std::size_t at = 0;
    while (at < bytes.size()) {
        auto frame = decodeAutonatV2Frame(ByteView(bytes).subspan(at));
        if (frame.status != AutonatFrameStatus::Message)
            throw std::logic_error("bad frame: " + frame.error);
        messages.push_back(frame.message);
        at += frame.consumed;
    }
    return messages;
}

const AutonatV2Server::CanDial dialAnything = [](const Multiaddr&) { return true; };

} // namespace

class TestAutonatExchanges final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // ---- v1 ----

    void v1ClientRequestCarriesOurIdAndAddrs() {
        const PeerId self = peerFromByte(1);
        const std::vector<Multiaddr> addrs{addr("/ip4/1.2.3.4/tcp/4001"),
                                           addr("/ip4/1.2.3.4/udp/4001/quic-v1")};
        AutonatV1Client client(self, addrs);
        const auto frame = decodeAutonatV1Frame(client.request());
        QCOMPARE(frame.status, AutonatFrameStatus::Message);
        const auto& dial = std::get<AutonatV1Dial>(frame.message);
        QCOMPARE(dial.peer, self);
        QVERIFY(dial.addrs == addrs);
    }

    void v1ClientOutcomes_data() {
        QTest::addColumn<AutonatV1Status>("status");
        QTest::newRow("OK") << AutonatV1Status::Ok;
        QTest::newRow("E_DIAL_ERROR") << AutonatV1Status::DialError;
        QTest::newRow("E_DIAL_REFUSED") << AutonatV1Status::DialRefused;
        QTest::newRow("E_BAD_REQUEST") << AutonatV1Status::BadRequest;
        QTest::newRow("E_INTERNAL_ERROR") << AutonatV1Status::InternalError;
    }
    void v1ClientOutcomes() {
        QFETCH(AutonatV1Status, status);
        AutonatV1Client client(peerFromByte(1), {addr("/ip4/1.2.3.4/tcp/4001")});
        (void)client.request();
        const std::optional<Multiaddr> reached = status == AutonatV1Status::Ok
                                                     ? std::optional(addr("/ip4/1.2.3.4/tcp/4001"))
                                                     : std::nullopt;
        const auto outcome =
            feedBytewise(client, AutonatV1Server::response(status, "text", reached));
        QVERIFY(outcome);
        const auto* answered = std::get_if<AutonatV1Client::Answered>(&*outcome);
        QVERIFY(answered);
        QCOMPARE(answered->status, status);
        QCOMPARE(answered->statusText, std::string("text"));
        QVERIFY(answered->addr == reached);
        QVERIFY(client.finished());
        QVERIFY(!client.feed(Bytes{0x00})); // nothing more after the outcome
    }

    void v1ClientFailsOnMalformedOrWrongType() {
        {
            AutonatV1Client client(peerFromByte(1), {});
            (void)client.request();
            const auto outcome = client.feed(Bytes{0x02, 0xff, 0xff});
            QVERIFY(outcome);
            const auto* failed = std::get_if<AutonatV1Client::Failed>(&*outcome);
            QVERIFY(failed);
            QVERIFY2(contains(failed->reason, "malformed protobuf"), failed->reason.c_str());
        }
        {
            AutonatV1Client client(peerFromByte(1), {});
            (void)client.request();
            const auto outcome =
                client.feed(encodeAutonatV1Frame(AutonatV1Dial{peerFromByte(2), {}, 0}));
            QVERIFY(outcome);
            const auto* failed = std::get_if<AutonatV1Client::Failed>(&*outcome);
            QVERIFY(failed);
            QVERIFY2(contains(failed->reason, "DIAL where a DIAL_RESPONSE"),
                     failed->reason.c_str());
        }
    }

    void v1ServerDialsOnlyTheObservedIp() {
        const PeerId remote = peerFromByte(1);
        AutonatV1Server server(remote, addr("/ip4/1.2.3.4/tcp/50000"));
        const Bytes request = encodeAutonatV1Frame(
            AutonatV1Dial{remote,
                          {addr("/ip4/9.9.9.9/tcp/4001"), addr("/ip4/1.2.3.4/tcp/4001"),
                           addr("/ip4/1.2.3.4/udp/4001/quic-v1"), addr("/ip4/1.2.3.4/tcp/4001"),
                           addr("/ip6/::1/tcp/4001"), addr("/dns4/example.com/tcp/4001"),
                           addr("/ip4/1.2.3.4/tcp/4001/p2p-circuit")},
                          0});
        const auto got = feedBytewise(server, request);
        QVERIFY(got);
        const auto* dial = std::get_if<AutonatV1Server::DialBack>(&*got);
        QVERIFY(dial);
        const std::vector<Multiaddr> expected{addr("/ip4/1.2.3.4/tcp/4001"),
                                              addr("/ip4/1.2.3.4/udp/4001/quic-v1")};
        QVERIFY(dial->addrs == expected);
        QVERIFY(server.finished());
    }

    void v1ServerCapsTheAddrs() {
        const PeerId remote = peerFromByte(1);
        AutonatV1Dial request{remote, {}, 0};
        for (int port = 1; port <= 40; ++port)
            request.addrs.push_back(addr(("/ip4/1.2.3.4/tcp/" + std::to_string(port)).c_str()));
        AutonatV1Server server(remote, addr("/ip4/1.2.3.4/tcp/50000"));
        const auto got = server.feed(encodeAutonatV1Frame(request));
        QVERIFY(got);
        const auto& dial = std::get<AutonatV1Server::DialBack>(*got);
        QCOMPARE(dial.addrs.size(), autonatV1MaxDialAddrs);
        QCOMPARE(dial.addrs.front(), request.addrs.front());
    }

    void v1ServerAnswers_data() {
        QTest::addColumn<Bytes>("request");
        QTest::addColumn<QString>("observed");
        QTest::addColumn<AutonatV1Status>("status");
        QTest::addColumn<QString>("reason");
        const PeerId remote = peerFromByte(1);
        const char* observed = "/ip4/1.2.3.4/tcp/50000";
        QTest::newRow("no address on the observed IP")
            << encodeAutonatV1Frame(AutonatV1Dial{remote, {addr("/ip4/9.9.9.9/tcp/1")}, 0})
            << observed << AutonatV1Status::DialRefused << "no address on the observed IP";
        QTest::newRow("relayed requester")
            << encodeAutonatV1Frame(AutonatV1Dial{remote, {addr("/ip4/1.2.3.4/tcp/1")}, 0})
            << "/ip4/5.6.7.8/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/"
               "p2p-circuit"
            << AutonatV1Status::DialRefused << "without an observable IP";
        QTest::newRow("someone else's peer id")
            << encodeAutonatV1Frame(AutonatV1Dial{peerFromByte(2), {addr("/ip4/1.2.3.4/tcp/1")}, 0})
            << observed << AutonatV1Status::BadRequest << "not the peer on the connection";
        QTest::newRow("a response instead of a dial")
            << encodeAutonatV1Frame(AutonatV1DialResponse{AutonatV1Status::Ok, "", std::nullopt})
            << observed << AutonatV1Status::BadRequest << "DIAL_RESPONSE where a DIAL";
        QTest::newRow("malformed") << Bytes{0x02, 0x08, 0x00} << observed
                                   << AutonatV1Status::BadRequest << "DIAL without dial.peer";
    }
    void v1ServerAnswers() {
        QFETCH(Bytes, request);
        QFETCH(QString, observed);
        QFETCH(AutonatV1Status, status);
        QFETCH(QString, reason);
        AutonatV1Server server(peerFromByte(1), addr(observed.toStdString().c_str()));
        const auto got = server.feed(request);
        QVERIFY(got);
        const auto* answer = std::get_if<AutonatV1Server::Answer>(&*got);
        QVERIFY(answer);
        QCOMPARE(answer->status, status);
        QVERIFY2(contains(answer->reason, reason.toStdString()), answer->reason.c_str());
        // The answer is a well-formed response the client understands.
        AutonatV1Client client(peerFromByte(1), {});
        (void)client.request();
        const auto outcome = client.feed(answer->response);
        QVERIFY(outcome);
        QCOMPARE(std::get<AutonatV1Client::Answered>(*outcome).status, status);
    }

    // ---- v2 client ----

    void v2ClientRequest() {
        const std::vector<Multiaddr> addrs{addr("/ip4/1.2.3.4/tcp/4001"),
                                           addr("/ip4/1.2.3.4/udp/4001/quic-v1")};
        AutonatV2Client client(addrs, 0x1122334455667788);
        const auto messages = decodeAll(client.request());
        QCOMPARE(messages.size(), std::size_t(1));
        const auto& request = std::get<AutonatV2DialRequest>(messages.front());
        QCOMPARE(request.nonce, std::uint64_t(0x1122334455667788));
        QCOMPARE(request.addrs.size(), std::size_t(2));
        QCOMPARE(request.addrs[0], addrs[0].toBytes()); // priority order kept
        QCOMPARE(request.addrs[1], addrs[1].toBytes());
        QVERIFY(AutonatV2Client::randomNonce() != AutonatV2Client::randomNonce());
    }

    void v2ClientNonceCheck() {
        AutonatV2Client client({addr("/ip4/1.2.3.4/tcp/4001")}, 77);
        (void)client.request();
        QVERIFY(!client.dialBackReceived(78)); // another request's nonce: discarded
        QVERIFY(!client.dialBackVerified());
        const auto unverified = client.feed(encodeAutonatV2Frame(
            AutonatV2DialResponse{AutonatV2ResponseStatus::Ok, 0, AutonatV2DialStatus::Ok}));
        QVERIFY(unverified);
        const auto* failed = std::get_if<AutonatV2Client::Failed>(&*unverified);
        QVERIFY(failed);
        QVERIFY2(contains(failed->reason, "no dial-back carried our nonce"),
                 failed->reason.c_str());

        AutonatV2Client verified({addr("/ip4/1.2.3.4/tcp/4001")}, 77);
        (void)verified.request();
        QVERIFY(verified.dialBackReceived(77));
        const auto outcome = verified.feed(encodeAutonatV2Frame(
            AutonatV2DialResponse{AutonatV2ResponseStatus::Ok, 0, AutonatV2DialStatus::Ok}));
        QVERIFY(outcome);
        const auto& tested = std::get<AutonatV2Client::Tested>(*outcome);
        QCOMPARE(tested.dialStatus, AutonatV2DialStatus::Ok);
        QCOMPARE(tested.addr, addr("/ip4/1.2.3.4/tcp/4001"));
    }

    void v2ClientOutcomes_data() {
        QTest::addColumn<AutonatV2ResponseStatus>("status");
        QTest::addColumn<AutonatV2DialStatus>("dialStatus");
        QTest::addColumn<int>("kind"); // 0 Tested, 1 Refused, 2 Failed
        QTest::newRow("E_INTERNAL_ERROR")
            << AutonatV2ResponseStatus::InternalError << AutonatV2DialStatus::Unused << 1;
        QTest::newRow("E_REQUEST_REJECTED")
            << AutonatV2ResponseStatus::RequestRejected << AutonatV2DialStatus::Unused << 1;
        QTest::newRow("E_DIAL_REFUSED")
            << AutonatV2ResponseStatus::DialRefused << AutonatV2DialStatus::Unused << 1;
        QTest::newRow("OK/E_DIAL_ERROR")
            << AutonatV2ResponseStatus::Ok << AutonatV2DialStatus::DialError << 0;
        QTest::newRow("OK/E_DIAL_BACK_ERROR")
            << AutonatV2ResponseStatus::Ok << AutonatV2DialStatus::DialBackError << 0;
        QTest::newRow("OK/UNUSED")
            << AutonatV2ResponseStatus::Ok << AutonatV2DialStatus::Unused << 2;
    }
    void v2ClientOutcomes() {
        QFETCH(AutonatV2ResponseStatus, status);
        QFETCH(AutonatV2DialStatus, dialStatus);
        QFETCH(int, kind);
        AutonatV2Client client({addr("/ip4/1.2.3.4/tcp/1"), addr("/ip4/1.2.3.4/tcp/2")}, 5);
        (void)client.request();
        const auto outcome = feedBytewise(
            client, encodeAutonatV2Frame(AutonatV2DialResponse{status, 1, dialStatus}));
        QVERIFY(outcome);
        QCOMPARE(int(outcome->index()), kind);
        if (kind == 0) {
            const auto& tested = std::get<AutonatV2Client::Tested>(*outcome);
            QCOMPARE(tested.addrIdx, std::size_t(1));
            QCOMPARE(tested.addr, addr("/ip4/1.2.3.4/tcp/2"));
            QCOMPARE(tested.dialStatus, dialStatus);
        } else if (kind == 1) {
            QCOMPARE(std::get<AutonatV2Client::Refused>(*outcome).status, status);
        }
    }

    void v2ClientProtocolBreaks_data() {
        QTest::addColumn<Bytes>("stream");
        QTest::addColumn<QString>("reason");
        QTest::newRow("addrIdx past the list")
            << encodeAutonatV2Frame(AutonatV2DialResponse{AutonatV2ResponseStatus::Ok, 2,
                                                          AutonatV2DialStatus::DialError})
            << "dialResponse.addrIdx 2 is past our 2 addresses";
        QTest::newRow("dial data for an address past the list")
            << encodeAutonatV2Frame(AutonatV2DialDataRequest{5, 30'000})
            << "dialDataRequest.addrIdx 5";
        QTest::newRow("too much dial data")
            << encodeAutonatV2Frame(AutonatV2DialDataRequest{0, autonatV2MaxDialDataBytes + 1})
            << "more than the 100000 we send";
        Bytes twice = encodeAutonatV2Frame(AutonatV2DialDataRequest{0, 10});
        append(twice, encodeAutonatV2Frame(AutonatV2DialDataRequest{0, 10}));
        QTest::newRow("second dial data request") << twice << "a second dialDataRequest";
        Bytes otherAddr = encodeAutonatV2Frame(AutonatV2DialDataRequest{0, 10});
        append(otherAddr, encodeAutonatV2Frame(AutonatV2DialResponse{
                              AutonatV2ResponseStatus::Ok, 1, AutonatV2DialStatus::DialError}));
        QTest::newRow("response for another address than paid for")
            << otherAddr << "is not the address 0 the dial data paid for";
        QTest::newRow("a request from the server")
            << encodeAutonatV2Frame(AutonatV2DialRequest{{Bytes{1}}, 1}) << "dialRequest from";
        QTest::newRow("malformed") << Bytes{0x01, 0xff} << "autonat v2 message: ";
    }
    void v2ClientProtocolBreaks() {
        QFETCH(Bytes, stream);
        QFETCH(QString, reason);
        AutonatV2Client client({addr("/ip4/1.2.3.4/tcp/1"), addr("/ip4/1.2.3.4/tcp/2")}, 5);
        (void)client.request();
        const auto outcome = feedBytewise(client, stream);
        QVERIFY(outcome);
        const auto* failed = std::get_if<AutonatV2Client::Failed>(&*outcome);
        QVERIFY(failed);
        QVERIFY2(contains(failed->reason, reason.toStdString()), failed->reason.c_str());
    }

    void v2ClientPaysDialDataInChunks() {
        AutonatV2Client client({addr("/ip4/1.2.3.4/tcp/1"), addr("/ip4/5.6.7.8/tcp/2")}, 5);
        (void)client.request();
        QVERIFY(!client.feed(encodeAutonatV2Frame(AutonatV2DialDataRequest{1, 10'000})));
        const auto messages = decodeAll(client.takeOutput());
        QCOMPARE(messages.size(), std::size_t(3)); // 4096 + 4096 + 1808
        std::size_t total = 0;
        for (const AutonatV2Message& message : messages) {
            const auto& data = std::get<AutonatV2DialDataResponse>(message);
            QVERIFY(data.data.size() <= autonatV2MaxDialDataChunk);
            total += data.data.size();
        }
        QCOMPARE(total, std::size_t(10'000));
        QCOMPARE(client.dialDataSent(), std::uint64_t(10'000));
        QVERIFY(client.takeOutput().empty());
        const auto outcome = client.feed(encodeAutonatV2Frame(
            AutonatV2DialResponse{AutonatV2ResponseStatus::Ok, 1, AutonatV2DialStatus::DialError}));
        QVERIFY(outcome);
        QCOMPARE(std::get<AutonatV2Client::Tested>(*outcome).addrIdx, std::size_t(1));
    }

    // ---- dial-back ----

    void dialBackListener() {
        AutonatV2DialBackListener listener;
        const auto outcome = feedBytewise(listener, encodeAutonatV2Frame(AutonatV2DialBack{9}));
        QVERIFY(outcome);
        const auto& received = std::get<AutonatV2DialBackListener::Received>(*outcome);
        QCOMPARE(received.nonce, std::uint64_t(9));
        QCOMPARE(decodeAutonatV2DialBackResponseFrame(received.response).status,
                 AutonatFrameStatus::Message);
        QVERIFY(listener.finished());

        AutonatV2DialBackListener broken;
        const auto failed = broken.feed(Bytes{0x03, 0x09, 0x01, 0x02});
        QVERIFY(failed);
        QVERIFY(std::holds_alternative<AutonatV2DialBackListener::Failed>(*failed));
    }

    void dialBackSender() {
        AutonatV2DialBackSender sender(9);
        const auto sent = decodeAutonatV2DialBackFrame(sender.request());
        QCOMPARE(sent.status, AutonatFrameStatus::Message);
        QCOMPARE(sent.message.nonce, std::uint64_t(9));
        const auto ok = feedBytewise(sender, encodeAutonatV2Frame(AutonatV2DialBackResponse{}));
        QCOMPARE(ok, std::optional(AutonatV2DialStatus::Ok));
        QVERIFY(sender.finished());
        QVERIFY(sender.error().empty());

        // DialBackResponse{status 3}: not OK, so the dial-back did not get through.
        AutonatV2DialBackSender refused(9);
        QCOMPARE(refused.feed(Bytes{0x02, 0x08, 0x03}),
                 std::optional(AutonatV2DialStatus::DialBackError));
        QVERIFY2(contains(refused.error(), "status 3"), refused.error().c_str());
    }

    // ---- v2 server ----

    void v2ServerPicksTheFirstDialableAddress() {
        const auto canDial = [](const Multiaddr& a) {
            return a.components().size() > 1 &&
                   a.components()[1].protocol == MultiaddrProtocol::Tcp;
        };
        AutonatV2Server server(addr("/ip4/1.2.3.4/tcp/50000"), canDial);
        const Bytes request = encodeAutonatV2Frame(AutonatV2DialRequest{
            {Bytes{0xff, 0xff}, addr("/ip4/1.2.3.4/udp/1/quic-v1").toBytes(),
             addr("/dns4/example.com/tcp/1").toBytes(),
             addr("/ip4/1.2.3.4/tcp/1/p2p-circuit").toBytes(), addr("/ip4/1.2.3.4/tcp/1").toBytes(),
             addr("/ip4/1.2.3.4/tcp/2").toBytes()},
            31});
        const auto step = feedBytewise(server, request);
        QVERIFY(step);
        const auto& dial = std::get<AutonatV2Server::Dial>(*step);
        QCOMPARE(dial.addrIdx, std::uint32_t(4)); // the index in the request, undecodable ones too
        QCOMPARE(dial.addr, addr("/ip4/1.2.3.4/tcp/1"));
        QCOMPARE(dial.nonce, std::uint64_t(31));
        QVERIFY(server.takeOutput().empty()); // same IP: no dial data
        const auto response = decodeAll(server.respond(AutonatV2DialStatus::Ok));
        QVERIFY(response.front() == AutonatV2Message(AutonatV2DialResponse{
                                        AutonatV2ResponseStatus::Ok, 4, AutonatV2DialStatus::Ok}));
    }

    void v2ServerAsksDialDataForAnotherIp() {
        AutonatV2Server server(addr("/ip4/1.2.3.4/tcp/50000"), dialAnything, 40'000);
        QVERIFY(!server.feed(
            encodeAutonatV2Frame(AutonatV2DialRequest{{addr("/ip4/5.6.7.8/tcp/1").toBytes()}, 8})));
        const auto asked = decodeAll(server.takeOutput());
        QCOMPARE(asked.size(), std::size_t(1));
        QVERIFY(asked.front() == AutonatV2Message(AutonatV2DialDataRequest{0, 40'000}));

        // 9 full chunks = 36864 bytes: not yet.
        for (int i = 0; i < 9; ++i)
            QVERIFY(!server.feed(encodeAutonatV2Frame(
                AutonatV2DialDataResponse{Bytes(autonatV2MaxDialDataChunk, 0)})));
        QCOMPARE(server.dialDataReceived(), std::uint64_t(9 * autonatV2MaxDialDataChunk));
        // The last chunk overshoots; the spec asks servers to accept that.
        const auto step = server.feed(
            encodeAutonatV2Frame(AutonatV2DialDataResponse{Bytes(autonatV2MaxDialDataChunk, 0)}));
        QVERIFY(step);
        const auto& dial = std::get<AutonatV2Server::Dial>(*step);
        QCOMPARE(dial.addr, addr("/ip4/5.6.7.8/tcp/1"));
        QCOMPARE(server.dialDataReceived(), std::uint64_t(10 * autonatV2MaxDialDataChunk));
        QVERIFY(!server.feed(Bytes{0x00})); // nothing after the step
    }

    void v2ServerClampsTheDialData() {
        AutonatV2Server little(addr("/ip4/1.2.3.4/tcp/50000"), dialAnything, 10);
        (void)little.feed(
            encodeAutonatV2Frame(AutonatV2DialRequest{{addr("/ip4/5.6.7.8/tcp/1").toBytes()}, 8}));
        QVERIFY(decodeAll(little.takeOutput()).front() ==
                AutonatV2Message(AutonatV2DialDataRequest{0, autonatV2MinDialDataBytes}));
        AutonatV2Server much(addr("/ip4/1.2.3.4/tcp/50000"), dialAnything, 1'000'000);
        (void)much.feed(
            encodeAutonatV2Frame(AutonatV2DialRequest{{addr("/ip4/5.6.7.8/tcp/1").toBytes()}, 8}));
        QVERIFY(decodeAll(much.takeOutput()).front() ==
                AutonatV2Message(AutonatV2DialDataRequest{0, autonatV2MaxAskedDialDataBytes}));
    }

    void v2ServerLooksOnlyAtTheFirstAddrs() {
        AutonatV2DialRequest request{{}, 1};
        for (std::size_t i = 0; i < autonatV2MaxRequestAddrs; ++i)
            request.addrs.push_back(addr("/dns4/example.com/tcp/1").toBytes());
        request.addrs.push_back(addr("/ip4/1.2.3.4/tcp/1").toBytes());
        AutonatV2Server server(addr("/ip4/1.2.3.4/tcp/50000"), dialAnything);
        const auto step = server.feed(encodeAutonatV2Frame(request));
        QVERIFY(step);
        const auto& answer = std::get<AutonatV2Server::Answer>(*step);
        QCOMPARE(answer.status, AutonatV2ResponseStatus::DialRefused);
        QVERIFY2(contains(answer.reason, "none of the first 50"), answer.reason.c_str());
    }

    void v2ServerRefusals_data() {
        QTest::addColumn<QString>("observed");
        QTest::addColumn<AutonatV2ResponseStatus>("status");
        QTest::newRow("nothing dialable")
            << "/ip4/1.2.3.4/tcp/50000" << AutonatV2ResponseStatus::DialRefused;
        QTest::newRow("relayed requester")
            << "/ip4/5.6.7.8/tcp/4001/p2p/12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN/"
               "p2p-circuit"
            << AutonatV2ResponseStatus::RequestRejected;
    }
    void v2ServerRefusals() {
        QFETCH(QString, observed);
        QFETCH(AutonatV2ResponseStatus, status);
        AutonatV2Server server(addr(observed.toStdString().c_str()),
                               [](const Multiaddr&) { return false; });
        const auto step = server.feed(
            encodeAutonatV2Frame(AutonatV2DialRequest{{addr("/ip4/1.2.3.4/tcp/1").toBytes()}, 8}));
        QVERIFY(step);
        const auto& answer = std::get<AutonatV2Server::Answer>(*step);
        QCOMPARE(answer.status, status);
        QVERIFY(decodeAll(answer.response).front() ==
                AutonatV2Message(AutonatV2DialResponse{status, 0, AutonatV2DialStatus::Unused}));
        QVERIFY(
            decodeAll(AutonatV2Server::answer(AutonatV2ResponseStatus::RequestRejected)).front() ==
            AutonatV2Message(AutonatV2DialResponse{AutonatV2ResponseStatus::RequestRejected, 0,
                                                   AutonatV2DialStatus::Unused}));
    }

    void v2ServerProtocolBreaks_data() {
        QTest::addColumn<Bytes>("stream");
        QTest::addColumn<QString>("reason");
        QTest::newRow("data before the request")
            << encodeAutonatV2Frame(AutonatV2DialDataResponse{Bytes(10, 0)})
            << "expected a dialRequest first";
        Bytes requestTwice =
            encodeAutonatV2Frame(AutonatV2DialRequest{{addr("/ip4/5.6.7.8/tcp/1").toBytes()}, 8});
        append(requestTwice, requestTwice);
        QTest::newRow("a request where dial data belongs")
            << requestTwice << "expected a dialDataResponse";
        Bytes bigChunk =
            encodeAutonatV2Frame(AutonatV2DialRequest{{addr("/ip4/5.6.7.8/tcp/1").toBytes()}, 8});
        append(bigChunk, Bytes{0x8a, 0x20, 0x22, 0x87, 0x20, 0x0a, 0x84, 0x20}); // 4100 data...
        append(bigChunk, Bytes(4100, 0));
        QTest::newRow("oversized data chunk") << bigChunk << "dialDataResponse.data of 4100";
        QTest::newRow("malformed") << Bytes{0x01, 0xff} << "malformed protobuf";
    }
    void v2ServerProtocolBreaks() {
        QFETCH(Bytes, stream);
        QFETCH(QString, reason);
        AutonatV2Server server(addr("/ip4/1.2.3.4/tcp/50000"), dialAnything);
        const auto step = feedBytewise(server, stream);
        QVERIFY(step);
        const auto* failed = std::get_if<AutonatV2Server::Failed>(&*step);
        QVERIFY(failed);
        QVERIFY2(contains(failed->reason, reason.toStdString()), failed->reason.c_str());
    }

    // ---- client and server together ----

    void v2ClientAndServerWithDialData() {
        const std::vector<Multiaddr> addrs{addr("/ip4/5.6.7.8/tcp/4001")};
        AutonatV2Client client(addrs, AutonatV2Client::randomNonce());
        AutonatV2Server server(addr("/ip4/1.2.3.4/tcp/50000"), dialAnything, 30'000);
        QVERIFY(!server.feed(client.request()));
        QVERIFY(!client.feed(server.takeOutput()));
        const auto step = server.feed(client.takeOutput());
        QVERIFY(step);
        const auto& dial = std::get<AutonatV2Server::Dial>(*step);
        QCOMPARE(dial.addr, addrs.front());
        QCOMPARE(server.dialDataReceived(), std::uint64_t(30'000));
        QCOMPARE(client.dialDataSent(), std::uint64_t(30'000));

        // The dial-back: sender (server) -> listener -> client, and the OK back.
        AutonatV2DialBackSender sender(dial.nonce);
        AutonatV2DialBackListener listener;
        const auto received = listener.feed(sender.request());
        QVERIFY(received);
        const auto& dialBack = std::get<AutonatV2DialBackListener::Received>(*received);
        QVERIFY(client.dialBackReceived(dialBack.nonce));
        const auto dialStatus = sender.feed(dialBack.response);
        QCOMPARE(dialStatus, std::optional(AutonatV2DialStatus::Ok));

        const auto outcome = client.feed(server.respond(*dialStatus));
        QVERIFY(outcome);
        const auto& tested = std::get<AutonatV2Client::Tested>(*outcome);
        QCOMPARE(tested.dialStatus, AutonatV2DialStatus::Ok);
        QCOMPARE(tested.addr, addrs.front());
    }
};

QTEST_GUILESS_MAIN(TestAutonatExchanges)
#include "tst_autonat_exchanges.moc"
