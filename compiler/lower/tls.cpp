#include "lower/tls.h"

#include <algorithm>
#include <sstream>
#include <string_view>

namespace lbc::lower {
namespace {

// SSLv3 .. TLSv1.3 as OpenSSL numbers them (SSL3_VERSION .. TLS1_3_VERSION).
constexpr int32_t kVersions[] = {0x300, 0x301, 0x302, 0x303, 0x304};
constexpr const char* kNames[] = {"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"};

int versionIndex(std::string_view name) {
  for (int i = 0; i < 5; ++i)
    if (name == kNames[i]) return i;
  return -1;
}

// What an ssl-options list (ssl-default-bind-options, ssl-default-server-options) or a line's
// own options say about versions and tickets.
struct VersionOpts {
  int min = -1, max = -1;  // indexes into kVersions
  uint8_t no = 0;          // bit i: version i disabled
  bool no_tickets = false, prefer_client_ciphers = false;

  void apply(const std::string& list) {
    std::istringstream in(list);
    std::string w;
    while (in >> w) {
      if (w == "ssl-min-ver" || w == "ssl-max-ver") {
        std::string v;
        in >> v;
        (w == "ssl-min-ver" ? min : max) = versionIndex(v);
      } else if (w == "no-sslv3") {
        no |= 1;
      } else if (w.rfind("no-tlsv1", 0) == 0 && w.size() == 9) {
        no |= uint8_t(1u << (w[8] - '0' + 1));
      } else if (w.rfind("force-", 0) == 0) {
        int i = w == "force-sslv3" ? 0 : w.size() == 12 ? w[11] - '0' + 1 : -1;
        if (i >= 0) min = max = i;
      } else if (w == "no-tls-tickets") {
        no_tickets = true;
      } else if (w == "prefer-client-ciphers") {
        prefer_client_ciphers = true;
      }
    }
  }

  // ssl-min-ver (default TLSv1.2, HAProxy 2.2's minimum) and ssl-max-ver, narrowed by no-*.
  void result(int32_t& lo, int32_t& hi) const {
    int a = min >= 0 ? min : 3, b = max >= 0 ? max : 4;
    while (a < b && (no >> a & 1)) ++a;
    while (b > a && (no >> b & 1)) --b;
    lo = kVersions[a];
    hi = max >= 0 || b < 4 ? kVersions[b] : 0;
  }
};

}  // namespace

rt::TlsBindSpec bindTls(const ir::Global& g, const ir::Bind& b) {
  rt::TlsBindSpec t;
  t.enabled = b.ssl;
  if (!b.ssl) return t;
  t.crt = b.crt;
  // HTTP/2 is not served yet (issue 11): h2 is not advertised, so clients keep to HTTP/1.1.
  for (const std::string& p : b.alpn)
    if (p != "h2") t.alpn.push_back(p);
  t.ciphers = b.ciphers.empty() ? g.ssl_default_bind_ciphers : b.ciphers;
  t.ciphersuites = b.ciphersuites.empty() ? g.ssl_default_bind_ciphersuites : b.ciphersuites;
  VersionOpts v;
  v.apply(g.ssl_default_bind_options);
  v.no |= b.no_versions;
  if (!b.min_ver.empty()) v.min = versionIndex(b.min_ver);
  if (!b.max_ver.empty()) v.max = versionIndex(b.max_ver);
  v.result(t.min_ver, t.max_ver);
  t.strict_sni = b.strict_sni;
  t.no_tickets = b.no_tls_tickets || v.no_tickets;
  t.prefer_client_ciphers = b.prefer_client_ciphers || v.prefer_client_ciphers;
  t.verify = b.verify == ir::Bind::Verify::Required ? 2 : b.verify == ir::Bind::Verify::Optional ? 1 : 0;
  t.ca_file = b.ca_file;
  t.crl_file = b.crl_file;
  return t;
}

rt::TlsServerSpec serverTls(const ir::Global& g, const ir::ServerOpts& o) {
  rt::TlsServerSpec t;
  t.enabled = o.ssl;
  if (!o.ssl) return t;
  t.verify = o.verify == ir::ServerOpts::Verify::Required ||
             (o.verify == ir::ServerOpts::Verify::Default && g.ssl_server_verify);
  t.ca_file = o.ca_file;
  t.crt = o.crt;
  t.ciphers = o.ciphers.empty() ? g.ssl_default_server_ciphers : o.ciphers;
  t.alpn = o.alpn;
  t.reuse = !o.no_ssl_reuse;
  VersionOpts v;
  v.apply(g.ssl_default_server_options);
  if (!o.min_ver.empty()) v.min = versionIndex(o.min_ver);
  if (!o.max_ver.empty()) v.max = versionIndex(o.max_ver);
  v.result(t.min_ver, t.max_ver);
  t.no_tickets = v.no_tickets;  // the server line's own no-tls-tickets is not done
  t.sni = literalSni(o.sni);
  return t;
}

std::string literalSni(const std::string& expr) {
  if (expr.size() > 5 && expr.compare(0, 4, "str(") == 0 && expr.back() == ')')
    return expr.substr(4, expr.size() - 5);
  return {};
}

}  // namespace lbc::lower
