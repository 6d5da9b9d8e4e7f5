#include "tls_context.h"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

namespace lbc::rt {
namespace {

using X509Ptr = std::unique_ptr<X509, decltype(&X509_free)>;
using KeyPtr = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using BioPtr = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = char(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// One PEM file: the leaf, the rest of the chain, the key.
struct Pem {
  X509Ptr leaf{nullptr, &X509_free};
  STACK_OF(X509) * chain = nullptr;
  KeyPtr key{nullptr, &EVP_PKEY_free};
  ~Pem() {
    if (chain) sk_X509_pop_free(chain, X509_free);
  }
};

bool readPem(const std::string& path, Pem& pem, std::string& err) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  if (!bio) {
    err = path + ": cannot open (" + sslErrors() + ")";
    return false;
  }
  pem.leaf.reset(PEM_read_bio_X509_AUX(bio.get(), nullptr, nullptr, nullptr));
  if (!pem.leaf) {
    err = path + ": no certificate (" + sslErrors() + ")";
    return false;
  }
  pem.chain = sk_X509_new_null();
  while (X509* x = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) sk_X509_push(pem.chain, x);
  ERR_clear_error();  // the end of the certificates is reported as an error
  BioPtr kbio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  pem.key.reset(kbio ? PEM_read_bio_PrivateKey(kbio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!pem.key) {
    err = path + ": no private key (" + sslErrors() + ")";
    return false;
  }
  return true;
}

// The names a certificate answers for: its DNS subjectAltNames, else its subject's CN.
std::vector<std::string> certNames(X509* x) {
  std::vector<std::string> names;
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(x, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* g = sk_GENERAL_NAME_value(sans, i);
    if (g->type != GEN_DNS) continue;
    const ASN1_IA5STRING* s = g->d.dNSName;
    names.push_back(
        lower({reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)), size_t(ASN1_STRING_length(s))}));
  }
  if (sans) GENERAL_NAMES_free(sans);
  if (names.empty()) {
    char cn[256];
    int n = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn, sizeof cn);
    if (n > 0) names.push_back(lower({cn, size_t(n)}));
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

bool applyVersions(SSL_CTX* ctx, const TlsVersions& v) {
  return (!v.min || SSL_CTX_set_min_proto_version(ctx, v.min)) &&
         (!v.max || SSL_CTX_set_max_proto_version(ctx, v.max));
}

bool applyCiphers(SSL_CTX* ctx, const std::string& ciphers, const std::string& suites, std::string& err) {
  if (!ciphers.empty() && !SSL_CTX_set_cipher_list(ctx, ciphers.c_str())) {
    err = "ciphers '" + ciphers + "' refused (" + sslErrors() + ")";
    return false;
  }
  if (!suites.empty() && !SSL_CTX_set_ciphersuites(ctx, suites.c_str())) {
    err = "ciphersuites '" + suites + "' refused (" + sslErrors() + ")";
    return false;
  }
  return true;
}

// The server's SNI step: the SSL moves to the context holding the asked name's certificates.
int onServerName(SSL* ssl, int* alert, void* arg) {
  auto* sc = static_cast<const TlsServerContext*>(arg);
  const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  // No SNI: the default certificate, unless strict-sni (HAProxy refuses such a client too).
  SSL_CTX* ctx = name ? sc->forName(lower(name)) : nullptr;
  if (!ctx) {
    if (!sc->strictSni()) return SSL_TLSEXT_ERR_OK;
    *alert = SSL_AD_UNRECOGNIZED_NAME;
    return SSL_TLSEXT_ERR_ALERT_FATAL;
  }
  if (ctx != SSL_get_SSL_CTX(ssl)) SSL_set_SSL_CTX(ssl, ctx);
  return SSL_TLSEXT_ERR_OK;
}

// ALPN: the first of the server's protocols the client offers (HAProxy's order); no overlap
// goes on without ALPN, as HAProxy does.
int onAlpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned inlen,
           void* arg) {
  auto* sc = static_cast<const TlsServerContext*>(arg);
  const auto& mine = sc->alpnWire();
  unsigned char* chosen = nullptr;
  if (mine.empty() || SSL_select_next_proto(&chosen, outlen, mine.data(), unsigned(mine.size()), in, inlen) !=
                          OPENSSL_NPN_NEGOTIATED)
    return SSL_TLSEXT_ERR_NOACK;
  *out = chosen;
  return SSL_TLSEXT_ERR_OK;
}

// OCSP stapling: the response loaded beside the certificate the handshake chose.
int onStatus(SSL* ssl, void* arg) {
  auto* sc = static_cast<const TlsServerContext*>(arg);
  const std::string* der = sc->ocspFor(SSL_get_certificate(ssl));
  if (!der) return SSL_TLSEXT_ERR_NOACK;
  auto* copy = static_cast<unsigned char*>(OPENSSL_malloc(der->size()));
  if (!copy) return SSL_TLSEXT_ERR_NOACK;
  std::copy(der->begin(), der->end(), copy);
  SSL_set_tlsext_status_ocsp_resp(ssl, copy, long(der->size()));  // OpenSSL frees it
  return SSL_TLSEXT_ERR_OK;
}

// ca-ignore-err / crt-ignore-err: a verification error listed for its depth is let through.
int onVerify(int ok, X509_STORE_CTX* store) {
  if (ok) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* sc = ssl ? static_cast<const TlsServerContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl))) : nullptr;
  if (!sc || !sc->ignores(X509_STORE_CTX_get_error_depth(store), X509_STORE_CTX_get_error(store))) return 0;
  X509_STORE_CTX_set_error(store, X509_V_OK);
  return 1;
}

