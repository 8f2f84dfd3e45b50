#include "command_line.h"

#include "api_endpoint.h"
#include "engine/api/api_tls.h"
#include "engine/core/engine_config.h"
#include "engine/core/multiaddr.h"

#include <QCommandLineParser>
#include <cstdio>

namespace peerscope {

namespace {

// The first value of `option` that is not a valid multiaddr, as an error message.
QString multiaddrError(const QString& option, const QStringList& values) {
    for (const QString& value : values) {
        Result<Multiaddr> parsed = Multiaddr::parse(value.toStdString());
        if (!parsed)
            return QStringLiteral("--%1 %2: %3")
                .arg(option, value, QString::fromStdString(parsed.errorMessage()));
    }
    return {};
}

} // namespace

ParsedCommandLine parseCommandLine(const QStringList& arguments) {
    ParsedCommandLine parsed;
    auto fail = [&parsed](const QString& error) {
        parsed.outcome = ParsedCommandLine::Outcome::Error;
        parsed.error = error;
        return parsed;
    };
    CommandLine& result = parsed.commandLine;

    QCommandLineParser parser;
    // "-platform" reads as one unknown option, not as -p -l -a ... (Qt's GUI options).
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.setApplicationDescription(
        QStringLiteral("PeerScope: a libp2p network monitor and peer manager."));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    const QCommandLineOption headless(QStringLiteral("headless"),
                                      QStringLiteral("Run the engine only, without a window."));
    const QCommandLineOption listen(
        QStringLiteral("listen"),
        QStringLiteral("Listen address (repeatable), or \"none\" to dial out only (then only a "
                       "relay can bring us connections). Default: /ip4/0.0.0.0/tcp/4001 and "
                       "/ip6/::/tcp/4001; a taken port falls back to an ephemeral one."),
        QStringLiteral("multiaddr"));
    const QCommandLineOption dial(QStringLiteral("dial"),
                                  QStringLiteral("Dial this peer at start (repeatable)."),
                                  QStringLiteral("multiaddr"));
    const QCommandLineOption relay(
        QStringLiteral("relay"),
        QStringLiteral("Use this relay (circuit relay v2; repeatable): hold a reservation there so "
                       "peers can reach us through it. Added to relay_client.relays."),
        QStringLiteral("multiaddr"));
    const QCommandLineOption identity(
        QStringLiteral("identity"),
        QStringLiteral("Identity key file (created if missing). Default: <data dir>/identity.key"),
        QStringLiteral("file"));
    const QCommandLineOption dataDir(
        QStringLiteral("data-dir"),
        QStringLiteral("Data directory. Default: $XDG_DATA_HOME/peerscope"), QStringLiteral("dir"));
    const QCommandLineOption config(
        QStringLiteral("config"),
        QStringLiteral(
            "Connection settings (JSON). Default: $XDG_CONFIG_HOME/peerscope/config.json"),
        QStringLiteral("file"));
    const QCommandLineOption api(
        QStringLiteral("api"),
        QStringLiteral("Control API address, or \"off\". Default: 127.0.0.1:5080"),
        QStringLiteral("host:port"));
    const QCommandLineOption apiTlsCert(
        QStringLiteral("api-tls-cert"),
        QStringLiteral("Serve the control API over HTTPS only, with this certificate (PEM, then "
                       "any intermediates); needed for an --api address off loopback."),
        QStringLiteral("file"));
    const QCommandLineOption apiTlsKey(
        QStringLiteral("api-tls-key"),
        QStringLiteral("The private key of --api-tls-cert (PEM, unencrypted, RSA or EC)."),
        QStringLiteral("file"));
    const QCommandLineOption noMuxerInNoise(
        QStringLiteral("no-muxer-in-noise"),
        QStringLiteral("Do not offer yamux inside the Noise handshake (use multistream-select)."));
    const QCommandLineOption servePerf(
        QStringLiteral("serve-perf"),
        QStringLiteral("Serve the perf protocol (/perf/1.0.0) to any peer, whatever the config "
                       "says (services.serve_perf)."));
    const QCommandLineOption relayService(
        QStringLiteral("relay-service"),
        QStringLiteral("Act as a circuit relay v2 for other peers (reservations and relayed "
                       "connections within relay_service's limits), whatever the config says "
                       "(relay_service.enabled)."));
    const QCommandLineOption lab(
        QStringLiteral("lab"),
        QStringLiteral("Lab mode: start N local PeerScope peers (1-50), each behind a link proxy "
                       "with its own delay, jitter, loss and rate, and connect to them."),
        QStringLiteral("N"));
    const QCommandLineOption tick(
        QStringLiteral("tick"),
        QStringLiteral("How often the engine publishes a snapshot to the window, per second "
                       "(1-20). Default: 4"),
        QStringLiteral("hz"));
    parser.addOptions({headless, listen, dial, relay, identity, dataDir, config, api, apiTlsCert,
                       apiTlsKey, noMuxerInNoise, servePerf, relayService, lab, tick});

    if (!parser.parse(arguments)) {
        parsed.unknownOption = !parser.unknownOptionNames().isEmpty();
        return fail(parser.errorText());
    }
    if (parser.isSet(help)) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        parsed.outcome = ParsedCommandLine::Outcome::Exit;
        return parsed;
    }
    if (parser.isSet(version)) {
        std::printf("peerscope %s\n", PEERSCOPE_VERSION);
        parsed.outcome = ParsedCommandLine::Outcome::Exit;
        return parsed;
    }
    if (!parser.positionalArguments().isEmpty())
        return fail(
            QStringLiteral("unexpected argument \"%1\"").arg(parser.positionalArguments().first()));

