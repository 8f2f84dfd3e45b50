#include "command_line.h"

#include "engine/core/multiaddr.h"

#include <QCommandLineParser>
#include <QRegularExpression>
#include <cstdio>

namespace peerscope {

namespace {

void printError(const QString& message) {
    std::fprintf(stderr, "peerscope: %s\n", qPrintable(message));
}

bool validMultiaddrs(const QString& option, const QStringList& values) {
    for (const QString& value : values) {
        Result<Multiaddr> parsed = Multiaddr::parse(value.toStdString());
        if (!parsed) {
            printError(QStringLiteral("--%1 %2: %3")
                           .arg(option, value, QString::fromStdString(parsed.errorMessage())));
            return false;
        }
    }
    return true;
}

} // namespace

CommandLine parseCommandLine(const QStringList& arguments, int* exitCode) {
    *exitCode = -1;
    CommandLine result;
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("PeerScope: a libp2p network monitor and peer manager."));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption version = parser.addVersionOption();
    const QCommandLineOption headless(QStringLiteral("headless"),
                                      QStringLiteral("Run the engine only, without a window."));
    const QCommandLineOption listen(
        QStringLiteral("listen"),
        QStringLiteral("Listen address (repeatable). Default: /ip4/0.0.0.0/tcp/4001 and "
                       "/ip6/::/tcp/4001; a taken port falls back to an ephemeral one."),
        QStringLiteral("multiaddr"));
    const QCommandLineOption dial(QStringLiteral("dial"),
                                  QStringLiteral("Dial this peer at start (repeatable)."),
                                  QStringLiteral("multiaddr"));
    const QCommandLineOption identity(
        QStringLiteral("identity"),
        QStringLiteral("Identity key file (created if missing). Default: <data dir>/identity.key"),
        QStringLiteral("file"));
    const QCommandLineOption dataDir(
        QStringLiteral("data-dir"),
        QStringLiteral("Data directory. Default: $XDG_DATA_HOME/peerscope"), QStringLiteral("dir"));
    const QCommandLineOption api(
        QStringLiteral("api"),
        QStringLiteral("Control API address, or \"off\". Default: 127.0.0.1:5080"),
        QStringLiteral("host:port"));
    const QCommandLineOption noMuxerInNoise(
        QStringLiteral("no-muxer-in-noise"),
        QStringLiteral("Do not offer yamux inside the Noise handshake (use multistream-select)."));
    parser.addOptions({headless, listen, dial, identity, dataDir, api, noMuxerInNoise});

    if (!parser.parse(arguments)) {
        printError(parser.errorText());
        *exitCode = 2;
        return result;
    }
    if (parser.isSet(help)) {
        std::fputs(qPrintable(parser.helpText()), stdout);
        *exitCode = 0;
        return result;
    }
    if (parser.isSet(version)) {
        std::printf("peerscope %s\n", PEERSCOPE_VERSION);
        *exitCode = 0;
        return result;
    }
    if (!parser.positionalArguments().isEmpty()) {
        printError(
            QStringLiteral("unexpected argument \"%1\"").arg(parser.positionalArguments().first()));
        *exitCode = 2;
        return result;
    }

    result.headless = parser.isSet(headless);
    if (parser.isSet(listen)) {
        if (!validMultiaddrs(QStringLiteral("listen"), parser.values(listen))) {
            *exitCode = 2;
            return result;
        }
        result.engine.listenAddrs = parser.values(listen);
        // An explicit port is what the user asked for: no silent fallback.
        result.engine.fallbackToEphemeralPort = false;
    }
    if (!validMultiaddrs(QStringLiteral("dial"), parser.values(dial))) {
        *exitCode = 2;
        return result;
    }
    result.engine.dialAddrs = parser.values(dial);
    result.engine.identityPath = parser.value(identity);
    result.engine.dataDir = parser.value(dataDir);
    result.engine.muxerInNoise = !parser.isSet(noMuxerInNoise);
    if (parser.isSet(api)) {
        const QString value = parser.value(api);
        if (value == QLatin1String("off")) {
            result.engine.apiEndpoint.reset();
        } else {
            static const QRegularExpression pattern(
                QStringLiteral(R"(^(\[[0-9a-fA-F:.]+\]|[0-9.]+|localhost):(\d{1,5})$)"));
            QRegularExpressionMatch match = pattern.match(value);
            if (!match.hasMatch() || match.captured(2).toUInt() > 65535) {
                printError(QStringLiteral("--api %1: expected HOST:PORT (e.g. 127.0.0.1:5080 or "
                                          "[::1]:5080) or off")
                               .arg(value));
                *exitCode = 2;
                return result;
            }
            result.engine.apiEndpoint = value;
        }
    }
    return result;
}

} // namespace peerscope
