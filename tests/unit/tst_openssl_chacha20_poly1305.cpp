// The ChaCha20-Poly1305 every Noise message goes through: RFC 8439's AEAD vector, sealing in
// place, an empty message, one context reused call after call, and forgeries refused.
#include "engine/protocol/openssl_chacha20_poly1305.h"

#include <QTest>
#include <algorithm>
#include <cstring>
#include <random>

using namespace peerscope;

namespace {

using Nonce = OpenSslChaCha20Poly1305::Nonce;

Bytes text(const char* s) {
    return Bytes(s, s + std::strlen(s));
}

QByteArray hex(ByteView bytes) {
    return QByteArray::fromStdString(toHex(bytes));
}

Nonce toNonce(const Bytes& bytes) {
    Nonce nonce{};
    std::copy_n(bytes.begin(), nonce.size(), nonce.begin());
    return nonce;
}

// Ciphertext followed by the tag.
Bytes seal(const Bytes& key, const Bytes& nonce, const Bytes& aad, const Bytes& plaintext) {
    Bytes out(plaintext.size() + OpenSslChaCha20Poly1305::tagSize);
    OpenSslChaCha20Poly1305(key.data())
        .seal(toNonce(nonce), aad, plaintext, out.data(), out.data() + plaintext.size());
    return out;
}

} // namespace

class TestOpenSslChaCha20Poly1305 : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void matchesRfc8439AeadVector() {
        // RFC 8439 2.8.2: the "sunscreen" message with 12 bytes of associated data.
        const Bytes key =
            fromHex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f");
        const Bytes nonce = fromHex("070000004041424344454647");
        const Bytes aad = fromHex("50515253c0c1c2c3c4c5c6c7");
        const Bytes plaintext = text("Ladies and Gentlemen of the class of '99: If I could offer "
                                     "you only one tip for the future, sunscreen would be it.");
        const Bytes sealed = seal(key, nonce, aad, plaintext);
        const ByteView ciphertext(sealed.data(), plaintext.size());
        QCOMPARE(hex(ciphertext),
                 QByteArray("d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
                            "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
                            "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
                            "3ff4def08e4b7a9de576d26586cec64b6116"));
        QCOMPARE(hex(ByteView(sealed).subspan(plaintext.size())),
                 QByteArray("1ae10b594f09e26a7e902ecbd0600691"));
        Bytes opened(plaintext.size());
        QVERIFY(OpenSslChaCha20Poly1305(key.data())
                    .open(toNonce(nonce), aad, ciphertext, sealed.data() + plaintext.size(),
                          opened.data()));
        QCOMPARE(opened, plaintext);
    }

    void sealsInPlace() {
        const Bytes key(32, 7);
        const Bytes nonce(12, 9);
        Bytes buffer = text("encrypted where it lies");
        const Bytes expected = seal(key, nonce, {}, buffer);
        std::uint8_t tag[16];
        OpenSslChaCha20Poly1305(key.data()).seal(toNonce(nonce), {}, buffer, buffer.data(), tag);
        QCOMPARE(buffer, Bytes(expected.begin(), expected.end() - 16));
        QCOMPARE(Bytes(tag, tag + 16), Bytes(expected.end() - 16, expected.end()));
    }

    void sealsAndOpensAnEmptyMessage() {
        // A tag alone authenticates the associated data (Noise's handshake hash).
        const Bytes key(32, 1);
        const Bytes nonce(12, 0);
        const Bytes aad = text("handshake hash");
        const Bytes sealed = seal(key, nonce, aad, {});
        QCOMPARE(sealed.size(), std::size_t(16));
        OpenSslChaCha20Poly1305 cipher(key.data());
        QVERIFY(cipher.open(toNonce(nonce), aad, {}, sealed.data(), nullptr));
        QVERIFY(!cipher.open(toNonce(nonce), text("handshake hasH"), {}, sealed.data(), nullptr));
    }

    void oneContextServesCallAfterCall() {
        // Each call sets the nonce and direction afresh: sealing after opening, or after a
        // refused forgery, gives what a fresh cipher gives.
        const Bytes key(32, 3);
        const Bytes plaintext = text("frame");
        OpenSslChaCha20Poly1305 reused(key.data());
        for (std::uint8_t n = 0; n < 4; ++n) {
            Bytes nonce(12, 0);
            nonce[4] = n;
            const Bytes aad = n % 2 ? text("hash") : Bytes();
            Bytes sealed(plaintext.size() + 16);
            reused.seal(toNonce(nonce), aad, plaintext, sealed.data(),
                        sealed.data() + plaintext.size());
            QCOMPARE(sealed, seal(key, nonce, aad, plaintext));
            Bytes forged = sealed;
            forged[0] ^= 0x01;
            Bytes out(plaintext.size());
            QVERIFY(!reused.open(toNonce(nonce), aad, ByteView(forged.data(), plaintext.size()),
                                 forged.data() + plaintext.size(), out.data()));
            QVERIFY(reused.open(toNonce(nonce), aad, ByteView(sealed.data(), plaintext.size()),
                                sealed.data() + plaintext.size(), out.data()));
            QCOMPARE(out, plaintext);
        }
    }

    void refusesEveryTamperedByte() {
        std::mt19937 rng(99);
        Bytes key(32), nonce(12), plaintext(44);
        for (Bytes* bytes : {&key, &nonce, &plaintext})
            std::generate(bytes->begin(), bytes->end(), [&] { return std::uint8_t(rng()); });
        const Bytes aad = text("header");
        const Bytes sealed = seal(key, nonce, aad, plaintext);
        OpenSslChaCha20Poly1305 cipher(key.data());
        for (std::size_t at = 0; at < sealed.size(); ++at) {
            Bytes forged = sealed;
            forged[at] ^= 0x01;
            Bytes out(plaintext.size(), 0xaa);
            QVERIFY(!cipher.open(toNonce(nonce), aad, ByteView(forged.data(), plaintext.size()),
                                 forged.data() + plaintext.size(), out.data()));
            QCOMPARE(out, Bytes(plaintext.size(), 0)); // no forged plaintext handed on
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

QTEST_GUILESS_MAIN(TestOpenSslChaCha20Poly1305)
#include "tst_openssl_chacha20_poly1305.moc"
