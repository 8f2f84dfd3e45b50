#include "export_command.h"

#include "api_endpoint.h"
#include "engine/api/api_tls.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QStandardPaths>
#include <QTimer>
#include <QUrl>
#include <algorithm>
#include <cstdio>
#include <memory>
#include <optional>
#include <vector>

#ifdef PEERSCOPE_WITH_UI
#include "ui/report/report_exporter.h"

#include <QGuiApplication>
#endif

namespace peerscope {

namespace {

constexpr int kExitWritten = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr double kDefaultTimeoutSeconds = 30;

const QStringList kFormats{QStringLiteral("json"), QStringLiteral("csv"),
                           QStringLiteral("prometheus"), QStringLiteral("pdf")};

struct ExportRequest {
    QString format;
    QString outPath;
    QString apiScheme = QStringLiteral("http");
    QString apiHost; // as in a URL: IPv6 in brackets
    quint16 apiPort = 5080;
    QString trustedCertificatesPath; // --api-tls-ca; empty: the system's CAs
    QString tokenPath;
    int timeoutMs = int(kDefaultTimeoutSeconds * 1000);
};

// A usage problem (exit 2) or the request.
struct ParsedExport {
    std::optional<ExportRequest> request;
    QString error;
    bool helpShown = false;
};

void printError(const QString& message) {
    std::fprintf(stderr, "peerscope export: %s\n", qPrintable(message));
}

QString defaultDataDir() {
    // As the engine's default (EngineCore): $XDG_DATA_HOME/peerscope.
    return QDir(QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation))
        .filePath(QStringLiteral("peerscope"));
}

// The node's API address.
QString readApiOption(const QString& value, ExportRequest* request, ApiEndpoint* endpoint) {
    if (QString error = parseApiEndpoint(value, ApiEndpointUse::Connect, endpoint,
                                         QStringLiteral("https://HOST:PORT"));
        !error.isEmpty())
        return error;
    if (!endpoint->scheme.isEmpty())
        request->apiScheme = endpoint->scheme;
    request->apiHost = endpoint->host;
    request->apiPort = endpoint->port;
    return {};
}

ParsedExport parseExportArguments(const QStringList& arguments) {
    ParsedExport parsed;
    auto fail = [&parsed](const QString& error) {
        parsed.error = error;
        return parsed;
    };

    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.setApplicationDescription(QStringLiteral(
        "Write a metrics report of a running PeerScope node (JSON, CSV, Prometheus text or a "
        "PDF) to a file, through the node's control API."));
    const QCommandLineOption help = parser.addHelpOption();
    const QCommandLineOption format(QStringLiteral("format"),
                                    QStringLiteral("Report format: json, csv, prometheus or pdf."),
                                    QStringLiteral("format"));
    const QCommandLineOption out(QStringLiteral("out"),
                                 QStringLiteral("The file to write (replaced atomically)."),
                                 QStringLiteral("file"));
    const QCommandLineOption api(
        QStringLiteral("api"),
        QStringLiteral("The node's control API address, https://HOST:PORT for a node with "
                       "--api-tls-cert. Default: 127.0.0.1:5080"),
        QStringLiteral("[https://]host:port"));
    const QCommandLineOption apiTlsCa(
        QStringLiteral("api-tls-ca"),
        QStringLiteral("Trust these certificates (PEM; e.g. the node's self-signed --api-tls-cert) "
                       "for the HTTPS API instead of the system's CAs. Implies https."),
        QStringLiteral("file"));
    const QCommandLineOption dataDir(
        QStringLiteral("data-dir"),
        QStringLiteral("The node's data directory, which holds api-token. Default: "
                       "$XDG_DATA_HOME/peerscope"),
        QStringLiteral("dir"));
    const QCommandLineOption tokenFile(
        QStringLiteral("token-file"),
        QStringLiteral("The API bearer token file. Default: <data dir>/api-token"),
        QStringLiteral("file"));
    const QCommandLineOption timeout(
        QStringLiteral("timeout"),
        QStringLiteral("Give up on the API after this many seconds. Default: 30"),
        QStringLiteral("seconds"));
    parser.addOptions({format, out, api, apiTlsCa, dataDir, tokenFile, timeout});

    // Parsed as "peerscope export ...": the subcommand is not an argument of its own.
    QStringList rest = arguments.mid(2);
    rest.prepend(arguments.value(0, QStringLiteral("peerscope")));
    if (!parser.parse(rest))
        return fail(parser.errorText());
    if (parser.isSet(help)) {
        QString text = parser.helpText();
        // The parser names the executable; the usage line also needs the subcommand.
        text.replace(QRegularExpression(QStringLiteral("^Usage: [^\\n]*")),
                     QStringLiteral("Usage: peerscope export --format FORMAT --out FILE "
                                    "[options]"));
        std::fputs(qPrintable(text), stdout);
        parsed.helpShown = true;
        return parsed;
    }
    if (!parser.positionalArguments().isEmpty())
        return fail(
            QStringLiteral("unexpected argument \"%1\"").arg(parser.positionalArguments().first()));

    ExportRequest request;
    if (!parser.isSet(format))
        return fail(QStringLiteral("--format is required: json, csv, prometheus or pdf"));
    request.format = parser.value(format);
    if (!kFormats.contains(request.format))
        return fail(QStringLiteral("--format %1: expected json, csv, prometheus or pdf")
                        .arg(request.format));
#ifndef PEERSCOPE_WITH_UI
    if (request.format == QLatin1String("pdf"))
        return fail(QStringLiteral("--format pdf: this peerscope was built without the UI, "
                                   "which renders the PDF"));
#endif
    if (!parser.isSet(out))
        return fail(QStringLiteral("--out is required: the file to write"));
    request.outPath = parser.value(out);
    if (request.outPath.isEmpty())
        return fail(QStringLiteral("--out: the path is empty"));
    const QFileInfo outInfo(request.outPath);
    if (outInfo.isDir())
        return fail(QStringLiteral("--out %1: is a directory").arg(request.outPath));
    if (!outInfo.absoluteDir().exists())
        return fail(QStringLiteral("--out %1: the directory %2 does not exist")
                        .arg(request.outPath, outInfo.absolutePath()));

    request.apiHost = QStringLiteral("127.0.0.1");
    ApiEndpoint endpoint; // the default, 127.0.0.1:5080, unless --api says otherwise
    endpoint.loopback = true;
    if (parser.isSet(api))
        if (QString error = readApiOption(parser.value(api), &request, &endpoint); !error.isEmpty())
            return fail(error);
    for (const QCommandLineOption& pathOption : {apiTlsCa, dataDir, tokenFile})
        if (parser.isSet(pathOption) && parser.value(pathOption).isEmpty())
            return fail(QStringLiteral("--%1: the path is empty").arg(pathOption.names().first()));
    if (parser.isSet(apiTlsCa)) {
        if (endpoint.scheme == QLatin1String("http"))
            return fail(QStringLiteral("--api-tls-ca: the API address %1 is plain http; use "
                                       "https://")
                            .arg(parser.value(api)));
        request.apiScheme = QStringLiteral("https");
        request.trustedCertificatesPath = parser.value(apiTlsCa);
        // Read by Qt only once the application object exists; checked now, for status 2.
        if (Result<void> checked =
                checkPemCertificateFile("api-tls-ca", request.trustedCertificatesPath);
            !checked)
            return fail(QString::fromStdString(checked.errorMessage()));
    }
    // The token goes off loopback over TLS only (a node there speaks nothing else anyway).
    if (!endpoint.loopback && request.apiScheme != QLatin1String("https"))
        return fail(QStringLiteral("--api %1: not a loopback address; the API token goes off "
                                   "loopback over TLS only: use https://%2:%3")
                        .arg(parser.value(api), request.apiHost)
                        .arg(request.apiPort));
    const QString dataDirectory = parser.isSet(dataDir) ? parser.value(dataDir) : defaultDataDir();
    request.tokenPath = parser.isSet(tokenFile)
                            ? parser.value(tokenFile)
                            : QDir(dataDirectory).filePath(QStringLiteral("api-token"));
    if (parser.isSet(timeout)) {
        bool ok = false;
        const double seconds = parser.value(timeout).toDouble(&ok);
        if (!ok || !(seconds > 0) || seconds > 3600)
            return fail(QStringLiteral("--timeout %1: expected a number of seconds above 0, at "
                                       "most 3600")
                            .arg(parser.value(timeout)));
        request.timeoutMs = std::max(1, int(seconds * 1000));
    }
    parsed.request = request;
    return parsed;
}

// The API's answer, or the message for exit 1.
struct Fetched {
    QByteArray body;
    QString error;
};

// One GET with the bearer token, waited for in a local event loop (this is a CLI: nothing else
// runs meanwhile), bounded by the timeout. `trusted`: the CAs for HTTPS, empty for the system's.
Fetched fetch(QNetworkAccessManager& network, const ExportRequest& request, const QByteArray& token,
              const QList<QSslCertificate>& trusted, const QString& pathAndQuery) {
    const QString base =
        QStringLiteral("%1://%2:%3").arg(request.apiScheme, request.apiHost).arg(request.apiPort);
    QNetworkRequest get(QUrl(base + pathAndQuery));
    if (!trusted.isEmpty()) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setCaCertificates(trusted);
        get.setSslConfiguration(tls);
    }
    get.setRawHeader("Authorization", "Bearer " + token);
    get.setRawHeader("Accept", "*/*");
    std::unique_ptr<QNetworkReply> reply(network.get(get));
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    bool timedOut = false;
    QObject::connect(&timer, &QTimer::timeout, &loop, [&] {
        timedOut = true;
        reply->abort();
    });
    QObject::connect(reply.get(), &QNetworkReply::finished, &loop, &QEventLoop::quit);
    timer.start(request.timeoutMs);
    if (!reply->isFinished())
        loop.exec();

