// Key encodings and signatures. Vectors: libp2p/specs peer-ids/peer-ids.md ("Test vectors")
// and RFC 8032 section 7.1 (Ed25519 TEST 1).
#include "crypto.pb.h"
#include "engine/core/keys.h"
#include "engine/core/peer_id.h"

#include <QtTest>
#include <memory>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

using namespace peerscope;

// Hex-encoded key protobufs from the spec's table; each private key belongs to its public key.
namespace spec_vectors {

inline constexpr const char* ecdsaPrivate =
    "08031279307702010104203e5b1fe9712e6c314942a750bd67485de3c1efe85b1bfb520ae8f9ae3dfa4a4ca0"
    "0a06082a8648ce3d030107a14403420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8"
    "e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62";

inline constexpr const char* ecdsaPublic =
    "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8f5d530899d"
    "83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec0"
    "34e9f77c409e62";

inline constexpr const char* ed25519Private =
    "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144"
    "b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";

inline constexpr const char* ed25519Public =
    "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";

inline constexpr const char* secp256k1Private =
    "0802122053dadf1d5a164d6b4acdb15e24aa4c5b1d3461bdbd42abedb0a4404d56ced8fb";

inline constexpr const char* secp256k1Public =
    "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99";

inline constexpr const char* rsaPrivate =
    "080012ae123082092a0201000282020100e1beab071d08200bde24eef00d049449b07770ff9910257b2d7d5d"
    "da242ce8f0e2f12e1af4b32d9efd2c090f66b0f29986dbb645dae9880089704a94e5066d594162ae6ee8892e"
    "6ec70701db0a6c445c04778eb3de1293aa1a23c3825b85c6620a2bc3f82f9b0c309bc0ab3aeb1873282bebd3"
    "da03c33e76c21e9beb172fd44c9e43be32e2c99827033cf8d0f0c606f4579326c930eb4e854395ad94125654"
    "2c793902185153c474bed109d6ff5141ebf9cd256cf58893a37f83729f97e7cb435ec679d2e33901d27bb35a"
    "a0d7e20561da08885ef0abbf8e2fb48d6a5487047a9ecb1ad41fa7ed84f6e3e8ecd5d98b3982d2a901b44549"
    "91766da295ab78822add5612a2df83bcee814cf50973e80d7ef38111b1bd87da2ae92438a2c8cbcc70b31ee3"
    "19939a3b9c761dbc13b5c086d6b64bf7ae7dacc14622375d92a8ff9af7eb962162bbddebf90acb32adb5e4e4"
    "029f1c96019949ecfbfeffd7ac1e3fbcc6b6168c34be3d5a2e5999fcbb39bba7adbca78eab09b9bc39f7fa4b"
    "93411f4cc175e70c0a083e96bfaefb04a9580b4753c1738a6a760ae1afd851a1a4bdad231cf56e9284d83248"
    "3df215a46c1c21bdf0c6cfe951c18f1ee4078c79c13d63edb6e14feaeffabc90ad317e4875fe648101b08640"
    "97e998f0ca3025ef9638cd2b0caecd3770ab54a1d9c6ca959b0f5dcbc90caeefc4135baca6fd475224269bbe"
    "1b02030100010282020100a472ffa858efd8588ce59ee264b957452f3673acdf5631d7bfd5ba0ef59779c231"
    "b0bc838a8b14cae367b6d9ef572c03c7883b0a3c652f5c24c316b1ccfd979f13d0cd7da20c7d34d9ec32dfdc"
    "81ee7292167e706d705efde5b8f3edfcba41409e642f8897357df5d320d21c43b33600a7ae4e505db957c1af"
    "bc189d73f0b5d972d9aaaeeb232ca20eebd5de6fe7f29d01470354413cc9a0af1154b7af7c1029adcd67c74b"
    "4798afeb69e09f2cb387305e73a1b5f450202d54f0ef096fe1bde340219a1194d1ac9026e90b366cce0c59b2"
    "39d10e4888f52ca1780824d39ae01a6b9f4dd6059191a7f12b2a3d8db3c2868cd4e5a5862b8b625a4197d52c"
    "6ac77710116ebd3ced81c4d91ad5fdfbed68312ebce7eea45c1833ca3acf7da2052820eacf5c6b07d086dabe"
    "b893391c71417fd8a4b1829ae2cf60d1749d0e25da19530d889461c21da3492a8dc6ccac7de83ac1c2185262"
    "c7473c8cc42f547cc9864b02a8073b6aa54a037d8c0de3914784e6205e83d97918b944f11b877b12084c0dd1"
    "d36592f8a4f8b8da5bb404c3d2c079b22b6ceabfbcb637c0dbe0201f0909d533f8bf308ada47aee641a012a4"
    "94d31b54c974e58b87f140258258bb82f31692659db7aa07e17a5b2a0832c24e122d3a8babcc9ee74cbb07d3"
    "058bb85b15f6f6b2674aba9fd34367be9782d444335fbed31e3c4086c652597c27104938b47fa10282010100"
    "e9fdf843c1550070ca711cb8ff28411466198f0e212511c3186623890c0071bf6561219682fe7dbdfd81176e"
    "ba7c4faba21614a20721e0fcd63768e6d925688ecc90992059ac89256e0524de90bf3d8a052ce6a9f6adafa7"
    "12f3107a016e20c80255c9e37d8206d1bc327e06e66eb24288da866b55904fd8b59e6b2ab31bc5eab47e5970"
    "93c63fab7872102d57b4c589c66077f534a61f5f65127459a33c91f6db61fc431b1ae90be92b4149a3255291"
    "baf94304e3efb77b1107b5a3bda911359c40a53c347ff9100baf8f36dc5cd991066b5bdc28b39ed644f404af"
    "e9213f4d31c9d4e40f3a5f5e3c39bebeb244e84137544e1a1839c1c8aaebf0c78a7fad590282010100f6fa1f"
    "1e6b803742d5490b7441152f500970f46feb0b73a6e4baba2aaf3c0e245ed852fc31d86a8e46eb48e90fac40"
    "9989dfee45238f97e8f1f8e83a136488c1b04b8a7fb695f37b8616307ff8a8d63e8cfa0b4fb9b9167ffaebab"
    "f111aa5a4344afbabd002ae8961c38c02da76a9149abdde93eb389eb32595c29ba30d8283a7885218a5a9d33"
    "f7f01dbdf85f3aad016c071395491338ec318d39220e1c7bd69d3d6b520a13a30d745c102b827ad9984b0dd6"
    "aed73916ffa82a06c1c111e7047dcd2668f988a0570a71474992eecf416e068f029ec323d5d635fd24694fc9"
    "bf96973c255d26c772a95bf8b7f876547a5beabf86f06cd21b67994f944e7a5493028201010095b02fd30069"
    "e547426a8bea58e8a2816f33688dac6c6f6974415af8402244a22133baedf34ce499d7036f3f19b38eb00897"
    "c18949b0c5a25953c71aeeccfc8f6594173157cc854bd98f16dffe8f28ca13b77eb43a2730585c49fc3f608c"
    "d811bb54b03b84bddaa8ef910988567f783012266199667a546a18fd88271fbf63a45ae4fd4884706da8befb"
    "9117c0a4d73de5172f8640b1091ed8a4aea3ed4641463f5ff6a5e3401ad7d0c92811f87956d1fd5f9a1d15c7"
    "f3839a08698d9f35f9d966e5000f7cb2655d7b6c4adcd8a9d950ea5f61bb7c9a33c17508f9baa313eecfee4a"
    "e493249ebe05a5d7770bbd3551b2eeb752e3649e0636de08e3d672e66cb90282010100ad93e4c31072b063fc"
    "5ab5fe22afacece775c795d0efdf7c704cfc027bde0d626a7646fc905bb5a80117e3ca49059af14e0160089f"
    "9190065be9bfecf12c3b2145b211c8e89e42dd91c38e9aa23ca73697063564f6f6aa6590088a738722df0560"
    "04d18d7bccac62b3bafef6172fc2a4b071ea37f31eff7a076bcab7dd144e51a9da8754219352aef2c7347897"
    "1539fa41de4759285ea626fa3c72e7085be47d554d915bbb5149cb6ef835351f231043049cd941506a034bf2"
    "f8767f3e1e42ead92f91cb3d75549b57ef7d56ac39c2d80d67f6a2b4ca192974bfc5060e2dd1712179710021"
    "93dba12e7e4133ab201f07500a90495a38610279b13a48d54f0c99028201003e3a1ac0c2b67d54ed5c4bbe04"
    "a7db99103659d33a4f9d35809e1f60c282e5988dddc964527f3b05e6cc890eab3dcb571d66debf3a5527704c"
    "87264b3954d7265f4e8d2c637dd89b491b9cf23f264801f804b90454d65af0c4c830d1aef76f597ef61b26ca"
    "857ecce9cb78d4f6c2218c00d2975d46c2b013fbf59b750c3b92d8d3ed9e6d1fd0ef1ec091a5c286a3fe2dea"
    "d292f40f380065731e2079ebb9f2a7ef2c415ecbb488da98f3a12609ca1b6ec8c734032c8bd513292ff842c3"
    "75d4acd1b02dfb206b24cd815f8e2f9d4af8e7dea0370b19c1b23cc531d78b40e06e1119ee2e08f6f31c6e2e"
    "8444c568d13c5d451a291ae0c9f1d4f27d23b3a00d60ad";

inline constexpr const char* rsaPublic =
    "080012a60430820222300d06092a864886f70d01010105000382020f003082020a0282020100e1beab071d08"
    "200bde24eef00d049449b07770ff9910257b2d7d5dda242ce8f0e2f12e1af4b32d9efd2c090f66b0f29986db"
    "b645dae9880089704a94e5066d594162ae6ee8892e6ec70701db0a6c445c04778eb3de1293aa1a23c3825b85"
    "c6620a2bc3f82f9b0c309bc0ab3aeb1873282bebd3da03c33e76c21e9beb172fd44c9e43be32e2c99827033c"
    "f8d0f0c606f4579326c930eb4e854395ad941256542c793902185153c474bed109d6ff5141ebf9cd256cf588"
    "93a37f83729f97e7cb435ec679d2e33901d27bb35aa0d7e20561da08885ef0abbf8e2fb48d6a5487047a9ecb"
    "1ad41fa7ed84f6e3e8ecd5d98b3982d2a901b4454991766da295ab78822add5612a2df83bcee814cf50973e8"
    "0d7ef38111b1bd87da2ae92438a2c8cbcc70b31ee319939a3b9c761dbc13b5c086d6b64bf7ae7dacc1462237"
    "5d92a8ff9af7eb962162bbddebf90acb32adb5e4e4029f1c96019949ecfbfeffd7ac1e3fbcc6b6168c34be3d"
    "5a2e5999fcbb39bba7adbca78eab09b9bc39f7fa4b93411f4cc175e70c0a083e96bfaefb04a9580b4753c173"
    "8a6a760ae1afd851a1a4bdad231cf56e9284d832483df215a46c1c21bdf0c6cfe951c18f1ee4078c79c13d63"
    "edb6e14feaeffabc90ad317e4875fe648101b0864097e998f0ca3025ef9638cd2b0caecd3770ab54a1d9c6ca"
    "959b0f5dcbc90caeefc4135baca6fd475224269bbe1b0203010001";

} // namespace spec_vectors

