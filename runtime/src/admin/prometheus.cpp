// `http-request use-service prometheus-exporter`: HAProxy 2.6's exporter (its metric names, help
// lines, types and labels), fed by `show stat`'s rows. A metric lbc keeps no counter for is left
// out, as HAProxy leaves out the fields it has no value for; `?scope=` selects the sections.
#include <unistd.h>

#include <cstdio>
#include <ctime>

#include "admin/stat_rows.h"
#include "admin/stats_page.h"
#include "http1/service.h"

namespace lbc::rt {
namespace {

enum Kind : uint8_t { kFe = 1, kBe = 2, kSrv = 4 };

struct Metric {
  uint8_t kinds;
  const char* column;  // show stat's
  const char* name;    // after haproxy_<section>_
  const char* type;
  const char* help;
};

// In show stat's column order, as HAProxy's exporter walks its fields.
constexpr Metric kMetrics[] = {
    {kBe | kSrv, "qcur", "current_queue", "gauge", "Number of current queued connections"},
    {kFe | kBe | kSrv, "scur", "current_sessions", "gauge",
     "Number of current sessions on the frontend, backend or server"},
    {kFe | kSrv, "smax", "max_sessions", "gauge",
     "Highest value of current sessions encountered since process started"},
    {kFe | kBe, "slim", "limit_sessions", "gauge", "Frontend/listener/server's maxconn, backend's fullconn"},
    {kFe | kBe | kSrv, "stot", "sessions_total", "counter", "Total number of sessions since process started"},
    {kFe | kBe | kSrv, "status", "status", "gauge", "Current status of the service, per state label value."},
    {kBe | kSrv, "weight", "weight", "gauge",
     "Server's effective weight, or sum of active servers' effective weights for a backend"},
    {kBe, "act", "active_servers", "gauge", "Total number of active UP servers with a non-zero weight"},
    {kBe, "bck", "backup_servers", "gauge", "Total number of backup UP servers with a non-zero weight"},
    {kBe | kSrv, "lastchg", "check_last_change_seconds", "gauge",
     "How long ago the last server state changed, in seconds"},
    {kBe | kSrv, "lbtot", "loadbalanced_total", "counter",
     "Total number of requests routed by load balancing since the worker process started (ignores queue pop "
     "and "
     "stickiness)"},
    {kSrv, "check_status", "check_status", "gauge", "Status of last health check, per state label value."},
    {kSrv, "check_code", "check_code", "gauge", "layer5-7 code, if available of the last health check."},
    {kSrv, "check_duration", "check_duration_seconds", "gauge",
     "Total duration of the latest server health check, in seconds."},
    {kFe, "conn_tot", "connections_total", "counter",
     "Total number of new connections accepted on this frontend since the worker process started"},
    {kBe | kSrv, "uweight", "uweight", "gauge",
     "Server's user weight, or sum of active servers' user weights for a backend"},
};

constexpr const char* kCheckStates[] = {"HANA",   "SOCKERR", "L4OK",     "L4TOUT", "L4CON", "L6OK",
                                        "L6TOUT", "L6RSP",   "L7TOUT",   "L7RSP",  "L7OK",  "L7OKC",
                                        "L7STS",  "PROCERR", "PROCTOUT", "PROCOK"};

void header(std::string& o, const std::string& name, const char* type, const char* help) {
  o += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

void process(std::string& o, const CliContext& ctx) {
  const uint64_t start = statsStartTime(), now = uint64_t(time(nullptr));
  const struct {
    const char* name;
    const char* help;
    uint64_t v;
  } kProcess[] = {
      {"nbthread", "Number of started threads (global.nbthread)",
       std::max<uint32_t>(1, ctx.global->nbthread)},
      {"nbproc", "Number of started worker processes (historical, always 1)", 1},
      {"relative_process_id", "Relative worker process number (1)", 1},
      {"uptime_seconds", "How long ago this worker process was started (seconds)", now - start},
      {"start_time_seconds", "Start time in seconds", start},
      {"max_connections",
       "Hard limit on the number of per-process connections (configured or imposed by Ulimit-n)",
       ctx.global->maxconn},
  };
  for (const auto& m : kProcess) {
    const std::string n = std::string("haproxy_process_") + m.name;
    header(o, n, "gauge", m.help);
    o += n + " " + std::to_string(m.v) + "\n";
  }
}

std::string labels(const StatRow& r) {
  std::string l = "proxy=\"" + r["pxname"] + "\"";
  if (r.kind == 'S') l += ",server=\"" + r["svname"] + "\"";
  return l;
}

// One metric's lines for a row (nothing when the row has no value for it).
void sample(std::string& o, const std::string& name, const Metric& m, const StatRow& r) {
  const std::string& v = r[m.column];
  if (v.empty()) return;
  const std::string lb = labels(r);
  const std::string col = m.column;
  if (col == "status") {
    const std::string st = v == "OPEN" || v == "no check" ? "UP" : v;
    const char* states[] = {"DOWN", "UP", "MAINT", "DRAIN", "NOLB"};
    for (size_t i = 0; i < (r.kind == 'S' ? 5u : 2u); ++i)
      o += name + "{" + lb + ",state=\"" + states[i] + "\"} " + (st == states[i] ? "1" : "0") + "\n";
  } else if (col == "check_status") {
    for (const char* s : kCheckStates)
      o += name + "{" + lb + ",state=\"" + s + "\"} " + (v == s ? "1" : "0") + "\n";
  } else if (col == "check_duration") {
    char b[32];
    snprintf(b, sizeof b, "%f", double(std::stoull(v)) / 1000.0);
    o += name + "{" + lb + "} " + b + "\n";
  } else {
    o += name + "{" + lb + "} " + v + "\n";
  }
}

// `?scope=global|frontend|backend|server` (repeated): which sections; all without one.
uint8_t scopes(std::string_view uri, bool& global) {
  size_t q = uri.find('?');
  if (q == std::string_view::npos) return global = true, kFe | kBe | kSrv;
  uint8_t k = 0;
  bool any = false;
  global = false;
  std::string_view qs = uri.substr(q + 1);
  while (!qs.empty()) {
    size_t amp = qs.find('&');
    std::string_view p = qs.substr(0, amp);
    if (p.starts_with("scope=")) {
      any = true;
      std::string_view s = p.substr(6);
      if (s == "global" || s == "*") global = true;
      if (s == "frontend" || s == "*") k |= kFe;
      if (s == "backend" || s == "*") k |= kBe;
      if (s == "server" || s == "*") k |= kSrv;
    }
    qs = amp == std::string_view::npos ? std::string_view() : qs.substr(amp + 1);
  }
  if (!any) return global = true, kFe | kBe | kSrv;
  return k;
}

ServiceReply servePrometheus(const ServiceRequest& rq) {
  CliContext ctx;
  ctx.gen = &rq.gen;
  ctx.global = &rq.gen.topo.global;
  ctx.start_wall_s = statsStartTime();
  bool global = true;
  const uint8_t kinds = scopes(rq.txn.uri, global);
  std::string body;
  if (global) process(body, ctx);
  const std::vector<StatRow> rows = statRows(ctx);
  for (const auto [kind, section] : {std::pair{kFe, "frontend"}, {kBe, "backend"}, {kSrv, "server"}}) {
    if (!(kinds & kind)) continue;
    const char letter = kind == kFe ? 'F' : kind == kBe ? 'B' : 'S';
    for (const Metric& m : kMetrics) {
      if (!(m.kinds & kind)) continue;
      const std::string name = std::string("haproxy_") + section + "_" + m.name;
      std::string lines;
      for (const StatRow& r : rows)
        if (r.kind == letter) sample(lines, name, m, r);
      if (lines.empty()) continue;
      header(body, name, m.type, m.help);
      body += lines;
    }
  }
  ServiceReply r;
  r.bytes = "HTTP/1.1 200 OK\r\ncontent-length: " + std::to_string(body.size()) +
            "\r\ncache-control: no-cache\r\ncontent-type: text/plain; version=0.0.4\r\n\r\n";
  if (rq.txn.method != "HEAD") r.bytes += body;
  return r;
}

}  // namespace

void registerPrometheus() {
  registerService(Service::Prometheus, &servePrometheus);
}

}  // namespace lbc::rt
