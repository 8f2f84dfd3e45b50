// The identity key file: created 0600 with 0700 parents, reloaded unchanged, and refused when
// others can read it or when it is not a libp2p private key.
#include "engine/core/identity_store.h"
#include "engine/core/peer_id.h"

#include <QTemporaryDir>
#include <QtTest>
#include <fstream>
#include <sys/stat.h>

using namespace peerscope;

namespace {

mode_t modeOf(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
        return 0;
    return st.st_mode & 07777;
}

void writeFile(const std::string& path, const Bytes& data, mode_t mode) {
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(data.data()),
                  static_cast<std::streamsize>(data.size()));
    }
    ::chmod(path.c_str(), mode);
}

Bytes readFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

} // namespace

class TestIdentityStore final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void createsThenReloads();
    void createsParentDirectories();
    void refusesReadableByOthers_data();
    void refusesReadableByOthers();
    void refusesGarbage_data();
    void refusesGarbage();
    void loadsForeignKeyFile();
    void refusesDirectory();
    void emptyPath();

private:
    QTemporaryDir dir_;
    std::string path(const char* name) const { return (dir_.path() + "/" + name).toStdString(); }
};

void TestIdentityStore::createsThenReloads() {
    QVERIFY(dir_.isValid());
    const std::string file = path("identity.key");
    auto created = loadOrCreateIdentity(file);
    QVERIFY2(created.ok(), created.ok() ? "" : created.errorMessage().c_str());
    QCOMPARE(modeOf(file), mode_t(0600));
    QCOMPARE(readFile(file), created->toProtobuf());
    QCOMPARE(readFile(file).size(), std::size_t(4 + 64)); // Type, Data (seed || public)

    auto reloaded = loadOrCreateIdentity(file);
    QVERIFY2(reloaded.ok(), reloaded.ok() ? "" : reloaded.errorMessage().c_str());
    QCOMPARE(reloaded->seed(), created->seed());
    QCOMPARE(PeerId::fromPublicKey(reloaded->publicKey()),
             PeerId::fromPublicKey(created->publicKey()));
    QCOMPARE(modeOf(file), mode_t(0600));

    // No temp files are left next to the key.
    const QStringList entries = QDir(dir_.path()).entryList(QDir::Files | QDir::Hidden);
    QCOMPARE(entries, QStringList{"identity.key"});
}

void TestIdentityStore::createsParentDirectories() {
    const std::string parent = path("a");
    const std::string file = path("a/b/c/key");
    auto created = loadOrCreateIdentity(file);
    QVERIFY2(created.ok(), created.ok() ? "" : created.errorMessage().c_str());
    QCOMPARE(modeOf(file), mode_t(0600));
    QCOMPARE(modeOf(parent) & 077, mode_t(0)); // umask can only narrow 0700
    QVERIFY((modeOf(path("a/b/c")) & 077) == 0);
    QVERIFY((modeOf(path("a/b/c")) & 0700) == 0700);
}

void TestIdentityStore::refusesReadableByOthers_data() {
    QTest::addColumn<int>("mode");
    QTest::addColumn<QString>("modeText");
    QTest::newRow("0644") << 0644 << "0644";
    QTest::newRow("0640") << 0640 << "0640";
    QTest::newRow("0604") << 0604 << "0604";
    QTest::newRow("0660") << 0660 << "0660";
}

void TestIdentityStore::refusesReadableByOthers() {
    QFETCH(int, mode);
    QFETCH(QString, modeText);
    const std::string file = path("shared.key");
    const Bytes key = PrivateKey::generateEd25519().toProtobuf();
    writeFile(file, key, static_cast<mode_t>(mode));
    auto loaded = loadOrCreateIdentity(file);
    QVERIFY(!loaded.ok());
    QCOMPARE(QString::fromStdString(loaded.errorMessage()),
             QString::fromStdString("identity key file " + file +
                                    " is accessible by group or others (mode ") +
                 modeText + QString::fromStdString("); run: chmod 600 " + file));
    // Refusing must not touch the file.
    QCOMPARE(readFile(file), key);
    QCOMPARE(int(modeOf(file)), mode);
    ::chmod(file.c_str(), 0600);
    auto fixed = loadOrCreateIdentity(file);
    QVERIFY(fixed.ok());
    QCOMPARE(fixed->toProtobuf(), key);
}

void TestIdentityStore::refusesGarbage_data() {
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("reason");
    QTest::newRow("text") << QByteArray("not a key\n") << "private key: malformed protobuf";
    QTest::newRow("empty") << QByteArray() << "private key: missing Type field";
    // The spec's secp256k1 private key: a real libp2p key, but not a type PeerScope signs with.
    QTest::newRow("secp256k1") << QByteArray::fromHex("0802122053dadf1d5a164d6b4acdb15e24aa4c5b1d"
                                                      "3461bdbd42abedb0a4404d56ced8fb")
                               << "private key: type Secp256k1 is not supported (PeerScope "
                                  "identities are Ed25519)";
    QTest::newRow("truncated") << QByteArray::fromHex("0801124001020304")
                               << "private key: malformed protobuf";
}

void TestIdentityStore::refusesGarbage() {
    QFETCH(QByteArray, content);
    QFETCH(QString, reason);
    const std::string file = path("garbage.key");
    const Bytes bytes(content.begin(), content.end());
    writeFile(file, bytes, 0600);
    auto loaded = loadOrCreateIdentity(file);
    QVERIFY(!loaded.ok());
    QCOMPARE(QString::fromStdString(loaded.errorMessage()),
             QString::fromStdString("identity key file " + file + " is not a valid libp2p key: ") +
                 reason);
    QCOMPARE(readFile(file), bytes); // never overwritten with a fresh key
}

void TestIdentityStore::loadsForeignKeyFile() {
    // A go/js-libp2p key file: the spec's Ed25519 PrivateKey protobuf.
    const Bytes spec = fromHex("080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da"
                               "60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474"
                               "fce27e");
    const std::string file = path("go.key");
    writeFile(file, spec, 0600);
    auto loaded = loadOrCreateIdentity(file);
    QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.errorMessage().c_str());
    QCOMPARE(PeerId::fromPublicKey(loaded->publicKey()).toBase58(),
             std::string("12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"));
}

void TestIdentityStore::refusesDirectory() {
    const std::string file = path("adir");
    QVERIFY(QDir().mkpath(QString::fromStdString(file)));
    ::chmod(file.c_str(), 0700);
    auto loaded = loadOrCreateIdentity(file);
    QVERIFY(!loaded.ok());
    QCOMPARE(loaded.errorMessage(), "identity key file " + file + " is not a regular file");
}

void TestIdentityStore::emptyPath() {
    auto loaded = loadOrCreateIdentity("");
    QVERIFY(!loaded.ok());
    QCOMPARE(loaded.errorMessage(), std::string("identity key file path is empty"));
}

QTEST_APPLESS_MAIN(TestIdentityStore)
#include "tst_identity_store.moc"
