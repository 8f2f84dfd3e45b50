// Circuit relay v2 against js-libp2p's own code: envelope-check.mjs opens and seals vouchers
// with @libp2p/peer-record's RecordEnvelope and @libp2p/circuit-relay-v2's voucher record, and
// encodes/decodes hop and stop messages with its protobuf codecs.
#include "engine/protocol/hop_client_exchange.h"
#include "engine/protocol/hop_server_exchange.h"
#include "engine/protocol/reservation_voucher.h"
#include "engine/protocol/signed_envelope.h"
#include "engine/protocol/stop_client_exchange.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QtTest>

using namespace peerscope;

namespace {

constexpr std::uint64_t now = 1'800'000'000;

PrivateKey keyFromByte(std::uint8_t fill) {
    return PrivateKey::fromEd25519Seed(Bytes(32, fill)).value();
}

PeerId idOf(const PrivateKey& key) {
    return PeerId::fromPublicKey(key.publicKey());
}

QString qhex(const Bytes& bytes) {
    return QString::fromStdString(toHex(bytes));
}

Bytes unhex(const QJsonValue& value) {
    return fromHex(value.toString().toStdString());
}

QString base58(const PeerId& id) {
    return QString::fromStdString(id.toBase58());
}

} // namespace

class TestRelayVoucherInterop final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void jsOpensOurVoucher();
    void jsRefusesBrokenVouchers();
    void weOpenJsVoucher();
    void weReadJsReservation();
    void jsDecodesOurHopMessages();
    void jsDecodesOurStatusCodes();
    void jsDecodesOurStopConnect();

private:
    // Runs envelope-check.mjs once; its one JSON line, or {"ok":false,"error":...}.
    QJsonObject runScript(const QStringList& args);

    QString node_;
    QString dir_;
};

QJsonObject TestRelayVoucherInterop::runScript(const QStringList& args) {
    QProcess process;
    process.setWorkingDirectory(dir_);
    process.start(node_, QStringList{QStringLiteral("--import"), QStringLiteral("./polyfill.mjs"),
                                     QStringLiteral("envelope-check.mjs")} +
                             args);
    if (!process.waitForFinished(30000)) {
        process.kill();
        process.waitForFinished(3000);
        return QJsonObject{{"ok", false}, {"error", "envelope-check.mjs did not finish in 30 s"}};
    }
    const QByteArray out = process.readAllStandardOutput().trimmed();
    const QJsonDocument doc = QJsonDocument::fromJson(out.split('\n').last());
    if (!doc.isObject())
        return QJsonObject{{"ok", false},
                           {"error", QString::fromUtf8("no JSON from envelope-check.mjs: " + out +
                                                       " / " + process.readAllStandardError())}};
    return doc.object();
}

void TestRelayVoucherInterop::initTestCase() {
    dir_ = QStringLiteral(PEERSCOPE_SOURCE_DIR "/tests/interop");
    QVERIFY2(QFileInfo::exists(dir_ + "/node_modules/@libp2p/circuit-relay-v2"),
             "tests/interop/node_modules is missing @libp2p/circuit-relay-v2; run `npm ci` there");
    node_ = qEnvironmentVariable("PEERSCOPE_NODE");
    if (node_.isEmpty())
        node_ = QStandardPaths::findExecutable(QStringLiteral("node"));
    QVERIFY2(!node_.isEmpty(), "node not found in PATH (or set PEERSCOPE_NODE)");
}

void TestRelayVoucherInterop::jsOpensOurVoucher() {
    const PrivateKey relayKey = keyFromByte(0x21);
    const PeerId peer = idOf(keyFromByte(0x22));
    const QJsonObject opened =
        runScript({"open", qhex(ReservationVoucher::make(relayKey, peer, now + 3600))});
    QVERIFY2(opened["ok"].toBool(), qPrintable(opened["error"].toString()));
    QCOMPARE(opened["signer"].toString(), base58(idOf(relayKey)));
    QCOMPARE(opened["payloadType"].toString(), QStringLiteral("0302"));
    QCOMPARE(opened["relay"].toString(), base58(idOf(relayKey)));
    QCOMPARE(opened["peer"].toString(), base58(peer));
    QCOMPARE(opened["expiration"].toString(), QString::number(now + 3600));
}

