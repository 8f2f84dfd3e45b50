// The Noise XX core: a full handshake between two cores, the wire layout, muxer negotiation,
// tampering and truncation, the transport's framing and nonces.
#include "engine/core/keys.h"
#include "engine/core/peer_id.h"
#include "engine/protocol/ephemeral_key_pool.h"
#include "engine/protocol/noise_handshake.h"
#include "engine/protocol/noise_static_key.h"
#include "engine/protocol/noise_transport.h"
#include "engine/protocol/openssl_chacha20_poly1305.h"
#include "engine/protocol/verified_signature_cache.h"

#include <QTest>
#include <algorithm>
#include <array>
#include <memory>

using namespace peerscope;

namespace {

struct Pair {
    PrivateKey initiatorKey = PrivateKey::generateEd25519();
    PrivateKey responderKey = PrivateKey::generateEd25519();
    std::unique_ptr<NoiseHandshake> initiator;
    std::unique_ptr<NoiseHandshake> responder;

    Pair(std::vector<std::string> initiatorMuxers = {"/yamux/1.0.0"},
         std::vector<std::string> responderMuxers = {"/yamux/1.0.0"},
         std::optional<PeerId> expected = std::nullopt) {
        NoiseHandshake::Options i;
        i.role = NoiseHandshake::Role::Initiator;
        i.muxers = std::move(initiatorMuxers);
        i.expectedRemote = expected;
        NoiseHandshake::Options r;
        r.role = NoiseHandshake::Role::Responder;
        r.muxers = std::move(responderMuxers);
        initiator = std::make_unique<NoiseHandshake>(initiatorKey, i);
        responder = std::make_unique<NoiseHandshake>(responderKey, r);
    }

    // Shuttles messages until neither side has output; `tamper` may edit message n (1..3).
    void run(const std::function<void(int, Bytes&)>& tamper = {}) {
        initiator->start();
        responder->start();
        for (int message = 1; message <= 3; ++message) {
            NoiseHandshake& from = message == 2 ? *responder : *initiator;
            NoiseHandshake& to = message == 2 ? *initiator : *responder;
            Bytes bytes = from.takeOutput();
            if (bytes.empty())
                return;
            if (tamper)
                tamper(message, bytes);
            to.feed(bytes);
        }
    }
};

Bytes pattern(std::size_t size) {
    Bytes out(size);
    for (std::size_t i = 0; i < size; ++i)
        out[i] = static_cast<std::uint8_t>(i * 31 + 7);
    return out;
}

} // namespace

