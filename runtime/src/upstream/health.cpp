#include "upstream/health.h"

#include "net/proxy_header.h"
#include "upstream/agent_check.h"
#include "upstream/backend.h"
#include "upstream/tcp_check.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <netinet/in.h>
#include <pcre2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <strings.h>
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace lbc::rt {

struct HealthChecker::Expect {
  CheckExpectKind kind = CheckExpectKind::Status;
  bool negate = false;
  std::vector<std::pair<int, int>> ranges;  // status
  std::string text;                         // string
  std::shared_ptr<pcre2_code> re;           // rstatus / rstring

  bool matches(int status, std::string_view body) const {
    switch (kind) {
      case CheckExpectKind::Status:
        for (auto [lo, hi] : ranges)
          if (status >= lo && status <= hi) return true;
        return false;
      case CheckExpectKind::String:
        return body.find(text) != std::string_view::npos;
      case CheckExpectKind::RStatus:
      case CheckExpectKind::RString: {
        if (!re) return false;
        char code[8];
        std::snprintf(code, sizeof code, "%03d", status % 1000);
        std::string_view s = kind == CheckExpectKind::RStatus ? std::string_view(code, 3) : body;
        pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
        int rc = pcre2_match(re.get(), reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, md, nullptr);
        pcre2_match_data_free(md);
        return rc >= 0;
      }
    }
    return false;
  }
};

struct HealthChecker::Check final : TransportUser {
  void onTransport(Transport&, const TransportEvent& ev) override {
    if (ev.kind != TransportEvent::kDone) owner->onCompletion(*this, ev.res, owner->loop_.now());
  }

  HealthChecker* owner = nullptr;
  ServerState* srv = nullptr;
  const HttpCheckSpec* http = nullptr;                    // null: a connect is the whole check
  const std::vector<Expect>* expects = nullptr;           // with http
  const TcpCheckSpec* tcp = nullptr;                      // option tcp-check / redis-check
  const std::vector<tcpcheck::Regex>* regexes = nullptr;  // with tcp: per step
  int cur = -1;         // with tcp: the step being run (-1: the implicit connect)
  size_t next = 0;      // with tcp: the next step to run
  std::string pp;       // with tcp: the PROXY header sent first on every connection
  std::string ok_info;  // with tcp: the result should the check end here (the last rule's on-success)
  int ok_code = 0;
  CheckStatus ok_status = CheckStatus::L7Ok;
  uint64_t next_at = 0, deadline = 0;
  uint64_t started = 0;     // when the check began (its duration in the state-change messages)
  RawTransport t;           // the check's socket
  sockaddr_storage addr{};  // the address being connected to (read by the ring at submission)
  uint32_t health = 0;      // HAProxy's counter: up while >= rise, 0..rise+fall-1
  enum class Op : uint8_t { None, Connect, Send, Recv } op = Op::None;
  bool pending = false;   // an operation is in flight on the ring
  bool expired = false;   // the deadline passed: the pending operation was cancelled
  bool paused = false;    // the server is in maintenance: no checks (HAProxy's CHK_ST_PAUSED)
  bool agent = false;     // the agent check (agent-check), not the health check
  Check* peer = nullptr;  // the server's other check (health <-> agent), same worker
  uint32_t sent = 0, len = 0;
  std::string out;              // what is sent once connected: a PROXY header (check-send-proxy), the request
  std::unique_ptr<char[]> buf;  // the response (bufsize bytes, as HAProxy's check buffer)
};

namespace {
// "200,300-399" (validated by the compiler).
std::vector<std::pair<int, int>> parseRanges(const std::string& s) {
  std::vector<std::pair<int, int>> out;
  size_t i = 0;
  while (i < s.size()) {
    int lo = std::atoi(s.c_str() + i), hi = lo;
    while (i < s.size() && s[i] != ',' && s[i] != '-') ++i;
    if (i < s.size() && s[i] == '-') {
      hi = std::atoi(s.c_str() + ++i);
      while (i < s.size() && s[i] != ',') ++i;
    }
    out.emplace_back(lo, hi);
    if (i < s.size()) ++i;
  }
  return out;
}
}  // namespace

HealthChecker::HealthChecker(LiveState& state, const GlobalSpec& global, Loop& loop, uint32_t index,
                             uint32_t nthreads, uint32_t bufsize)
    : state_(state), loop_(loop), bufsize_(bufsize) {
  limits_.bufsize = bufsize;
  limits_.maxrewrite = global.maxrewrite;
  headers_ = std::make_unique<http1::Header[]>(limits_.maxhdr);
  uint32_t k = 0;  // every checked server of the process, numbered: k % nthreads owns it
  for (Backend* be : state.backends()) {
    if (!be) continue;
    const ProxySpec& ps = be->spec();
    const std::vector<Expect>* expects = nullptr;
    const std::vector<tcpcheck::Regex>* regexes = nullptr;
    for (auto& s : be->servers()) {
      if ((!s->spec->check.enabled && !s->spec->agent.enabled) || s->spec->disabled) continue;
      if (k++ % std::max<uint32_t>(1, nthreads) != index) continue;
      Check* agent = nullptr;
      if (s->spec->agent.enabled) {  // the agent check: its own connection, one line back
        auto a = std::make_unique<Check>();
        a->owner = this;
        a->t.setLoop(&loop_);
        a->t.setUser(a.get());
        a->srv = s.get();
        a->agent = true;
        a->buf = std::make_unique<char[]>(bufsize_);
        a->out = s->spec->agent.send;
        a->health = 1;  // HAProxy's agent rise = fall = 1
        agent = a.get();
        checks_.push_back(std::move(a));
      }
      if (!s->spec->check.enabled) continue;
      if (ps.httpchk.enabled && !expects) {
        auto list = std::make_unique<std::vector<Expect>>();
        for (const auto& e : ps.httpchk.expects) {
          Expect x;
          x.kind = e.kind;
          x.negate = e.negate;
          if (e.kind == CheckExpectKind::Status) x.ranges = parseRanges(e.pattern);
          if (e.kind == CheckExpectKind::String) x.text = e.pattern;
          if (e.kind == CheckExpectKind::RStatus || e.kind == CheckExpectKind::RString) {
            int err = 0;
            PCRE2_SIZE off = 0;
            pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(e.pattern.data()), e.pattern.size(),
                                             0, &err, &off, nullptr);
            if (code) x.re.reset(code, pcre2_code_free);
          }
          list->push_back(std::move(x));
        }
        expects = list.get();
        expects_.push_back(std::move(list));
      }
      auto c = std::make_unique<Check>();
      c->owner = this;
      c->t.setLoop(&loop_);
      c->t.setUser(c.get());
      c->srv = s.get();
      // HAProxy: `check-send-proxy`, or the server's send-proxy* when the check goes to the
      // server's own address and port; a check has no client, so the header is v1's UNKNOWN or
      // v2's LOCAL.
      const CheckSpec& cs = s->spec->check;
      if (s->spec->check_send_proxy || (s->spec->pp_opts && !cs.port && !cs.has_addr))
        buildProxyHeader(c->out, s->spec->pp_opts, ProxyHdrSource{});
      if (ps.tcpchk.enabled) {
        if (!regexes) {
          auto list = std::make_unique<std::vector<tcpcheck::Regex>>();
          for (const auto& st : ps.tcpchk.steps)
            list->push_back(st.regex ? tcpcheck::compile(st.data) : nullptr);
          regexes = list.get();
          regexes_.push_back(std::move(list));
        }
        c->tcp = &ps.tcpchk;
        c->regexes = regexes;
        c->buf = std::make_unique<char[]>(bufsize_);
        c->pp = std::move(c->out);
        c->out.clear();
      } else if (ps.httpchk.enabled) {
        c->http = &ps.httpchk;
        c->expects = expects;
        c->buf = std::make_unique<char[]>(bufsize_);
        c->out += ps.httpchk.request;
      }
      // As HAProxy: a checked server starts up with health = rise, so its first failure takes
      // it down.
      c->health = s->spec->check.rise;
      if (agent) c->peer = agent, agent->peer = c.get();
      checks_.push_back(std::move(c));
    }
  }
}