namespace {

struct PkeyFree {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

Bytes hexBytes(const char* hex) {
    return fromHex(hex);
}

// The Data field of a spec private key protobuf (the test builds OpenSSL signers from it).
Bytes privateData(const char* hex) {
    const Bytes encoded = fromHex(hex);
    wire::PrivateKey message;
    if (!message.ParseFromArray(encoded.data(), static_cast<int>(encoded.size())))
        return {};
    return Bytes(message.data().begin(), message.data().end());
}

Pkey secp256k1FromScalar(const Bytes& scalar) {
    BIGNUM* bn = BN_bin2bn(scalar.data(), static_cast<int>(scalar.size()), nullptr);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "secp256k1", 0);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, bn);
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
    EVP_PKEY* key = nullptr;
    if (EVP_PKEY_fromdata_init(ctx) == 1)
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_KEYPAIR, params);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    return Pkey(key);
}

Pkey derPrivate(int type, const Bytes& der) {
    const unsigned char* p = der.data();
    return Pkey(d2i_PrivateKey(type, nullptr, &p, static_cast<long>(der.size())));
}

// libp2p's non-Ed25519 signatures: SHA-256 digest, DER (ECDSA) or PKCS#1 v1.5 (RSA).
Bytes opensslSign(EVP_PKEY* key, const Bytes& message) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    Bytes signature;
    std::size_t length = 0;
    if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
        EVP_DigestSign(ctx, nullptr, &length, message.data(), message.size()) == 1) {
        signature.resize(length);
        if (EVP_DigestSign(ctx, signature.data(), &length, message.data(), message.size()) == 1)
            signature.resize(length);
        else
            signature.clear();
    }
    EVP_MD_CTX_free(ctx);
    return signature;
}

} // namespace

