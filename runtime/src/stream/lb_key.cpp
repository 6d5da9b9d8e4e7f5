#include "lb_key.h"

#include <netinet/in.h>

#include <cstring>

#include "lbc/rt/txn.h"
#include "lbc/text.h"
#include "upstream/hash.h"

namespace lbc::rt {

uint32_t sourceHash(const sockaddr_storage* src) {
  uint32_t h = 0;
  if (src && src->ss_family == AF_INET) {
    h = ntohl(reinterpret_cast<const sockaddr_in*>(src)->sin_addr.s_addr);
  } else if (src && src->ss_family == AF_INET6) {
    const uint8_t* a = reinterpret_cast<const sockaddr_in6*>(src)->sin6_addr.s6_addr;
    for (int i = 0; i < 16; i += 4) {
      uint32_t w;
      std::memcpy(&w, a + i, 4);
      h ^= ntohl(w);
    }
  }
  return h;
}

// get_server_uh: the first `len` characters, up to the '?' unless whole, up to the slash ending
// the `depth`th directory.
std::optional<std::string_view> uriKey(const ProxySpec& p, std::string_view uri) {
  if (p.uri_len && uri.size() > p.uri_len) uri = uri.substr(0, p.uri_len);
  uint32_t slashes = 0, stop = p.uri_depth ? p.uri_depth + 1 : 0;
  size_t end = 0;
  for (; end < uri.size(); ++end) {
    char c = uri[end];
    if (c == '/') {
      if (++slashes == stop) break;
    } else if (c == '?' && !p.uri_whole) {
      break;
    }
  }
  return uri.substr(0, end);
}

// get_server_ph: `name=` at the start of a '&'-separated parameter of the query string, compared
// case-sensitively; the value runs to the next '&'.
std::optional<std::string_view> urlParamKey(const ProxySpec& p, std::string_view uri) {
  size_t q = uri.find('?');
  if (q == std::string_view::npos) return std::nullopt;
  std::string_view qs = uri.substr(q + 1);
  const std::string& name = p.balance_arg;
  while (qs.size() > name.size()) {
    if (qs[name.size()] == '=' && qs.substr(0, name.size()) == name) {
      std::string_view v = qs.substr(name.size() + 1);
      return v.substr(0, v.find('&'));
    }
    size_t amp = qs.find('&');
    if (amp == std::string_view::npos) break;
    qs.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

// get_server_hh: the header's first value (up to a comma); absent or empty: nothing to hash.
std::optional<std::string_view> hdrKey(const ProxySpec& p, const Txn& txn) {
  const Header* h = nullptr;
  for (const Header& x : txn.req_headers)
    if (text::ieq(x.name, p.balance_arg)) {
      h = &x;
      break;
    }
  if (!h) return std::nullopt;
  std::string_view v = text::trim(h->value.substr(0, h->value.find(',')), " \t");
  if (v.empty()) return std::nullopt;
  if (!p.hdr_domain_only) return v;
  // Only the label before the last dot ("example" of "www.example.com"); no dot: all.
  size_t last = v.rfind('.');
  if (last == std::string_view::npos) return v;
  size_t prev = last ? v.rfind('.', last - 1) : std::string_view::npos;
  size_t start = prev == std::string_view::npos ? 0 : prev + 1;
  return v.substr(start, last - start);
}

std::optional<uint32_t> lbKey(const ProxySpec& be, const sockaddr_storage* src, const Txn* txn) {
  std::optional<std::string_view> part;
  switch (be.balance) {
    case BalanceAlgo::Source: {
      // Always present (0 for an address that is neither IPv4 nor IPv6), as before the split.
      uint32_t h = sourceHash(src);
      return be.hash_avalanche ? fullHash(h) : h;
    }
    case BalanceAlgo::Uri:
      if (txn) part = uriKey(be, txn->uri);
      break;
    case BalanceAlgo::UrlParam:
      if (txn) part = urlParamKey(be, txn->uri);
      break;
    case BalanceAlgo::Hdr:
      if (txn) part = hdrKey(be, *txn);
      break;
    default:
      return std::nullopt;
  }
  if (!part) return std::nullopt;
  return hashKey(be, *part);
}

}  // namespace lbc::rt
