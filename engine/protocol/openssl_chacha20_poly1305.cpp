#include "engine/protocol/openssl_chacha20_poly1305.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdexcept>

namespace peerscope {

void OpenSslChaCha20Poly1305::FreeContext::operator()(EVP_CIPHER_CTX* ctx) const {
    EVP_CIPHER_CTX_free(ctx); // which wipes the key schedule
}

OpenSslChaCha20Poly1305::OpenSslChaCha20Poly1305(const std::uint8_t* key)
    : ctx_(EVP_CIPHER_CTX_new()) {
    if (!ctx_ ||
        EVP_CipherInit_ex(ctx_.get(), EVP_chacha20_poly1305(), nullptr, key, nullptr, 1) != 1)
        throw std::runtime_error("cannot initialise OpenSSL's ChaCha20-Poly1305");
}

OpenSslChaCha20Poly1305::~OpenSslChaCha20Poly1305() = default;

void OpenSslChaCha20Poly1305::seal(const Nonce& nonce, ByteView aad, ByteView plaintext,
                                   std::uint8_t* out, std::uint8_t* tag) {
    EVP_CIPHER_CTX* ctx = ctx_.get();
    int written = 0;
    int finalLength = 0;
    // With a valid context and sizes below 2^31 these calls cannot fail.
    EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data(), 1);
    if (!aad.empty())
        EVP_CipherUpdate(ctx, nullptr, &written, aad.data(), static_cast<int>(aad.size()));
    EVP_CipherUpdate(ctx, out, &written, plaintext.data(), static_cast<int>(plaintext.size()));
    EVP_CipherFinal_ex(ctx, out + written, &finalLength);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, tagSize, tag);
}

bool OpenSslChaCha20Poly1305::open(const Nonce& nonce, ByteView aad, ByteView ciphertext,
                                   const std::uint8_t* tag, std::uint8_t* out) {
    EVP_CIPHER_CTX* ctx = ctx_.get();
    int written = 0;
    int finalLength = 0;
    // OpenSSL decrypts before it checks the tag.
    const bool authentic =
        EVP_CipherInit_ex(ctx, nullptr, nullptr, nullptr, nonce.data(), 0) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, tagSize, const_cast<std::uint8_t*>(tag)) ==
            1 &&
        (aad.empty() ||
         EVP_CipherUpdate(ctx, nullptr, &written, aad.data(), static_cast<int>(aad.size())) == 1) &&
        EVP_CipherUpdate(ctx, out, &written, ciphertext.data(),
                         static_cast<int>(ciphertext.size())) == 1 &&
        EVP_CipherFinal_ex(ctx, out + written, &finalLength) == 1;
    if (!authentic && !ciphertext.empty())
        OPENSSL_cleanse(out, ciphertext.size());
    return authentic;
}

} // namespace peerscope
