// Multiaddr text and binary codecs. The ip4/tcp vector is from multiformats/multiaddr
// test/multiaddr.feature; other expected bytes follow from the multicodec table.csv codes
// (computed independently in Python).
#include "engine/core/multiaddr.h"

#include <QtTest>

using namespace peerscope;

namespace {

constexpr const char* ed25519Peer = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
constexpr const char* ed25519PeerCid =
    "bafzaajaiaejcal72gwuz2or47oyxxn6b3rkwdmmkrxgkjxzy3rqt5kczyn7lcm3l";
constexpr const char* sha256Peer = "QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N";
constexpr const char* p2pEd25519Hex =
    "a503260024080112202ffa35a99d3a3cfbb17bb7c1dc5561b18a8dcca4df38dc613ea859c37eb1336b";
constexpr const char* p2pSha256Hex =
    "a5032212209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9";
// sha2-256 multihash of "peerscope certhash".
constexpr const char* certhashText = "uEiAmvjF0Yxa9-0PGNa5s_cue8vBW2wHyZv2k7gBO2H1wDA";
constexpr const char* certhashBase32 = "bciqcnprrorrrnpp3ipddlltm7xfz54xqk3nqd4tg7wso4aco3b6xada";
constexpr const char* certhashHex =
    "d20322122026be31746316bdfb43c635ae6cfdcb9ef2f056db01f266fda4ee004ed87d700c";

Multiaddr mustParse(const std::string& text) {
    auto parsed = Multiaddr::parse(text);
    if (!parsed)
        qFatal("%s: %s", text.c_str(), parsed.errorMessage().c_str());
    return parsed.value();
}

PeerId mustPeer(const char* text) {
    auto peer = PeerId::parse(text);
    if (!peer)
        qFatal("%s: %s", text, peer.errorMessage().c_str());
    return peer.value();
}

} // namespace

class TestMultiaddr final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void specVector();
    void roundTrips_data();
    void roundTrips();
    void normalises_data();
    void normalises();
    void textErrors_data();
    void textErrors();
    void binaryErrors_data();
    void binaryErrors();
    void components();
    void peerIdHelpers();
    void tcpEndpoint_data();
    void tcpEndpoint();
    void fromTcpEndpoint_data();
    void fromTcpEndpoint();
};

void TestMultiaddr::specVector() {
    auto parsed = Multiaddr::parse("/ip4/192.0.2.42/tcp/443");
    QVERIFY(parsed.ok());
    QCOMPARE(toHex(parsed->toBytes()), std::string("04c000022a0601bb"));
    QCOMPARE(parsed->toBytes().size(), std::size_t(8));
    auto decoded = Multiaddr::fromBytes(fromHex("04c000022a0601bb"));
    QVERIFY(decoded.ok());
    QCOMPARE(decoded->toString(), std::string("/ip4/192.0.2.42/tcp/443"));
    QCOMPARE(decoded->toString().size(), std::size_t(23));
    QCOMPARE(decoded->components().size(), std::size_t(2));
    QCOMPARE(decoded->components()[0].name(), std::string("ip4"));
    QCOMPARE(decoded->components()[0].valueString(), std::string("192.0.2.42"));
    QCOMPARE(toHex(decoded->components()[0].value), std::string("c000022a"));
    QCOMPARE(decoded->components()[1].name(), std::string("tcp"));
    QCOMPARE(decoded->components()[1].valueString(), std::string("443"));
    QCOMPARE(toHex(decoded->components()[1].value), std::string("01bb"));
}

