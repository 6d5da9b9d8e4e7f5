#include "dns/resolver.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <random>

namespace lbc::rt::dns {

const char* statusName(Status s) {
  switch (s) {
    case Status::kNone:
      return "none";
    case Status::kValid:
      return "valid";
    case Status::kNx:
      return "NX";
    case Status::kRefused:
      return "refused";
    case Status::kTimeout:
      return "timeout";
    case Status::kOther:
      return "other";
  }
  return "?";
}

// A UDP nameserver: a connected socket with one read armed into a buffer of the largest datagram
// (one completion, one message) and sends queued one at a time (their bytes live here until sent).
struct Resolver::Udp final : TransportUser {
  Udp(Resolver& r, size_t index) : owner(r), ns(index), tr(&r.loop_) { tr.setUser(this); }
  void arm() { tr.recvInto(buf.data(), buf.size()); }
  void push(std::string msg) {
    out.push_back(std::move(msg));
    if (out.size() == 1) tr.send(out.front().data(), out.front().size());
  }
  void onTransport(Transport&, const TransportEvent& ev) override {
    if (ev.kind == TransportEvent::kRecv) {
      if (ev.res > 0) owner.onMessage(std::string_view(buf.data(), size_t(ev.res)), ns, owner.loop_.now());
      // -ECONNREFUSED (ICMP port unreachable) and the like: nobody answers; the retry timer decides.
      if (tr.open()) arm();
    } else if (ev.kind == TransportEvent::kSent) {
      // A datagram goes whole or not at all: either way it is done.
      out.pop_front();
      if (!out.empty()) tr.send(out.front().data(), out.front().size());
    }
  }
  Resolver& owner;
  size_t ns;
  RawTransport tr;
  std::string buf = std::string(65535, '\0');
  std::deque<std::string> out;
};

// One query over TCP (`nameserver x tcp@addr`): connect, send the length-prefixed message, read
// the length-prefixed answer, close. Kept until every operation of its transport came back.
struct Resolver::Tcp final : TransportUser {
  Tcp(Resolver& r, Resolution& of, size_t index, const std::string& q)
      : owner(r), res(&of), ns(index), tr(&r.loop_) {
    tr.setUser(this);
    out.push_back(char(q.size() >> 8));
    out.push_back(char(q.size() & 0xff));
    out += q;
  }
  bool start() {
    const Nameserver& n = owner.s_.nameservers[ns];
    return tr.connect(reinterpret_cast<const sockaddr*>(&n.addr), n.len, owner.s_.timeout_retry, true);
  }
  void end() {
    if (tr.open()) tr.close(false);
    over = true;
  }
  void onTransport(Transport&, const TransportEvent& ev) override {
    if (over) return;
    switch (ev.kind) {
      case TransportEvent::kReady:
        if (ev.res < 0) return end();
        tr.send(out.data(), out.size());
        tr.recvInto(buf.data(), buf.size());
        break;
      case TransportEvent::kRecv: {
        if (ev.res <= 0) return end();
        got += size_t(ev.res);
        size_t want = got >= 2 ? 2 + (size_t(uint8_t(buf[0])) << 8 | uint8_t(buf[1])) : 2;
        if (got < want) {
          tr.recvInto(buf.data() + got, buf.size() - got);
          return;
        }
        owner.onMessage(std::string_view(buf.data() + 2, want - 2), ns, owner.loop_.now());
        return end();
      }
      case TransportEvent::kSent:
        if (ev.res < 0) return end();
        break;
      default:
        break;
    }
  }
  Resolver& owner;
  Resolution* res;
  size_t ns;
  RawTransport tr;
  std::string out;
  std::string buf = std::string(65537, '\0');
  size_t got = 0;
  bool over = false;
};

Resolver::Resolver(Loop& loop, Settings s) : loop_(loop), s_(std::move(s)), rng_(std::random_device{}()) {}

Resolver::~Resolver() = default;

bool Resolver::open(std::string& err) {
  dead_.assign(s_.nameservers.size(), false);
  for (size_t i = 0; i < s_.nameservers.size(); ++i) {
    const Nameserver& n = s_.nameservers[i];
    if (n.tcp) {
      udp_.push_back(nullptr);
      continue;
    }
    int fd = ::socket(n.addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || ::connect(fd, reinterpret_cast<const sockaddr*>(&n.addr), n.len) != 0) {
      // An unreachable one (no route) is left out; the others still serve.
      if (!err.empty()) err += ", ";
      err += "nameserver '" + n.id + "': " + std::strerror(errno);
      if (fd >= 0) ::close(fd);
      udp_.push_back(nullptr);
      dead_[i] = true;
      continue;
    }
    auto u = std::make_unique<Udp>(*this, i);
    u->tr.adopt(fd, false);
    u->arm();
    udp_.push_back(std::move(u));
  }
  return std::count(dead_.begin(), dead_.end(), false) > 0;
}

Resolution& Resolver::add(std::string name, uint16_t prefer,
                          std::function<void(Resolution&, uint64_t)> done) {
  Resolution& r = res_.emplace_back();
  r.name = canonicalName(name);
  r.prefer = r.qtype = prefer;
  r.done = std::move(done);
  return r;
}

void Resolver::launch(Resolution& r, uint64_t now) {
  r.running = true;
  r.fell_back = false;
  r.qtype = r.prefer;
  r.tries_left = s_.retries;
  send(r, now);
}

void Resolver::send(Resolution& r, uint64_t now) {
  if (r.id) by_id_.erase(r.id);
  endTcp(r);
  do {
    rng_ = rng_ * 1103515245u + 12345u;
    r.id = uint16_t(rng_ >> 8);
  } while (!r.id || by_id_.count(r.id));
  by_id_[r.id] = &r;
  r.errors = 0;
  r.last_query = now;
  if (r.tries_left) --r.tries_left;
  std::string q;
  if (!buildQuery(r.id, r.name, r.qtype, s_.payload, q)) return finish(r, Status::kOther, now);
  for (size_t i = 0; i < s_.nameservers.size(); ++i) {
    if (dead_[i]) continue;
    if (udp_[i]) {
      udp_[i]->push(q);
      continue;
    }
    auto t = std::make_unique<Tcp>(*this, r, i, q);
    if (t->start()) tcp_.push_back(std::move(t));
  }
}

void Resolver::onMessage(std::string_view msg, size_t ns, uint64_t now) {
  if (msg.size() < 2) return;
  auto it = by_id_.find(uint16_t(uint8_t(msg[0]) << 8 | uint8_t(msg[1])));
  if (it == by_id_.end()) return;  // late, or not ours
  Resolution& r = *it->second;
  Answer a;
  Verdict v = parseAnswer(msg, r.id, r.name, r.qtype, a);
  if (v == Verdict::kWrongId) return;
  Status st = Status::kOther;
  if (v == Verdict::kOk) {
    bool usable = false;
    for (const Record& rec : a.answers) usable |= rec.type == r.qtype;
    if (usable) {
      r.answer = std::move(a);
      r.answered_by = ns;
      return finish(r, Status::kValid, now);
    }
  } else if (v == Verdict::kNxDomain) {
    st = Status::kNx;
  } else if (v == Verdict::kRefused) {
    st = Status::kRefused;
  }
  if (++r.errors < size_t(std::count(dead_.begin(), dead_.end(), false))) return;  // others may still answer
  if (!r.fell_back && r.prefer != kTypeSrv) {
    // No address of the preferred family: ask for the other one now, as HAProxy does.
    r.fell_back = true;
    r.qtype = r.qtype == kTypeA ? kTypeAaaa : kTypeA;
    ++r.tries_left;
    return send(r, now);
  }
  if (r.tries_left == 0) finish(r, st, now);
}

void Resolver::finish(Resolution& r, Status st, uint64_t now) {
  by_id_.erase(r.id);
  r.id = 0;
  r.running = false;
  r.status = st;
  r.last_end = now;
  if (st == Status::kValid) r.last_valid = now;
  endTcp(r);
  if (r.done) r.done(r, now);
}

void Resolver::endTcp(const Resolution& r) {
  for (auto& t : tcp_)
    if (t->res == &r) t->end();
}

void Resolver::reap() {
  for (auto it = tcp_.begin(); it != tcp_.end();) {
    if ((*it)->over && !(*it)->tr.busy() && !(*it)->tr.open())
      it = tcp_.erase(it);
    else
      ++it;
  }
}

void Resolver::run(uint64_t now) {
  for (Resolution& r : res_) {
    if (!r.running) {
      if (!r.last_end || now >= r.last_end + s_.timeout_resolve) launch(r, now);
    } else if (now >= r.last_query + s_.timeout_retry) {
      if (r.tries_left)
        send(r, now);
      else
        finish(r, Status::kTimeout, now);
    }
  }
  reap();
}

uint64_t Resolver::nextWake() const {
  uint64_t at = ~0ull;
  for (const Resolution& r : res_)
    at = std::min(at, r.running ? r.last_query + s_.timeout_retry : r.last_end + s_.timeout_resolve);
  return at;
}

}  // namespace lbc::rt::dns
