#pragma once

// TLS for the control API in tests: a throwaway self-signed certificate made with the openssl
// command line, and one HTTPS request that trusts only it.
#include "support/process_run.h"

#include <QByteArray>
#include <QList>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

namespace peerscope::test {

struct SelfSignedCertificate {
    QString certificatePath;
    QString keyPath;
    QString error; // empty when made
};

// A certificate for localhost and 127.0.0.1, valid one day, and its key, as <dir>/<name>.crt
// and <dir>/<name>.key (PEM); an EC P-256 key unless `newKey` says otherwise.
inline SelfSignedCertificate makeSelfSignedCertificate(
    const QTemporaryDir& dir, const QString& name = QStringLiteral("api"),
    const QStringList& newKey = {"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"}) {
    SelfSignedCertificate made{dir.filePath(name + QStringLiteral(".crt")),
                               dir.filePath(name + QStringLiteral(".key")),
                               {}};
    const ProcessRun run =
        runToEnd(QStringLiteral("openssl"),
                 QStringList{"req", "-x509"} + newKey +
                     QStringList{"-nodes", "-subj", "/CN=localhost", "-addext",
                                 "subjectAltName=DNS:localhost,IP:127.0.0.1", "-days", "1",
                                 "-keyout", made.keyPath, "-out", made.certificatePath},
                 20000);
    if (run.exitCode != 0)
        made.error = QStringLiteral("openssl req failed (%1): %2").arg(run.exitCode).arg(run.err);
    return made;
}

struct HttpsReply {
    int status = 0; // 0: no HTTP answer
    QNetworkReply::NetworkError error = QNetworkReply::NoError;
    QString errorString;
    QByteArray body;
};

// GET https://127.0.0.1:<port><path> with the bearer token, trusting only `certificatePath`
// (none: the system's CAs). Bounded to 20 s. A manager of its own: Qt would reuse a kept-alive
// connection verified under another CA list.
inline HttpsReply httpsGet(quint16 port, const QString& path, const QByteArray& token,
                           const QString& certificatePath = {}) {
    QNetworkAccessManager network;
    QNetworkRequest request(QUrl(QStringLiteral("https://127.0.0.1:%1%2").arg(port).arg(path)));
    request.setRawHeader("Authorization", "Bearer " + token);
    if (!certificatePath.isEmpty()) {
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setCaCertificates(QSslCertificate::fromPath(certificatePath));
        request.setSslConfiguration(tls);
    }
    QNetworkReply* reply = network.get(request);
    if (!QTest::qWaitFor([&] { return reply->isFinished(); }, 20000))
        reply->abort();
    HttpsReply out;
    out.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    out.error = reply->error();
    out.errorString = reply->errorString();
    out.body = reply->readAll();
    delete reply;
    return out;
}

} // namespace peerscope::test