bool loadDh(SSL_CTX* ctx, const std::string& path, std::string& err) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"), &BIO_free);
  EVP_PKEY* dh = bio ? PEM_read_bio_Parameters(bio.get(), nullptr) : nullptr;
  if (!dh || !SSL_CTX_set0_tmp_dh_pkey(ctx, dh)) {
    if (dh) EVP_PKEY_free(dh);
    err = path + ": DH parameters refused (" + sslErrors() + ")";
    return false;
  }
  return true;
}

// tls-ticket-keys: tickets sealed with the file's keys, so that every process (and host) given
// the same file resumes the others' sessions.
int onTicketKey(SSL* ssl, unsigned char name[16], unsigned char iv[16], EVP_CIPHER_CTX* cctx,
                EVP_MAC_CTX* hctx, int enc) {
  auto* sc = static_cast<const TlsServerContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  const TlsTicketKey* k = !sc ? nullptr : enc ? sc->ticketKeyToEncrypt() : sc->ticketKeyNamed(name);
  if (!k) return 0;
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(
                             OSSL_MAC_PARAM_KEY, const_cast<unsigned char*>(k->hmac), size_t(k->aes_len)),
                         OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  const EVP_CIPHER* cipher = k->aes_len == 32 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
  if (enc) {
    std::copy_n(k->name, 16, name);
    if (RAND_bytes(iv, 16) <= 0 || !EVP_EncryptInit_ex(cctx, cipher, nullptr, k->aes, iv)) return -1;
    return EVP_MAC_CTX_set_params(hctx, params) ? 1 : -1;
  }
  if (!EVP_MAC_CTX_set_params(hctx, params) || !EVP_DecryptInit_ex(cctx, cipher, nullptr, k->aes, iv))
    return -1;
  return k == sc->ticketKeyToEncrypt() ? 1 : 2;  // 2: good, but issue a ticket under the new key
}

int onClientSession(SSL* ssl, SSL_SESSION* sess) {
  auto* cc = static_cast<TlsClientContext*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (!cc || !cc->reuses()) return 0;
  const char* sni = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
  cc->keepSession(sess, sni ? sni : "");
  return 1;  // the reference is ours now
}

// `crt` names files or directories; a directory stands for its files in name order, except
// those HAProxy also skips (`.key`, `.ocsp`, `.issuer`, `.sctl`, dot files).
bool expandCrt(const std::vector<std::string>& crt, std::vector<std::string>& out, std::string& err) {
  namespace fs = std::filesystem;
  for (const auto& path : crt) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) {
      out.push_back(path);
      continue;
    }
    std::vector<std::string> dir;
    for (const auto& e : fs::directory_iterator(path, ec)) {
      const std::string name = e.path().filename().string();
      const std::string ext = e.path().extension().string();
      if (name[0] == '.' || ext == ".key" || ext == ".ocsp" || ext == ".issuer" || ext == ".sctl") continue;
      if (e.is_regular_file(ec)) dir.push_back(e.path().string());
    }
    if (ec) {
      err = path + ": " + ec.message();
      return false;
    }
    std::sort(dir.begin(), dir.end());
    out.insert(out.end(), dir.begin(), dir.end());
  }
  return true;
}

}  // namespace