HealthChecker::~HealthChecker() {
  // The ring is gone by now (the worker tears it down first): nothing can still write into the
  // buffers or use the descriptors.
  for (auto& c : checks_) c->t.closeNow(false);
}

void HealthChecker::start(uint64_t now) {
  // First checks are spread over the interval.
  for (size_t i = 0; i < checks_.size(); ++i) {
    Check& c = *checks_[i];
    c.next_at = now + (inter(c) * i) / checks_.size();
    wake_ = std::min(wake_, c.next_at);
  }
}

// A server in maintenance is not checked; it leaves maintenance with its health at `rise`, as
// HAProxy resumes the check (so a server that was up stays up).
bool HealthChecker::pausedForMaint(Check& c, uint64_t now) {
  if (c.agent) return false;  // HAProxy keeps the agent running: it may say "ready"
  const bool maint = c.srv->admin.load(std::memory_order_relaxed) == SrvAdmin::Maint ||
                     c.srv->rmaint.load(std::memory_order_relaxed);  // no address from DNS
  if (maint) {
    c.paused = true;
    c.health = 0;
    c.srv->check_health.store(0, std::memory_order_relaxed);
    c.next_at = now + c.srv->spec->check.inter_ms;
    wake_ = std::min(wake_, c.next_at);
    return true;
  }
  if (c.paused) {
    c.paused = false;
    c.health = c.srv->spec->check.rise;
    c.srv->check_health.store(c.health, std::memory_order_relaxed);
  }
  return false;
}

