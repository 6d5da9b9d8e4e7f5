// The PROXY protocol on a connection's two sides, as HAProxy 2.6 does it.
// Client (`accept-proxy`): between the accept and anything else (TLS included), bounded by
// `timeout client`: once the socket is readable its bytes are looked at without being consumed,
// and they must hold a whole header (conn_recv_proxy fails a partial one rather than wait); the
// header's bytes are then taken out and the rest stays for TLS or the session. The header's
// addresses replace the client's everywhere (fetches, logs, forwardfor, balance source, the
// header sent on). A failure is logged as HAProxy's embryonic-session line and closes.
// Server (`send-proxy*`): the header is built at each connect and goes out before any byte of
// the exchange (the transport's prefix), right after the TCP connect.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cerrno>
#include <vector>

#include "net/proxy_header.h"
#include "stream/engine.h"
#include "stream/session.h"

namespace lbc::rt {

void Engine::awaitProxyHeader(Stream* c, int fd, Session* session) {
  c->cx->tr.useRaw();
  c->cx->tr.adopt(fd, true);
  c->cx->tr.peerAddr(c->cx->src);  // the failure log's address
  c->st = ConnState::Handshake;
  c->cx->pending = session;
  c->cx->pp_wait = true;
  const uint64_t to = c->cx->fe->spec->timeouts.client;
  c->state_deadline = to ? now() + to : 0;
  if (c->state_deadline) arm(c);
  c->cx->tr.raw().waitReadable();
}

void Engine::onProxyReadable(Stream* c, int res) {
  (void)res;  // the socket says what happened: peek below
  if (c->st != ConnState::Handshake || !c->cx->pp_wait) {
    maybeFree(c);
    return;
  }
  RawTransport& raw = c->cx->tr.raw();
  // HAProxy peeks at most a buffer (tune.bufsize): a longer header is a truncated one.
  static thread_local std::vector<char> buf;
  buf.resize(bufsize());
  const ssize_t n = raw.peek(buf.data(), buf.size());
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
    raw.waitReadable();
    return;
  }
  if (n <= 0) {
    handshakeFailed(c, n == 0 ? kPrxEmpty : kPrxAbort);
    return;
  }
  ProxyHdr h;
  const ProxyHdrResult r = parseProxyHeader(std::string_view(buf.data(), size_t(n)), h);
  if (r != ProxyHdrResult::kOk) {
    if (h.has_addr) {  // (a v2 header whose TLVs are wrong)
      c->cx->src = h.src;
      c->cx->pp = std::make_unique<Proxied>();
      c->cx->pp->has_addr = true;
      c->cx->pp->dst = h.dst;
    }
    handshakeFailed(c, proxyHdrError(r));
    return;
  }
  if (h.has_addr || !h.authority.empty() || !h.unique_id.empty()) {
    auto p = std::make_unique<Proxied>();
    p->has_addr = h.has_addr;
    p->dst = h.dst;
    p->authority = h.authority;
    p->unique_id = h.unique_id;
    if (h.has_addr) c->cx->src = h.src;
    c->cx->pp = std::move(p);
  }
  if (raw.consume(buf.data(), h.len) != ssize_t(h.len)) {
    handshakeFailed(c, kPrxAbort);
    return;
  }
  proxyHeaderDone(c);
}

// The header is in: TLS on an ssl bind, else the session starts.
void Engine::proxyHeaderDone(Stream* c) {
  c->cx->pp_wait = false;
  wheelRemove(c);
  c->state_deadline = 0;
  Session* s = c->cx->pending;
  const Frontend* fe = c->cx->fe;
  const uint32_t b = c->cx->bind;
  const TlsServerContext* tls = b < fe->tls.size() ? fe->tls[b].get() : nullptr;
  if (tls && !startHandshake(c, c->cx->tr.detach(), *tls, s)) return;
  c->cx->pending = nullptr;
  c->st = ConnState::Free;
  c->cx->session = s;
  s->start(c);
}

namespace {

// HAProxy's ssl_sock_get_pkey_algo: the algorithm and size of the certificate it presented.
std::string keyAlgo(SSL* ssl) {
  X509* crt = SSL_get_certificate(ssl);
  EVP_PKEY* k = crt ? X509_get0_pubkey(crt) : nullptr;
  if (!k) return {};
  const int bits = EVP_PKEY_get_bits(k);
  switch (EVP_PKEY_get_base_id(k)) {
    case EVP_PKEY_RSA:
      return "RSA" + std::to_string(bits);
    case EVP_PKEY_EC:
      return "EC" + std::to_string(bits);
    case EVP_PKEY_DSA:
      return "DSA" + std::to_string(bits);
    default:
      return {};
  }
}

std::string sigAlgo(SSL* ssl) {
  X509* crt = SSL_get_certificate(ssl);
  if (!crt) return {};
  const char* sn = OBJ_nid2sn(X509_get_signature_nid(crt));
  return sn ? sn : "";
}

std::string peerCn(X509* peer) {
  X509_NAME* name = peer ? X509_get_subject_name(peer) : nullptr;
  const int i = name ? X509_NAME_get_index_by_NID(name, NID_commonName, -1) : -1;
  if (i < 0) return {};
  const ASN1_STRING* d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i));
  return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(d)), size_t(ASN1_STRING_length(d)));
}

}  // namespace

void Engine::sendProxyHeader(Stream* c) {
  const uint16_t opts = c->srv->spec->pp_opts;
  ProxyHdrSource src;
  sockaddr_storage dst{};
  c->cx->peerSrc();
  if (c->cx->pp && c->cx->pp->has_addr)
    dst = c->cx->pp->dst;
  else
    c->cx->tr.localAddr(dst);
  src.src = &c->cx->src;
  src.dst = &dst;
  src.stream = true;
  std::string cn, key, sig;
  if (const TlsTransport* t = c->cx->tr.tls()) {
    src.alpn = t->alpn();
    src.authority = t->serverName();
    src.ssl = true;
    src.ssl_version = t->version();
    src.ssl_cipher = t->cipher();
    SSL* ssl = t->ssl();
    if (X509* peer = SSL_get1_peer_certificate(ssl)) {
      src.cert_sess = true;
      src.cert_conn = !SSL_session_reused(ssl);
      src.verify = uint32_t(SSL_get_verify_result(ssl));
      if (opts & kPpV2SslCn) cn = peerCn(peer);
      X509_free(peer);
    }
    if (opts & kPpV2SslKeyAlg) key = keyAlgo(ssl);
    if (opts & kPpV2SslSigAlg) sig = sigAlgo(ssl);
    src.ssl_cn = cn, src.ssl_key_alg = key, src.ssl_sig_alg = sig;
  }
  if (c->cx->pp && !c->cx->pp->authority.empty()) src.authority = c->cx->pp->authority;
  c->pp_hdr.clear();
  buildProxyHeader(c->pp_hdr, opts, src);
  c->tr_server.setSendPrefix(c->pp_hdr);
}

}  // namespace lbc::rt
