#pragma once

#include <QString>
#include <QStringList>
#include <chrono>
#include <optional>

namespace peerscope {

// How an Engine starts; filled from the command line by app/.
struct EngineOptions {
    QString dataDir;      // XDG data dir by default; holds identity.key and api-token
    QString identityPath; // default: <dataDir>/identity.key
    QString configPath;   // default: $XDG_CONFIG_HOME/peerscope/config.json
    QStringList listenAddrs{QStringLiteral("/ip4/0.0.0.0/tcp/4001"),
                            QStringLiteral("/ip6/::/tcp/4001")};
    // If a listen port is taken, listen on an ephemeral port instead.
    bool fallbackToEphemeralPort = true;
    std::optional<QString> apiEndpoint = QStringLiteral("127.0.0.1:5080"); // nullopt = off
    // Both or neither (PEM files): with them the API speaks HTTPS only, on any address; without,
    // it listens on loopback only.
    QString apiTlsCertificatePath;
    QString apiTlsKeyPath;
    QStringList dialAddrs;
    // Static relays from --relay, used besides the config's relay_client.relays (not saved).
    QStringList relayAddrs;
    bool muxerInNoise = true;
    // Serve perf whatever services.serve_perf says (--serve-perf; lab mode does too).
    bool servePerf = false;
    // Run the circuit relay service whatever relay_service.enabled says (--relay-service).
    bool relayService = false;
    std::chrono::milliseconds snapshotInterval{250}; // 4 Hz
    // Lab mode: this many local PeerScope children, each behind a link proxy (0 = off), run
    // from this executable (app/ passes its own path).
    int labPeers = 0;
    QString labExecutable;
};

} // namespace peerscope
