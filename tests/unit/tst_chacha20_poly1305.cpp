// The project's ChaCha20-Poly1305 and Poly1305: RFC 8439's test vectors, then byte-for-byte
// agreement with OpenSSL over every short length and some long ones, with and without associated
// data, Poly1305's carry edge cases, and forgeries refused with the output left alone.
#include "engine/protocol/chacha20_poly1305.h"
#include "engine/protocol/openssl_chacha20_poly1305.h"
#include "engine/protocol/poly1305.h"

#include <QTest>
#include <algorithm>
#include <cstring>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <random>
#include <string>

using namespace peerscope;

namespace {

Bytes fromHex(const char* hex) {
    const QByteArray bytes = QByteArray::fromHex(hex);
    return Bytes(bytes.begin(), bytes.end());
}

QByteArray toHex(const std::uint8_t* data, std::size_t size) {
    return QByteArray(reinterpret_cast<const char*>(data), qsizetype(size)).toHex();
}

Bytes text(const char* s) {
    return Bytes(s, s + std::strlen(s));
}

Bytes randomBytes(std::mt19937& rng, std::size_t size) {
    Bytes out(size);
    for (std::uint8_t& b : out)
        b = std::uint8_t(rng());
    return out;
}

ChaCha20Poly1305::Nonce toNonce(const Bytes& bytes) {
    ChaCha20Poly1305::Nonce nonce{};
    std::copy_n(bytes.begin(), nonce.size(), nonce.begin());
    return nonce;
}

// OpenSSL's answer, through the wrapper NoiseTransport uses for long frames: ciphertext
// followed by the tag.
Bytes opensslSeal(const Bytes& key, const Bytes& nonce, const Bytes& aad, const Bytes& plaintext) {
    Bytes out(plaintext.size() + 16);
    OpenSslChaCha20Poly1305(key.data())
        .seal(toNonce(nonce), aad, plaintext, out.data(), out.data() + plaintext.size());
    return out;
}

Bytes ourSeal(const Bytes& key, const Bytes& nonce, const Bytes& aad, const Bytes& plaintext) {
    Bytes out(plaintext.size() + 16);
    ChaCha20Poly1305(key.data())
        .seal(toNonce(nonce), aad, plaintext, out.data(), out.data() + plaintext.size());
    return out;
}

Bytes opensslPoly1305(const Bytes& key, const Bytes& message) {
    EVP_MAC* mac = EVP_MAC_fetch(nullptr, "POLY1305", nullptr);
    EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(mac);
    Bytes tag(16);
    std::size_t length = 0;
    EVP_MAC_init(ctx, key.data(), key.size(), nullptr);
    EVP_MAC_update(ctx, message.data(), message.size());
    EVP_MAC_final(ctx, tag.data(), &length, tag.size());
    EVP_MAC_CTX_free(ctx);
    EVP_MAC_free(mac);
    return tag;
}

Bytes ourPoly1305(const Bytes& key, const Bytes& message) {
    Poly1305 mac(key.data());
    mac.updateLast(message);
    Bytes tag(16);
    mac.finish(tag.data());
    return tag;
}

} // namespace

