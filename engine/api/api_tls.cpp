#include "engine/api/api_tls.h"

#include "engine/core/openssl_ptr.h"

#include <QFile>
#include <QList>
#include <QSslCertificate>
#include <QSslKey>
#include <QSslSocket>
#include <memory>
#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

namespace peerscope {

namespace {

// What a refused key or a mismatch leaves on this thread's OpenSSL error queue must not be
// taken for the error of a later TLS operation.
struct ErrorQueueClear {
    ~ErrorQueueClear() { ERR_clear_error(); }
};

// Refuses a passphrase-protected key instead of asking for the passphrase on the terminal.
int noPassphrase(char*, int, int, void*) {
    return -1;
}

std::string where(const char* option, const QString& path) {
    return std::string("--") + option + " " + path.toStdString() + ": ";
}

Result<QByteArray> readFile(const char* option, const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(where(option, path) +
                         "cannot read it: " + file.errorString().toStdString());
    return file.readAll();
}

// The first certificate in `pem`, if it has not expired.
Result<X509Ptr> firstCertificate(const char* option, const QString& path, const QByteArray& pem) {
    BioPtr bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    X509Ptr certificate(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
    if (!certificate)
        return makeError(where(option, path) + "no PEM certificate in it");
    if (X509_cmp_current_time(X509_get0_notAfter(certificate.get())) < 0) {
        BioPtr text(BIO_new(BIO_s_mem()));
        ASN1_TIME_print(text.get(), X509_get0_notAfter(certificate.get()));
        char* data = nullptr;
        const long size = BIO_get_mem_data(text.get(), &data);
        return makeError(where(option, path) + "the certificate expired on " +
                         std::string(data, std::size_t(size)));
    }
    return certificate;
}

struct CheckedTlsFiles {
    QByteArray certificatePem;
    QByteArray keyPem;
    QSsl::KeyAlgorithm algorithm = QSsl::Opaque;
};

// OpenSSL alone reads any PEM key form (PKCS#8, traditional) and says whether it is the
// certificate's; QSslKey only wants to be told the algorithm.
Result<CheckedTlsFiles> readTlsFiles(const QString& certificatePath, const QString& keyPath) {
    const ErrorQueueClear clearErrors;
    if (certificatePath.isEmpty() != keyPath.isEmpty())
        return makeError(certificatePath.isEmpty()
                             ? "--api-tls-key needs --api-tls-cert: give both, or neither"
                             : "--api-tls-cert needs --api-tls-key: give both, or neither");
    CheckedTlsFiles files;
    Result<QByteArray> certificatePem = readFile("api-tls-cert", certificatePath);
    if (!certificatePem)
        return certificatePem.error();
    files.certificatePem = std::move(certificatePem).value();
    Result<X509Ptr> leaf = firstCertificate("api-tls-cert", certificatePath, files.certificatePem);
    if (!leaf)
        return leaf.error();

    Result<QByteArray> keyPem = readFile("api-tls-key", keyPath);
    if (!keyPem)
        return keyPem.error();
    files.keyPem = std::move(keyPem).value();
    BioPtr keyBio(BIO_new_mem_buf(files.keyPem.constData(), int(files.keyPem.size())));
    EvpPkeyPtr pkey(keyBio ? PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassphrase, nullptr)
                           : nullptr);
    if (!pkey)
        return makeError(where("api-tls-key", keyPath) +
                         "no unencrypted PEM private key in it (a key with a passphrase is not "
                         "supported)");
    switch (EVP_PKEY_base_id(pkey.get())) {
    case EVP_PKEY_RSA:
        files.algorithm = QSsl::Rsa;
        break;
    case EVP_PKEY_EC:
        files.algorithm = QSsl::Ec;
        break;
    default: {
        const char* name = OBJ_nid2sn(EVP_PKEY_base_id(pkey.get()));
        return makeError(where("api-tls-key", keyPath) + "a " + (name ? name : "non-RSA, non-EC") +
                         " key; the control API takes an RSA or EC key");
    }
    }
    if (X509_check_private_key(leaf->get(), pkey.get()) != 1)
        return makeError(where("api-tls-key", keyPath) +
                         "not the private key of the certificate in " +
                         certificatePath.toStdString());
    return files;
}

} // namespace

std::string apiNeedsTlsMessage(const QString& endpoint) {
    return "--api " + endpoint.toStdString() +
           ": not a loopback address; off loopback the control API (and its token) goes over TLS "
           "only: give --api-tls-cert FILE and --api-tls-key FILE (PEM), or listen on 127.0.0.1 "
           "or [::1]";
}

Result<void> checkPemCertificateFile(const char* option, const QString& path) {
    const ErrorQueueClear clearErrors;
    Result<QByteArray> pem = readFile(option, path);
    if (!pem)
        return pem.error();
    if (Result<X509Ptr> certificate = firstCertificate(option, path, *pem); !certificate)
        return certificate.error();
    return {};
}

Result<void> checkApiTlsFiles(const QString& certificatePath, const QString& keyPath) {
    if (Result<CheckedTlsFiles> files = readTlsFiles(certificatePath, keyPath); !files)
        return files.error();
    return {};
}

Result<QSslConfiguration> loadApiTlsConfiguration(const QString& certificatePath,
                                                  const QString& keyPath) {
    Result<CheckedTlsFiles> files = readTlsFiles(certificatePath, keyPath);
    if (!files)
        return files.error();
    const QList<QSslCertificate> chain =
        QSslCertificate::fromData(files->certificatePem, QSsl::Pem);
    const QSslKey key(files->keyPem, files->algorithm, QSsl::Pem, QSsl::PrivateKey);
    if (chain.isEmpty() || key.isNull())
        return makeError(where(chain.isEmpty() ? "api-tls-cert" : "api-tls-key",
                               chain.isEmpty() ? certificatePath : keyPath) +
                         "Qt cannot load it");

    QSslConfiguration configuration;
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setProtocol(QSsl::TlsV1_2OrLater);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone); // clients prove themselves by token
    return configuration;
}

} // namespace peerscope
