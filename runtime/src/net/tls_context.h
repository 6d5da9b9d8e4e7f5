// OpenSSL contexts built from typed settings: one TlsServerContext per `bind ... ssl` (its
// certificates grouped by name for SNI selection), one TlsClientContext per `server ... ssl`
// (verify, SNI, ALPN, the session kept for reuse). Built once per generation, read-only after
// build() except the client's session slot (locked: every worker thread shares it). Contexts
// are refcounted by OpenSSL, so an SSL made from one outlives nothing it needs.
#pragma once
#include <openssl/ssl.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace lbc::rt {

enum class TlsVerify : uint8_t { kNone, kOptional, kRequired };

// TLS1_VERSION..TLS1_3_VERSION; 0: OpenSSL's bound.
struct TlsVersions {
  int min = 0;
  int max = 0;
};

struct TlsServerSettings {
  // PEM files (or directories of them), each a certificate, its chain and its key. The first
  // one's certificate is the default (no SNI, or an unknown name when !strict_sni). Several files
  // for one name with different key types (RSA, ECDSA) are served side by side, chosen by the
  // client's sigalgs.
  std::vector<std::string> crt;
  bool strict_sni = false;
  std::vector<std::string> alpn;  // server preference order, as `alpn h2,http/1.1`
  std::string ciphers;            // TLS <= 1.2, OpenSSL cipher list syntax
  std::string ciphersuites;       // TLS 1.3
  std::string curves;             // groups list, "X25519:P-256"
  TlsVersions versions;
  bool no_tickets = false;
  bool prefer_client_ciphers = false;
  TlsVerify verify = TlsVerify::kNone;
  std::string ca_file;   // client certificates' CAs (verify optional|required)
  std::string crl_file;  // revoked client certificates (crl-file): every depth is checked
  // Verification errors (X509_V_ERR_*) let through: ca-ignore-err (depth > 0) and
  // crt-ignore-err (depth 0); `all` is HAProxy's "all".
  struct IgnoreErrors {
    bool all = false;
    std::vector<int> codes;
  };
  IgnoreErrors ca_ignore_err, crt_ignore_err;
  std::string sigalgs;        // ssl-default-bind-sigalgs
  std::string dh_param_file;  // ssl-dh-param-file; empty: OpenSSL's automatic groups
  uint32_t max_record = 0;    // tune.ssl.maxrecord (bytes of plaintext per record); 0: 16384
  long cache_size = -1;       // tune.ssl.cachesize (sessions); 0 disables the cache; -1: OpenSSL's
  long lifetime_s = 0;        // tune.ssl.lifetime; 0: OpenSSL's (300 s as HAProxy)
  // tls-ticket-keys: base64 keys of 48 (AES-128) or 80 (AES-256) bytes, one a line; as HAProxy,
  // the last three decrypt and the one before the last encrypts (append a key to rotate).
  std::string ticket_keys_file;
};

// One key of tls-ticket-keys: its name in the ticket, the cipher key and the HMAC key.
struct TlsTicketKey {
  unsigned char name[16];
  unsigned char aes[32];
  unsigned char hmac[32];
  int aes_len = 16;  // 16 or 32
};

struct TlsClientSettings {
  std::vector<std::string> alpn;
  std::string ciphers;
  std::string ciphersuites;
  TlsVersions versions;
  TlsVerify verify = TlsVerify::kRequired;  // kOptional is kNone for a client
  std::string ca_file;                      // empty: the system's default paths
  std::string crt;                          // a client certificate PEM (chain + key), optional
  bool reuse = true;                        // keep the last session to resume the next one
  bool no_tickets = false;                  // resume by session ID only (no ticket extension)
};

using SslCtxPtr = std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)>;

class TlsServerContext {
 public:
  TlsServerContext() = default;
  TlsServerContext(const TlsServerContext&) = delete;
  TlsServerContext& operator=(const TlsServerContext&) = delete;

  // False with `err` set (the file and OpenSSL's reason) when a setting or a file is refused.
  bool build(const TlsServerSettings& s, std::string& err);

  // The context an accepted connection starts on (the default certificate); SNI moves the SSL
  // to the context of the name it asks for.
  SSL_CTX* initial() const { return default_; }
  // The context holding the certificates for `name` (lower case): exact, then `*.` + parent;
  // null when none.
  SSL_CTX* forName(std::string_view name) const;
  bool strictSni() const { return strict_sni_; }
  const std::vector<uint8_t>& alpnWire() const { return alpn_; }
  // The stapled OCSP response (DER) of a certificate this context serves, null when none.
  const std::string* ocspFor(const X509* leaf) const;
  bool ignores(int depth, int err) const;
  // tls-ticket-keys: the key encrypting new tickets, and the one named in a ticket (null when
  // unknown: a full handshake follows).
  const TlsTicketKey* ticketKeyToEncrypt() const {
    return ticket_keys_.empty() ? nullptr : &ticket_keys_[enc_key_];
  }
  const TlsTicketKey* ticketKeyNamed(const unsigned char* name) const;

  ~TlsServerContext();

 private:
  SSL_CTX* newCtx(const TlsServerSettings& s, std::string& err);
  bool loadOcsp(const std::string& crt, X509* leaf, std::string& err);
  bool loadTicketKeys(const std::string& path, std::string& err);

  std::vector<SslCtxPtr> ctxs_;                      // one per distinct name set, owned
  std::unordered_map<std::string, SSL_CTX*> names_;  // exact and "*.suffix" names
  SSL_CTX* default_ = nullptr;
  bool strict_sni_ = false;
  std::vector<uint8_t> alpn_;                        // wire format: length-prefixed protocols
  std::vector<std::pair<X509*, std::string>> ocsp_;  // `<crt>.ocsp` files, by certificate (referenced)
  TlsServerSettings::IgnoreErrors ca_ignore_, crt_ignore_;
  std::vector<TlsTicketKey> ticket_keys_;  // the last three of the file
  size_t enc_key_ = 0;
};

class TlsClientContext {
 public:
  TlsClientContext() = default;
  TlsClientContext(const TlsClientContext&) = delete;
  TlsClientContext& operator=(const TlsClientContext&) = delete;
  ~TlsClientContext();

  bool build(const TlsClientSettings& s, std::string& err);
  SSL_CTX* ctx() const { return ctx_.get(); }
  bool verifies() const { return verify_; }

  // Session reuse: the last session a server gave (a ticket or an id) and the SNI it was made
  // under, offered by the next connection with the same SNI. takeSession returns a new
  // reference (SSL_SESSION_free it) or null.
  SSL_SESSION* takeSession(std::string_view sni) const;
  void keepSession(SSL_SESSION* s, std::string_view sni);  // takes the reference
  bool reuses() const { return reuse_; }

 private:
  SslCtxPtr ctx_{nullptr, &SSL_CTX_free};
  bool verify_ = true;
  bool reuse_ = true;
  mutable std::mutex mu_;
  SSL_SESSION* session_ = nullptr;
  std::string session_sni_;
};

// Protocol names to ALPN's wire format; false when a name is empty or longer than 255 bytes.
bool alpnToWire(const std::vector<std::string>& names, std::vector<uint8_t>& out);

// OpenSSL's error queue as one line (emptied), for diagnostics and logs.
std::string sslErrors();

}  // namespace lbc::rt
