// TLS on a connection's two sides. Client: on an ssl bind the handshake runs between the accept
// and the session's start, bounded by `timeout client`; a failure is logged as HAProxy logs a
// connection that dies before its session ("FE/LISTENER: SSL handshake failure") and closes.
// Server: the server transport becomes TLS for an ssl server, so connect() reports kReady once
// TCP and TLS are both done and a failed handshake is a connect failure (retries, redispatch).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "lbc/rt/http.h"
#include "lbc/rt/txn.h"
#include "log/sink.h"
#include "net/proxy_header.h"
#include "stream/engine.h"
#include "stream/session.h"

namespace lbc::rt {

void fillTls(Txn& x, const Stream* c) {
  const Proxied* pp = c->cx->pp.get();  // the PROXY header's TLVs (fc_pp_*)
  x.pp_authority = pp ? std::string_view(pp->authority) : std::string_view();
  x.pp_unique_id = pp ? std::string_view(pp->unique_id) : std::string_view();
  const TlsTransport* t = c->cx->tr.tls();
  x.ssl_bc = c->tr_server.isTls();
  x.ssl = t != nullptr;
  if (!t) return;
  x.sni = t->serverName();
  x.ssl_alpn = t->alpn();
  x.ssl_protocol = t->version();
  x.ssl_cipher = t->cipher();
  x.ssl_resumed = t->sessionReused();
}

bool Engine::startHandshake(Stream* c, int fd, const TlsServerContext& ctx, Session* session) {
  TlsTransport& t = c->cx->tr.useTls();
  const bool made = t.setServer(ctx);
  t.adopt(fd, true);
  c->st = ConnState::Handshake;
  c->cx->pending = session;
  if (!made) {
    handshakeFailed(c, "SSL handshake failure");
    return false;
  }
  if (t.handshake()) {
    c->st = ConnState::Free;
    c->cx->pending = nullptr;
    return true;
  }
  const uint64_t to = c->cx->fe->spec->timeouts.client;
  c->state_deadline = to ? now() + to : 0;
  if (c->state_deadline) arm(c);
  return false;
}

void Engine::onHandshake(Stream* c, int res) {
  if (c->st != ConnState::Handshake) {
    maybeFree(c);
    return;
  }
  wheelRemove(c);
  c->state_deadline = 0;
  if (res < 0) {
    // HAProxy's CO_ER_SSL_HANDSHAKE, CO_ER_SSL_EMPTY and CO_ER_SSL_ABORT.
    const TlsTransport* t = c->cx->tr.tls();
    const bool closed = t && t->error().rfind("connection closed", 0) == 0;
    handshakeFailed(c, res == -EPROTO ? "SSL handshake failure"
                       : closed       ? "Connection closed during SSL handshake"
                                      : "Connection error during SSL handshake");
    return;
  }
  Session* s = c->cx->pending;
  c->cx->pending = nullptr;
  c->st = ConnState::Free;
  c->cx->act = c->act_s = now();
  c->cx->session = s;
  s->start(c);
}

void Engine::handshakeTimeout(Stream* c) {
  if (c->state_deadline > now()) {
    arm(c);
    return;
  }
  handshakeFailed(c, c->cx->pp_wait ? kPrxTimeout : "Timeout during SSL handshake");
}

// The connection closes with no session; the log line is HAProxy 2.6's session_kill_embryonic.
void Engine::handshakeFailed(Stream* c, const char* reason) {
  const ProxySpec& fs = *c->cx->fe->spec;
  const std::string_view why = reason;
  // `option dontlognull` hides the connections that sent nothing (closed or reset).
  // (HAProxy's CO_ER_SSL_EMPTY/ABORT and CO_ER_PRX_EMPTY/ABORT).
  const bool null_conn = (why.find("during SSL handshake") != std::string_view::npos ||
                          why.find("waiting for PROXY") != std::string_view::npos) &&
                         why[0] == 'C';
  if (!fs.logs.empty() && !(null_conn && fs.dontlognull)) {
    c->cx->peerSrc();
    const sockaddr_storage& src = c->cx->src;
    char ip[INET6_ADDRSTRLEN] = "";
    http::LogFields f;
    if (src.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&src);
      inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip);
      f.clientPort = ntohs(a->sin_port);
    } else if (src.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&src);
      inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof ip);
      f.clientPort = ntohs(a->sin6_port);
    }
    f.clientIp = ip;
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    const int64_t wall = int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
    f.dateMs = wall - int64_t(now() - c->cx->act);  // the accept date
    f.frontend = fs.name;
    const uint32_t b = c->cx->bind;
    const std::string listener =
        b < fs.binds.size() && !fs.binds[b].name.empty() ? fs.binds[b].name : std::to_string(b + 1);
    const std::string msg = http::formatConnError(f, listener, why);
    log::emit(fs.logs, 6, log::kTargetFacility, msg);  // info
  }
  c->st = ConnState::Closing;
  c->cx->pending = nullptr;
  wheelRemove(c);
  c->cx->tr.close(false);
  releaseLimits(c);
  maybeFree(c);
}

// The server transport's kind follows the server's `ssl`. The kind changes only with nothing
// pending: a close of the previous server connection still in the ring waits a turn.
bool Engine::serverTransport(Stream* c) {
  const ServerState* s = c->srv;
  AnyTransport& tr = c->tr_server;
  if (bool(s->tls) != tr.isTls() && tr.busy()) {
    c->st = ConnState::TurnAround;
    c->state_deadline = now() + 1;
    arm(c);
    return false;
  }
  if (!s->tls) {
    tr.useRaw();
  } else if (!tr.useTls().setClient(*s->tls, s->spec->tls.sni)) {
    connectFailed(c, false);
    return false;
  }
  if (s->spec->pp_opts) sendProxyHeader(c);
  return true;
}

bool Engine::adoptServer(Stream* c, int fd) {
  AnyTransport& tr = c->tr_server;
  const bool tls = bool(c->srv->tls);
  if (tls != tr.isTls() && tr.busy()) return false;
  if (tls) {
    tr.useTls().adoptParked(fd);
  } else {
    tr.useRaw();
    tr.adopt(fd, false);
  }
  return true;
}

}  // namespace lbc::rt