    result.headless = parser.isSet(headless);
    if (parser.values(listen).contains(QStringLiteral("none"))) {
        if (parser.values(listen).size() > 1)
            return fail(QStringLiteral("--listen none: listening nowhere cannot go with other "
                                       "--listen addresses"));
        result.engine.listenAddrs.clear();
    } else if (parser.isSet(listen)) {
        if (QString error = multiaddrError(QStringLiteral("listen"), parser.values(listen));
            !error.isEmpty())
            return fail(error);
        result.engine.listenAddrs = parser.values(listen);
        // An explicit port is what the user asked for: no silent fallback.
        result.engine.fallbackToEphemeralPort = false;
    }
    if (QString error = multiaddrError(QStringLiteral("dial"), parser.values(dial));
        !error.isEmpty())
        return fail(error);
    result.engine.dialAddrs = parser.values(dial);
    for (const QString& value : parser.values(relay))
        if (std::string error = relayAddressError(value.toStdString()); !error.empty())
            return fail(QStringLiteral("--relay %1: %2").arg(value, QString::fromStdString(error)));
    result.engine.relayAddrs = parser.values(relay);
    for (const QCommandLineOption& pathOption : {identity, dataDir, config, apiTlsCert, apiTlsKey})
        if (parser.isSet(pathOption) && parser.value(pathOption).isEmpty())
            return fail(QStringLiteral("--%1: the path is empty").arg(pathOption.names().first()));
    result.engine.identityPath = parser.value(identity);
    result.engine.dataDir = parser.value(dataDir);
    result.engine.configPath = parser.value(config);
    result.engine.muxerInNoise = !parser.isSet(noMuxerInNoise);
    result.engine.servePerf = parser.isSet(servePerf);
    result.engine.relayService = parser.isSet(relayService);
    if (parser.isSet(lab)) {
        const QString value = parser.value(lab);
        bool isNumber = false;
        const int peers = value.toInt(&isNumber);
        if (!isNumber || peers < 1 || peers > 50)
            return fail(
                QStringLiteral("--lab %1: expected a number of lab peers from 1 to 50").arg(value));
        result.engine.labPeers = peers;
    }
    if (parser.isSet(tick)) {
        const QString value = parser.value(tick);
        bool isNumber = false;
        const int hz = value.toInt(&isNumber);
        if (!isNumber || hz < 1 || hz > 20)
            return fail(
                QStringLiteral("--tick %1: expected snapshots per second from 1 to 20").arg(value));
        result.engine.snapshotInterval = std::chrono::milliseconds(1000 / hz);
    }
    bool apiOnLoopback = true; // as the default, 127.0.0.1:5080, is
    if (parser.isSet(api)) {
        const QString value = parser.value(api);
        if (value == QLatin1String("off")) {
            result.engine.apiEndpoint.reset();
        } else {
            ApiEndpoint endpoint;
            if (QString error = parseApiEndpoint(value, ApiEndpointUse::Listen, &endpoint,
                                                 QStringLiteral("off"));
                !error.isEmpty())
                return fail(error);
            if (!endpoint.scheme.isEmpty())
                return fail(QStringLiteral("--api %1: expected HOST:PORT without a scheme; "
                                           "--api-tls-cert and --api-tls-key turn on HTTPS")
                                .arg(value));
            result.engine.apiEndpoint = value;
            apiOnLoopback = endpoint.loopback;
        }
    }
    // Checked here too, not only when the engine starts: a bad file or a bare address off
    // loopback is a usage error (status 2), found before anything listens.
    if (parser.isSet(apiTlsCert) || parser.isSet(apiTlsKey)) {
        if (!result.engine.apiEndpoint)
            return fail(QStringLiteral("--api-tls-cert and --api-tls-key: the control API is off "
                                       "(--api off)"));
        result.engine.apiTlsCertificatePath = parser.value(apiTlsCert);
        result.engine.apiTlsKeyPath = parser.value(apiTlsKey);
        if (Result<void> checked =
                checkApiTlsFiles(result.engine.apiTlsCertificatePath, result.engine.apiTlsKeyPath);
            !checked)
            return fail(QString::fromStdString(checked.errorMessage()));
    } else if (!apiOnLoopback) {
        return fail(QString::fromStdString(apiNeedsTlsMessage(*result.engine.apiEndpoint)));
    }
    return parsed;
}

} // namespace peerscope