    Fetched fetched;
    const QString what = QStringLiteral("GET %1%2").arg(base, pathAndQuery);
    if (timedOut) {
        fetched.error =
            QStringLiteral("%1: no answer within %2 s").arg(what).arg(request.timeoutMs / 1000.0);
        return fetched;
    }
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    const QByteArray body = reply->readAll();
    if (reply->error() == QNetworkReply::SslHandshakeFailedError) {
        fetched.error = QStringLiteral("TLS with the PeerScope API at %1 failed: %2 (a "
                                       "self-signed certificate? see --api-tls-ca)")
                            .arg(base, reply->errorString());
        return fetched;
    }
    if (!status.isValid()) { // no HTTP answer at all
        fetched.error = QStringLiteral("cannot reach the PeerScope API at %1: %2 (is the node "
                                       "running, with its API on this address? see --api; "
                                       "https:// for a node with --api-tls-cert)")
                            .arg(base, reply->errorString());
        return fetched;
    }
    if (status.toInt() != 200) {
        // The API answers errors as {"error": "..."}.
        const QString apiError = QJsonDocument::fromJson(body)
                                     .object()
                                     .value(QStringLiteral("error"))
                                     .toString(QString::fromUtf8(body.left(200)).trimmed());
        fetched.error =
            QStringLiteral("%1: HTTP %2 %3")
                .arg(what)
                .arg(status.toInt())
                .arg(apiError.isEmpty()
                         ? reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString()
                         : apiError);
        return fetched;
    }
    fetched.body = body;
    return fetched;
}