std::string sslErrors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "no OpenSSL error" : out;
}

bool alpnToWire(const std::vector<std::string>& names, std::vector<uint8_t>& out) {
  out.clear();
  for (const auto& n : names) {
    if (n.empty() || n.size() > 255) return false;
    out.push_back(uint8_t(n.size()));
    out.insert(out.end(), n.begin(), n.end());
  }
  return true;
}

SSL_CTX* TlsServerContext::newCtx(const TlsServerSettings& s, std::string& err) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    err = "SSL_CTX_new: " + sslErrors();
    return nullptr;
  }
  ctxs_.emplace_back(ctx, &SSL_CTX_free);
  uint64_t opts = SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION;
  if (!s.prefer_client_ciphers) opts |= SSL_OP_CIPHER_SERVER_PREFERENCE;
  if (s.no_tickets) opts |= SSL_OP_NO_TICKET;
  SSL_CTX_set_options(ctx, opts);
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  static const unsigned char kSidCtx[] = "lbc";
  SSL_CTX_set_session_id_context(ctx, kSidCtx, sizeof kSidCtx - 1);
  if (!applyVersions(ctx, s.versions)) {
    err = "ssl-min-ver/ssl-max-ver refused (" + sslErrors() + ")";
    return nullptr;
  }
  if (!applyCiphers(ctx, s.ciphers, s.ciphersuites, err)) return nullptr;
  if (!s.curves.empty() && !SSL_CTX_set1_groups_list(ctx, s.curves.c_str())) {
    err = "curves '" + s.curves + "' refused (" + sslErrors() + ")";
    return nullptr;
  }
  if (!s.sigalgs.empty() && !SSL_CTX_set1_sigalgs_list(ctx, s.sigalgs.c_str())) {
    err = "sigalgs '" + s.sigalgs + "' refused (" + sslErrors() + ")";
    return nullptr;
  }
  if (s.dh_param_file.empty())
    SSL_CTX_set_dh_auto(ctx, 1);
  else if (!loadDh(ctx, s.dh_param_file, err))
    return nullptr;
  if (s.max_record && !SSL_CTX_set_max_send_fragment(ctx, std::clamp<uint32_t>(s.max_record, 512, 16384))) {
    err = "tune.ssl.maxrecord refused";
    return nullptr;
  }
  if (s.cache_size == 0)
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  else if (s.cache_size > 0)
    SSL_CTX_sess_set_cache_size(ctx, s.cache_size);
  if (s.lifetime_s > 0) SSL_CTX_set_timeout(ctx, s.lifetime_s);
  SSL_CTX_set_app_data(ctx, this);
  if (!s.ticket_keys_file.empty()) SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, onTicketKey);
  SSL_CTX_set_tlsext_status_cb(ctx, onStatus);
  SSL_CTX_set_tlsext_status_arg(ctx, this);
  if (s.verify != TlsVerify::kNone) {
    if (s.ca_file.empty()) {
      err = "verify optional|required needs a ca-file";
      return nullptr;
    }
    if (!SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr)) {
      err = s.ca_file + ": " + sslErrors();
      return nullptr;
    }
    SSL_CTX_set_client_CA_list(ctx, SSL_load_client_CA_file(s.ca_file.c_str()));
    if (!s.crl_file.empty()) {
      X509_STORE* store = SSL_CTX_get_cert_store(ctx);
      X509_LOOKUP* lu = X509_STORE_add_lookup(store, X509_LOOKUP_file());
      if (!lu || X509_load_crl_file(lu, s.crl_file.c_str(), X509_FILETYPE_PEM) <= 0) {
        err = s.crl_file + ": no CRL (" + sslErrors() + ")";
        return nullptr;
      }
      X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
    }
    int mode = SSL_VERIFY_PEER;
    if (s.verify == TlsVerify::kRequired) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(ctx, mode, onVerify);
  }
  // Both callbacks on every context: after SNI switched contexts, ALPN runs on the new one.
  SSL_CTX_set_tlsext_servername_callback(ctx, onServerName);
  SSL_CTX_set_tlsext_servername_arg(ctx, this);
  SSL_CTX_set_alpn_select_cb(ctx, onAlpn, this);
  return ctx;
}