void TestRelayVoucherInterop::jsRefusesBrokenVouchers() {
    // So that jsOpensOurVoucher means something: js does check the signature and domain.
    const PrivateKey relayKey = keyFromByte(0x21);
    const PeerId peer = idOf(keyFromByte(0x22));
    Bytes tampered = ReservationVoucher::make(relayKey, peer, now + 3600);
    tampered.back() ^= 0x01; // the signature is the last field
    QJsonObject result = runScript({"open", qhex(tampered)});
    QVERIFY(!result["ok"].toBool());
    QVERIFY2(result["error"].toString().contains("signature"),
             qPrintable(result["error"].toString()));

    const Bytes otherDomain =
        SignedEnvelope::seal(relayKey, "libp2p-routing-state", ReservationVoucher::payloadType,
                             ReservationVoucher{idOf(relayKey), peer, now}.encodePayload())
            .value();
    result = runScript({"open", qhex(otherDomain)});
    QVERIFY(!result["ok"].toBool());
}

void TestRelayVoucherInterop::weOpenJsVoucher() {
    const PrivateKey relayKey = keyFromByte(0x31);
    const PeerId self = idOf(keyFromByte(0x32));
    const QJsonObject sealed =
        runScript({"seal", qhex(relayKey.seed()), base58(self), QString::number(now + 600)});
    QVERIFY2(sealed["ok"].toBool(), qPrintable(sealed["error"].toString()));
    QCOMPARE(sealed["relay"].toString(), base58(idOf(relayKey)));

    const Bytes envelope = unhex(sealed["envelope"]);
    Result<ReservationVoucher> voucher =
        ReservationVoucher::verify(envelope, idOf(relayKey), self, now);
    QVERIFY2(voucher.ok(), voucher.ok() ? "" : voucher.errorMessage().c_str());
    QVERIFY(voucher->relay == idOf(relayKey));
    QVERIFY(voucher->peer == self);
    QCOMPARE(voucher->expiration, now + 600);
    // Ed25519 is deterministic and both encode canonically: the envelopes are byte-identical.
    QCOMPARE(qhex(ReservationVoucher::make(relayKey, self, now + 600)), qhex(envelope));
    // And the checks that depend on us still apply to js's voucher.
    QVERIFY(!ReservationVoucher::verify(envelope, idOf(relayKey), self, now + 600).ok());
    QVERIFY(!ReservationVoucher::verify(envelope, idOf(relayKey), idOf(relayKey), now).ok());
}

void TestRelayVoucherInterop::weReadJsReservation() {
    const PrivateKey relayKey = keyFromByte(0x41);
    const PeerId self = idOf(keyFromByte(0x42));
    const QJsonObject built =
        runScript({"reservation", qhex(relayKey.seed()), base58(self), QString::number(now + 900)});
    QVERIFY2(built["ok"].toBool(), qPrintable(built["error"].toString()));

    HopClientExchange client(self, idOf(relayKey));
    (void)client.reserve(now);
    auto outcome = client.feed(unhex(built["frame"]));
    QVERIFY(outcome.has_value());
    auto* reserved = std::get_if<HopClientExchange::Reserved>(&*outcome);
    QVERIFY2(reserved, std::holds_alternative<HopClientExchange::Failed>(*outcome)
                           ? std::get<HopClientExchange::Failed>(*outcome).reason.c_str()
                           : "not Reserved");
    QCOMPARE(reserved->expire, now + 900);
    QCOMPARE(reserved->addrs.size(), std::size_t{2});
    QCOMPARE(QString::fromStdString(reserved->addrs[0].toString()),
             QStringLiteral("/ip4/127.0.0.1/tcp/4001"));
    QCOMPARE(QString::fromStdString(reserved->addrs[1].toString()),
             QStringLiteral("/ip6/::1/tcp/4002"));
    QVERIFY2(reserved->voucher.has_value(), reserved->voucherError.c_str());
    QCOMPARE(reserved->voucher->expiration, now + 900);
    QVERIFY(reserved->limit.has_value());
    QCOMPARE(reserved->limit->durationSeconds.value_or(0), 120u);
    QCOMPARE(reserved->limit->dataBytes.value_or(0), std::uint64_t{131072});
}

