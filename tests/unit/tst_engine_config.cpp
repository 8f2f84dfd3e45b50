// The one config schema: defaults, every validation rule's message, partial JSON, type and
// syntax errors, round trips, and the config file (missing, invalid, saved atomically).
#include "engine/core/config_file.h"
#include "engine/core/engine_config.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>

using namespace peerscope;

namespace {

std::vector<std::string> errorsOf(const char* json) {
    EngineConfig out;
    return EngineConfig::fromJsonErrors(QJsonDocument::fromJson(json).object(), EngineConfig{},
                                        &out);
}

bool contains(const std::vector<std::string>& errors, const std::string& message) {
    return std::find(errors.begin(), errors.end(), message) != errors.end();
}

} // namespace

class TestEngineConfig final : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void defaultsAreTheIssuesAndValid() {
        const EngineConfig config;
        QVERIFY(config.validate().empty());
        QCOMPARE(config.connection.maxConnectionsPerPeer, 3);
        QCOMPARE(config.connection.minConnectionsPerPeer, 1);
        QCOMPARE(config.connection.connectionTimeout.count(), 30.0);
        QVERIFY(config.connection.loadBalancingStrategy == LoadBalancingStrategy::RoundRobin);
        QVERIFY(!config.connection.enableHealthMonitoring);
        QCOMPARE(config.connection.healthCheckInterval.count(), 60.0);
        QCOMPARE(config.connection.pingTimeout.count(), 5.0);
        QCOMPARE(config.connection.minHealthThreshold, 0.3);
        QCOMPARE(config.connection.latencyWeight, 0.4);
        QCOMPARE(config.connection.successRateWeight, 0.4);
        QCOMPARE(config.connection.stabilityWeight, 0.2);
        QCOMPARE(config.connection.unhealthyChecksBeforeReplace, 3);
        QVERIFY(config.connection.adaptiveTimeouts);
        QCOMPARE(config.retry.maxRetries, 3);
        QCOMPARE(config.retry.initialDelay.count(), 0.1);
        QCOMPARE(config.retry.maxDelay.count(), 30.0);
        QCOMPARE(config.retry.backoffMultiplier, 2.0);
        QCOMPARE(config.retry.jitterFactor, 0.1);
        // Perf lets any peer make us send what it asks for: opt-in.
        QVERIFY(!config.services.servePerf);
        QCOMPARE(config.services.perfMaxStreamBytes, std::uint64_t(1) << 30);
        // Resource limits: go-libp2p's per-peer 8 connections and 512 streams, the pool's 200.
        QCOMPARE(config.resources.systemPendingHandshakes, 64);
        QCOMPARE(config.resources.ipPendingHandshakes, 8);
        QCOMPARE(config.resources.systemInboundConnections, 200);
        QCOMPARE(config.resources.systemOutboundConnections, 200);
        QCOMPARE(config.resources.ipInboundConnections, 16);
        QCOMPARE(config.resources.peerConnections, 8);
        QCOMPARE(config.resources.peerInboundStreams, 512);
        QCOMPARE(config.resources.peerOutboundStreams, 512);
        QCOMPARE(config.resources.connectionInboundStreams, 256);
        QCOMPARE(config.resources.protocolInboundStreams, 128);
        QVERIFY(config.differingFromDefaults().empty());
    }

    void validationMessages_data() {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("message");
        auto row = [](const char* name, const char* json, const char* message) {
            QTest::newRow(name) << QByteArray(json) << QString::fromUtf8(message);
        };
        row("min over max", R"({"connection":{"min_connections_per_peer":4}})",
            "min_connections_per_peer (4) exceeds max_connections_per_peer (3)");
        row("zero interval", R"({"connection":{"health_check_interval":0}})",
            "health_check_interval (0) must be greater than 0");
        row("water order", R"({"connection":{"low_water":250,"high_water":200}})",
            "low_water (250) must be below high_water (200)");
        row("high over max", R"({"connection":{"high_water":400}})",
            "high_water (400) exceeds max_connections (300)");
        row("weights",
            R"({"connection":{"latency_weight":0,"success_rate_weight":0,"stability_weight":0}})",
            "latency_weight + success_rate_weight + stability_weight must be greater than 0");
        row("threshold", R"({"connection":{"min_health_threshold":1.5}})",
            "min_health_threshold (1.5) must be within 0..1");
        row("jitter", R"({"retry":{"jitter_factor":1.5}})",
            "jitter_factor (1.5) must be within 0..1");
        row("multiplier", R"({"retry":{"backoff_multiplier":0.5}})",
            "backoff_multiplier (0.5) must be at least 1");
        row("delays", R"({"retry":{"initial_delay":40}})",
            "initial_delay (40) exceeds max_delay (30)");
        row("ping timeout", R"({"connection":{"ping_timeout":-1}})",
            "ping_timeout (-1) must be greater than 0");
        row("checks", R"({"connection":{"unhealthy_checks_before_replace":0}})",
            "unhealthy_checks_before_replace (0) must be at least 1");
        row("unknown field", R"({"connection":{"max_conns":3}})",
            "connection.max_conns: unknown field");
        row("unknown section", R"({"pool":{}})",
            "pool: unknown section (expected connection, retry, services, resources, "
            "relay_service or relay_client)");
        row("wrong type", R"({"connection":{"max_connections_per_peer":"three"}})",
            "connection.max_connections_per_peer: expected an integer, got \"three\"");
        row("not integral", R"({"connection":{"max_connections_per_peer":2.5}})",
            "connection.max_connections_per_peer: expected an integer, got 2.5");
        row("bool", R"({"connection":{"enable_health_monitoring":1}})",
            "connection.enable_health_monitoring: expected true or false, got 1");
        row("strategy", R"({"connection":{"load_balancing_strategy":"random"}})",
            "connection.load_balancing_strategy: expected one of round_robin, least_loaded, "
            "health_based, latency_based, got \"random\"");
        row("version", R"({"version":2})", "version: expected 1, got 2");
        row("serve_perf", R"({"services":{"serve_perf":"yes"}})",
            "services.serve_perf: expected true or false, got \"yes\"");
        row("perf bytes fraction", R"({"services":{"perf_max_stream_bytes":1.5}})",
            "services.perf_max_stream_bytes: expected a whole number of bytes, got 1.5");
        row("perf bytes negative", R"({"services":{"perf_max_stream_bytes":-1}})",
            "services.perf_max_stream_bytes: expected a whole number of bytes, got -1");
        row("perf bytes beyond 2^53", R"({"services":{"perf_max_stream_bytes":1e17}})",
            "services.perf_max_stream_bytes: expected a whole number of bytes, got 1e+17");
        row("perf bytes zero", R"({"services":{"perf_max_stream_bytes":0}})",
            "perf_max_stream_bytes (0) must be at least 1");
        row("services not an object", R"({"services":true})",
            "services: expected an object, got true");
        row("resources zero", R"({"resources":{"peer_connections":0}})",
            "peer_connections (0) must be at least 1");
        row("resources negative", R"({"resources":{"system_pending_handshakes":-3}})",
            "system_pending_handshakes (-3) must be at least 1");
        row("resources fraction", R"({"resources":{"ip_pending_handshakes":1.5}})",
            "resources.ip_pending_handshakes: expected an integer, got 1.5");
        row("resources type", R"({"resources":{"connection_inbound_streams":"many"}})",
            "resources.connection_inbound_streams: expected an integer, got \"many\"");
        row("resources unknown", R"({"resources":{"memory":1}})",
            "resources.memory: unknown field");
        row("ip above system", R"({"resources":{"ip_pending_handshakes":65}})",
            "ip_pending_handshakes (65) exceeds system_pending_handshakes (64)");
        row("ip connections above system", R"({"resources":{"system_inbound_connections":10}})",
            "ip_inbound_connections (16) exceeds system_inbound_connections (10)");
        row("connection streams above peer", R"({"resources":{"peer_inbound_streams":100}})",
            "connection_inbound_streams (256) exceeds peer_inbound_streams (100)");
        row("protocol streams above peer", R"({"resources":{"protocol_inbound_streams":600}})",
            "protocol_inbound_streams (600) exceeds peer_inbound_streams (512)");
        row("pool per peer above resources", R"({"resources":{"peer_connections":2}})",
            "max_connections_per_peer (3) exceeds peer_connections (2)");
        row("stream bound below 2 MiB", R"({"resources":{"stream_buffered_bytes":1048576}})",
            "stream_buffered_bytes (1048576) must be at least 2097152");
        row("connection bytes above peer",
            R"({"resources":{"connection_buffered_bytes":100000000}})",
            "connection_buffered_bytes (100000000) exceeds peer_buffered_bytes (67108864)");
        row("stream bytes above connection", R"({"resources":{"stream_buffered_bytes":40000000}})",
            "stream_buffered_bytes (40000000) exceeds connection_buffered_bytes (33554432)");
        row("peer bytes above system", R"({"resources":{"system_buffered_bytes":50000000}})",
            "peer_buffered_bytes (67108864) exceeds system_buffered_bytes (50000000)");
        row("relays not a list", R"({"relay_client":{"relays":"/ip4/1.2.3.4/tcp/1"}})",
            "relay_client.relays: expected a list of relay addresses, got \"/ip4/1.2.3.4/tcp/1\"");
        row("relay not a string", R"({"relay_client":{"relays":[7]}})",
            "relay_client.relays[0]: expected a multiaddr string, got 7");
        row("relay without id",
            R"({"relay_client":{"relays":["/ip4/1.2.3.4/tcp/4001/p2p/12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE","/ip4/1.2.3.4/tcp/4001"]}})",
            "relay_client.relays[1]: \"/ip4/1.2.3.4/tcp/4001\" has no /p2p/<relay id>");
        row("relay malformed", R"({"relay_client":{"relays":["/ip4/1.2.3/tcp/1"]}})",
            "relay_client.relays[0]: \"/ip4/1.2.3/tcp/1\": component 1 (ip4): invalid IPv4 address "
            "\"1.2.3\"");
        row("relay is a circuit",
            R"({"relay_client":{"relays":["/p2p/12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE/p2p-circuit"]}})",
            "relay_client.relays[0]: "
            "\"/p2p/12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE/p2p-circuit\" is a "
            "circuit address; a relay is reached directly");
        row("too many reservations", R"({"relay_client":{"reservations":17}})",
            "reservations (17) must be at most 16");
        row("switch probes", R"({"relay_client":{"relay_switch_probes":0}})",
            "relay_switch_probes (0) must be at least 1");
        row("switch rtt", R"({"relay_client":{"relay_switch_rtt_ms":0}})",
            "relay_switch_rtt_ms (0) must be greater than 0");
        row("relay enabled", R"({"relay_service":{"enabled":"on"}})",
            "relay_service.enabled: expected true or false, got \"on\"");
        row("relay ttl fraction", R"({"relay_service":{"reservation_ttl":1.5}})",
            "relay_service.reservation_ttl: expected a whole number of seconds, got 1.5");
        row("relay ttl zero", R"({"relay_service":{"reservation_ttl":0}})",
            "reservation_ttl (0) must be at least 1");
        row("relay reservations zero", R"({"relay_service":{"max_reservations":0}})",
            "max_reservations (0) must be at least 1");
        row("relay per ip above total", R"({"relay_service":{"max_reservations":4}})",
            "max_reservations_per_ip (8) exceeds max_reservations (4)");
        row("relay circuits per peer above total", R"({"relay_service":{"max_circuits":8}})",
            "max_circuits_per_peer (16) exceeds max_circuits (8)");
        row("relay duration zero", R"({"relay_service":{"circuit_duration":0}})",
            "circuit_duration (0) must be at least 1");
        row("relay data zero", R"({"relay_service":{"circuit_data_bytes":0}})",
            "circuit_data_bytes (0) must be at least 1");
        row("relay trusted not an array", R"({"relay_service":{"trusted_peers":"x"}})",
            "relay_service.trusted_peers: expected an array of peer IDs, got \"x\"");
        row("relay trusted not a string", R"({"relay_service":{"trusted_peers":[1]}})",
            "relay_service.trusted_peers[0]: expected a peer ID string, got 1");
        row("relay trusted not a peer",
            R"({"relay_service":{"trusted_peers":["12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA","xyz"]}})",
            "relay_service.trusted_peers[1]: \"xyz\" is not a peer ID");
    }

    void relayServiceSection() {
        const EngineConfig defaults;
        QVERIFY(!defaults.relayService.enabled);
        QCOMPARE(defaults.relayService.reservationTtl.count(), 3600);
        QCOMPARE(defaults.relayService.circuitDataBytes, std::uint64_t(128 * 1024));
        const char* peer = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
        Result<EngineConfig> parsed = EngineConfig::parse(
            QByteArray(R"({"relay_service":{"enabled":true,"reservation_ttl":600,)"
                       R"("max_circuits":32,"circuit_duration":60,"circuit_data_bytes":65536,)"
                       R"("trusted_peers":[")") +
                peer + "\"]}}",
            EngineConfig{});
        QVERIFY2(parsed, parsed ? "" : parsed.errorMessage().c_str());
        QVERIFY(parsed->relayService.enabled);
        QCOMPARE(parsed->relayService.reservationTtl.count(), 600);
        QCOMPARE(parsed->relayService.maxCircuits, 32);
        QCOMPARE(parsed->relayService.circuitDuration.count(), 60);
        QCOMPARE(parsed->relayService.circuitDataBytes, std::uint64_t(65536));
        QCOMPARE(parsed->relayService.trustedPeers, std::vector<std::string>{peer});
        // The JSON it writes reads back the same, the peer list as an array of strings.
        const QJsonObject json = parsed->toJson();
        QCOMPARE(json["relay_service"].toObject()["trusted_peers"].toArray().size(), 1);
        QCOMPARE(json["relay_service"].toObject()["reservation_ttl"].toDouble(), 600.0);
        Result<EngineConfig> again = EngineConfig::fromJson(json, EngineConfig{});
        QVERIFY(again);
        QVERIFY(*again == *parsed);
        QVERIFY(contains(parsed->differingFromDefaults(), "relay_service.trusted_peers"));
    }

    void validationMessages() {
        QFETCH(QByteArray, json);
        QFETCH(QString, message);
        const std::vector<std::string> errors = errorsOf(json.constData());
        QVERIFY2(contains(errors, message.toStdString()),
                 errors.empty() ? "no error" : errors.front().c_str());
        QVERIFY(!EngineConfig::parse(json, EngineConfig{}));
    }

    void everyBadFieldIsReportedAtOnce() {
        const auto errors = errorsOf(
            R"({"connection":{"max_conns":1,"ping_timeout":"x"},"retry":{"max_retry":2}})");
        QCOMPARE(errors.size(), std::size_t(3));
        // Type errors and range errors come together.
        const auto mixed =
            errorsOf(R"({"connection":{"ping_timeout":"x","min_health_threshold":7}})");
        QCOMPARE(mixed.size(), std::size_t(2));
        const auto crossField = errorsOf(
            R"({"connection":{"min_connections_per_peer":5,"low_water":300},"retry":{"jitter_factor":2}})");
        // min over max, low_water not below high_water, jitter out of range.
        QCOMPARE(crossField.size(), std::size_t(3));
    }

    void partialJsonAppliesOnlyGivenKeys() {
        EngineConfig base;
        base.connection.maxConnectionsPerPeer = 5;
        Result<EngineConfig> updated = EngineConfig::parse(
            R"({"connection":{"load_balancing_strategy":"latency_based"},"retry":{"max_retries":7}})",
            base);
        QVERIFY2(updated, updated ? "" : updated.errorMessage().c_str());
        QCOMPARE(updated->connection.maxConnectionsPerPeer, 5);
        QVERIFY(updated->connection.loadBalancingStrategy == LoadBalancingStrategy::LatencyBased);
        QCOMPARE(updated->retry.maxRetries, 7);
        QCOMPARE(
            updated->differingFromDefaults(),
            (std::vector<std::string>{"connection.max_connections_per_peer",
                                      "connection.load_balancing_strategy", "retry.max_retries"}));
    }

    void syntaxErrorSaysWhere() {
        Result<EngineConfig> parsed = EngineConfig::parse("{\"connection\": {,}}", EngineConfig{});
        QVERIFY(!parsed);
        QVERIFY2(parsed.errorMessage().rfind("config: JSON syntax error at offset ", 0) == 0,
                 parsed.errorMessage().c_str());
        QVERIFY(!EngineConfig::parse("[1]", EngineConfig{}));
    }

    void roundTrip() {
        EngineConfig config;
        config.connection.maxConnectionsPerPeer = 4;
        config.connection.gracePeriod = ConnectionConfig::Seconds(2.5);
        config.connection.loadBalancingStrategy = LoadBalancingStrategy::HealthBased;
        config.connection.enableHealthMonitoring = true;
        config.retry.jitterFactor = 0.25;
        config.services.servePerf = true;
        config.services.perfMaxStreamBytes = (std::uint64_t(1) << 53) - 1;
        config.resources.peerConnections = 12;
        config.resources.protocolInboundStreams = 7;
        config.relayClient.relays = {
            "/ip4/1.2.3.4/tcp/4001/p2p/12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE",
            "/dns4/relay.example/tcp/4001/p2p/"
            "12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN"};
        config.relayClient.relaySwitchRttMs = 150;
        config.relayClient.automaticRelays = false;
        Result<EngineConfig> back = EngineConfig::fromJson(config.toJson(), EngineConfig{});
        QVERIFY(back);
        QVERIFY(*back == config);
        QCOMPARE(config.toJson()["version"].toInt(), 1);
    }

    void fileMissingMeansDefaults() {
        QTemporaryDir dir;
        ConfigFile file(dir.filePath("nested/config.json"));
        QVERIFY(!file.exists());
        Result<EngineConfig> loaded = file.load();
        QVERIFY(loaded);
        QVERIFY(*loaded == EngineConfig{});
    }

    void fileSaveLoadRoundTrip() {
        QTemporaryDir dir;
        ConfigFile file(dir.filePath("nested/config.json"));
        EngineConfig config;
        config.connection.minConnectionsPerPeer = 2;
        QVERIFY(file.save(config));
        Result<EngineConfig> loaded = file.load();
        QVERIFY(loaded);
        QVERIFY(*loaded == config);
    }

    void invalidFileIsRefusedNamingPathAndField() {
        QTemporaryDir dir;
        const QString path = dir.filePath("config.json");
        QFile raw(path);
        QVERIFY(raw.open(QIODevice::WriteOnly));
        const QByteArray content = R"({"connection":{"min_connections_per_peer":9}})";
        raw.write(content);
        raw.close();
        Result<EngineConfig> loaded = ConfigFile(path).load();
        QVERIFY(!loaded);
        QCOMPARE(QString::fromStdString(loaded.errorMessage()),
                 path + ": min_connections_per_peer (9) exceeds max_connections_per_peer (3)");
        // An invalid config is never saved over it.
        EngineConfig bad;
        bad.retry.backoffMultiplier = 0;
        QVERIFY(!ConfigFile(path).save(bad));
        QVERIFY(raw.open(QIODevice::ReadOnly));
        QCOMPARE(raw.readAll(), content);
    }
};

QTEST_APPLESS_MAIN(TestEngineConfig)
#include "tst_engine_config.moc"
