#pragma once

#include "engine/core/result.h"

#include <QSslConfiguration>
#include <QString>
#include <string>

namespace peerscope {

// DESIGN.md: the control API is loopback with a token; off loopback only over TLS. This is the
// refusal of a non-loopback --api `endpoint` without TLS, naming the flags to use.
std::string apiNeedsTlsMessage(const QString& endpoint);

// Checks the files that --api-tls-cert (PEM: the certificate, then any intermediates) and
// --api-tls-key (its private key, PEM, unencrypted, RSA or EC) name: both given, each readable
// and well-formed, the certificate not expired, the key the certificate's. The error names the
// option and the file. OpenSSL alone, no Qt TLS: the command line checks before any Qt
// application object exists.
Result<void> checkApiTlsFiles(const QString& certificatePath, const QString& keyPath);

// The control API's TLS server configuration from those files, checked as above first, so a
// bad file stops the node instead of failing every handshake.
Result<QSslConfiguration> loadApiTlsConfiguration(const QString& certificatePath,
                                                  const QString& keyPath);

// That the first certificate in the PEM file `path` can be read and has not expired (the error
// starts "--<option> <path>: "). OpenSSL alone, as checkApiTlsFiles.
Result<void> checkPemCertificateFile(const char* option, const QString& path);

} // namespace peerscope