uint64_t HealthChecker::inter(const Check& c) {
  return c.agent ? c.srv->spec->agent.inter_ms : c.srv->spec->check.inter_ms;
}

uint64_t HealthChecker::interval(const Check& c) const {
  if (c.agent) return inter(c);
  const CheckSpec& k = c.srv->spec->check;
  bool up = c.srv->up.load();
  bool transitional = up ? c.health < k.rise + k.fall - 1 : c.health > 0;
  if (!up && !transitional && k.downinter_ms) return k.downinter_ms;
  if (transitional && k.fastinter_ms) return k.fastinter_ms;
  return k.inter_ms;
}

void HealthChecker::run(uint64_t now, bool stopping) {
  wake_ = ~0ull;
  for (auto& cp : checks_) {
    Check& c = *cp;
    if (!c.t.open() && c.next_at <= now && pausedForMaint(c, now)) continue;
    if (!c.t.open() && !stopping && c.next_at <= now) launch(c, now);
    if (c.t.open() && !c.expired) {
      if (c.deadline <= now) {
        c.expired = true;
        if (c.pending) {  // its completion (cancelled) ends the check
          c.t.cancelPending();
        } else {
          complete(c, timeoutResult(c), now);
        }
      } else {
        wake_ = std::min(wake_, c.deadline);
      }
    }
    if (!c.t.open() && !stopping) wake_ = std::min(wake_, c.next_at);
  }
}