void TestMultiaddr::roundTrips_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("hex");
    QTest::newRow("ip4 tcp") << "/ip4/127.0.0.1/tcp/4001"
                             << "047f000001060fa1";
    QTest::newRow("ip4 port 0") << "/ip4/0.0.0.0/tcp/0"
                                << "0400000000060000";
    QTest::newRow("ip4 port max") << "/ip4/255.255.255.255/udp/65535"
                                  << "04ffffffff9102ffff";
    QTest::newRow("ip6 loopback") << "/ip6/::1/tcp/4001"
                                  << "2900000000000000000000000000000001060fa1";
    QTest::newRow("ip6 quic-v1") << "/ip6/2001:db8::8a2e:370:7334/udp/9090/quic-v1"
                                 << "2920010db80000000000008a2e0370733491022382cd03";
    QTest::newRow("ip6 v4-mapped") << "/ip6/::ffff:1.2.3.4/tcp/1"
                                   << "2900000000000000000000ffff01020304060001";
    QTest::newRow("dns tcp") << "/dns/example.com/tcp/443"
                             << "350b6578616d706c652e636f6d0601bb";
    QTest::newRow("dns4 ws") << "/dns4/example.com/tcp/443/ws"
                             << "360b6578616d706c652e636f6d0601bbdd03";
    QTest::newRow("dns6 udp") << "/dns6/localhost/udp/53"
                              << "37096c6f63616c686f737491020035";
    QTest::newRow("dnsaddr") << "/dnsaddr/bootstrap.libp2p.io"
                             << "3813626f6f7473747261702e6c69627032702e696f";
    QTest::newRow("tls ws") << "/ip4/1.2.3.4/tcp/443/tls/ws"
                            << "04010203040601bbc003dd03";
    QTest::newRow("p2p ed25519") << QString("/ip4/1.2.3.4/tcp/4001/p2p/") + ed25519Peer
                                 << QString("0401020304060fa1") + p2pEd25519Hex;
    QTest::newRow("p2p only") << QString("/p2p/") + sha256Peer << QString(p2pSha256Hex);
    QTest::newRow("circuit") << QString("/ip4/1.2.3.4/tcp/4001/p2p/") + sha256Peer +
                                    "/p2p-circuit/p2p/" + ed25519Peer
                             << QString("0401020304060fa1") + p2pSha256Hex + "a202" + p2pEd25519Hex;
    QTest::newRow("webrtc-direct certhash")
        << QString("/ip4/1.2.3.4/udp/4001/webrtc-direct/certhash/") + certhashText
        << QString("040102030491020fa19802") + certhashHex;
}

void TestMultiaddr::roundTrips() {
    QFETCH(QString, text);
    QFETCH(QString, hex);
    auto parsed = Multiaddr::parse(text.toStdString());
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.errorMessage().c_str());
    QCOMPARE(QString::fromStdString(toHex(parsed->toBytes())), hex);
    QCOMPARE(QString::fromStdString(parsed->toString()), text);
    auto decoded = Multiaddr::fromBytes(fromHex(hex.toStdString()));
    QVERIFY2(decoded.ok(), decoded.ok() ? "" : decoded.errorMessage().c_str());
    QCOMPARE(*decoded, *parsed);
    QCOMPARE(QString::fromStdString(decoded->toString()), text);
    QVERIFY(!decoded->empty());
}

void TestMultiaddr::normalises_data() {
    QTest::addColumn<QString>("input");
    QTest::addColumn<QString>("canonical");
    QTest::newRow("ipfs alias") << QString("/ipfs/") + sha256Peer << QString("/p2p/") + sha256Peer;
    QTest::newRow("p2p as CID") << QString("/ip4/1.2.3.4/tcp/1/p2p/") + ed25519PeerCid
                                << QString("/ip4/1.2.3.4/tcp/1/p2p/") + ed25519Peer;
    QTest::newRow("ip6 long form") << "/ip6/0:0:0:0:0:0:0:1/tcp/1"
                                   << "/ip6/::1/tcp/1";
    QTest::newRow("ip6 upper case") << "/ip6/2001:DB8::1/udp/1"
                                    << "/ip6/2001:db8::1/udp/1";
    QTest::newRow("port leading zeros") << "/ip4/1.2.3.4/tcp/0080"
                                        << "/ip4/1.2.3.4/tcp/80";
    QTest::newRow("trailing slash") << "/ip4/1.2.3.4/tcp/80/"
                                    << "/ip4/1.2.3.4/tcp/80";
    QTest::newRow("certhash base32")
        << QString("/ip4/1.2.3.4/udp/1/webrtc-direct/certhash/") + certhashBase32
        << QString("/ip4/1.2.3.4/udp/1/webrtc-direct/certhash/") + certhashText;
}

void TestMultiaddr::normalises() {
    QFETCH(QString, input);
    QFETCH(QString, canonical);
    auto parsed = Multiaddr::parse(input.toStdString());
    QVERIFY2(parsed.ok(), parsed.ok() ? "" : parsed.errorMessage().c_str());
    QCOMPARE(QString::fromStdString(parsed->toString()), canonical);
    QCOMPARE(mustParse(canonical.toStdString()), *parsed);
}

