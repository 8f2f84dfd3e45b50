// PeerId derivation and text forms. Vectors: libp2p/specs peer-ids/peer-ids.md (test vector
// keys and the example ids); expected base58/CID strings of the vector keys were computed
// independently (Python base58/base32) from the spec's key bytes.
#include "engine/core/base58.h"
#include "engine/core/peer_id.h"

#include <QtTest>
#include <unordered_set>

using namespace peerscope;

namespace {

// From the spec's test vector table.
constexpr const char* ed25519PublicHex =
    "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
constexpr const char* secp256k1PublicHex =
    "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99";
constexpr const char* ecdsaPublicHex =
    "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8f5d530899d"
    "83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec0"
    "34e9f77c409e62";

PublicKey publicKeyFromHex(const char* hex) {
    auto key = PublicKey::fromProtobuf(fromHex(hex));
    if (!key)
        qFatal("bad vector: %s", key.errorMessage().c_str());
    return key.value();
}

} // namespace

class TestPeerId final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void ed25519VectorIsInlined();
    void secp256k1VectorIsInlined();
    void ecdsaVectorIsHashed();
    void specExamplesBase58AndCid();
    void knownEd25519IdAndItsCid();
    void generatedKeyRoundTrips();
    void hashable();
    void parseErrors_data();
    void parseErrors();
    void fromBytesErrors_data();
    void fromBytesErrors();
};

void TestPeerId::ed25519VectorIsInlined() {
    const PublicKey key = publicKeyFromHex(ed25519PublicHex);
    const PeerId id = PeerId::fromPublicKey(key);
    // 36-byte encoding <= 42: identity multihash 0x00, length 0x24, then the protobuf.
    QCOMPARE(toHex(id.bytes()), std::string("0024") + ed25519PublicHex);
    QCOMPARE(id.toBase58(), std::string("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"));
    QCOMPARE(id.toCidV1(),
             std::string("bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6"));
    QVERIFY(id.isValid());
    QVERIFY(id.publicKey().has_value());
    QCOMPARE(*id.publicKey(), key);
}

void TestPeerId::secp256k1VectorIsInlined() {
    const PeerId id = PeerId::fromPublicKey(publicKeyFromHex(secp256k1PublicHex));
    QCOMPARE(id.bytes().size(), std::size_t(2 + 37));
    QCOMPARE(id.toBase58(), std::string("16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY"));
    QVERIFY(id.publicKey().has_value());
    QCOMPARE(id.publicKey()->type(), KeyType::Secp256k1);
}

void TestPeerId::ecdsaVectorIsHashed() {
    // 94-byte encoding > 42: sha2-256 multihash (0x12 0x20 + digest); no key inside.
    const PeerId id = PeerId::fromPublicKey(publicKeyFromHex(ecdsaPublicHex));
    QCOMPARE(id.bytes().size(), std::size_t(34));
    QCOMPARE(id.bytes()[0], std::uint8_t(0x12));
    QCOMPARE(id.bytes()[1], std::uint8_t(0x20));
    QCOMPARE(id.toBase58(), std::string("QmVMT29id3TUASyfZZ6k9hmNyc2nYabCo4uMSpDw4zrgDk"));
    QVERIFY(!id.publicKey().has_value());
}

void TestPeerId::specExamplesBase58AndCid() {
    // The spec lists the same sha256 peer id as a CID and as base58.
    auto cid = PeerId::parse("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe");
    auto legacy = PeerId::parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
    QVERIFY2(cid.ok(), cid.ok() ? "" : cid.errorMessage().c_str());
    QVERIFY2(legacy.ok(), legacy.ok() ? "" : legacy.errorMessage().c_str());
    QCOMPARE(*cid, *legacy);
    QCOMPARE(cid->toBase58(), std::string("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"));
    QCOMPARE(legacy->toCidV1(),
             std::string("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe"));
    // Upper-case base32 multibase is the same CID.
    auto upper = PeerId::parse("BAFZBEIE5745RPV2M6TJYUUGYWY4D5EWRQGQQHFNF445HE3OMZPJBX5XQXE");
    QVERIFY(upper.ok());
    QCOMPARE(*upper, *legacy);
}

void TestPeerId::knownEd25519IdAndItsCid() {
    const std::string base58 = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA"; // spec
    auto id = PeerId::parse(base58);
    QVERIFY2(id.ok(), id.ok() ? "" : id.errorMessage().c_str());
    QCOMPARE(id->toBase58(), base58);
    const std::string cid = id->toCidV1();
    QCOMPARE(cid, std::string("bafzaajaiaejcal72gwuz2or47oyxxn6b3rkwdmmkrxgkjxzy3rqt5kczyn7lcm3l"));
    auto fromCid = PeerId::parse(cid);
    QVERIFY(fromCid.ok());
    QCOMPARE(*fromCid, *id);
    QVERIFY(id->publicKey().has_value());
    QCOMPARE(id->publicKey()->type(), KeyType::Ed25519);
    QCOMPARE(PeerId::fromPublicKey(*id->publicKey()), *id);
    auto fromBytes = PeerId::fromBytes(id->bytes());
    QVERIFY(fromBytes.ok());
    QCOMPARE(*fromBytes, *id);
}

