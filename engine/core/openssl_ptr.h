#pragma once

#include <memory>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>

namespace peerscope {

// OpenSSL objects owned by a unique_ptr that frees them with their own free function, so no
// error path leaks one. For the engine's .cpp files only: the header pulls in OpenSSL.
template <auto free> struct OpenSslFree {
    template <typename T> void operator()(T* object) const { free(object); }
};

using BioPtr = std::unique_ptr<BIO, OpenSslFree<BIO_free>>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OpenSslFree<EVP_PKEY_free>>;
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, OpenSslFree<EVP_PKEY_CTX_free>>;
using EvpMdCtxPtr = std::unique_ptr<EVP_MD_CTX, OpenSslFree<EVP_MD_CTX_free>>;
using OsslParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, OpenSslFree<OSSL_PARAM_BLD_free>>;
using OsslParamPtr = std::unique_ptr<OSSL_PARAM, OpenSslFree<OSSL_PARAM_free>>;
using X509Ptr = std::unique_ptr<X509, OpenSslFree<X509_free>>;

} // namespace peerscope