class TestChaCha20Poly1305 : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void poly1305MatchesRfc8439Vector() {
        // RFC 8439 2.5.2.
        const Bytes key =
            fromHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        const Bytes tag = ourPoly1305(key, text("Cryptographic Forum Research Group"));
        QCOMPARE(toHex(tag.data(), tag.size()), QByteArray("a8061dc1305136c6c22b8baf0c0127a9"));
    }

    void aeadMatchesRfc8439Vector() {
        // RFC 8439 2.8.2: the "sunscreen" message with 12 bytes of associated data.
        const Bytes key =
            fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        const Bytes nonce = fromHex("070000004041424344454647");
        const Bytes aad = fromHex("50515253c0c1c2c3c4c5c6c7");
        const Bytes plaintext = text("Ladies and Gentlemen of the class of '99: If I could offer "
                                     "you only one tip for the future, sunscreen would be it.");
        const Bytes sealed = ourSeal(key, nonce, aad, plaintext);
        QCOMPARE(toHex(sealed.data(), plaintext.size()),
                 QByteArray("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                            "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                            "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                            "3ff4def08e4b7a9de576d26586cec64b6116"));
        QCOMPARE(toHex(sealed.data() + plaintext.size(), 16),
                 QByteArray("1ae10b594f09e26a7e902ecbd0600691"));
        Bytes opened(plaintext.size());
        QVERIFY(ChaCha20Poly1305(key.data())
                    .open(toNonce(nonce), aad, ByteView(sealed.data(), plaintext.size()),
                          sealed.data() + plaintext.size(), opened.data()));
        QCOMPARE(opened, plaintext);
    }

    void agreesWithOpenSslOnEveryShortLength() {
        std::mt19937 rng(8439);
        for (std::size_t length = 0; length <= 1100; ++length) {
            const Bytes key = randomBytes(rng, 32);
            const Bytes nonce = randomBytes(rng, 12);
            const Bytes aad = randomBytes(rng, length % 3 == 0 ? 0 : length % 37);
            const Bytes plaintext = randomBytes(rng, length);
            const Bytes ours = ourSeal(key, nonce, aad, plaintext);
            if (ours != opensslSeal(key, nonce, aad, plaintext))
                QFAIL(qPrintable(QStringLiteral("differs from OpenSSL at %1 bytes").arg(length)));
            Bytes opened(length);
            QVERIFY(ChaCha20Poly1305(key.data())
                        .open(toNonce(nonce), aad, ByteView(ours.data(), length),
                              ours.data() + length, opened.data()));
            QCOMPARE(opened, plaintext);
        }
    }

    void agreesWithOpenSslOnLongMessages() {
        std::mt19937 rng(65519);
        for (std::size_t length : {4095, 4096, 4097, 65519}) {
            const Bytes key = randomBytes(rng, 32);
            const Bytes nonce = randomBytes(rng, 12);
            const Bytes plaintext = randomBytes(rng, length);
            QCOMPARE(ourSeal(key, nonce, {}, plaintext), opensslSeal(key, nonce, {}, plaintext));
        }
    }

    void sealsInPlace() {
        const Bytes key(32, 7);
        const Bytes nonce(12, 9);
        Bytes buffer = text("encrypted where it lies");
        const Bytes expected = ourSeal(key, nonce, {}, buffer);
        std::uint8_t tag[16];
        ChaCha20Poly1305(key.data()).seal(toNonce(nonce), {}, buffer, buffer.data(), tag);
        QCOMPARE(buffer, Bytes(expected.begin(), expected.end() - 16));
        QCOMPARE(Bytes(tag, tag + 16), Bytes(expected.end() - 16, expected.end()));
    }

    void poly1305HandlesRfc8439ReductionEdges_data() {
        QTest::addColumn<QByteArray>("keyHex");
        QTest::addColumn<QByteArray>("messageHex");
        QTest::addColumn<QByteArray>("tagHex");
        // RFC 8439 A.3, vectors 5 to 9: the ones built to land on the final reduction's corners
        // (h just above, at and below 2^130 - 5; s overflowing 2^128; a carry into an all-ones
        // limb). Random input essentially never gets there.
        const QByteArray zero15 = QByteArray(30, '0');
        const QByteArray zero16 = QByteArray(32, '0');
        const QByteArray ones16 = QByteArray(32, 'f');
        QTest::newRow("5: not fully reduced") << "02" + zero15 + zero16 << ones16 << "03" + zero15;
        QTest::newRow("6: h + s overflows 2^128")
            << "02" + zero15 + ones16 << "02" + zero15 << "03" + zero15;
        QTest::newRow("7: carry into an all-ones limb")
            << "01" + zero15 + zero16 << ones16 + "f0" + QByteArray(30, 'f') + "11" + zero15
            << "05" + zero15;
        QTest::newRow("8: exactly 2^130 - 5")
            << "01" + zero15 + zero16
            << ones16 + "fb" + QByteArray("fe").repeated(15) + QByteArray("01").repeated(16)
            << zero16;
        QTest::newRow("9: exactly 2^130 - 6")
            << "02" + zero15 + zero16 << "fd" + QByteArray(30, 'f') << "fa" + QByteArray(30, 'f');
    }

    void poly1305HandlesRfc8439ReductionEdges() {
        QFETCH(QByteArray, keyHex);
        QFETCH(QByteArray, messageHex);
        QFETCH(QByteArray, tagHex);
        const Bytes key = fromHex(keyHex.constData());
        const Bytes tag = ourPoly1305(key, fromHex(messageHex.constData()));
        QCOMPARE(toHex(tag.data(), tag.size()), tagHex);
    }

    void poly1305AgreesWithOpenSslOnCarryEdges_data() {
        QTest::addColumn<QByteArray>("keyHex");
        QTest::addColumn<int>("fill");
        QTest::addColumn<int>("length");
        // r and s all ones (r clamped) with all-ones messages push every limb to its limit, so
        // the final reduction has h >= p to take away; zero keys and messages the other end.
        const QByteArray ones = QByteArray(64, 'f');
        const QByteArray zeros = QByteArray(64, '0');
        const QByteArray rOnesSZero = QByteArray(32, 'f') + QByteArray(32, '0');
        for (int length : {0, 1, 15, 16, 17, 32, 63, 64, 1000}) {
            QTest::addRow("ones key, 0xff x %d", length) << ones << 0xff << length;
            QTest::addRow("r ones s zero, 0xff x %d", length) << rOnesSZero << 0xff << length;
            QTest::addRow("zero key, 0xff x %d", length) << zeros << 0xff << length;
            QTest::addRow("ones key, 0x00 x %d", length) << ones << 0x00 << length;
        }
    }

    void poly1305AgreesWithOpenSslOnCarryEdges() {
        QFETCH(QByteArray, keyHex);
        QFETCH(int, fill);
        QFETCH(int, length);
        const Bytes key = fromHex(keyHex.constData());
        const Bytes message(static_cast<std::size_t>(length), static_cast<std::uint8_t>(fill));
        QCOMPARE(ourPoly1305(key, message), opensslPoly1305(key, message));
    }

    void poly1305AgreesWithOpenSslOnRandomInput() {
        std::mt19937 rng(1305);
        for (int trial = 0; trial < 2000; ++trial) {
            const Bytes key = randomBytes(rng, 32);
            const Bytes message = randomBytes(rng, rng() % 300);
            if (ourPoly1305(key, message) != opensslPoly1305(key, message))
                QFAIL(qPrintable(QStringLiteral("trial %1 differs").arg(trial)));
        }
    }

    void refusesEveryTamperedByte() {
        std::mt19937 rng(99);
        const Bytes key = randomBytes(rng, 32);
        const Bytes nonce = randomBytes(rng, 12);
        const Bytes aad = text("header");
        const Bytes plaintext = randomBytes(rng, 44);
        const Bytes sealed = ourSeal(key, nonce, aad, plaintext);
        const ChaCha20Poly1305 cipher(key.data());
        for (std::size_t at = 0; at < sealed.size(); ++at) {
            Bytes forged = sealed;
            forged[at] ^= 0x01;
            Bytes out(plaintext.size(), 0xaa);
            QVERIFY(!cipher.open(toNonce(nonce), aad, ByteView(forged.data(), plaintext.size()),
                                 forged.data() + plaintext.size(), out.data()));
            QCOMPARE(out, Bytes(plaintext.size(), 0xaa)); // nothing decrypted
        }
        // The right bytes under the wrong nonce or associated data are refused too.
        Bytes out(plaintext.size());
        Bytes otherNonce = nonce;
        otherNonce[11] ^= 0x80;
        QVERIFY(!cipher.open(toNonce(otherNonce), aad, ByteView(sealed.data(), plaintext.size()),
                             sealed.data() + plaintext.size(), out.data()));
        QVERIFY(!cipher.open(toNonce(nonce), text("headex"),
                             ByteView(sealed.data(), plaintext.size()),
                             sealed.data() + plaintext.size(), out.data()));
    }
};

QTEST_GUILESS_MAIN(TestChaCha20Poly1305)
#include "tst_chacha20_poly1305.moc"
