// The compiled hooks at HAProxy's fixed points, one sequence for TCP and HTTP streams:
//   accept -> tcp-request connection -> tcp-request session -> tcp-request content of the
//   frontend (inspect-delay) -> [http-request of the frontend] -> backend selection ->
//   tcp-request content of the backend -> [http-request of the backend, cookie, forwardfor] ->
//   stick match / store-request -> server -> (server's first data) tcp-response content
//   (inspect-delay) -> stick store-response -> relay.
// The bracketed steps are the HTTP stream's (http_stream.cpp); an HTTP stream enters the
// sequence once its request head is parsed, as HAProxy creates its stream then, so its content
// rules see the head (and any body bytes that came with it) as the request buffer.
// While content rules wait for data the client's bytes are read into a bounded buffer and not
// forwarded; a rule that needs more (MISS) is evaluated again as data arrives, until the buffer
// is full, the client closes or the inspect delay expires: then the data is final and a fetch
// that still lacks it fails, so MISS becomes FAIL as in HAProxy. The buffered bytes go to the
// server first once it is connected.
//
// One deliberate difference: HAProxy first runs the response analysers when the server
// connection is established, so without a `tcp-response inspect-delay` they only ever see an
// empty buffer. Here they run on the server's first data (or its close, or the delay's end),
// which is when response content rules and `stick store-response` can see anything at all.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "net/sockets.h"
#include "state/stick_table.h"
#include "stream/analyse.h"
#include "stream/engine.h"
#include "stream/session.h"