void TestRelayVoucherInterop::jsDecodesOurHopMessages() {
    HopClientExchange client(idOf(keyFromByte(0x51)), idOf(keyFromByte(0x50)));
    QJsonObject decoded = runScript({"decode-hop", qhex(client.reserve(now))});
    QVERIFY2(decoded["ok"].toBool(), qPrintable(decoded["error"].toString()));
    QCOMPARE(decoded["type"].toString(), QStringLiteral("RESERVE"));

    const PeerId target = idOf(keyFromByte(0x52));
    decoded = runScript({"decode-hop", qhex(client.connect(target))});
    QVERIFY2(decoded["ok"].toBool(), qPrintable(decoded["error"].toString()));
    QCOMPARE(decoded["type"].toString(), QStringLiteral("CONNECT"));
    QCOMPARE(decoded["peer"].toObject()["id"].toString(), base58(target));

    const PrivateKey relayKey = keyFromByte(0x50);
    const PeerId self = idOf(keyFromByte(0x51));
    const ReservationInfo info{now + 60,
                               {Multiaddr::parse("/ip4/192.0.2.1/tcp/4001").value()},
                               0,
                               ReservationVoucher::make(relayKey, self, now + 60)};
    decoded =
        runScript({"decode-hop",
                   qhex(HopServerExchange::reservationAccepted(info, RelayLimit{120, 131072}))});
    QVERIFY2(decoded["ok"].toBool(), qPrintable(decoded["error"].toString()));
    QCOMPARE(decoded["type"].toString(), QStringLiteral("STATUS"));
    QCOMPARE(decoded["status"].toString(), QStringLiteral("OK"));
    QCOMPARE(decoded["limit"].toObject()["duration"].toInt(), 120);
    QCOMPARE(decoded["limit"].toObject()["data"].toString(), QStringLiteral("131072"));
    const QJsonObject reservation = decoded["reservation"].toObject();
    QCOMPARE(reservation["expire"].toString(), QString::number(now + 60));
    QCOMPARE(reservation["addrs"].toArray().size(), 1);
    QCOMPARE(reservation["addrs"].toArray()[0].toString(),
             QStringLiteral("/ip4/192.0.2.1/tcp/4001"));
    // js reads our opaque voucher bytes as its Envelope message, payload included.
    const QJsonObject payload = reservation["voucherPayload"].toObject();
    QCOMPARE(payload["relay"].toString(), base58(idOf(relayKey)));
    QCOMPARE(payload["peer"].toString(), base58(self));
    QCOMPARE(payload["expiration"].toString(), QString::number(now + 60));
}

void TestRelayVoucherInterop::jsDecodesOurStatusCodes() {
    for (RelayStatus status :
         {RelayStatus::Ok, RelayStatus::ReservationRefused, RelayStatus::ResourceLimitExceeded,
          RelayStatus::PermissionDenied, RelayStatus::ConnectionFailed, RelayStatus::NoReservation,
          RelayStatus::MalformedMessage, RelayStatus::UnexpectedMessage}) {
        const QJsonObject decoded =
            runScript({"decode-hop", qhex(HopServerExchange::status(status))});
        QVERIFY2(decoded["ok"].toBool(), qPrintable(decoded["error"].toString()));
        QCOMPARE(decoded["status"].toString(), QString(relayStatusName(status)));
    }
}

void TestRelayVoucherInterop::jsDecodesOurStopConnect() {
    const PeerId initiator = idOf(keyFromByte(0x61));
    StopClientExchange relay;
    const QJsonObject decoded = runScript(
        {"decode-stop",
         qhex(relay.connect(
             RelayPeerInfo{initiator, {Multiaddr::parse("/ip4/192.0.2.9/tcp/1234").value()}, 0},
             RelayLimit{60, std::nullopt}))});
    QVERIFY2(decoded["ok"].toBool(), qPrintable(decoded["error"].toString()));
    QCOMPARE(decoded["type"].toString(), QStringLiteral("CONNECT"));
    QCOMPARE(decoded["peer"].toObject()["id"].toString(), base58(initiator));
    QCOMPARE(decoded["peer"].toObject()["addrs"].toArray()[0].toString(),
             QStringLiteral("/ip4/192.0.2.9/tcp/1234"));
    QCOMPARE(decoded["limit"].toObject()["duration"].toInt(), 60);
    QVERIFY(decoded["limit"].toObject()["data"].isNull());
}

QTEST_GUILESS_MAIN(TestRelayVoucherInterop)
#include "tst_relay_voucher_interop.moc"