void TestMultiaddr::textErrors_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("error");
    QTest::newRow("empty") << ""
                           << "must start with \"/\"";
    QTest::newRow("no slash") << "ip4/1.2.3.4"
                              << "must start with \"/\"";
    QTest::newRow("only slash") << "/"
                                << "empty multiaddr";
    QTest::newRow("unknown protocol") << "/ip5/1.2.3.4"
                                      << "component 1: unknown protocol \"ip5\"";
    QTest::newRow("unknown later") << "/ip4/1.2.3.4/sctp/1"
                                   << "component 2: unknown protocol \"sctp\"";
    QTest::newRow("draft quic") << "/ip4/1.2.3.4/udp/1/quic"
                                << "component 3: unknown protocol \"quic\"";
    QTest::newRow("port too big") << "/ip4/1.2.3.4/tcp/99999"
                                  << "component 2 (tcp): port \"99999\" out of range 0-65535";
    QTest::newRow("port huge") << "/ip4/1.2.3.4/udp/123456789012345678901234567890"
                               << "component 2 (udp): port \"123456789012345678901234567890\" "
                                  "out of range 0-65535";
    QTest::newRow("port text") << "/ip4/1.2.3.4/tcp/http"
                               << "component 2 (tcp): port \"http\" is not a number";
    QTest::newRow("port negative") << "/ip4/1.2.3.4/tcp/-1"
                                   << "component 2 (tcp): port \"-1\" is not a number";
    QTest::newRow("port plus") << "/ip4/1.2.3.4/tcp/+1"
                               << "component 2 (tcp): port \"+1\" is not a number";
    QTest::newRow("tcp missing value") << "/ip4/1.2.3.4/tcp"
                                       << "component 2 (tcp): missing value";
    QTest::newRow("p2p missing value") << "/ip4/1.2.3.4/tcp/1/p2p"
                                       << "component 3 (p2p): missing value";
    QTest::newRow("ip4 missing value") << "/ip4"
                                       << "component 1 (ip4): missing value";
    QTest::newRow("bad ip4") << "/ip4/256.0.0.1/tcp/1"
                             << "component 1 (ip4): invalid IPv4 address \"256.0.0.1\"";
    QTest::newRow("ip4 given ip6") << "/ip4/::1"
                                   << "component 1 (ip4): invalid IPv4 address \"::1\"";
    QTest::newRow("bad ip6") << "/ip6/::g"
                             << "component 1 (ip6): invalid IPv6 address \"::g\"";
    QTest::newRow("ip6 zone") << "/ip6/fe80::1%eth0"
                              << "component 1 (ip6): invalid IPv6 address \"fe80::1%eth0\"";
    QTest::newRow("empty ip4") << "/ip4//tcp/1"
                               << "component 1 (ip4): invalid IPv4 address \"\"";
    QTest::newRow("empty protocol") << "/ip4/1.2.3.4//tcp/1"
                                    << "component 2: empty protocol name";
    QTest::newRow("empty dns") << "/dns4//tcp/1"
                               << "component 1 (dns4): empty name";
    QTest::newRow("bad peer id") << "/ip4/1.2.3.4/tcp/1/p2p/notapeer"
                                 << "component 3 (p2p): peer id: not base58 (\"1...\"/\"Qm...\") "
                                    "nor a CID: unsupported multibase prefix 'n'";
    QTest::newRow("bad base58 peer") << "/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5l"
                                     << "component 1 (p2p): peer id: invalid base58 character "
                                        "'l' at index 45";
    QTest::newRow("bad certhash base")
        << "/ip4/1.2.3.4/udp/1/webrtc-direct/certhash/xyz"
        << "component 4 (certhash): invalid multibase \"xyz\": unsupported multibase prefix 'x'";
    QTest::newRow("short certhash")
        << "/ip4/1.2.3.4/udp/1/webrtc-direct/certhash/uEiA"
        << "component 4 (certhash): invalid multihash: says 32 digest bytes but 0 follow";
}

void TestMultiaddr::textErrors() {
    QFETCH(QString, text);
    QFETCH(QString, error);
    auto parsed = Multiaddr::parse(text.toStdString());
    QVERIFY(!parsed.ok());
    QCOMPARE(QString::fromStdString(parsed.errorMessage()), error);
}