bool TlsServerContext::build(const TlsServerSettings& s, std::string& err) {
  if (s.crt.empty()) {
    err = "ssl needs at least one crt";
    return false;
  }
  if (!alpnToWire(s.alpn, alpn_)) {
    err = "alpn: a protocol name is empty or longer than 255 bytes";
    return false;
  }
  if (!s.ticket_keys_file.empty() && !loadTicketKeys(s.ticket_keys_file, err)) return false;
  strict_sni_ = s.strict_sni;
  ca_ignore_ = s.ca_ignore_err;
  crt_ignore_ = s.crt_ignore_err;
  // Certificates with the same names share a context (RSA and ECDSA side by side).
  std::vector<std::pair<std::vector<std::string>, SSL_CTX*>> groups;
  std::vector<std::string> files;
  if (!expandCrt(s.crt, files, err)) return false;
  for (const auto& path : files) {
    Pem pem;
    if (!readPem(path, pem, err)) return false;
    std::vector<std::string> names = certNames(pem.leaf.get());
    SSL_CTX* ctx = nullptr;
    for (auto& [n, c] : groups)
      if (n == names) ctx = c;
    if (!ctx) {
      if (!(ctx = newCtx(s, err))) return false;
      groups.emplace_back(names, ctx);
      for (const auto& n : names) names_.emplace(n, ctx);  // the first crt naming it wins
    }
    if (!SSL_CTX_use_cert_and_key(ctx, pem.leaf.get(), pem.key.get(), pem.chain, 1)) {
      err = path + ": certificate and key refused (" + sslErrors() + ")";
      return false;
    }
    if (!loadOcsp(path, pem.leaf.get(), err)) return false;
    if (!default_) default_ = ctx;
  }
  return true;
}

TlsServerContext::~TlsServerContext() {
  for (auto& [x, der] : ocsp_) X509_free(x);
}

// As HAProxy: a DER OCSP response in `<crt>.ocsp` beside the PEM is stapled for that
// certificate (its validity is the file's business; it is not checked here).
bool TlsServerContext::loadOcsp(const std::string& crt, X509* leaf, std::string& err) {
  const std::string path = crt + ".ocsp";
  BioPtr bio(BIO_new_file(path.c_str(), "rb"), &BIO_free);
  if (!bio) {
    ERR_clear_error();
    return true;  // none
  }
  std::string der;
  char buf[4096];
  for (int n; (n = BIO_read(bio.get(), buf, sizeof buf)) > 0;) der.append(buf, size_t(n));
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  OCSP_RESPONSE* resp = d2i_OCSP_RESPONSE(nullptr, &p, long(der.size()));
  if (!resp) {
    err = path + ": not a DER OCSP response (" + sslErrors() + ")";
    return false;
  }
  OCSP_RESPONSE_free(resp);
  X509_up_ref(leaf);
  ocsp_.emplace_back(leaf, std::move(der));
  return true;
}

bool TlsServerContext::loadTicketKeys(const std::string& path, std::string& err) {
  std::ifstream f(path);
  if (!f) {
    err = path + ": cannot open";
    return false;
  }
  std::vector<TlsTicketKey> keys;
  for (std::string line; std::getline(f, line);) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    unsigned char raw[128];
    int n = line.size() <= 4 * sizeof raw / 3
                ? EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(line.data()), int(line.size()))
                : -1;
    n -= int(std::count(line.end() - std::min<size_t>(2, line.size()), line.end(), '='));
    if (n != 48 && n != 80) {
      err = path + ": a key is not 48 or 80 bytes of base64";
      return false;
    }
    TlsTicketKey k;
    k.aes_len = n == 48 ? 16 : 32;
    std::copy_n(raw, 16, k.name);
    std::copy_n(raw + 16, k.aes_len, k.aes);
    std::copy_n(raw + 16 + k.aes_len, k.aes_len, k.hmac);
    keys.push_back(k);
  }
  if (keys.size() < 3) {
    err = path + ": at least 3 keys are needed";
    return false;
  }
  ticket_keys_.assign(keys.end() - 3, keys.end());
  enc_key_ = 1;  // the one before the last
  return true;
}