void TestPeerId::generatedKeyRoundTrips() {
    for (int i = 0; i < 20; ++i) {
        const PeerId id = PeerId::fromPublicKey(PrivateKey::generateEd25519().publicKey());
        QVERIFY(id.toBase58().starts_with("12D3KooW"));
        QVERIFY(id.toCidV1().starts_with("bafzaa"));
        auto a = PeerId::parse(id.toBase58());
        auto b = PeerId::parse(id.toCidV1());
        QVERIFY(a.ok() && b.ok());
        QCOMPARE(*a, id);
        QCOMPARE(*b, id);
    }
}

void TestPeerId::hashable() {
    const PeerId a = PeerId::fromPublicKey(PrivateKey::generateEd25519().publicKey());
    const PeerId b = PeerId::fromPublicKey(PrivateKey::generateEd25519().publicKey());
    std::unordered_set<PeerId> set{a, b, a};
    QCOMPARE(set.size(), std::size_t(2));
    QVERIFY(a != b);
    QVERIFY((a < b) != (b < a));
    QVERIFY(!PeerId().isValid());
}

void TestPeerId::parseErrors_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");
    QTest::newRow("empty") << ""
                           << "peer id: empty text";
    QTest::newRow("bad base58 char") << "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5S0"
                                     << "peer id: invalid base58 character '0' at index 51";
    QTest::newRow("truncated base58") << "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5"
                                      << "peer id: multihash says 2 digest bytes but 35 follow";
    QTest::newRow("truncated Qm") << "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5"
                                  << "peer id: multihash says 2 digest bytes but 31 follow";
    QTest::newRow("unknown multibase") << "Xyz"
                                       << "peer id: not base58 (\"1...\"/\"Qm...\") nor "
                                          "a CID: unsupported multibase prefix 'X'";
    QTest::newRow("bad base32") << "bafz!!"
                                << "peer id: not base58 (\"1...\"/\"Qm...\") nor a CID: invalid "
                                   "base32 character '!' at index 3";
    // CIDv1 with the dag-pb codec (0x70): a content id, not a peer.
    QTest::newRow("wrong codec") << "bafybeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe"
                                 << "peer id: CID codec 0x70 is not libp2p-key (0x72)";
    QTest::newRow("cid version 2") << "bajzaaaaa"
                                   << "peer id: CID version 2, expected 1";
    QTest::newRow("too long") << QString(300, 'z') << "peer id: text too long (300 characters)";
}

void TestPeerId::parseErrors() {
    QFETCH(QString, text);
    QFETCH(QString, error);
    auto id = PeerId::parse(text.toStdString());
    QVERIFY(!id.ok());
    QCOMPARE(QString::fromStdString(id.errorMessage()), error);
}

void TestPeerId::fromBytesErrors_data() {
    QTest::addColumn<QByteArray>("hex");
    QTest::addColumn<QString>("error");
    QTest::newRow("empty") << QByteArray() << "peer id: empty multihash";
    QTest::newRow("no length") << QByteArray("12") << "peer id: multihash length: truncated";
    QTest::newRow("sha256 short") << QByteArray("1202abcd")
                                  << "peer id: sha2-256 digest must be 32 bytes, got 2";
    QTest::newRow("sha1") << QByteArray("1114") + QByteArray(40, '0')
                          << "peer id: unsupported multihash code 0x11 (want identity 0x00 or "
                             "sha2-256 0x12)";
    QTest::newRow("identity not a key")
        << QByteArray("0003010203") << "peer id: inlined public key: malformed protobuf";
    QTest::newRow("identity too long") << QByteArray("002b") + QByteArray(86, '0')
                                       << "peer id: identity multihash longer than 42 bytes";
    QTest::newRow("trailing bytes") << QByteArray("0024") + ed25519PublicHex + "00"
                                    << "peer id: multihash says 36 digest bytes but 37 follow";
}

void TestPeerId::fromBytesErrors() {
    QFETCH(QByteArray, hex);
    QFETCH(QString, error);
    auto id = PeerId::fromBytes(fromHex(hex.toStdString()));
    QVERIFY(!id.ok());
    QCOMPARE(QString::fromStdString(id.errorMessage()), error);
}

QTEST_APPLESS_MAIN(TestPeerId)
#include "tst_peer_id.moc"