class TestKeys final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void keyTypeNames();
    void publicKeyVectors_data();
    void publicKeyVectors();
    void ed25519PrivateVector();
    void ed25519PrivateForms();
    void rfc8032Vector();
    void signVerifyRoundTrip();
    void generatedKeysDiffer();
    void remoteKeyVerify_data();
    void remoteKeyVerify();
    void malformedPublicKeys_data();
    void malformedPublicKeys();
    void malformedPrivateKeys_data();
    void malformedPrivateKeys();
};

void TestKeys::keyTypeNames() {
    QCOMPARE(keyTypeName(KeyType::Rsa), "RSA");
    QCOMPARE(keyTypeName(KeyType::Ed25519), "Ed25519");
    QCOMPARE(keyTypeName(KeyType::Secp256k1), "Secp256k1");
    QCOMPARE(keyTypeName(KeyType::Ecdsa), "ECDSA");
}

void TestKeys::publicKeyVectors_data() {
    QTest::addColumn<QByteArray>("hex");
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("dataSize");
    QTest::newRow("ed25519") << QByteArray(spec_vectors::ed25519Public) << int(KeyType::Ed25519)
                             << 32;
    QTest::newRow("secp256k1") << QByteArray(spec_vectors::secp256k1Public)
                               << int(KeyType::Secp256k1) << 33;
    QTest::newRow("ecdsa") << QByteArray(spec_vectors::ecdsaPublic) << int(KeyType::Ecdsa) << 91;
    QTest::newRow("rsa") << QByteArray(spec_vectors::rsaPublic) << int(KeyType::Rsa) << 550;
}