class TestNoise final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void protocolNameIsExactlyHashLength() {
        // Noise: a name of at most 32 bytes is used as h directly, padded; ours is exactly 32.
        QCOMPARE(std::string("Noise_XX_25519_ChaChaPoly_SHA256").size(), std::size_t(32));
    }

    void nonceIsFourZerosThenTheCounterLittleEndian() {
        const std::array<std::uint8_t, 12> expected = {0,    0,    0,    0,    0x08, 0x07,
                                                       0x06, 0x05, 0x04, 0x03, 0x02, 0x01};
        QVERIFY(NoiseTransport::nonceBytes(0x0102030405060708) == expected);
        QVERIFY(NoiseTransport::nonceBytes(0) == (std::array<std::uint8_t, 12>{}));
        const auto last = NoiseTransport::nonceBytes(~std::uint64_t(0));
        QVERIFY(std::all_of(last.begin(), last.begin() + 4, [](auto b) { return b == 0; }));
        QVERIFY(std::all_of(last.begin() + 4, last.end(), [](auto b) { return b == 0xff; }));
    }

    void fullHandshakeBetweenTwoCores() {
        Pair pair;
        pair.run();
        QCOMPARE(pair.initiator->state(), NoiseHandshake::State::Complete);
        QCOMPARE(pair.responder->state(), NoiseHandshake::State::Complete);
        QCOMPARE(pair.initiator->remotePeer(),
                 PeerId::fromPublicKey(pair.responderKey.publicKey()));
        QCOMPARE(pair.responder->remotePeer(),
                 PeerId::fromPublicKey(pair.initiatorKey.publicKey()));
        QCOMPARE(pair.initiator->remoteIdentityKey(), pair.responderKey.publicKey());
        QCOMPARE(pair.initiator->negotiatedMuxer(), std::string("/yamux/1.0.0"));
        QCOMPARE(pair.responder->negotiatedMuxer(), std::string("/yamux/1.0.0"));
    }

    void sharedStaticKeyAcrossHandshakes() {
        // A node reuses one signed static key; each handshake still completes and proves it.
        const PrivateKey nodeKey = PrivateKey::generateEd25519();
        const auto staticKey = NoiseStaticKey::create(nodeKey);
        Bytes firstStatic;
        for (int round = 0; round < 2; ++round) {
            const PrivateKey dialler = PrivateKey::generateEd25519();
            NoiseHandshake initiator(dialler,
                                     {NoiseHandshake::Role::Initiator, {}, {}, {}, {}, {}});
            NoiseHandshake responder(nodeKey,
                                     {NoiseHandshake::Role::Responder, {}, {}, staticKey, {}, {}});
            initiator.start();
            responder.feed(initiator.takeOutput());
            Bytes second = responder.takeOutput();
            initiator.feed(second);
            responder.feed(initiator.takeOutput());
            QCOMPARE(initiator.state(), NoiseHandshake::State::Complete);
            QCOMPARE(responder.state(), NoiseHandshake::State::Complete);
            QCOMPARE(initiator.remotePeer(), PeerId::fromPublicKey(nodeKey.publicKey()));
            // Message 2 carries e (fresh each time) then the encrypted static key.
            Bytes ephemeral(second.begin() + 2, second.begin() + 34);
            if (round == 0)
                firstStatic = ephemeral;
            else
                QVERIFY(ephemeral != firstStatic);
        }
        QCOMPARE(staticKey->signature().size(), std::size_t(64));
    }

    void staticKeySignedByAnotherIdentityIsRefused() {
        const PrivateKey nodeKey = PrivateKey::generateEd25519();
        const auto foreign = NoiseStaticKey::create(PrivateKey::generateEd25519());
        const PrivateKey dialler = PrivateKey::generateEd25519(); // outlives the handshake
        NoiseHandshake initiator(dialler, {NoiseHandshake::Role::Initiator, {}, {}, {}, {}, {}});
        NoiseHandshake responder(nodeKey,
                                 {NoiseHandshake::Role::Responder, {}, {}, foreign, {}, {}});
        initiator.start();
        responder.feed(initiator.takeOutput());
        initiator.feed(responder.takeOutput());
        QCOMPARE(initiator.state(), NoiseHandshake::State::Failed);
        QCOMPARE(initiator.error(),
                 std::string("noise: identity signature does not match the static key"));
    }

    void verifiedSignaturesAreRememberedNeverTrustedBlindly() {
        const PrivateKey nodeKey = PrivateKey::generateEd25519();
        const auto staticKey = NoiseStaticKey::create(nodeKey);
        const PrivateKey dialler = PrivateKey::generateEd25519();
        auto cache = std::make_shared<VerifiedSignatureCache>();
        auto handshake = [&](std::shared_ptr<const NoiseStaticKey> responderStatic) {
            NoiseHandshake::Options i{NoiseHandshake::Role::Initiator, {}, {}, {}, cache, {}};
            NoiseHandshake initiator(dialler, i);
            NoiseHandshake responder(
                nodeKey, {NoiseHandshake::Role::Responder, {}, {}, responderStatic, {}, {}});
            initiator.start();
            responder.feed(initiator.takeOutput());
            initiator.feed(responder.takeOutput());
            responder.feed(initiator.takeOutput());
            return initiator.state();
        };
        QCOMPARE(handshake(staticKey), NoiseHandshake::State::Complete);
        QCOMPARE(cache->size(), std::size_t(1));
        QCOMPARE(handshake(staticKey), NoiseHandshake::State::Complete); // a hit
        QCOMPARE(cache->size(), std::size_t(1));
        // The same identity with a static key it never signed: not in the cache, so verified,
        // and refused.
        QCOMPARE(handshake(NoiseStaticKey::create(PrivateKey::generateEd25519())),
                 NoiseHandshake::State::Failed);
        QCOMPARE(cache->size(), std::size_t(1));
    }

    void ephemeralKeysMadeAheadAreEachUsedOnce() {
        EphemeralKeyPool pool;
        QVERIFY(!pool.hasSpare());
        const X25519Key::Bytes32 made = pool.take().publicKey(); // none ready: made on demand
        pool.refill();
        QVERIFY(pool.hasSpare());
        pool.refill(); // already there: nothing more
        const X25519Key::Bytes32 spare = pool.take().publicKey();
        QVERIFY(!pool.hasSpare());
        QVERIFY(spare != made);

        // Handshakes drawing from one pool complete and never share an ephemeral key.
        auto keys = std::make_shared<EphemeralKeyPool>();
        const PrivateKey a = PrivateKey::generateEd25519(), b = PrivateKey::generateEd25519();
        std::vector<Bytes> firstMessages;
        for (int round = 0; round < 3; ++round) {
            keys->refill();
            NoiseHandshake initiator(a, {NoiseHandshake::Role::Initiator, {}, {}, {}, {}, keys});
            NoiseHandshake responder(b, {NoiseHandshake::Role::Responder, {}, {}, {}, {}, keys});
            initiator.start();
            Bytes first = initiator.takeOutput();
            firstMessages.push_back(first);
            responder.feed(first);
            initiator.feed(responder.takeOutput());
            responder.feed(initiator.takeOutput());
            QCOMPARE(initiator.state(), NoiseHandshake::State::Complete);
            QCOMPARE(responder.state(), NoiseHandshake::State::Complete);
        }
        QVERIFY(firstMessages[0] != firstMessages[1]);
        QVERIFY(firstMessages[1] != firstMessages[2]);
    }

    void verifiedSignatureCacheEvictsTheOldest() {
        VerifiedSignatureCache cache(2);
        const Bytes a{1}, b{2}, c{3}, key{9}, sig{7};
        cache.insert(key, a, sig);
        cache.insert(key, b, sig);
        cache.insert(key, a, sig); // already there: no reordering, no growth
        QCOMPARE(cache.size(), std::size_t(2));
        cache.insert(key, c, sig);
        QCOMPARE(cache.size(), std::size_t(2));
        QVERIFY(!cache.contains(key, a, sig));
        QVERIFY(cache.contains(key, b, sig));
        QVERIFY(cache.contains(key, c, sig));
        // Parts are length-prefixed: moving a byte between parts is a different entry.
        QVERIFY(!cache.contains(Bytes{9, 3}, Bytes{}, sig));
    }

    void messageLayoutOnTheWire() {
        Pair pair;
        pair.initiator->start();
        Bytes first = pair.initiator->takeOutput();
        // 2-byte big-endian length, then the 32-byte ephemeral key and an empty payload.
        QCOMPARE(first.size(), std::size_t(2 + 32));
        QCOMPARE(first[0], std::uint8_t(0));
        QCOMPARE(first[1], std::uint8_t(32));
        pair.responder->feed(first);
        Bytes second = pair.responder->takeOutput();
        const std::size_t length = std::size_t(second[0]) << 8 | second[1];
        QCOMPARE(second.size(), 2 + length);
        // e (32) + encrypted s (32 + 16) + encrypted payload (at least the 16-byte tag).
        QVERIFY(length > 32 + 48 + 16);
    }

    void muxerNegotiation_data() {
        using List = std::vector<std::string>;
        QTest::addColumn<List>("initiator");
        QTest::addColumn<List>("responder");
        QTest::addColumn<QString>("expected");
        QTest::newRow("both yamux")
            << List{"/yamux/1.0.0"} << List{"/yamux/1.0.0"} << "/yamux/1.0.0";
        QTest::newRow("initiator order") << List{"/mplex/6.7.0", "/yamux/1.0.0"}
                                         << List{"/yamux/1.0.0", "/mplex/6.7.0"} << "/mplex/6.7.0";
        QTest::newRow("initiator offers none") << List{} << List{"/yamux/1.0.0"} << "";
        QTest::newRow("responder offers none") << List{"/yamux/1.0.0"} << List{} << "";
        QTest::newRow("no overlap") << List{"/mplex/6.7.0"} << List{"/yamux/1.0.0"} << "";
    }

    void muxerNegotiation() {
        using List = std::vector<std::string>;
        QFETCH(List, initiator);
        QFETCH(List, responder);
        QFETCH(QString, expected);
        Pair pair(initiator, responder);
        pair.run();
        QCOMPARE(pair.initiator->state(), NoiseHandshake::State::Complete);
        QCOMPARE(QString::fromStdString(pair.initiator->negotiatedMuxer()), expected);
        QCOMPARE(QString::fromStdString(pair.responder->negotiatedMuxer()), expected);
    }

    void transportsInteroperate_data() {
        QTest::addColumn<int>("size");
        QTest::addColumn<int>("chunk");
        for (int size : {0, 1, 44, 1000, 65519, 65520, 1 << 20})
            for (int chunk : {1, 7, 4096, 1 << 24})
                if (!(size >= 65519 && chunk == 1))
                    QTest::addRow("%d bytes in %d-byte feeds", size, chunk) << size << chunk;
    }

    void transportsInteroperate() {
        QFETCH(int, size);
        QFETCH(int, chunk);
        Pair pair;
        pair.run();
        auto sender = pair.initiator->takeTransport();
        auto receiver = pair.responder->takeTransport();
        const Bytes plaintext = pattern(std::size_t(size));
        Bytes wire;
        sender->encrypt(plaintext, wire);
        QCOMPARE(wire.size(), NoiseTransport::wireSize(plaintext.size()));
        Bytes received;
        for (std::size_t offset = 0; offset < wire.size(); offset += std::size_t(chunk)) {
            const std::size_t n = std::min(std::size_t(chunk), wire.size() - offset);
            QVERIFY(receiver->decrypt(ByteView(wire.data() + offset, n), received).ok());
        }
        QCOMPARE(received, plaintext);
        // And the other direction, with the other pair of keys.
        Bytes back;
        receiver->encrypt(plaintext, back);
        Bytes echoed;
        QVERIFY(sender->decrypt(back, echoed).ok());
        QCOMPARE(echoed, plaintext);
    }

    void largestFrameHasLengthFFFF() {
        Pair pair;
        pair.run();
        Bytes wire;
        pair.initiator->takeTransport()->encrypt(pattern(NoiseTransport::maxPlaintext), wire);
        QCOMPARE(wire[0], std::uint8_t(0xff));
        QCOMPARE(wire[1], std::uint8_t(0xff));
        QCOMPARE(wire.size(), std::size_t(2 + 65535));
    }

    void framesAreChaCha20Poly1305UnderTheNoiseNonce_data() {
        QTest::addColumn<int>("size");
        for (int size : {1, 6, 44, 1000, 4096, 65519})
            QTest::addRow("%d bytes", size) << size;
    }

    void framesAreChaCha20Poly1305UnderTheNoiseNonce() {
        // Frame n is ChaCha20-Poly1305 with nonce = 4 zero bytes + n as 64-bit little endian,
        // no associated data. The cipher itself is held to RFC 8439 in
        // tst_openssl_chacha20_poly1305.
        QFETCH(int, size);
        const Bytes key(32, 0x42);
        OpenSslChaCha20Poly1305 cipher(key.data());
        NoiseTransport transport(key, key);
        Bytes wire;
        transport.encrypt(toBytes("first"), wire);
        wire.clear();
        const Bytes plaintext = pattern(std::size_t(size));
        transport.encrypt(plaintext, wire); // frame 1
        const OpenSslChaCha20Poly1305::Nonce nonce1 = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
        QCOMPARE(NoiseTransport::nonceBytes(1), nonce1);
        const std::size_t bodyLength = wire.size() - 2 - 16;
        QCOMPARE(bodyLength, plaintext.size());
        Bytes plain(bodyLength);
        QVERIFY(cipher.open(nonce1, {}, ByteView(wire.data() + 2, bodyLength),
                            wire.data() + 2 + bodyLength, plain.data()));
        QCOMPARE(plain, plaintext);

        // Frames 0 and 1 sealed directly open in a fresh transport, and a flipped bit does not.
        Bytes sealed;
        for (const std::uint8_t counter : {0, 1}) {
            const OpenSslChaCha20Poly1305::Nonce nonce = {0, 0, 0, 0, counter, 0, 0, 0, 0, 0, 0, 0};
            Bytes frame(2 + plaintext.size() + 16);
            frame[0] = std::uint8_t((plaintext.size() + 16) >> 8);
            frame[1] = std::uint8_t((plaintext.size() + 16) & 0xff);
            cipher.seal(nonce, {}, plaintext, frame.data() + 2,
                        frame.data() + 2 + plaintext.size());
            append(sealed, frame);
        }
        NoiseTransport reader(key, key);
        Bytes received;
        QVERIFY(reader.decrypt(sealed, received).ok());
        Bytes twice = plaintext;
        append(twice, plaintext);
        QCOMPARE(received, twice);
        sealed[2 + plaintext.size() / 2] ^= 0x04;
        NoiseTransport strict(key, key);
        Bytes refused;
        QVERIFY(!strict.decrypt(sealed, refused).ok());
        QVERIFY(refused.empty());
    }

    void tamperedMessagesFail_data() {
        QTest::addColumn<int>("message");
        QTest::addColumn<int>("offsetFromEnd");
        QTest::newRow("msg 2 static key") << 2 << -1; // a byte inside the encrypted static key
        QTest::newRow("msg 2 payload") << 2 << 5;
        QTest::newRow("msg 3 static key") << 3 << -1;
        QTest::newRow("msg 3 payload") << 3 << 5;
    }

    void tamperedMessagesFail() {
        QFETCH(int, message);
        QFETCH(int, offsetFromEnd);
        Pair pair;
        pair.run([&](int n, Bytes& bytes) {
            if (n != message)
                return;
            // -1: just after the length (msg 3) or the ephemeral key (msg 2): the static key.
            const std::size_t at = offsetFromEnd < 0 ? (message == 2 ? 2 + 32 + 3 : 2 + 3)
                                                     : bytes.size() - std::size_t(offsetFromEnd);
            bytes[at] ^= 0x01;
        });
        NoiseHandshake& victim = message == 2 ? *pair.initiator : *pair.responder;
        QCOMPARE(victim.state(), NoiseHandshake::State::Failed);
        QVERIFY(!victim.error().empty());
    }

    void truncatedMessageDoesNotComplete() {
        Pair pair;
        pair.run([](int n, Bytes& bytes) {
            if (n == 2)
                bytes.resize(bytes.size() - 10); // the length promises more than arrives
        });
        QCOMPARE(pair.initiator->state(), NoiseHandshake::State::InProgress);
    }

    void shortMessageFails() {
        Pair pair;
        pair.initiator->start();
        pair.responder->feed(pair.initiator->takeOutput());
        (void)pair.responder->takeOutput();
        const Bytes tooShort = {0x00, 0x04, 1, 2, 3, 4};
        pair.initiator->feed(tooShort);
        QCOMPARE(pair.initiator->state(), NoiseHandshake::State::Failed);
        QVERIFY(QString::fromStdString(pair.initiator->error()).contains("too short"));
    }

    void wrongExpectedPeerIsAMismatch() {
        const PeerId other = PeerId::fromPublicKey(PrivateKey::generateEd25519().publicKey());
        Pair pair({"/yamux/1.0.0"}, {"/yamux/1.0.0"}, other);
        pair.run();
        QCOMPARE(pair.initiator->state(), NoiseHandshake::State::Failed);
        const std::string expected =
            "peer id mismatch: expected " + other.toBase58() + ", got " +
            PeerId::fromPublicKey(pair.responderKey.publicKey()).toBase58();
        QCOMPARE(QString::fromStdString(pair.initiator->error()), QString::fromStdString(expected));
        // The initiator never sent message 3, so the responder is still waiting.
        QCOMPARE(pair.responder->state(), NoiseHandshake::State::InProgress);
    }

    void garbageNeverCompletes() {
        PrivateKey key = PrivateKey::generateEd25519();
        NoiseHandshake::Options options;
        options.role = NoiseHandshake::Role::Responder;
        NoiseHandshake responder(key, options);
        responder.feed(Bytes{0x00, 0x05, 1, 2, 3, 4, 5}); // message 1 shorter than a key
        QCOMPARE(responder.state(), NoiseHandshake::State::Failed);
    }

    void bytesAfterTheLastMessageAreTheRemainder() {
        Pair pair;
        pair.initiator->start();
        pair.responder->feed(pair.initiator->takeOutput());
        pair.initiator->feed(pair.responder->takeOutput());
        QCOMPARE(pair.initiator->state(), NoiseHandshake::State::Complete);
        auto transport = pair.initiator->takeTransport();
        Bytes third = pair.initiator->takeOutput();
        transport->encrypt(toBytes("pipelined"), third); // first frame sent with message 3
        pair.responder->feed(third);
        QCOMPARE(pair.responder->state(), NoiseHandshake::State::Complete);
        Bytes remainder = pair.responder->takeRemainder();
        Bytes plain;
        QVERIFY(pair.responder->takeTransport()->decrypt(remainder, plain).ok());
        QCOMPARE(toString(plain), std::string("pipelined"));
    }

    void tamperedTransportFrameIsAnError() {
        Pair pair;
        pair.run();
        auto sender = pair.initiator->takeTransport();
        auto receiver = pair.responder->takeTransport();
        Bytes wire;
        sender->encrypt(toBytes("hello"), wire);
        wire[4] ^= 0x80;
        Bytes plain;
        QVERIFY(!receiver->decrypt(wire, plain).ok());
        QVERIFY(plain.empty());
        Bytes good;
        sender->encrypt(toBytes("again"), good);
        QVERIFY(!receiver->decrypt(good, plain).ok()); // broken for good after a failure
    }
};

QTEST_APPLESS_MAIN(TestNoise)
#include "tst_noise.moc"
