// base58btc and multibase. base58 vectors from the IETF base58 draft (draft-msporny-base58);
// base32/base64url vectors from RFC 4648 section 10 (lower case, no padding).
#include "engine/core/base58.h"
#include "engine/core/multibase.h"

#include <QtTest>
#include <random>

using namespace peerscope;

namespace {
// A multibase prefix and its text. Built by append: GCC 12 -O3 warns (-Wrestrict, a false
// positive) on `"b" + std::string`.
std::string withPrefix(char prefix, const std::string& text) {
    std::string out(1, prefix);
    out += text;
    return out;
}
} // namespace

class TestBase58 final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void base58Vectors_data();
    void base58Vectors();
    void base58Errors();
    void base58RandomRoundTrip();
    void base32Vectors_data();
    void base32Vectors();
    void base64UrlVectors_data();
    void base64UrlVectors();
    void multibaseDecode_data();
    void multibaseDecode();
    void multibaseErrors_data();
    void multibaseErrors();
};

void TestBase58::base58Vectors_data() {
    QTest::addColumn<QByteArray>("hex");
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QByteArray() << "";
    QTest::newRow("zero") << QByteArray("00") << "1";
    QTest::newRow("hello") << QByteArray("Hello World!").toHex() << "2NEpo7TZRRrLZSi2U";
    QTest::newRow("fox") << QByteArray("The quick brown fox jumps over the lazy dog.").toHex()
                         << "USm3fpXnKG5EUBx2ndxBDMPVciP5hGey2Jh4NDv6gmeo1LkMeiKrLJUUBk6Z";
    QTest::newRow("leading zeros") << QByteArray("0000287fb4cd") << "11233QC4";
}

void TestBase58::base58Vectors() {
    QFETCH(QByteArray, hex);
    QFETCH(QString, text);
    const Bytes bytes = fromHex(hex.toStdString());
    QCOMPARE(QString::fromStdString(base58::encode(bytes)), text);
    auto decoded = base58::decode(text.toStdString());
    QVERIFY(decoded.ok());
    QCOMPARE(*decoded, bytes);
}

void TestBase58::base58Errors() {
    for (const auto& [text, error] : std::initializer_list<std::pair<const char*, const char*>>{
             {"0", "invalid base58 character '0' at index 0"},
             {"12O", "invalid base58 character 'O' at index 2"},
             {"abI", "invalid base58 character 'I' at index 2"},
             {"abl", "invalid base58 character 'l' at index 2"},
             {"ab+", "invalid base58 character '+' at index 2"},
             {"a b", "invalid base58 character ' ' at index 1"},
             {"a\xff", "invalid base58 character byte 0xff at index 1"},
         }) {
        auto decoded = base58::decode(text);
        QVERIFY2(!decoded.ok(), text);
        QCOMPARE(decoded.errorMessage(), std::string(error));
    }
}

void TestBase58::base58RandomRoundTrip() {
    std::mt19937 rng(42);
    for (int i = 0; i < 200; ++i) {
        Bytes bytes(rng() % 64);
        for (auto& b : bytes)
            b = static_cast<std::uint8_t>(rng() % 4 == 0 ? 0 : rng());
        const std::string text = base58::encode(bytes);
        auto decoded = base58::decode(text);
        QVERIFY(decoded.ok());
        QCOMPARE(*decoded, bytes);
        auto viaMultibase = multibase::decode("z" + text);
        QVERIFY(viaMultibase.ok());
        QCOMPARE(*viaMultibase, bytes);
        QCOMPARE(*multibase::decodeBase32(multibase::encodeBase32(bytes)), bytes);
        QCOMPARE(*multibase::decodeBase64Url(multibase::encodeBase64Url(bytes)), bytes);
    }
}

void TestBase58::base32Vectors_data() {
    QTest::addColumn<QByteArray>("plain");
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QByteArray() << "";
    QTest::newRow("f") << QByteArray("f") << "my";
    QTest::newRow("fo") << QByteArray("fo") << "mzxq";
    QTest::newRow("foo") << QByteArray("foo") << "mzxw6";
    QTest::newRow("foob") << QByteArray("foob") << "mzxw6yq";
    QTest::newRow("fooba") << QByteArray("fooba") << "mzxw6ytb";
    QTest::newRow("foobar") << QByteArray("foobar") << "mzxw6ytboi";
}

