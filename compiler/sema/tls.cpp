// TLS material checked at check time, as HAProxy does when it loads the configuration:
// certificate files must hold a certificate and its private key, cipher lists must parse.
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include <filesystem>
#include <memory>

#include "sema/context.h"

namespace lbc::sema {

static std::string opensslError() {
  unsigned long e = ERR_get_error();
  ERR_clear_error();
  if (!e) return "unknown error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  return buf;
}

std::string checkCertificateFile(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) return {};
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_file(path.c_str(), "r"), BIO_free);
  if (!bio) return "cannot open certificate file '" + path + "': no such file or directory";
  X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr);
  if (!cert) {
    ERR_clear_error();
    return "certificate file '" + path + "' holds no PEM certificate";
  }
  X509_free(cert);
  // HAProxy looks for the key in the same file, then in "<file>.key".
  BIO_reset(bio.get());
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr);
  if (!key) {
    ERR_clear_error();
    std::unique_ptr<BIO, decltype(&BIO_free)> kb(BIO_new_file((path + ".key").c_str(), "r"), BIO_free);
    if (kb) key = PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr);
    if (!key) {
      ERR_clear_error();
      return "certificate file '" + path + "' holds no private key (and there is no '" + path + ".key')";
    }
  }
  EVP_PKEY_free(key);
  return {};
}

std::string checkCipherList(const std::string& list) {
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) return "cannot create a TLS context: " + opensslError();
  if (SSL_CTX_set_cipher_list(ctx.get(), list.c_str()) != 1) {
    ERR_clear_error();
    return "no valid cipher in '" + list + "' (see 'openssl ciphers -v' for the names OpenSSL accepts)";
  }
  return {};
}

std::string underBase(const std::string& base, const std::string& path) {
  if (base.empty() || path.empty() || path[0] == '/') return path;
  return base + "/" + path;
}

bool isTlsVersion(std::string_view v) {
  return v == "SSLv3" || v == "TLSv1.0" || v == "TLSv1.1" || v == "TLSv1.2" || v == "TLSv1.3";
}

bool Sema::tlsVersion(const Word& w) {
  if (isTlsVersion(w.text)) return true;
  error(w, "'" + w.text + "' is not a TLS version: expected SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3");
  return false;
}

}  // namespace lbc::sema