namespace lbc::rt {
namespace {

enum { kDone, kWait, kClosed };

bool stops(int32_t verdict) {
  return verdict == LBC_HOOK_REJECT || verdict == LBC_HOOK_DENY;
}

}  // namespace

void TxnSlot::reset() {
  Txn& t = txn;
  std::memset(t.src, 0, sizeof t.src);
  std::memset(t.dst, 0, sizeof t.dst);
  t.src_v6 = t.dst_v6 = false;
  t.src_port = t.dst_port = 0;
  t.ssl = false;
  t.sni = {};
  t.ssl_alpn = t.ssl_protocol = t.ssl_cipher = {};
  t.ssl_resumed = t.ssl_bc = false;
  t.frontend = 0;
  t.backend = LBC_BACKEND_NONE;
  t.in_response = t.more_data = false;
  t.req_payload = t.res_payload = {};
  t.http = false;
  t.method = t.uri = {};
  t.version = "HTTP/1.1";
  t.req_headers.clear();
  t.has_response = false;
  t.status = 0;
  t.reason = {};
  t.res_headers.clear();
  t.vars.clear();
  t.tracks.clear();
  counters.release(monoMs());
  t.stk = nullptr;
  t.fired.clear();
  t.verdict = LBC_HOOK_CONTINUE;
  t.reply.status = 0;
  t.reply.content_type = t.reply.body = {};
  t.reply.body_kind = LBC_BODY_NONE;
  t.reply.headers.clear();
  t.rewrite_failed = false;
  t.arena.reset();
  t.lf.clear();
  req_len = req_sent = res_len = res_sent = 0;
  stage = Stage::FeContent;
  stage_started = inspecting = early_recv = res_pending = false;
  sticky = nullptr;
  for (uint32_t i = 0; i < nstores; ++i) stores[i].done = false;
  nstores = 0;
}

TxnSlot* Engine::allocTxn() {
  if (!txn_free_) {
    txns_.push_back(std::make_unique<TxnSlot>());
    txn_free_ = txns_.back().get();
  }
  TxnSlot* t = txn_free_;
  txn_free_ = t->next_free;
  t->reset();
  return t;
}

void Engine::freeTxn(TxnSlot* t) {
  t->counters.release(now());  // the stream's trackers end with it (conn_cur - 1)
  t->next_free = txn_free_;
  txn_free_ = t;
}

bool Engine::recvActive(const Stream* c, int dir) const {
  if (c->st == ConnState::Established) return true;
  if (dir != 0 || !c->tx || !c->tx->early_recv) return false;
  return c->st == ConnState::Analysing || c->st == ConnState::Queued || c->st == ConnState::Connecting ||
         c->st == ConnState::TurnAround;
}

void Engine::startTxn(Stream* c) {
  c->st = ConnState::Analysing;
  TxnSlot* t = allocTxn();
  c->tx = t;
  Txn& x = t->txn;
  x.program = c->cx->gen->program;
  t->bindCounters(c->cx->gen.get(), &c->cx->counters);
  sockaddr_storage dst{};
  c->cx->addrs(dst);
  addrParts(c->cx->src, x.src, x.src_v6, x.src_port);
  addrParts(dst, x.dst, x.dst_v6, x.dst_port);
  fillTls(x, c);
  const ProxySpec& fs = *c->cx->fe->spec;
  const uint32_t fe = proxyIndex(fs);
  x.frontend = fe;
  if (!sessionRules(c, *t)) return;
  t->stage = TxnSlot::Stage::FeContent;
  analyse(c);
}

bool Engine::sessionRules(Stream* c, TxnSlot& t) {
  const ProxySpec& fs = *c->cx->fe->spec;
  const uint32_t fe = proxyIndex(fs);
  const lbc_program* prog = c->cx->gen->program;
  Txn& x = t.txn;
  t.stk.sessionLevel(true);
  if ((fs.hooks & kHasTcpReqConn) && prog->tcp_req_conn && stops(prog->tcp_req_conn(toAbi(&x), fe))) {
    t.stk.sessionLevel(false);
    c->no_log = true;  // as HAProxy: a connection rejected here is not logged
    finish(c, true);   // no linger, a single RST
    return false;
  }
  if ((fs.hooks & kHasTcpReqSess) && prog->tcp_req_sess && stops(prog->tcp_req_sess(toAbi(&x), fe))) {
    t.stk.sessionLevel(false);
    c->no_log = true;
    finish(c, false);
    return false;
  }
  t.stk.sessionLevel(false);
  t.stk.countSession();  // HAProxy's session_count_new, once the session is accepted
  logConnect(c);         // the session exists (HAProxy's frontend_accept)
  return true;
}

// Runs the request stages until one waits for data or the server is chosen.
void Engine::analyse(Stream* c) {
  TxnSlot& t = *c->tx;
  const lbc_program* prog = c->cx->gen->program;
  const uint32_t fe = proxyIndex(*c->cx->fe->spec);
  using Stage = TxnSlot::Stage;
  while (c->st == ConnState::Analysing) {
    switch (t.stage) {
      case Stage::FeContent:
        if (contentRules(c, fe) != kDone) return;
        t.stage = Stage::FeHttp;
        break;
      case Stage::FeHttp:
        // A new HTTP request on every tracked entry, before the http-request rules (HAProxy's
        // http_wait_for_request).
        if (c->cx->fe->spec->mode == ProxyMode::Http && !t.stk.httpCounted()) t.stk.countHttpRequest();
        if (!c->cx->session->requestRules(c, fe, false)) return;
        t.stage = Stage::Select;
        break;
      case Stage::Select: {
        Backend* be = c->cx->fe->backend;
        if (c->cx->fe->spec->select_backend && prog->select_backend) {
          int32_t b = prog->select_backend(toAbi(&t.txn), fe);
          be = b >= 0 && size_t(b) < viewOf(*c->cx->gen).backends.size() ? viewOf(*c->cx->gen).backends[b]
                                                                         : nullptr;
        }
        c->be = be;
        if (!be) {  // no backend (none matched, or a disabled one)
          c->cx->session->noBackend(c);
          return;
        }
        uint32_t bi = proxyIndex(be->spec());
        t.txn.backend = int32_t(bi);
        t.stage = bi != fe ? Stage::BeContent : Stage::BeHttp;
        break;
      }
      case Stage::BeContent:
        if (contentRules(c, proxyIndex(c->be->spec())) != kDone) return;
        t.stage = Stage::BeHttp;
        break;
      case Stage::BeHttp:
        if (!c->cx->session->requestRules(c, proxyIndex(c->be->spec()), true)) return;
        t.stage = Stage::Stick;
        break;
      case Stage::Stick:
        stickRequest(c);
        t.stage = Stage::Connect;
        break;
      case Stage::Connect:
      case Stage::Done:
        t.stage = Stage::Done;
        t.inspecting = false;  // later client bytes queue in the pipe until the server is there
        c->inspect_deadline = 0;
        toBackend(c, t.sticky);
        return;
    }
  }
}

int Engine::contentRules(Stream* c, uint32_t proxy) {
  const ProxySpec& ps = c->cx->gen->topo.proxies[proxy];
  const lbc_program* prog = c->cx->gen->program;
  if (!(ps.hooks & kHasTcpReqCont) || !prog->tcp_req_cont) return kDone;
  TxnSlot& t = *c->tx;
  if (!t.stage_started) {
    t.stage_started = true;
    c->inspect_deadline = ps.tcp_inspect_delay_ms ? now() + ps.tcp_inspect_delay_ms : 0;
    c->cx->session->inspectStart(c, ps.tcp_inspect_delay_ms != 0);
  }
  const std::string_view data = c->cx->session->requestData(c);
  bool full = data.size() >= bufsize_;
  bool expired = c->inspect_deadline && now() >= c->inspect_deadline;
  bool complete = c->cx->session->requestComplete(c);  // no more request data can come
  bool final = !ps.tcp_inspect_delay_ms || complete || full || expired;
  Txn& x = t.txn;
  x.req_payload = data;
  x.in_response = false;
  x.more_data = !final;
  int32_t r = prog->tcp_req_cont(toAbi(&x), proxy);
  x.more_data = false;
  if (r == LBC_HOOK_MISS && !final) {
    c->cx->session->readMore(c);
    arm(c);
    return kWait;
  }
  if (stops(r)) {
    endBy(c, TermCause::kProxy);
    finish(c, true);  // HAProxy kills the connection (sc_must_kill_conn): reset
    return kClosed;
  }
  t.stage_started = false;
  c->cx->session->inspectEnd(c);
  c->inspect_deadline = 0;
  return kDone;
}

void Engine::stickRequest(Stream* c) {
  TxnSlot& t = *c->tx;
  const ProxySpec& bs = c->be->spec();
  const lbc_program* prog = c->cx->gen->program;
  if (bs.stick_rules.empty() || !prog->stick) return;
  const uint32_t be = proxyIndex(bs);
  Txn& x = t.txn;
  x.req_payload = c->cx->session->requestData(c);
  x.in_response = false;
  x.more_data = false;  // stick rules see the data as final (SMP_OPT_FINAL)
  for (uint32_t i = 0; i < bs.stick_rules.size(); ++i) {
    const StickRuleSpec& r = bs.stick_rules[i];
    if (r.kind == StickKind::StoreResponse) continue;
    bool store = r.kind == StickKind::On || r.kind == StickKind::StoreRequest;
    bool match = r.kind == StickKind::On || r.kind == StickKind::Match;
    // Only the first storing rule of each table applies, as HAProxy (most precise key first).
    if (store && t.storing(r.table)) continue;
    StickTable* tb = viewOf(*c->cx->gen).tables[r.table];
    lbc_smp key{};
    if (!tb || prog->stick(toAbi(&x), be, i, &key) != LBC_PASS || key.type == LBC_SMP_NONE) continue;
    if (!tb->makeKey(key, t.scratch)) continue;
    if (match && !t.sticky) {
      int32_t id = tb->lookup(t.scratch, now());
      ServerState* s = id ? c->be->serverById(id) : nullptr;
      // A server that is down is ignored unless `option persist`, one in maintenance always,
      // as HAProxy.
      if (s && s->admin.load(std::memory_order_relaxed) != SrvAdmin::Maint &&
          (s->up.load(std::memory_order_relaxed) || bs.persist))
        t.sticky = s;
    }
    if (store && t.nstores < TxnSlot::kMaxStores) {
      TxnSlot::Store& st = t.stores[t.nstores++];
      st.table = r.table;
      st.key.assign(t.scratch);
      st.done = false;
    }
  }
}

void Engine::commitStores(Stream* c) {
  TxnSlot& t = *c->tx;
  if (!c->srv) return;
  for (uint32_t i = 0; i < t.nstores; ++i) {
    TxnSlot::Store& st = t.stores[i];
    if (st.done) continue;
    st.done = true;
    if (StickTable* tb = viewOf(*c->cx->gen).tables[st.table]) tb->store(st.key, c->srv->spec->id, now());
  }
}

// At the server connection: request-side stores get the server's id, and the response side is
// analysed on the first data when the backend has tcp-response or store-response rules.
void Engine::startResponse(Stream* c) {
  TxnSlot& t = *c->tx;
  commitStores(c);
  const ProxySpec& bs = c->be->spec();
  bool store_res = false;
  for (const auto& r : bs.stick_rules) store_res |= r.kind == StickKind::StoreResponse;
  if (!(bs.hooks & kHasTcpResCont) && !store_res) return;
  t.res_pending = true;
  if (!t.res) t.res = std::make_unique<char[]>(bufsize_);
  c->inspect_deadline = bs.tcp_res_inspect_delay_ms ? now() + bs.tcp_res_inspect_delay_ms : 0;
}

void Engine::analyseResponse(Stream* c) {
  TxnSlot& t = *c->tx;
  const ProxySpec& bs = c->be->spec();
  const lbc_program* prog = c->cx->gen->program;
  const uint32_t be = proxyIndex(bs);
  bool full = t.res_len >= bufsize_;
  bool expired = c->inspect_deadline && now() >= c->inspect_deadline;
  bool final = !bs.tcp_res_inspect_delay_ms || c->p[1].eof || full || expired;
  Txn& x = t.txn;
  x.in_response = true;
  x.res_payload = {t.res.get(), t.res_len};
  if ((bs.hooks & kHasTcpResCont) && prog->tcp_res_cont) {
    x.more_data = !final;
    int32_t r = prog->tcp_res_cont(toAbi(&x), be);
    x.more_data = false;
    if (r == LBC_HOOK_MISS && !final) {
      x.in_response = false;
      arm(c);
      return;
    }
    if (stops(r)) {
      // HAProxy kills the server side and closes the client.
      c->tr_server.resetOnClose();
      endBy(c, TermCause::kProxy);
      finish(c, false);
      return;
    }
  }
  stickResponse(c);
  x.in_response = false;
  t.res_pending = false;
  c->inspect_deadline = 0;
  pump(c, 1);
  arm(c);
}

// `stick store-response` rules (the response is in x.res_payload), then every store is written.
void Engine::stickResponse(Stream* c) {
  TxnSlot& t = *c->tx;
  const ProxySpec& bs = c->be->spec();
  const lbc_program* prog = c->cx->gen->program;
  const uint32_t be = proxyIndex(bs);
  Txn& x = t.txn;
  if (!prog->stick || !c->srv) return;
  // Only the first store-response rule of each table applies; request-side stores of the same
  // table do not count (HAProxy's process_store_rules).
  const uint32_t nreq = t.nstores;
  auto storing = [&](uint32_t table) {
    for (uint32_t k = nreq; k < t.nstores; ++k)
      if (t.stores[k].table == table) return true;
    return false;
  };
  for (uint32_t i = 0; i < bs.stick_rules.size(); ++i) {
    const StickRuleSpec& r = bs.stick_rules[i];
    if (r.kind != StickKind::StoreResponse || storing(r.table)) continue;
    StickTable* tb = viewOf(*c->cx->gen).tables[r.table];
    lbc_smp key{};
    if (!tb || prog->stick(toAbi(&x), be, i, &key) != LBC_PASS || key.type == LBC_SMP_NONE) continue;
    if (!tb->makeKey(key, t.scratch) || t.nstores >= TxnSlot::kMaxStores) continue;
    TxnSlot::Store& st = t.stores[t.nstores++];
    st.table = r.table;
    st.key.assign(t.scratch);
    st.done = false;
  }
  commitStores(c);
}

// Copies received bytes into the inspection buffer; what does not fit stays in the pipe (the
// buffer is then full, which makes the data final).
void Engine::absorb(Stream* c, int dir, uint16_t bid, uint32_t len) {
  TxnSlot& t = *c->tx;
  Pipe& p = c->p[dir];
  char* buf = dir == 0 ? t.req.get() : t.res.get();
  uint32_t& used = dir == 0 ? t.req_len : t.res_len;
  // Bytes already waiting in the pipe came later than the buffer's: nothing jumps ahead of them.
  uint32_t n = p.count ? 0 : std::min(len, bufsize_ - used);
  std::memcpy(buf + used, bufs_ + size_t(bid) * bufsize_, n);
  used += n;
  (dir == 0 ? c->cx->act : c->act_s) = now();
  if (n == len) {
    recycle(bid);
    return;
  }
  buf_len_[bid] = len;
  buf_next_[bid] = kNoBuf;
  if (p.tail != kNoBuf) {
    buf_next_[p.tail] = bid;
  } else {
    p.head = bid;
    p.off = n;
  }
  p.tail = bid;
  ++p.count;
}

}  // namespace lbc::rt