void TestBase58::base32Vectors() {
    QFETCH(QByteArray, plain);
    QFETCH(QString, text);
    const Bytes bytes(plain.begin(), plain.end());
    QCOMPARE(QString::fromStdString(multibase::encodeBase32(bytes)), text);
    auto lower = multibase::decodeBase32(text.toStdString());
    QVERIFY(lower.ok());
    QCOMPARE(*lower, bytes);
    auto upper = multibase::decodeBase32(text.toUpper().toStdString());
    QVERIFY(upper.ok());
    QCOMPARE(*upper, bytes);
    auto prefixed = multibase::decode(withPrefix('b', text.toStdString()));
    QVERIFY(prefixed.ok());
    QCOMPARE(*prefixed, bytes);
    auto upperPrefixed = multibase::decode(withPrefix('B', text.toUpper().toStdString()));
    QVERIFY(upperPrefixed.ok());
    QCOMPARE(*upperPrefixed, bytes);
}

void TestBase58::base64UrlVectors_data() {
    QTest::addColumn<QByteArray>("hex");
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QByteArray() << "";
    QTest::newRow("f") << QByteArray("f").toHex() << "Zg";
    QTest::newRow("fo") << QByteArray("fo").toHex() << "Zm8";
    QTest::newRow("foo") << QByteArray("foo").toHex() << "Zm9v";
    QTest::newRow("foob") << QByteArray("foob").toHex() << "Zm9vYg";
    QTest::newRow("fooba") << QByteArray("fooba").toHex() << "Zm9vYmE";
    QTest::newRow("foobar") << QByteArray("foobar").toHex() << "Zm9vYmFy";
    QTest::newRow("url alphabet") << QByteArray("fbff") << "-_8";
}

void TestBase58::base64UrlVectors() {
    QFETCH(QByteArray, hex);
    QFETCH(QString, text);
    const Bytes bytes = fromHex(hex.toStdString());
    QCOMPARE(QString::fromStdString(multibase::encodeBase64Url(bytes)), text);
    auto decoded = multibase::decodeBase64Url(text.toStdString());
    QVERIFY(decoded.ok());
    QCOMPARE(*decoded, bytes);
    auto prefixed = multibase::decode(withPrefix('u', text.toStdString()));
    QVERIFY(prefixed.ok());
    QCOMPARE(*prefixed, bytes);
}

void TestBase58::multibaseDecode_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QByteArray>("hex");
    // "yes mani !" in each base, from the multiformats/multibase spec's test vectors.
    QTest::newRow("base16") << "f796573206d616e692021" << QByteArray("yes mani !").toHex();
    QTest::newRow("base16 upper") << "F796573206D616E692021" << QByteArray("yes mani !").toHex();
    QTest::newRow("base32") << "bpfsxgidnmfxgsibb" << QByteArray("yes mani !").toHex();
    QTest::newRow("base32 upper") << "BPFSXGIDNMFXGSIBB" << QByteArray("yes mani !").toHex();
    QTest::newRow("base58btc") << "z7paNL19xttacUY" << QByteArray("yes mani !").toHex();
    QTest::newRow("base64url") << "ueWVzIG1hbmkgIQ" << QByteArray("yes mani !").toHex();
}

void TestBase58::multibaseDecode() {
    QFETCH(QString, text);
    QFETCH(QByteArray, hex);
    auto decoded = multibase::decode(text.toStdString());
    QVERIFY2(decoded.ok(), decoded.ok() ? "" : decoded.errorMessage().c_str());
    QCOMPARE(QByteArray::fromStdString(toHex(*decoded)), hex);
}

void TestBase58::multibaseErrors_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");
    QTest::newRow("empty") << ""
                           << "empty multibase string";
    QTest::newRow("unknown prefix") << "m"
                                    << "unsupported multibase prefix 'm'";
    QTest::newRow("base32 padding") << "bmy======"
                                    << "invalid base32 character '=' at index 2";
    QTest::newRow("base32 digit 1") << "bmz1q"
                                    << "invalid base32 character '1' at index 2";
    QTest::newRow("base32 bad length") << "bmzx"
                                       << "invalid base32 length 3";
    QTest::newRow("base64url plus") << "uZm+v"
                                    << "invalid base64url character '+' at index 2";
    QTest::newRow("base64url bad length") << "uZ"
                                          << "invalid base64url length 1";
    QTest::newRow("base58 zero") << "z0"
                                 << "invalid base58 character '0' at index 0";
    QTest::newRow("hex odd") << "f123"
                             << "invalid base16 text";
    QTest::newRow("hex bad") << "fzz"
                             << "invalid base16 text";
}

void TestBase58::multibaseErrors() {
    QFETCH(QString, text);
    QFETCH(QString, error);
    auto decoded = multibase::decode(text.toStdString());
    QVERIFY(!decoded.ok());
    QCOMPARE(QString::fromStdString(decoded.errorMessage()), error);
}

QTEST_APPLESS_MAIN(TestBase58)
#include "tst_base58.moc"