void HealthChecker::launch(Check& c, uint64_t now) {
  // HAProxy: with `timeout check`, the connect is bounded by min(timeout connect, inter) and the
  // answer by `timeout check`; without it, inter bounds the whole check.
  const TimeoutSpec& t = c.srv->be->spec().timeouts;
  uint64_t inter = HealthChecker::inter(c);
  c.deadline = now + (t.check && t.connect ? std::min(t.connect, inter) : inter);
  c.expired = false;
  c.sent = c.len = 0;
  c.started = now;
  c.op = Check::Op::Connect;
  // Connects read their address at the batched submission: it lives in the check (stable memory).
  socklen_t addrlen;
  c.srv->loadCheckAddr(c.addr, addrlen);
  sockaddr_storage& addr = c.addr;
  if (c.agent) {  // agent-addr (or `addr`), else the server's address, at agent-port
    if (c.srv->spec->agent.has_addr)
      addr = c.srv->agent_addr, addrlen = c.srv->agent_addrlen;
    else
      c.srv->loadAddr(addr, addrlen);
    const uint16_t port = htons(c.srv->spec->agent.port);
    if (addr.ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(addr).sin_port = port;
    if (addr.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6&>(addr).sin6_port = port;
    c.srv->agent_running.store(true, std::memory_order_relaxed);
    std::lock_guard<std::mutex> g(c.srv->agent_mu);  // HAProxy clears it when a check starts
    c.srv->agent_desc.clear();
  }
  if (c.tcp) {
    c.out = c.pp;
    c.ok_info = "(tcp-check)";
    c.ok_code = 0;
    c.ok_status = CheckStatus::L7Ok;
    c.cur = -1;
    c.next = 0;
    // An explicit first connect (after comments) replaces the implicit one.
    while (c.next < c.tcp->steps.size() && c.tcp->steps[c.next].kind == TcpCheckStepKind::Comment) ++c.next;
    if (c.next < c.tcp->steps.size() && c.tcp->steps[c.next].kind == TcpCheckStepKind::Connect) {
      c.cur = int(c.next);
      if (uint16_t port = c.tcp->steps[c.next++].port) {
        if (addr.ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(addr).sin_port = htons(port);
        if (addr.ss_family == AF_INET6) reinterpret_cast<sockaddr_in6&>(addr).sin6_port = htons(port);
      }
    } else {
      c.next = 0;
    }
  }
  if (!c.t.connect(reinterpret_cast<const sockaddr*>(&addr), addrlen, 0, false)) {
    complete(c, {CheckStatus::SockErr, 0, strerror(errno)}, now);
    return;
  }
  c.pending = true;
  wake_ = std::min(wake_, c.deadline);
}

void HealthChecker::submit(Check& c) {
  // (The connect is launch's.)
  if (c.op == Check::Op::Send)
    c.t.send(c.out.data() + c.sent, c.out.size() - c.sent);
  else if (c.op == Check::Op::Recv)
    c.t.recvInto(c.buf.get() + c.len, bufsize_ - c.len);
  c.pending = true;
}

void HealthChecker::onCompletion(Check& c, int res, uint64_t now) {
  c.pending = false;
  if (!c.t.open()) return;
  if (c.expired) {
    complete(c, timeoutResult(c), now);
    return;
  }
  switch (c.op) {
    case Check::Op::Connect:
      onConnect(c, res, now);
      break;
    case Check::Op::Send:
      onSend(c, res, now);
      break;
    case Check::Op::Recv:
      onRecv(c, res, now);
      break;
    case Check::Op::None:
      break;
  }
}

void HealthChecker::onConnect(Check& c, int res, uint64_t now) {
  if (res < 0) {  // refused, unreachable...: HAProxy's info is the errno text
    complete(c, {CheckStatus::L4Con, 0, connError(c, strerror(-res))}, now);
    return;
  }
  if (c.tcp && c.out.empty()) {
    armCheckTimeout(c, now);
    advanceTcp(c, now);
    return;
  }
  if (c.out.empty() && !c.agent) {
    complete(c, {CheckStatus::L4Ok, 0, ""}, now);
    return;
  }
  armCheckTimeout(c, now);
  c.op = c.out.empty() ? Check::Op::Recv : Check::Op::Send;
  submit(c);
}

void HealthChecker::armCheckTimeout(Check& c, uint64_t now) {
  const TimeoutSpec& t = c.srv->be->spec().timeouts;
  if (t.check) {
    c.deadline = now + t.check;
    wake_ = std::min(wake_, c.deadline);
  }
}

std::string HealthChecker::connError(const Check& c, std::string msg) {
  if (c.tcp) msg += tcpcheck::connErrorSuffix(*c.tcp, c.cur);
  return msg;
}

// Runs the tcp-check steps from `next` until one needs the network (a send, an expect waiting
// for bytes) or the check ends. A send starts a new exchange: the bytes read so far are dropped, as
// HAProxy resets its input buffer.
void HealthChecker::advanceTcp(Check& c, uint64_t now) {
  const auto& steps = c.tcp->steps;
  bool layer7 = false;
  for (const auto& s : steps)
    layer7 |= s.kind == TcpCheckStepKind::Send || s.kind == TcpCheckStepKind::Expect;
  while (c.next < steps.size()) {
    const TcpCheckStep& s = steps[c.next];
    if (s.kind == TcpCheckStepKind::Comment || s.kind == TcpCheckStepKind::Connect) {  // connect: launch's
      ++c.next;
      continue;
    }
    c.cur = int(c.next);
    if (s.kind == TcpCheckStepKind::Send) {
      ++c.next;
      c.ok_info = "(tcp-check)";  // HAProxy's text when a send is the last rule
      c.ok_code = 0;
      c.ok_status = CheckStatus::L7Ok;
      c.out = s.data;
      if (s.send_time && c.out.size() >= 15) {  // ssl-hello-chk's "%[date(),htonl,hex]" at 11
        const uint32_t t = uint32_t(::time(nullptr));
        for (int i = 0; i < 4; ++i) c.out[size_t(11 + i)] = char((t >> (24 - 8 * i)) & 0xff);
      }
      c.sent = c.len = 0;
      if (c.out.empty()) continue;
      c.op = Check::Op::Send;
      submit(c);
      return;
    }
    CheckResult r;
    if (!judgeTcp(c, false, r)) {
      c.op = Check::Op::Recv;
      submit(c);
      return;
    }
    if (r.status != CheckStatus::L7Ok) {
      complete(c, std::move(r), now);
      return;
    }
    ++c.next;
  }
  if (!layer7)
    complete(c, {CheckStatus::L4Ok, 0, ""}, now);
  else
    complete(c, {c.ok_status, c.ok_code, c.ok_info}, now);
}

// The expect step `cur` on the bytes read: false while it waits for more; else `r` is L7Ok for a
// pass or the failure. A pass records the check's result should this step be its last (HAProxy
// reports the last rule's on-success text and status code: "(tcp-check)" for a tcp-check, nothing
// for a protocol check's rule without one).
bool HealthChecker::judgeTcp(Check& c, bool final, CheckResult& r) {
  const size_t idx = size_t(c.cur);
  const TcpCheckStep& s = c.tcp->steps[idx];
  std::string_view data(c.buf.get(), c.len);
  if (data.empty() && s.custom != TcpCheckCustom::None && !final) return false;
  if (s.custom != TcpCheckCustom::None && s.min_recv > 0 && data.size() < size_t(s.min_recv) && !final)
    return false;
  if (s.custom != TcpCheckCustom::None && !data.empty()) {
    tcpcheck::CustomResult cr;
    tcpcheck::Verdict v = tcpcheck::custom(s, data, final, cr);
    if (v == tcpcheck::Verdict::Wait) return false;
    if (v == tcpcheck::Verdict::Pass) {
      r.status = CheckStatus::L7Ok;
      c.ok_info.clear();
      c.ok_code = 0;
      c.ok_status = CheckStatus::L7Ok;
      return true;
    }
    r.status = cr.l7sts ? CheckStatus::L7Sts : CheckStatus::L7Rsp;
    r.code = cr.code;
    r.info = std::move(cr.info);
    return true;
  }
  tcpcheck::Verdict v = s.custom != TcpCheckCustom::None
                            ? tcpcheck::Verdict::Fail
                            : tcpcheck::expect(s, (*c.regexes)[idx], data, final);
  if (v == tcpcheck::Verdict::Wait) return false;
  const int code = s.status_code ? tcpcheck::statusCode(data) : 0;
  if (v == tcpcheck::Verdict::Pass) {
    r.status = CheckStatus::L7Ok;
    if (s.on_success != TcpCheckMsg::None)
      c.ok_info = tcpcheck::message(s, s.on_success, data, true);
    else
      c.ok_info = c.tcp->proto == TcpCheckProto::Tcp ? "(tcp-check)" : "";
    c.ok_code = code;
    c.ok_status = s.layer6 ? CheckStatus::L6Ok : CheckStatus::L7Ok;
    return true;
  }
  r.status = s.layer6 ? CheckStatus::L6Rsp : s.error_l7sts ? CheckStatus::L7Sts : CheckStatus::L7Rsp;
  r.code = code;
  r.info = data.empty() ? tcpcheck::emptyResponse(*c.tcp, idx)
                        : tcpcheck::expectFailure(*c.tcp, idx, data, s.negate);
  return true;
}

void HealthChecker::onSend(Check& c, int res, uint64_t now) {
  if (res <= 0) {
    complete(c, {CheckStatus::SockErr, 0, connError(c, res < 0 ? strerror(-res) : "")}, now);
    return;
  }
  c.sent += uint32_t(res);
  if (c.tcp && c.sent == c.out.size()) {
    advanceTcp(c, now);
    return;
  }
  if (c.sent == c.out.size() && !c.http && !c.agent) {  // a connect check's PROXY header is out
    complete(c, {CheckStatus::L4Ok, 0, ""}, now);
    return;
  }
  c.op = c.sent < c.out.size() ? Check::Op::Send : Check::Op::Recv;
  submit(c);
}

void HealthChecker::onRecv(Check& c, int res, uint64_t now) {
  if (res < 0) {  // a reset: HAProxy's "Socket error, info: "Connection reset by peer""
    complete(c, {CheckStatus::SockErr, 0, connError(c, strerror(-res))}, now);
    return;
  }
  c.len += uint32_t(res);
  if (c.agent) {
    onAgentData(c, res == 0 || c.len >= bufsize_, now);
    return;
  }
  if (c.tcp) {
    CheckResult r;
    if (!judgeTcp(c, res == 0 || c.len >= bufsize_, r)) {
      submit(c);
      return;
    }
    if (r.status != CheckStatus::L7Ok) {
      complete(c, std::move(r), now);
      return;
    }
    ++c.next;
    advanceTcp(c, now);
    return;
  }
  CheckResult r;
  if (!evaluate(c, res == 0 || c.len >= bufsize_, r)) {
    submit(c);  // more of the response
    return;
  }
  complete(c, std::move(r), now);
}

// HAProxy's default expectation is a 2xx or 3xx status; the expect rules, when present, must all
// hold, the first that fails giving the result (HAProxy 2.6's texts: a status rule fails as "wrong
// status" with the reason phrase, a body rule as "invalid response"). Rules on the body wait for
// the whole response (or the buffer full, or the server's close); an empty body fails them all,
// negated ones included, as in HAProxy.
bool HealthChecker::evaluate(Check& c, bool final, CheckResult& r) {
  http1::Parser parser(http1::Kind::kResponse, headers_.get(), limits_);
  parser.setRequestMethod(c.http->head, false);
  http1::Result pr = parser.feed(c.buf.get(), c.len);
  if (pr.outcome == http1::Outcome::kNeedMore && !final) return false;
  if (pr.outcome != http1::Outcome::kDone) {
    r.status = CheckStatus::L7Rsp;
    return true;
  }
  const http1::Message& m = parser.message();
  r.code = m.status;
  bool need_body = false;
  for (const auto& e : *c.expects)
    need_body |= e.kind == CheckExpectKind::String || e.kind == CheckExpectKind::RString;
  std::string_view body;
  std::string dechunked;
  if (need_body) {
    const char* b = c.buf.get() + pr.length;
    size_t n = c.len - pr.length;
    bool whole = false;
    switch (m.body) {
      case http1::Body::kNone:
        whole = true;
        break;
      case http1::Body::kContentLength:
        whole = n >= m.contentLength;
        body = {b, std::min<size_t>(n, m.contentLength)};
        break;
      case http1::Body::kChunked: {
        http1::ChunkedDecoder d(limits_, true);
        for (size_t off = 0; off < n;) {
          http1::ChunkedDecoder::Step st = d.next(b + off, n - off);
          if (st.kind == http1::ChunkedDecoder::Kind::kError) {
            r.status = CheckStatus::L7Rsp;
            return true;
          }
          if (st.kind == http1::ChunkedDecoder::Kind::kData) dechunked.append(b + off, st.length);
          off += st.length;
          if (st.kind == http1::ChunkedDecoder::Kind::kDone) {
            whole = true;
            break;
          }
          if (st.kind == http1::ChunkedDecoder::Kind::kNeedMore) break;
        }
        body = dechunked;
        break;
      }
      default:  // up to the close
        body = {b, n};
        break;
    }
    if (!whole && !final) return false;
  }
  const std::string_view reason = m.reasonPhrase.in(c.buf.get());
  if (c.expects->empty()) {
    r.status = m.status >= 200 && m.status < 400 ? CheckStatus::L7Ok : CheckStatus::L7Sts;
    if (r.status == CheckStatus::L7Sts) r.info = reason;
    return true;
  }
  for (const auto& e : *c.expects) {
    const bool on_body = e.kind == CheckExpectKind::String || e.kind == CheckExpectKind::RString;
    if (on_body && body.empty()) {
      r.status = CheckStatus::L7Rsp;
      r.info = "HTTP content check could not find a response body";
      return true;
    }
    if (e.matches(m.status, body) != e.negate) continue;
    if (on_body) {
      r.status = CheckStatus::L7Rsp;
      r.info = e.negate ? "HTTP check matched unwanted content" : "HTTP content check did not match";
    } else {
      r.status = CheckStatus::L7Sts;
      r.info = reason;
    }
    return true;
  }
  r.status = CheckStatus::L7Ok;
  return true;
}

// An expired check: HAProxy tells a connect that did not complete from an answer that did not come.
CheckResult HealthChecker::timeoutResult(const Check& c) {
  // An expect rule's tout-status: L6TOUT for ssl-hello-chk's.
  const bool l6 = c.tcp && c.cur >= 0 && c.tcp->steps[size_t(c.cur)].kind == TcpCheckStepKind::Expect &&
                  c.tcp->steps[size_t(c.cur)].layer6;
  return {c.op == Check::Op::Connect ? CheckStatus::L4Timeout
          : l6                       ? CheckStatus::L6Timeout
                                     : CheckStatus::L7Timeout,
          0, connError(c, "")};
}

void HealthChecker::complete(Check& c, CheckResult r, uint64_t now) {
  // HAProxy keeps the info in a C string of HCHK_DESC_LEN (128) bytes: up to a NUL, 127 bytes.
  if (size_t nul = r.info.find('\0'); nul != std::string::npos) r.info.resize(nul);
  if (r.info.size() > 127) r.info.resize(127);
  c.t.closeNow(true);  // HAProxy closes checks with a reset so the server keeps no TIME_WAIT
  c.op = Check::Op::None;
  r.duration = int64_t(now - c.started);
  if (c.agent)
    finishAgent(c, r);
  else
    finishHealth(c, r);
  c.next_at = now + interval(c);
  wake_ = std::min(wake_, c.next_at);
}

// HAProxy's set_server_check_status and check_notify_*: the health counter moves with each
// result (up while >= rise), and the server follows it unless the agent says it is down.
void HealthChecker::finishHealth(Check& c, const CheckResult& r) {
  const CheckSpec& k = c.srv->spec->check;
  const uint32_t top = k.rise + k.fall - 1;
  bool report = c.srv->check_status.load(std::memory_order_relaxed) != int8_t(r.status);
  const bool passed = checkPassed(r.status);
  if (passed && c.health < top) {
    report = true;
    if (++c.health >= k.rise) c.health = top;
  } else if (!passed && c.health > 0) {
    report = true;
    if (--c.health < k.rise) c.health = 0;
  }
  // The check's result is visible (show stat) before the state-change message, as in HAProxy.
  {
    std::lock_guard<std::mutex> g(c.srv->check_mu);
    c.srv->check_info = r.info;
  }
  c.srv->check_status.store(int8_t(r.status), std::memory_order_relaxed);
  c.srv->check_code.store(int16_t(r.code), std::memory_order_relaxed);
  c.srv->check_duration.store(int32_t(r.duration), std::memory_order_relaxed);
  c.srv->check_health.store(uint32_t(c.health), std::memory_order_relaxed);
  const bool logged = c.srv->be->spec().log_health_checks;
  if (logged && report) reportCheckResult(state_.quiet, *c.srv, false, r, c.health, k.rise, k.fall);
  if (!passed && c.health == 0) setUp(c, false, r);
  if (passed && c.health >= k.rise && (!c.peer || c.peer->health >= 1)) setUp(c, true, r);
}

void HealthChecker::setUp(Check& c, bool up, const CheckResult& r) {
  if (c.srv->admin.load() == SrvAdmin::Maint) return;  // HAProxy: maintenance decides
  ServerTransition t = c.srv->be->setServerUp(c.srv, up);
  if (!t.changed) return;
  CheckResult said = r;
  said.with_reason = !c.srv->be->spec().log_health_checks;  // the check's line said why
  reportServerState(state_.quiet, *c.srv, up, said, t);
  if (c.srv->admin.load() == SrvAdmin::Drain) reportStillDraining(state_.quiet, *c.srv);
}

// An agent's failure to answer (connect, timeout, empty or broken answer) changes nothing but its
// status; "down", "stopped" or "fail" (L7STS) take the server down, "up" (L7OK) brings it up when
// its health check agrees.
void HealthChecker::finishAgent(Check& c, const CheckResult& r) {
  // HAProxy's set_server_check_status for the agent: "No status change" stops there; a health
  // word already set the health; only an answer that read data (L7) counts a failure.
  const int8_t prev = c.srv->agent_status.load(std::memory_order_relaxed);
  if (r.status != CheckStatus::Checked && c.srv->be->spec().log_health_checks &&
      (prev != int8_t(r.status) || (checkPassed(r.status) && c.health < 1) ||
       (r.status == CheckStatus::L7Sts && c.health > 0)))
    reportCheckResult(state_.quiet, *c.srv, true, r, c.health, 1, 1);
  if (r.status == CheckStatus::L7Sts) setUp(c, false, r);
  if (r.status == CheckStatus::L7Ok && (!c.peer || c.peer->health >= c.srv->spec->check.rise))
    setUp(c, true, r);
  c.srv->agent_status.store(int8_t(r.status), std::memory_order_relaxed);
  c.srv->agent_code.store(int16_t(r.code), std::memory_order_relaxed);
  c.srv->agent_duration.store(int32_t(r.duration), std::memory_order_relaxed);
  c.srv->agent_health.store(uint32_t(c.health), std::memory_order_relaxed);
  c.srv->agent_running.store(false, std::memory_order_relaxed);
  std::lock_guard<std::mutex> g(c.srv->agent_mu);
  c.srv->agent_desc = r.info;
}

void HealthChecker::onAgentData(Check& c, bool final, uint64_t now) {
  std::string_view data(c.buf.get(), c.len);
  bool broken = false;
  const size_t end = agent::lineEnd(data, broken);
  if (end == std::string_view::npos && !broken && !final) {
    submit(c);  // more of the line
    return;
  }
  if (data.empty()) {
    complete(c, {CheckStatus::L7Rsp, 0, "TCPCHK got an empty response at step 2"}, now);
    return;
  }
  if (end == std::string_view::npos) {
    // HAProxy keeps the previous status and says why.
    const int8_t prev = c.srv->agent_status.load(std::memory_order_relaxed);
    if (prev < 0) {
      c.t.closeNow(true);
      c.op = Check::Op::None;
      c.srv->agent_running.store(false, std::memory_order_relaxed);
      {
        std::lock_guard<std::mutex> g(c.srv->agent_mu);
        c.srv->agent_desc = "Ignoring incomplete line from agent";
      }
      c.next_at = now + interval(c);
      wake_ = std::min(wake_, c.next_at);
      return;
    }
    complete(c, {CheckStatus(prev), 0, "Ignoring incomplete line from agent"}, now);
    return;
  }
  const agent::Reply rep = agent::parse(data.substr(0, end));
  ServerState& s = *c.srv;
  Backend& be = *s.be;
  // HAProxy's order: the admin state first, then the weight and maxconn, then the health.
  if (!rep.admin.empty()) {
    const SrvAdmin to = strncasecmp(rep.admin.data(), "drain", 5) == 0   ? SrvAdmin::Drain
                        : strncasecmp(rep.admin.data(), "maint", 5) == 0 ? SrvAdmin::Maint
                                                                         : SrvAdmin::Ready;
    const SrvAdmin from = s.admin.load();
    if (to != from) {
      const bool was_up = s.up.load();
      // Leaving maintenance: the health check starts again at `rise`; the server is up unless
      // the agent said down.
      const bool leave_up = c.health >= 1;
      if (from == SrvAdmin::Maint && c.peer) {
        c.peer->paused = false;
        c.peer->health = s.spec->check.rise;
      }
      ServerTransition t = be.setServerAdmin(&s, to, s.weight(), &leave_up);
      if (t.changed) reportAdminChange(state_.quiet, s, from, to, was_up, t);
      if (t.changed && from == SrvAdmin::Maint && to == SrvAdmin::Drain) reportStillDraining(state_.quiet, s);
    }
  }
  std::string warn;
  if (!rep.weight.empty()) {
    if (const char* w = be.changeWeight(&s, rep.weight))
      warn = w;
    else if (s.admin.load() == SrvAdmin::Drain)
      reportStillDraining(state_.quiet, s);
  }
  if (!rep.maxconn.empty())
    if (const char* w = be.changeMaxconn(&s, rep.maxconn); w && warn.empty()) warn = w;
  CheckResult r{CheckStatus::Checked, 0, agent::describe(rep, warn)};
  if (!rep.health.empty()) {
    const bool up = strncasecmp(rep.health.data(), "up", 2) == 0 && rep.health.size() == 2;
    c.health = up ? 1 : 0;
    r.status = up ? CheckStatus::L7Ok : CheckStatus::L7Sts;
  }
  complete(c, std::move(r), now);
}

}  // namespace lbc::rt