const TlsTicketKey* TlsServerContext::ticketKeyNamed(const unsigned char* name) const {
  for (const auto& k : ticket_keys_)
    if (std::equal(k.name, k.name + 16, name)) return &k;
  return nullptr;
}

const std::string* TlsServerContext::ocspFor(const X509* leaf) const {
  for (const auto& [x, der] : ocsp_)
    if (X509_cmp(x, leaf) == 0) return &der;
  return nullptr;
}

bool TlsServerContext::ignores(int depth, int err) const {
  const auto& list = depth > 0 ? ca_ignore_ : crt_ignore_;
  return list.all || std::find(list.codes.begin(), list.codes.end(), err) != list.codes.end();
}

SSL_CTX* TlsServerContext::forName(std::string_view name) const {
  if (auto it = names_.find(std::string(name)); it != names_.end()) return it->second;
  size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot == 0) return nullptr;
  std::string wild = "*" + std::string(name.substr(dot));
  auto it = names_.find(wild);
  return it == names_.end() ? nullptr : it->second;
}

TlsClientContext::~TlsClientContext() {
  if (session_) SSL_SESSION_free(session_);
}

bool TlsClientContext::build(const TlsClientSettings& s, std::string& err) {
  ctx_.reset(SSL_CTX_new(TLS_client_method()));
  SSL_CTX* ctx = ctx_.get();
  if (!ctx) {
    err = "SSL_CTX_new: " + sslErrors();
    return false;
  }
  SSL_CTX_set_app_data(ctx, this);
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF | SSL_OP_NO_COMPRESSION |
                               (s.no_tickets ? SSL_OP_NO_TICKET : 0));
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (!applyVersions(ctx, s.versions)) {
    err = "ssl-min-ver/ssl-max-ver refused (" + sslErrors() + ")";
    return false;
  }
  if (!applyCiphers(ctx, s.ciphers, s.ciphersuites, err)) return false;
  std::vector<uint8_t> wire;
  if (!alpnToWire(s.alpn, wire)) {
    err = "alpn: a protocol name is empty or longer than 255 bytes";
    return false;
  }
  if (!wire.empty() && SSL_CTX_set_alpn_protos(ctx, wire.data(), unsigned(wire.size())) != 0) {
    err = "alpn refused (" + sslErrors() + ")";
    return false;
  }
  verify_ = s.verify == TlsVerify::kRequired;
  if (verify_) {
    bool ok = s.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                : SSL_CTX_load_verify_locations(ctx, s.ca_file.c_str(), nullptr);
    if (!ok) {
      err = (s.ca_file.empty() ? "default CA paths" : s.ca_file) + ": " + sslErrors();
      return false;
    }
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  if (!s.crt.empty()) {
    Pem pem;
    if (!readPem(s.crt, pem, err)) return false;
    if (!SSL_CTX_use_cert_and_key(ctx, pem.leaf.get(), pem.key.get(), pem.chain, 1)) {
      err = s.crt + ": certificate and key refused (" + sslErrors() + ")";
      return false;
    }
  }
  reuse_ = s.reuse;
  // Sessions are kept by this context (one per server), not in OpenSSL's cache.
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, onClientSession);
  return true;
}

SSL_SESSION* TlsClientContext::takeSession(std::string_view sni) const {
  std::lock_guard<std::mutex> lk(mu_);
  if (!session_ || session_sni_ != sni) return nullptr;
  SSL_SESSION_up_ref(session_);
  return session_;
}

void TlsClientContext::keepSession(SSL_SESSION* s, std::string_view sni) {
  std::lock_guard<std::mutex> lk(mu_);
  if (session_) SSL_SESSION_free(session_);
  session_ = s;
  session_sni_ = sni;
}

}  // namespace lbc::rt