void TestKeys::publicKeyVectors() {
    QFETCH(QByteArray, hex);
    QFETCH(int, type);
    QFETCH(int, dataSize);
    const Bytes encoded = fromHex(hex.toStdString());
    QVERIFY(!encoded.empty());
    auto key = PublicKey::fromProtobuf(encoded);
    QVERIFY2(key.ok(), key.ok() ? "" : key.errorMessage().c_str());
    QCOMPARE(int(key->type()), type);
    QCOMPARE(int(key->data().size()), dataSize);
    QCOMPARE(key->toProtobuf(), encoded);
    // Rebuilt from its parts, the key encodes identically (what PeerIds are hashed over).
    QCOMPARE(PublicKey(key->type(), key->data()).toProtobuf(), encoded);
}

void TestKeys::ed25519PrivateVector() {
    auto key = PrivateKey::fromProtobuf(hexBytes(spec_vectors::ed25519Private));
    QVERIFY2(key.ok(), key.ok() ? "" : key.errorMessage().c_str());
    // The spec: implementations SHOULD produce the provided public key from the private key.
    QCOMPARE(key->publicKey().toProtobuf(), hexBytes(spec_vectors::ed25519Public));
    QCOMPARE(key->toProtobuf(), hexBytes(spec_vectors::ed25519Private));
    QCOMPARE(toHex(key->seed()),
             std::string("7e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d"));
}