void TestMultiaddr::binaryErrors_data() {
    QTest::addColumn<QByteArray>("hex");
    QTest::addColumn<QString>("error");
    QTest::newRow("empty") << QByteArray() << "empty multiaddr";
    QTest::newRow("short ip4") << QByteArray("04c00002")
                               << "component 1 (ip4): truncated value: need 4 bytes, have 3";
    QTest::newRow("missing port") << QByteArray("04c000022a06")
                                  << "component 2 (tcp): truncated value: need 2 bytes, have 0";
    QTest::newRow("short ip6") << QByteArray("2900")
                               << "component 1 (ip6): truncated value: need 16 bytes, have 1";
    QTest::newRow("truncated code")
        << QByteArray("04c000022a0601bbff") << "component 3: truncated protocol code";
    QTest::newRow("unknown code") << QByteArray("04c000022a7f")
                                  << "component 2: unknown protocol code 0x7f";
    QTest::newRow("unknown wide code")
        << QByteArray("cc03") << "component 1: unknown protocol code 0x01cc";
    QTest::newRow("non-minimal code") << QByteArray("8400c000022a")
                                      << "component 1: bad protocol code: varint not minimally "
                                         "encoded";
    QTest::newRow("no dns length")
        << QByteArray("35") << "component 1 (dns): truncated value length";
    QTest::newRow("short dns") << QByteArray("3505616263")
                               << "component 1 (dns): truncated value: need 5 bytes, have 3";
    QTest::newRow("empty dns") << QByteArray("3500") << "component 1 (dns): empty name";
    QTest::newRow("slash in dns") << QByteArray("3503612f62")
                                  << "component 1 (dns): name \"a/b\" contains \"/\"";
    QTest::newRow("bad p2p") << QByteArray("04c000022aa50303010203")
                             << "component 2 (p2p): peer id: multihash says 2 digest bytes but "
                                "1 follow";
    QTest::newRow("non-minimal length") << QByteArray("358000")
                                        << "component 1 (dns): bad value length: varint not "
                                           "minimally encoded";
    QTest::newRow("bad certhash") << QByteArray("d203021220")
                                  << "component 1 (certhash): invalid multihash: says 32 digest "
                                     "bytes but 0 follow";
}

void TestMultiaddr::binaryErrors() {
    QFETCH(QByteArray, hex);
    QFETCH(QString, error);
    const Bytes bytes = fromHex(hex.toStdString());
    QCOMPARE(bytes.size() * 2, std::size_t(hex.size()));
    auto decoded = Multiaddr::fromBytes(bytes);
    QVERIFY(!decoded.ok());
    QCOMPARE(QString::fromStdString(decoded.errorMessage()), error);
}

void TestMultiaddr::components() {
    const Multiaddr addr =
        mustParse(std::string("/ip4/1.2.3.4/udp/4001/quic-v1/p2p/") + sha256Peer);
    const auto& c = addr.components();
    QCOMPARE(c.size(), std::size_t(4));
    QCOMPARE(c[0].protocol, MultiaddrProtocol::Ip4);
    QCOMPARE(c[1].protocol, MultiaddrProtocol::Udp);
    QCOMPARE(c[2].protocol, MultiaddrProtocol::QuicV1);
    QCOMPARE(c[2].name(), std::string("quic-v1"));
    QVERIFY(c[2].value.empty());
    QCOMPARE(c[2].valueString(), std::string());
    QCOMPARE(c[3].protocol, MultiaddrProtocol::P2p);
    QCOMPARE(c[3].valueString(), std::string(sha256Peer));
    QVERIFY(Multiaddr().empty());
    QCOMPARE(Multiaddr().toString(), std::string());
}

void TestMultiaddr::peerIdHelpers() {
    const Multiaddr base = mustParse("/ip4/1.2.3.4/tcp/4001");
    const PeerId relay = mustPeer(sha256Peer);
    const PeerId target = mustPeer(ed25519Peer);
    QVERIFY(!base.peerId().has_value());
    QCOMPARE(base.withoutPeerId(), base);

    const Multiaddr withRelay = base.withPeerId(relay);
    QCOMPARE(withRelay.toString(), std::string("/ip4/1.2.3.4/tcp/4001/p2p/") + sha256Peer);
    QCOMPARE(*withRelay.peerId(), relay);
    QCOMPARE(withRelay.withoutPeerId(), base);

    const Multiaddr circuit = withRelay.encapsulate(mustParse("/p2p-circuit")).withPeerId(target);
    QCOMPARE(circuit.toString(), std::string("/ip4/1.2.3.4/tcp/4001/p2p/") + sha256Peer +
                                     "/p2p-circuit/p2p/" + ed25519Peer);
    QCOMPARE(*circuit.peerId(), target); // the last /p2p/ names the peer
    QCOMPARE(circuit.withoutPeerId(), withRelay.encapsulate(mustParse("/p2p-circuit")));
    // A /p2p/ that is not last stays: withoutPeerId only strips a trailing one.
    const Multiaddr relayOnly = withRelay.encapsulate(mustParse("/p2p-circuit"));
    QCOMPARE(relayOnly.withoutPeerId(), relayOnly);
    QCOMPARE(*relayOnly.peerId(), relay);
}

