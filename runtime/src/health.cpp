#include "health.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <netinet/in.h>
#include <pcre2.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "conn.h"

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
        char code[4];
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

struct alignas(16) HealthChecker::Check {
  ServerState* srv = nullptr;
  const HttpCheckSpec* http = nullptr;           // null: a connect is the whole check
  const std::vector<Expect>* expects = nullptr;  // with http
  uint64_t next_at = 0, deadline = 0;
  int fd = -1;
  uint32_t health = 0;  // HAProxy's counter: up while >= rise, 0..rise+fall-1
  enum class Op : uint8_t { None, Connect, Send, Recv } op = Op::None;
  bool pending = false;  // an operation is in flight on the ring
  bool expired = false;  // the deadline passed: the pending operation was cancelled
  uint32_t sent = 0, len = 0;
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

HealthChecker::HealthChecker(Shared& shared, io_uring* ring, uint32_t index, uint32_t nthreads,
                             uint32_t bufsize)
    : shared_(shared), ring_(ring), bufsize_(bufsize) {
  limits_.bufsize = bufsize;
  limits_.maxrewrite = shared.topo->global.maxrewrite;
  headers_ = std::make_unique<http1::Header[]>(limits_.maxhdr);
  uint32_t k = 0;  // every checked server of the process, numbered: k % nthreads owns it
  for (auto& be : shared.backends) {
    if (!be) continue;
    const ProxySpec& ps = be->spec();
    const std::vector<Expect>* expects = nullptr;
    for (auto& s : be->servers()) {
      if (!s->spec->check.enabled || s->spec->disabled) continue;
      if (k++ % std::max<uint32_t>(1, nthreads) != index) continue;
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
      c->srv = s.get();
      if (ps.httpchk.enabled) {
        c->http = &ps.httpchk;
        c->expects = expects;
        c->buf = std::make_unique<char[]>(bufsize_);
      }
      // As HAProxy: a checked server starts up with health = rise, so its first failure takes
      // it down.
      c->health = s->spec->check.rise;
      checks_.push_back(std::move(c));
    }
  }
}

HealthChecker::~HealthChecker() {
  // The ring is gone by now (the worker tears it down first): nothing can still write into the
  // buffers or use the descriptors.
  for (auto& c : checks_)
    if (c->fd >= 0) close(c->fd);
}

void HealthChecker::start(uint64_t now) {
  // First checks are spread over the interval.
  for (size_t i = 0; i < checks_.size(); ++i) {
    Check& c = *checks_[i];
    c.next_at = now + (c.srv->spec->check.inter_ms * i) / checks_.size();
    wake_ = std::min(wake_, c.next_at);
  }
}

io_uring_sqe* HealthChecker::sqe() {
  io_uring_sqe* s = io_uring_get_sqe(ring_);
  while (!s) {
    io_uring_submit(ring_);
    s = io_uring_get_sqe(ring_);
  }
  return s;
}

uint64_t HealthChecker::interval(const Check& c) const {
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
    if (c.fd < 0 && !stopping && c.next_at <= now) launch(c, now);
    if (c.fd >= 0 && !c.expired) {
      if (c.deadline <= now) {
        c.expired = true;
        if (c.pending) {  // its completion (cancelled) ends the check
          io_uring_sqe* q = sqe();
          io_uring_prep_cancel64(q, ud(&c, kCheck), 0);
          io_uring_sqe_set_data64(q, ud(nullptr, kIgnore));
        } else {
          complete(c, false, now);
        }
      } else {
        wake_ = std::min(wake_, c.deadline);
      }
    }
    if (c.fd < 0 && !stopping) wake_ = std::min(wake_, c.next_at);
  }
}

void HealthChecker::launch(Check& c, uint64_t now) {
  // HAProxy: with `timeout check`, the connect is bounded by min(timeout connect, inter) and the
  // answer by `timeout check`; without it, inter bounds the whole check.
  const TimeoutSpec& t = c.srv->be->spec().timeouts;
  uint64_t inter = c.srv->spec->check.inter_ms;
  c.deadline = now + (t.check && t.connect ? std::min(t.connect, inter) : inter);
  c.expired = false;
  c.sent = c.len = 0;
  const sockaddr_storage& a = c.srv->check_addr;
  c.fd = socket(a.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c.fd < 0) {
    complete(c, false, now);
    return;
  }
  c.op = Check::Op::Connect;
  submit(c);
  wake_ = std::min(wake_, c.deadline);
}

