// The log lines the stream layer writes itself: HAProxy's legacy "Connect from" line (a frontend
// logging without httplog/tcplog) when a session starts, and the `option tcplog` line when a
// TCP stream ends (HAProxy 2.6's default_tcp_log_format, http::formatTcpLog).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <ctime>

#include "lbc/rt/http.h"
#include "log/sink.h"
#include "stream/engine.h"

namespace lbc::rt {
namespace {

// The address's text and port; false for a non-IP address (a unix socket).
bool ipText(const sockaddr_storage& a, char (&ip)[INET6_ADDRSTRLEN], uint16_t& port) {
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    inet_ntop(AF_INET, &v4->sin_addr, ip, sizeof ip);
    port = ntohs(v4->sin_port);
    return true;
  }
  if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    inet_ntop(AF_INET6, &v6->sin6_addr, ip, sizeof ip);
    port = ntohs(v6->sin6_port);
    return true;
  }
  return false;
}

int64_t wallMs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

TermState stateOf(ConnState st) {
  switch (st) {
    case ConnState::Analysing:
      return TermState::kRequest;
    case ConnState::Queued:
      return TermState::kQueue;
    case ConnState::Connecting:
    case ConnState::TurnAround:
      return TermState::kConnect;
    case ConnState::Established:
      return TermState::kData;
    default:
      return TermState::kNone;
  }
}

}  // namespace

void Engine::endBy(Stream* c, TermCause cause) {
  if (!c->term.known()) c->term.set(cause, stateOf(c->st));
}

void Engine::logConnect(Stream* c) {
  const ProxySpec& fs = *c->cx->fe->spec;
  if (fs.logs.empty() || fs.httplog || fs.tcplog) return;
  sockaddr_storage dst{};
  c->cx->tr.localAddr(dst);
  char sip[INET6_ADDRSTRLEN] = "", dip[INET6_ADDRSTRLEN] = "";
  uint16_t sport = 0, dport = 0;
  std::string msg;
  if (ipText(c->cx->src, sip, sport) && ipText(dst, dip, dport))
    msg = http::formatConnectLog(sip, sport, dip, dport, fs.name, fs.mode == ProxyMode::Http);
  else  // HAProxy numbers the listener from 1 in its frontend
    msg = "Connect from unknown source to listener " + std::to_string(c->cx->bind + 1) + " (" + fs.name +
          (fs.mode == ProxyMode::Http ? "/HTTP)" : "/TCP)");
  log::emit(fs.logs, 6, log::kTargetFacility, msg);  // info
}

void Engine::writeTcpLog(Stream* c) {
  const ProxySpec& fs = *c->cx->fe->spec;
  if (fs.logs.empty() || !fs.tcplog || c->no_log) return;
  const uint64_t end = now(), acc = c->cx->accepted;
  http::LogFields f;
  char ip[INET6_ADDRSTRLEN] = "";
  ipText(c->cx->src, ip, f.clientPort);
  f.clientIp = ip;
  f.dateMs = wallMs() - int64_t(end - acc);
  f.frontend = fs.name;
  f.ssl = c->cx->tr.isTls();
  f.backend = c->be ? std::string_view(c->be->spec().name) : std::string_view(fs.name);
  if (c->srv && c->srv->spec) f.server = c->srv->spec->name;
  f.Tw = c->t_assigned ? int64_t(c->t_assigned - acc) : -1;
  f.Tc = c->t_est && c->t_assigned ? int64_t(c->t_est - c->t_assigned) : -1;
  f.Tt = int64_t(end - acc);
  f.bytesOut = c->bytes_out;
  f.term[0] = c->term.causeChar();
  f.term[1] = c->term.stateChar();
  f.ac = state_.global.cur.load(std::memory_order_relaxed);
  f.fc = c->cx->fe->limit.cur.load(std::memory_order_relaxed);
  if (c->be)
    for (const auto& s : c->be->servers()) f.bc += s->served.load(std::memory_order_relaxed);
  if (c->srv) {  // counted without this stream's own slot, given back right after
    f.sc = c->srv->served.load(std::memory_order_relaxed);
    f.sc -= f.sc > 0;
    f.bc -= f.bc > 0;
  }
  if (c->be) {
    f.rc = c->be->spec().retries - uint32_t(std::max<int32_t>(c->retries_left, 0));
    f.redispatched = c->redispatched;
  }
  const bool err = http::logIsError(f, false);
  if (!err && fs.dontlog_normal) return;
  log::emit(fs.logs, err && fs.log_separate_errors ? 3 : 6, log::kTargetFacility, http::formatTcpLog(f));
}

}  // namespace lbc::rt