void TestMultiaddr::tcpEndpoint_data() {
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("valid");
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<int>("hostProtocol");
    QTest::newRow("ip4") << "/ip4/10.0.0.1/tcp/4001" << true << "10.0.0.1" << 4001
                         << int(MultiaddrProtocol::Ip4);
    QTest::newRow("ip6 with peer") << QString("/ip6/::1/tcp/65535/p2p/") + ed25519Peer << true
                                   << "::1" << 65535 << int(MultiaddrProtocol::Ip6);
    QTest::newRow("dns4") << "/dns4/example.com/tcp/443" << true << "example.com" << 443
                          << int(MultiaddrProtocol::Dns4);
    QTest::newRow("dns6") << "/dns6/example.com/tcp/1" << true << "example.com" << 1
                          << int(MultiaddrProtocol::Dns6);
    QTest::newRow("dns") << "/dns/example.com/tcp/2" << true << "example.com" << 2
                         << int(MultiaddrProtocol::Dns);
    QTest::newRow("udp") << "/ip4/10.0.0.1/udp/4001" << false << "" << 0 << 0;
    QTest::newRow("ws") << "/ip4/10.0.0.1/tcp/4001/ws" << false << "" << 0 << 0;
    QTest::newRow("circuit") << QString("/ip4/10.0.0.1/tcp/4001/p2p/") + sha256Peer + "/p2p-circuit"
                             << false << "" << 0 << 0;
    QTest::newRow("dnsaddr") << "/dnsaddr/example.com/tcp/1" << false << "" << 0 << 0;
    QTest::newRow("no port") << "/ip4/10.0.0.1" << false << "" << 0 << 0;
}

void TestMultiaddr::tcpEndpoint() {
    QFETCH(QString, text);
    QFETCH(bool, valid);
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(int, hostProtocol);
    const auto endpoint = mustParse(text.toStdString()).tcpEndpoint();
    QCOMPARE(endpoint.has_value(), valid);
    if (!valid)
        return;
    QCOMPARE(QString::fromStdString(endpoint->host), host);
    QCOMPARE(int(endpoint->port), port);
    QCOMPARE(int(endpoint->hostProtocol), hostProtocol);
}

void TestMultiaddr::fromTcpEndpoint_data() {
    QTest::addColumn<QString>("host");
    QTest::addColumn<int>("port");
    QTest::addColumn<QString>("expected");
    QTest::newRow("ip4") << "192.0.2.42" << 443 << "/ip4/192.0.2.42/tcp/443";
    QTest::newRow("ip6") << "2001:db8::1" << 4001 << "/ip6/2001:db8::1/tcp/4001";
    QTest::newRow("ip6 brackets") << "[::1]" << 1 << "/ip6/::1/tcp/1";
    QTest::newRow("ip6 zone dropped") << "fe80::1%eth0" << 2 << "/ip6/fe80::1/tcp/2";
    // Dual-stack sockets report IPv4 peers in mapped form.
    QTest::newRow("v4-mapped") << "::ffff:10.1.2.3" << 3 << "/ip4/10.1.2.3/tcp/3";
    QTest::newRow("name") << "localhost" << 80 << "/dns/localhost/tcp/80";
}

void TestMultiaddr::fromTcpEndpoint() {
    QFETCH(QString, host);
    QFETCH(int, port);
    QFETCH(QString, expected);
    const Multiaddr addr =
        Multiaddr::fromTcpEndpoint(host.toStdString(), static_cast<std::uint16_t>(port));
    QCOMPARE(QString::fromStdString(addr.toString()), expected);
    QCOMPARE(addr, mustParse(expected.toStdString()));
}

QTEST_APPLESS_MAIN(TestMultiaddr)
#include "tst_multiaddr.moc"