void TestKeys::ed25519PrivateForms() {
    const Bytes full = privateData(spec_vectors::ed25519Private); // seed || public
    QCOMPARE(full.size(), std::size_t(64));
    const Bytes seed(full.begin(), full.begin() + 32);
    const Bytes pub(full.begin() + 32, full.end());
    auto encode = [](const Bytes& data) {
        wire::PrivateKey message;
        message.set_type(wire::Ed25519);
        message.set_data(data.data(), data.size());
        const std::string out = message.SerializeAsString();
        return Bytes(out.begin(), out.end());
    };

    auto fromSeed = PrivateKey::fromProtobuf(encode(seed));
    QVERIFY(fromSeed.ok());
    QCOMPARE(fromSeed->publicKey().data(), pub);
    QCOMPARE(fromSeed->toProtobuf(), hexBytes(spec_vectors::ed25519Private)); // writes 64 bytes

    Bytes legacy = full; // old go format: seed || public || public
    append(legacy, pub);
    auto fromLegacy = PrivateKey::fromProtobuf(encode(legacy));
    QVERIFY(fromLegacy.ok());
    QCOMPARE(fromLegacy->publicKey().data(), pub);

    Bytes mismatched = full;
    mismatched.back() ^= 1;
    auto bad = PrivateKey::fromProtobuf(encode(mismatched));
    QVERIFY(!bad.ok());
    QCOMPARE(bad.errorMessage(),
             std::string("private key: embedded Ed25519 public key does not match the seed"));

    Bytes legacyMismatch = legacy;
    legacyMismatch.back() ^= 1;
    QVERIFY(!PrivateKey::fromProtobuf(encode(legacyMismatch)).ok());

    auto direct = PrivateKey::fromEd25519Seed(seed);
    QVERIFY(direct.ok());
    QCOMPARE(direct->publicKey().data(), pub);
    auto shortSeed = PrivateKey::fromEd25519Seed(ByteView(seed).first(31));
    QVERIFY(!shortSeed.ok());
    QCOMPARE(shortSeed.errorMessage(),
             std::string("Ed25519 private key seed must be 32 bytes, got 31"));
}