QString writeAtomically(const QString& path, const QByteArray& bytes) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit())
        return QStringLiteral("cannot write %1: %2").arg(path, file.errorString());
    return {};
}

int runExport(const ExportRequest& request) {
    QFile tokenFile(request.tokenPath);
    if (!tokenFile.open(QIODevice::ReadOnly)) {
        printError(QStringLiteral("cannot read the API token %1: %2 (the node creates it on its "
                                  "first start; see --data-dir and --token-file)")
                       .arg(request.tokenPath, tokenFile.errorString()));
        return kExitFailed;
    }
    const QByteArray token = tokenFile.readAll().trimmed();
    if (token.isEmpty()) {
        printError(QStringLiteral("the API token file %1 is empty").arg(request.tokenPath));
        return kExitFailed;
    }

    const QList<QSslCertificate> trusted =
        request.trustedCertificatesPath.isEmpty()
            ? QList<QSslCertificate>()
            : QSslCertificate::fromPath(request.trustedCertificatesPath, QSsl::Pem);
    if (!request.trustedCertificatesPath.isEmpty() && trusted.isEmpty()) { // never the system's
        printError(QStringLiteral("--api-tls-ca %1: Qt cannot load it")
                       .arg(request.trustedCertificatesPath));
        return kExitFailed;
    }

    QNetworkAccessManager network;
    network.setProxy(QNetworkProxy::NoProxy); // the node is reached directly, never via a proxy
    if (request.format != QLatin1String("pdf")) {
        const Fetched report = fetch(network, request, token, trusted,
                                     QStringLiteral("/api/v1/export?format=") + request.format);
        if (!report.error.isEmpty()) {
            printError(report.error);
            return kExitFailed;
        }
        if (QString error = writeAtomically(request.outPath, report.body); !error.isEmpty()) {
            printError(error);
            return kExitFailed;
        }
        return kExitWritten;
    }

#ifdef PEERSCOPE_WITH_UI
    // The PDF from what the API tells: the JSON report (node, peers, connections), the node
    // counters from the Prometheus text and the observed addresses from /api/v1/node.
    const Fetched json =
        fetch(network, request, token, trusted, QStringLiteral("/api/v1/export?format=json"));
    const Fetched metrics = json.error.isEmpty()
                                ? fetch(network, request, token, trusted,
                                        QStringLiteral("/api/v1/export?format=prometheus"))
                                : Fetched{};
    const Fetched node =
        json.error.isEmpty() && metrics.error.isEmpty()
            ? fetch(network, request, token, trusted, QStringLiteral("/api/v1/node"))
            : Fetched{};
    for (const Fetched* fetched : {&json, &metrics, &node})
        if (!fetched->error.isEmpty()) {
            printError(fetched->error);
            return kExitFailed;
        }
    Result<NodeSnapshot> snapshot = snapshotFromReportJson(json.body);
    if (!snapshot) {
        printError(QStringLiteral("GET /api/v1/export?format=json: %1")
                       .arg(QString::fromStdString(snapshot.errorMessage())));
        return kExitFailed;
    }
    applyPrometheusCounters(metrics.body, &*snapshot);
    for (const QJsonValue& addr : QJsonDocument::fromJson(node.body)
                                      .object()
                                      .value(QStringLiteral("observedAddrs"))
                                      .toArray())
        snapshot->observedAddrs << addr.toString();
    if (const Result<void> written = writeReport(ExportFormat::Pdf, *snapshot, request.outPath);
        !written) {
        printError(QString::fromStdString(written.errorMessage()));
        return kExitFailed;
    }
    return kExitWritten;
#else
    return kExitUsage; // refused while parsing
#endif
}

} // namespace