void HealthChecker::submit(Check& c) {
  io_uring_sqe* q = sqe();
  switch (c.op) {
    case Check::Op::Connect:
      io_uring_prep_connect(q, c.fd, reinterpret_cast<const sockaddr*>(&c.srv->check_addr),
                            c.srv->check_addrlen);
      break;
    case Check::Op::Send:
      io_uring_prep_send(q, c.fd, c.http->request.data() + c.sent, c.http->request.size() - c.sent,
                         MSG_NOSIGNAL);
      break;
    case Check::Op::Recv:
      io_uring_prep_recv(q, c.fd, c.buf.get() + c.len, bufsize_ - c.len, 0);
      break;
    case Check::Op::None:
      io_uring_prep_nop(q);
      break;
  }
  io_uring_sqe_set_data64(q, ud(&c, kCheck));
  c.pending = true;
}

void HealthChecker::onCompletion(void* p, int res, uint64_t now) {
  Check& c = *static_cast<Check*>(p);
  c.pending = false;
  if (c.fd < 0) return;
  if (c.expired) {
    complete(c, false, now);
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
  if (res < 0 || !c.http) {
    complete(c, res == 0, now);
    return;
  }
  const TimeoutSpec& t = c.srv->be->spec().timeouts;
  if (t.check) {
    c.deadline = now + t.check;
    wake_ = std::min(wake_, c.deadline);
  }
  c.op = Check::Op::Send;
  submit(c);
}

void HealthChecker::onSend(Check& c, int res, uint64_t now) {
  if (res <= 0) {
    complete(c, false, now);
    return;
  }
  c.sent += uint32_t(res);
  c.op = c.sent < c.http->request.size() ? Check::Op::Send : Check::Op::Recv;
  submit(c);
}

void HealthChecker::onRecv(Check& c, int res, uint64_t now) {
  if (res < 0) {
    complete(c, false, now);
    return;
  }
  c.len += uint32_t(res);
  int v = evaluate(c, res == 0 || c.len >= bufsize_);
  if (v < 0) {
    submit(c);  // more of the response
    return;
  }
  complete(c, v == 1, now);
}

// HAProxy's default expectation is a 2xx or 3xx status; the expect rules, when present, must all
// hold. Rules on the body wait for the whole response (or the buffer full, or the server's close).
int HealthChecker::evaluate(Check& c, bool final) {
  http1::Parser parser(http1::Kind::kResponse, headers_.get(), limits_);
  parser.setRequestMethod(c.http->head, false);
  http1::Result r = parser.feed(c.buf.get(), c.len);
  if (r.outcome == http1::Outcome::kNeedMore) return final ? 0 : -1;
  if (r.outcome == http1::Outcome::kError) return 0;
  const http1::Message& m = parser.message();
  bool need_body = false;
  for (const auto& e : *c.expects)
    need_body |= e.kind == CheckExpectKind::String || e.kind == CheckExpectKind::RString;
  std::string_view body;
  std::string dechunked;
  if (need_body) {
    const char* b = c.buf.get() + r.length;
    size_t n = c.len - r.length;
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
          http1::ChunkedDecoder::Step s = d.next(b + off, n - off);
          if (s.kind == http1::ChunkedDecoder::Kind::kError) return 0;
          if (s.kind == http1::ChunkedDecoder::Kind::kData) dechunked.append(b + off, s.length);
          off += s.length;
          if (s.kind == http1::ChunkedDecoder::Kind::kDone) {
            whole = true;
            break;
          }
          if (s.kind == http1::ChunkedDecoder::Kind::kNeedMore) break;
        }
        body = dechunked;
        break;
      }
      default:  // up to the close
        body = {b, n};
        break;
    }
    if (!whole && !final) return -1;
  }
  if (c.expects->empty()) return m.status >= 200 && m.status < 400 ? 1 : 0;
  for (const auto& e : *c.expects)
    if (e.matches(m.status, body) == e.negate) return 0;
  return 1;
}

void HealthChecker::complete(Check& c, bool ok, uint64_t now) {
  if (c.fd >= 0) {
    linger lg{1, 0};  // HAProxy closes checks with a reset so the server keeps no TIME_WAIT
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(c.fd);
    c.fd = -1;
  }
  c.op = Check::Op::None;
  const CheckSpec& k = c.srv->spec->check;
  bool up = c.srv->up.load();
  if (ok) {
    if (up) {
      c.health = std::min(c.health + 1, k.rise + k.fall - 1);
    } else if (++c.health >= k.rise) {
      c.health = k.rise + k.fall - 1;
      c.srv->be->setServerUp(c.srv, true);
    }
  } else {
    if (up && c.health > k.rise) {
      --c.health;
    } else if (up) {
      c.health = 0;
      c.srv->be->setServerUp(c.srv, false);
    } else if (c.health > 0) {
      --c.health;
    }
  }
  c.next_at = now + interval(c);
  wake_ = std::min(wake_, c.next_at);
}

}  // namespace lbc::rt