void TestKeys::rfc8032Vector() {
    // RFC 8032 section 7.1, TEST 1 (empty message).
    auto key = PrivateKey::fromEd25519Seed(
        fromHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    QVERIFY(key.ok());
    QCOMPARE(toHex(key->publicKey().data()),
             std::string("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"));
    const Bytes signature = key->sign({});
    QCOMPARE(
        toHex(signature),
        std::string("e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590"
                    "a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"));
    QVERIFY(key->publicKey().verify({}, signature));
}

void TestKeys::signVerifyRoundTrip() {
    const PrivateKey key = PrivateKey::generateEd25519();
    const PublicKey pub = key.publicKey();
    QCOMPARE(pub.type(), KeyType::Ed25519);
    QCOMPARE(pub.data().size(), std::size_t(32));
    const Bytes message = toBytes("noise-libp2p-static-key:0123456789abcdef0123456789abcdef");
    const Bytes signature = key.sign(message);
    QCOMPARE(signature.size(), std::size_t(64));
    QCOMPARE(key.sign(message), signature); // Ed25519 is deterministic
    QVERIFY(pub.verify(message, signature));

    Bytes tamperedSignature = signature;
    tamperedSignature[10] ^= 0x01;
    QVERIFY(!pub.verify(message, tamperedSignature));
    Bytes tamperedMessage = message;
    tamperedMessage.back() ^= 0x01;
    QVERIFY(!pub.verify(tamperedMessage, signature));
    QVERIFY(!pub.verify(message, ByteView(signature).first(63)));
    QVERIFY(!pub.verify(message, {}));
    QVERIFY(!PrivateKey::generateEd25519().publicKey().verify(message, signature));

    // A key reloaded from its protobuf signs the same way.
    auto reloaded = PrivateKey::fromProtobuf(key.toProtobuf());
    QVERIFY(reloaded.ok());
    QCOMPARE(reloaded->seed(), key.seed());
    QCOMPARE(reloaded->sign(message), signature);
    auto reloadedPub = PublicKey::fromProtobuf(pub.toProtobuf());
    QVERIFY(reloadedPub.ok());
    QCOMPARE(*reloadedPub, pub);

    // A default-constructed key has nothing to sign with.
    QVERIFY(PrivateKey().sign(message).empty());
    QVERIFY(!PublicKey().verify(message, signature));
}

void TestKeys::generatedKeysDiffer() {
    const PrivateKey a = PrivateKey::generateEd25519();
    const PrivateKey b = PrivateKey::generateEd25519();
    QVERIFY(a.seed() != b.seed());
    QVERIFY(a.publicKey() != b.publicKey());
}

void TestKeys::remoteKeyVerify_data() {
    QTest::addColumn<QByteArray>("privateHex");
    QTest::addColumn<QByteArray>("publicHex");
    QTest::newRow("secp256k1") << QByteArray(spec_vectors::secp256k1Private)
                               << QByteArray(spec_vectors::secp256k1Public);
    QTest::newRow("ecdsa") << QByteArray(spec_vectors::ecdsaPrivate)
                           << QByteArray(spec_vectors::ecdsaPublic);
    QTest::newRow("rsa") << QByteArray(spec_vectors::rsaPrivate)
                         << QByteArray(spec_vectors::rsaPublic);
}

void TestKeys::remoteKeyVerify() {
    QFETCH(QByteArray, privateHex);
    QFETCH(QByteArray, publicHex);
    auto pub = PublicKey::fromProtobuf(fromHex(publicHex.toStdString()));
    QVERIFY2(pub.ok(), pub.ok() ? "" : pub.errorMessage().c_str());

    // Sign with the spec's matching private key through OpenSSL, as a remote peer would.
    const Bytes data = privateData(privateHex.constData());
    QVERIFY(!data.empty());
    Pkey signer;
    switch (pub->type()) {
    case KeyType::Secp256k1:
        signer = secp256k1FromScalar(data);
        break;
    case KeyType::Ecdsa:
        signer = derPrivate(EVP_PKEY_EC, data);
        break;
    case KeyType::Rsa:
        signer = derPrivate(EVP_PKEY_RSA, data);
        break;
    default:
        QFAIL("unexpected key type");
    }
    QVERIFY(signer);
    const Bytes message = toBytes("libp2p-peer-record payload");
    const Bytes signature = opensslSign(signer.get(), message);
    QVERIFY(!signature.empty());
    QVERIFY(pub->verify(message, signature));

    Bytes tamperedSignature = signature;
    tamperedSignature[tamperedSignature.size() / 2] ^= 0x04;
    QVERIFY(!pub->verify(message, tamperedSignature));
    Bytes tamperedMessage = message;
    tamperedMessage[0] ^= 0x01;
    QVERIFY(!pub->verify(tamperedMessage, signature));
    QVERIFY(!pub->verify(message, {}));
}

void TestKeys::malformedPublicKeys_data() {
    QTest::addColumn<QByteArray>("hex");
    QTest::addColumn<QString>("error");
    const QByteArray key32 = QByteArray(64, 'a');
    QTest::newRow("empty") << QByteArray("") << "public key: missing Type field";
    QTest::newRow("no data") << QByteArray("0801") << "public key: missing Data field";
    QTest::newRow("no type") << "1220" + key32 << "public key: missing Type field";
    QTest::newRow("unknown type") << "08071220" + key32 << "public key: unsupported key type 7";
    QTest::newRow("garbage") << QByteArray("ffffff") << "public key: malformed protobuf";
    QTest::newRow("truncated data")
        << "08011220" + key32.left(62) << "public key: malformed protobuf";
    QTest::newRow("ed25519 short")
        << "0801121f" + key32.left(62) << "public key: Ed25519 public key must be 32 bytes, got 31";
    QTest::newRow("ed25519 long") << "0801122100" + key32
                                  << "public key: Ed25519 public key must be 32 bytes, got 33";
    QTest::newRow("secp256k1 uncompressed length")
        << "08021220" + key32
        << "public key: Secp256k1 public key must be 33 bytes (compressed point), got 32";
    QTest::newRow("secp256k1 bad prefix")
        << "0802122104" + key32
        << "public key: Secp256k1 public key is not a valid compressed curve point";
    QTest::newRow("ecdsa garbage")
        << QByteArray("08031204deadbeef")
        << "public key: ECDSA public key is not a DER SubjectPublicKeyInfo EC key";
    // The ECDSA vector's SPKI presented as RSA.
    QTest::newRow("rsa given ec key")
        << "0800125b" + QByteArray(spec_vectors::ecdsaPublic).mid(8)
        << "public key: RSA public key is not a DER SubjectPublicKeyInfo RSA key";
    // Valid fields in the wrong order: PeerIds would hash different bytes.
    QTest::newRow("reordered") << "1220" + key32 + "0801"
                               << "public key: protobuf is not in the deterministic libp2p "
                                  "encoding";
    QTest::newRow("extra field") << "08011220" + key32 + "1801"
                                 << "public key: protobuf is not in the deterministic libp2p "
                                    "encoding";
}

void TestKeys::malformedPublicKeys() {
    QFETCH(QByteArray, hex);
    QFETCH(QString, error);
    const Bytes encoded = fromHex(hex.toStdString());
    QCOMPARE(encoded.size() * 2, std::size_t(hex.size()));
    auto key = PublicKey::fromProtobuf(encoded);
    QVERIFY(!key.ok());
    QCOMPARE(QString::fromStdString(key.errorMessage()), error);
}

void TestKeys::malformedPrivateKeys_data() {
    QTest::addColumn<QByteArray>("hex");
    QTest::addColumn<QString>("error");
    QTest::newRow("empty") << QByteArray("") << "private key: missing Type field";
    QTest::newRow("no data") << QByteArray("0801") << "private key: missing Data field";
    QTest::newRow("garbage") << QByteArray("0a0b0c") << "private key: malformed protobuf";
    QTest::newRow("secp256k1") << QByteArray(spec_vectors::secp256k1Private)
                               << "private key: type Secp256k1 is not supported (PeerScope "
                                  "identities are Ed25519)";
    QTest::newRow("ecdsa") << QByteArray(spec_vectors::ecdsaPrivate)
                           << "private key: type ECDSA is not supported (PeerScope identities "
                              "are Ed25519)";
    QTest::newRow("rsa") << QByteArray(spec_vectors::rsaPrivate)
                         << "private key: type RSA is not supported (PeerScope identities are "
                            "Ed25519)";
    QTest::newRow("ed25519 48 bytes")
        << "08011230" + QByteArray(96, '1')
        << "private key: Ed25519 Data must be 32, 64 or 96 bytes, got 48";
}

void TestKeys::malformedPrivateKeys() {
    QFETCH(QByteArray, hex);
    QFETCH(QString, error);
    auto key = PrivateKey::fromProtobuf(fromHex(hex.toStdString()));
    QVERIFY(!key.ok());
    QCOMPARE(QString::fromStdString(key.errorMessage()), error);
}

QTEST_APPLESS_MAIN(TestKeys)
#include "tst_keys.moc"