int runExportCommand(const QStringList& arguments) {
    // Usage is checked before an application object exists: a typo exits 2 without a display.
    const ParsedExport parsed = parseExportArguments(arguments);
    if (parsed.helpShown)
        return kExitWritten;
    if (!parsed.request) {
        printError(parsed.error);
        std::fputs("Try 'peerscope export --help'.\n", stderr);
        return kExitUsage;
    }
    const ExportRequest& request = *parsed.request;

    // The application object wants argc/argv that outlive it.
    std::vector<QByteArray> storage;
    for (const QString& argument : arguments)
        storage.push_back(argument.toLocal8Bit());
    std::vector<char*> argv;
    for (QByteArray& argument : storage)
        argv.push_back(argument.data());
    argv.push_back(nullptr);
    int argc = static_cast<int>(storage.size());

    std::unique_ptr<QCoreApplication> app;
#ifdef PEERSCOPE_WITH_UI
    if (request.format == QLatin1String("pdf")) {
        // Fonts need a QGuiApplication; a CLI has no window, so no display is needed either.
        if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
            qputenv("QT_QPA_PLATFORM", "offscreen");
        app = std::make_unique<QGuiApplication>(argc, argv.data());
    }
#endif
    if (!app)
        app = std::make_unique<QCoreApplication>(argc, argv.data());
    return runExport(request);
}

} // namespace peerscope
