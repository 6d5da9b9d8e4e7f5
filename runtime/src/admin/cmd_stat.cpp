// `show stat [typed]`: HAProxy 2.6's CSV, every column in its order, one line per frontend,
// server and backend. A row has the columns HAProxy fills for its kind (the others stay empty);
// lbc fills what it counts (sessions, status, weights, checks) and writes 0 for counters it
// does not keep yet (bytes, HTTP responses, errors, timings).
#include <arpa/inet.h>

#include <ctime>
#include <map>

#include "admin/cli_proxy.h"
#include "admin/command.h"
#include "admin/stat_rows.h"
#include "upstream/server_events.h"

namespace lbc::rt {
namespace {

constexpr const char* kHeader =
    "pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,"
    "weight,"
    "act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,"
    "rate_max,check_status,check_code,check_duration,hrsp_1xx,hrsp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,"
    "hanafail,req_rate,req_rate_max,req_tot,cli_abrt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,"
    "last_chk,last_agt,qtime,ctime,rtime,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,"
    "check_rise,check_fall,check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,"
    "conn_rate_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,"
    "src_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn_cur,"
    "need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ssl_sess,"
    "ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,h2_rst_stream_rcvd,"
    "h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protocol_errors,h2_rst_stream_resp,"
    "h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2_total_connections,"
    "h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_connections,h1_total_streams,"
    "h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_out,";

// The columns each kind of row has in HAProxy 2.6 (filled with 0 unless set).
constexpr const char* kMux =
    " - ssl_sess ssl_reused_sess ssl_failed_handshake h2_headers_rcvd h2_data_rcvd h2_settings_rcvd "
    "h2_rst_stream_rcvd h2_goaway_rcvd h2_detected_conn_protocol_errors h2_detected_strm_protocol_errors "
    "h2_rst_stream_resp h2_goaway_resp h2_open_connections h2_backend_open_streams h2_total_connections "
    "h2_backend_total_streams h1_open_connections h1_open_streams h1_total_connections h1_total_streams "
    "h1_bytes_in h1_bytes_out h1_spliced_bytes_in h1_spliced_bytes_out";
constexpr const char* kHttpCodes = " hrsp_1xx hrsp_2xx hrsp_3xx hrsp_4xx hrsp_5xx hrsp_other";
constexpr const char* kFrontend =
    "pxname svname scur smax slim stot bin bout dreq dresp ereq status pid iid sid type rate rate_lim "
    "rate_max req_rate req_rate_max req_tot comp_in comp_out comp_byp comp_rsp mode conn_rate conn_rate_max "
    "conn_tot dcon dses wrew eint";
constexpr const char* kFrontendHttp = " intercepted cache_lookups cache_hits";
constexpr const char* kServer =
    "pxname svname qcur qmax scur smax stot bin bout dresp econ eresp wretr wredis status weight act bck "
    "lastchg pid iid sid lbtot type rate rate_max cli_abrt srv_abrt lastsess qtime ctime rtime ttime addr "
    "mode wrew connect reuse srv_icur qtime_max ctime_max rtime_max ttime_max eint idle_conn_cur "
    "safe_conn_cur used_conn_cur need_conn_est uweight - ssl_sess ssl_reused_sess ssl_failed_handshake";
constexpr const char* kServerCheck =
    " chkfail chkdown downtime check_status check_duration last_chk check_desc check_rise check_fall "
    "check_health";
constexpr const char* kBackend =
    "pxname svname qcur qmax scur smax slim stot bin bout dreq dresp econ eresp wretr wredis status weight "
    "act bck chkdown lastchg downtime pid iid sid lbtot type rate rate_max cli_abrt srv_abrt comp_in "
    "comp_out comp_byp comp_rsp lastsess qtime ctime rtime ttime mode algo wrew connect reuse qtime_max "
    "ctime_max rtime_max ttime_max eint uweight agg_server_status agg_server_check_status agg_check_status";
constexpr const char* kHttpBackendExtra = " req_tot cache_lookups cache_hits";

const std::vector<std::string>& columns() {
  static const std::vector<std::string> cols = [] {
    std::vector<std::string> c;
    std::string_view h(kHeader);
    while (!h.empty()) {
      size_t comma = h.find(',');
      c.emplace_back(h.substr(0, comma));
      h.remove_prefix(comma + 1);
    }
    return c;
  }();
  return cols;
}

size_t columnOf(std::string_view name) {
  static const std::map<std::string, size_t, std::less<>> idx = [] {
    std::map<std::string, size_t, std::less<>> m;
    for (size_t i = 0; i < columns().size(); ++i) m[columns()[i]] = i;
    return m;
  }();
  auto it = idx.find(name);
  return it == idx.end() ? columns().size() : it->second;
}

class Row {
 public:
  Row() : v_(columns().size()) {}
  // Marks the space-separated columns as present (0 until set).
  void has(std::string_view names) {
    while (!names.empty()) {
      size_t sp = names.find(' ');
      std::string_view n = names.substr(0, sp);
      if (!n.empty()) set(n, n == "-" ? "-" : "0");  // "-" separates the modules' columns
      names = sp == std::string_view::npos ? std::string_view() : names.substr(sp + 1);
    }
  }
  void set(std::string_view name, std::string value) {
    size_t i = columnOf(name);
    if (i < v_.size()) v_[i] = std::move(value);
  }
  void set(std::string_view name, uint64_t value) { set(name, std::to_string(value)); }
  const std::vector<std::string>& values() const { return v_; }

 private:
  std::vector<std::string> v_;
};

const char* checkName(int8_t s) {
  switch (CheckStatus(s)) {
    case CheckStatus::SockErr:
      return "SOCKERR";
    case CheckStatus::L4Ok:
      return "L4OK";
    case CheckStatus::L4Timeout:
      return "L4TOUT";
    case CheckStatus::L4Con:
      return "L4CON";
    case CheckStatus::L7Timeout:
      return "L7TOUT";
    case CheckStatus::L7Rsp:
      return "L7RSP";
    case CheckStatus::L7Ok:
      return "L7OK";
    case CheckStatus::L7Sts:
      return "L7STS";
    case CheckStatus::L6Ok:
      return "L6OK";
    case CheckStatus::L6Timeout:
      return "L6TOUT";
    case CheckStatus::L6Rsp:
      return "L6RSP";
    case CheckStatus::Checked:
      return "CHECKED";
  }
  return "UNK";
}

const char* algoName(BalanceAlgo a) {
  switch (a) {
    case BalanceAlgo::RoundRobin:
      return "roundrobin";
    case BalanceAlgo::StaticRr:
      return "static-rr";
    case BalanceAlgo::LeastConn:
      return "leastconn";
    case BalanceAlgo::First:
      return "first";
    case BalanceAlgo::Source:
      return "source";
    case BalanceAlgo::Random:
      return "random";
    case BalanceAlgo::Uri:
      return "uri";
    case BalanceAlgo::UrlParam:
      return "url_param";
    case BalanceAlgo::Hdr:
      return "hdr";
  }
  return "";
}

std::string serverAddr(const ServerState& srv) {
  char b[INET6_ADDRSTRLEN] = "";
  uint16_t port = 0;
  struct {
    sockaddr_storage addr;
    socklen_t len;
  } s;
  srv.loadAddr(s.addr, s.len);
  if (s.addr.ss_family == AF_INET) {
    const auto& a = reinterpret_cast<const sockaddr_in&>(s.addr);
    inet_ntop(AF_INET, &a.sin_addr, b, sizeof b);
    port = ntohs(a.sin_port);
    return std::string(b) + ":" + std::to_string(port);
  }
  if (s.addr.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(s.addr);
    inet_ntop(AF_INET6, &a.sin6_addr, b, sizeof b);
    return "[" + std::string(b) + "]:" + std::to_string(ntohs(a.sin6_port));
  }
  return "";
}

const char* modeName(const ProxySpec& p) {
  return p.mode == ProxyMode::Http ? "http" : "tcp";
}

Row frontendRow(const CliContext& ctx, size_t i, const Frontend& fe) {
  const ProxySpec& p = ctx.gen->topo.proxies[i];
  const bool http = p.mode == ProxyMode::Http;
  Row r;
  r.has(kFrontend);
  r.has(kMux);
  if (http) r.has(kFrontendHttp), r.has(kHttpCodes);
  r.set("pxname", p.name);
  r.set("svname", "FRONTEND");
  r.set("scur", fe.limit.cur.load());
  r.set("smax", fe.live->max_conn.load());
  r.set("slim", fe.limit.max);
  r.set("stot", fe.live->cum_conn.load());
  r.set("conn_tot", fe.live->cum_conn.load());
  r.set("status", "OPEN");
  r.set("pid", 1);
  r.set("iid", uint64_t(proxyId(ctx, i)));
  r.set("mode", modeName(p));
  return r;
}

// HAProxy's server status with an agent: "DRAIN (agent)" for any drain, "DOWN (agent)" when the
// agent took it down, "DOWN n/rise" while its health check rises.
std::string agentStatus(const ServerState& s) {
  const ServerSpec& sp = *s.spec;
  if (s.up.load()) {
    if (s.admin.load() == SrvAdmin::Drain) return "DRAIN (agent)";
    return sp.check.enabled ? "UP" : "no check";
  }
  if (s.agent_health.load() == 0) return "DOWN (agent)";
  const uint32_t h = s.check_health.load();
  if (!sp.check.enabled || h == 0) return "DOWN";
  return "DOWN " + std::to_string(h) + "/" + std::to_string(sp.check.rise);
}

Row serverRow(const CliContext& ctx, size_t i, const ServerState& s) {
  const ProxySpec& p = ctx.gen->topo.proxies[i];
  const ServerSpec& sp = *s.spec;
  const bool checked = sp.check.enabled;
  const uint64_t now_s = uint64_t(time(nullptr));
  Row r;
  r.has(kServer);
  if (p.mode == ProxyMode::Http) r.has(kHttpCodes), r.has("req_tot");
  const int8_t st = s.check_status.load();
  if (checked) r.has(kServerCheck);
  r.set("pxname", p.name);
  r.set("svname", sp.name);
  r.set("qcur", s.queue.length);
  r.set("scur", s.served.load());
  r.set("smax", s.max_sess.load());
  r.set("stot", s.cum_sess.load());
  r.set("lbtot", s.cum_sess.load());
  const SrvAdmin admin = s.admin.load();
  r.set("status", admin == SrvAdmin::Maint   ? "MAINT"
                  : sp.agent.enabled         ? agentStatus(s)
                  : admin == SrvAdmin::Drain ? "DRAIN"
                  : !checked                 ? "no check"
                  : s.up.load()              ? "UP"
                                             : "DOWN");
  r.set("weight", s.weight());
  r.set("uweight", s.weight());
  r.set("act", sp.backup ? 0 : 1);
  r.set("bck", sp.backup ? 1 : 0);
  r.set("lastchg", now_s - s.last_change_s.load());
  r.set("pid", 1);
  r.set("iid", uint64_t(proxyId(ctx, i)));
  r.set("sid", uint64_t(sp.id));
  r.set("type", 2);
  r.set("lastsess", s.cum_sess.load() ? "0" : "-1");
  r.set("addr", ctx.legends ? serverAddr(s) : std::string());
  r.set("mode", modeName(p));
  if (checked && admin == SrvAdmin::Maint) {
    // HAProxy leaves a server's check columns empty while it is in maintenance.
    for (const char* c : {"check_status", "check_code", "check_duration", "check_desc", "check_rise",
                          "check_fall", "check_health", "last_chk"})
      r.set(c, "");
  } else if (checked) {
    r.set("check_status", st < 0 ? "INI" : checkName(st));
    if (st >= 0) {
      if (CheckStatus(st) == CheckStatus::L7Ok || CheckStatus(st) == CheckStatus::L7Sts) {
        r.set("check_code", std::to_string(s.check_code.load()));
      }
      r.set("check_duration", std::to_string(std::max(0, s.check_duration.load())));
      r.set("check_desc", checkStatusText(CheckStatus(st)));
    } else {
      r.set("check_desc", "Initializing");
      r.set("check_duration", "");
    }
    r.set("last_chk", st < 0 ? std::string() : s.checkInfo());  // HAProxy's check desc
    r.set("check_rise", sp.check.rise);
    r.set("check_fall", sp.check.fall);
    r.set("check_health", st < 0 ? sp.check.rise : s.check_health.load());
  }
  if (sp.agent.enabled) {
    const int8_t ag = s.agent_status.load();
    const bool running = s.agent_running.load();
    std::string st = ag < 0 ? "INI" : checkName(ag);
    r.set("agent_status", running ? "* " + st : st);
    if (ag >= 0 && (CheckStatus(ag) == CheckStatus::L7Ok || CheckStatus(ag) == CheckStatus::L7Sts))
      r.set("agent_code", std::to_string(s.agent_code.load()));
    if (ag >= 0) r.set("agent_duration", std::to_string(std::max(0, s.agent_duration.load())));
    r.set("agent_desc", ag < 0 ? "Initializing" : checkStatusText(CheckStatus(ag)));
    {
      std::lock_guard<std::mutex> g(s.agent_mu);
      r.set("last_agt", s.agent_desc);
    }
    r.set("agent_rise", 1);
    r.set("agent_fall", 1);
    r.set("agent_health", s.agent_health.load());
  }
  return r;
}

uint32_t backendSlim(const CliContext& ctx, size_t i) {
  // HAProxy's default fullconn: 10% of the maxconn of the frontends that lead to the backend.
  const auto& px = ctx.gen->topo.proxies;
  const GenerationView& v = viewOf(*ctx.gen);
  uint64_t sum = 0;
  for (size_t f = 0; f < px.size(); ++f)
    if (px[f].frontend && v.frontends[f] && (px[f].backend_index == i || f == i))
      sum += v.frontends[f]->limit.max;
  return uint32_t(std::max<uint64_t>(1, sum / 10));
}

Row backendRow(const CliContext& ctx, size_t i, Backend& be) {
  const ProxySpec& p = ctx.gen->topo.proxies[i];
  Row r;
  r.has(kBackend);
  r.has(kMux);
  if (p.mode == ProxyMode::Http) r.has(kHttpCodes), r.has(kHttpBackendExtra);
  uint64_t scur = 0, stot = 0, qcur = be.waiting();
  uint32_t act = 0, bck = 0, wact = 0, wbck = 0;
  uint64_t last = 0;
  for (auto& s : be.servers()) {
    scur += s->served.load();
    stot += s->cum_sess.load();
    last = std::max(last, s->last_change_s.load());
    if (!s->usable()) continue;
    (s->spec->backup ? bck : act) += 1;
    (s->spec->backup ? wbck : wact) += s->weight();
  }
  r.set("pxname", p.name);
  r.set("svname", "BACKEND");
  r.set("qcur", qcur);
  r.set("scur", scur);
  r.set("slim", backendSlim(ctx, i));
  r.set("stot", stot);
  r.set("lbtot", stot);
  // HAProxy: a backend without servers (a stats-only listen) is UP and counts no downtime.
  const bool none = be.servers().empty();
  r.set("status", act + bck || none ? "UP" : "DOWN");
  r.set("weight", act ? wact : wbck);
  r.set("uweight", act ? wact : wbck);
  r.set("act", act);
  r.set("bck", bck);
  if (none) last = ctx.start_wall_s;  // since the start
  r.set("lastchg", uint64_t(time(nullptr)) - last);
  if (none) r.set("downtime", "");
  r.set("pid", 1);
  r.set("iid", uint64_t(proxyId(ctx, i)));
  r.set("type", 1);
  r.set("lastsess", stot ? "0" : "-1");
  r.set("mode", modeName(p));
  r.set("algo", ctx.legends ? algoName(p.balance) : "");
  return r;
}

void emitCsv(CliContext& ctx, const std::vector<std::string>& vals) {
  for (const std::string& v : vals) ctx.out += v + ",";
  ctx.out += "\n";
}

// `typed`: one line per non-empty field, "F.iid.0.pos.name.1:tags:type:value" (tags and types
// simplified: lbc reports every field as a 64-bit metric except text).
void emitTyped(CliContext& ctx, const std::vector<std::string>& vals, char kind, size_t iid, uint64_t sid) {
  for (size_t c = 0; c < vals.size(); ++c) {
    if (vals[c].empty() || columns()[c] == "-") continue;
    bool num = !vals[c].empty() && vals[c].find_first_not_of("0123456789-") == std::string::npos;
    ctx.out += std::string(1, kind) + "." + std::to_string(iid) + "." + std::to_string(sid) + "." +
               std::to_string(c) + "." + columns()[c] + ".1:" + (num ? "MCP:u64:" : "KNS:str:") + vals[c] +
               "\n";
  }
}

std::string jsonString(std::string_view s) {
  std::string o = "\"";
  for (char ch : s) {
    if (ch == '"' || ch == '\\') o += '\\';
    o += ch;
  }
  return o + "\"";
}

// `json`: HAProxy's array of rows, each an array of its non-empty fields (tags simplified as in
// `typed`).
void emitJson(CliContext& ctx, const StatRow& r, bool first) {
  const char* obj = r.kind == 'F' ? "Frontend" : r.kind == 'B' ? "Backend" : "Server";
  ctx.out += first ? "[" : ",";
  bool any = false;
  for (size_t c = 0; c < r.values.size(); ++c) {
    const std::string& v = r.values[c];
    if (v.empty() || columns()[c] == "-") continue;
    const bool num = v.find_first_not_of("0123456789") == std::string::npos;
    const bool key = c < 2;
    ctx.out += std::string(any ? "," : "[") + "{\"objType\":\"" + obj +
               "\",\"proxyId\":" + std::to_string(r.iid) + ",\"id\":" + std::to_string(r.sid) +
               ",\"field\":{\"pos\":" + std::to_string(c) + ",\"name\":" + jsonString(columns()[c]) +
               "},\"processNum\":1,\"tags\":{\"origin\":\"" +
               (key   ? "Key"
                : num ? "Metric"
                      : "Status") +
               "\",\"nature\":\"" +
               (key   ? "Name"
                : num ? "Counter"
                      : "Output") +
               "\",\"scope\":\"" + (key ? "Service" : "Process") + "\"},\"value\":{\"type\":\"" +
               (num ? "u64" : "str") + "\",\"value\":" + (num ? v : jsonString(v)) + "}}";
    any = true;
  }
  ctx.out += any ? "]" : "[]";
}

bool inScope(const CliContext& ctx, const std::string& name) {
  if (!ctx.scope || ctx.scope->empty()) return true;
  for (const std::string& s : *ctx.scope)
    if (s == name) return true;
  return false;
}

}  // namespace

const std::vector<std::string>& statColumns() {
  return columns();
}

size_t statColumn(std::string_view name) {
  return columnOf(name);
}

std::vector<StatRow> statRows(const CliContext& ctx) {
  std::vector<StatRow> rows;
  const GenerationView& v = viewOf(*ctx.gen);
  const auto& px = ctx.gen->topo.proxies;
  for (size_t i = 0; i < px.size(); ++i) {
    if (!inScope(ctx, px[i].name)) continue;
    const size_t iid = size_t(proxyId(ctx, i));
    auto add = [&](const Row& r, char kind, uint64_t sid) {
      rows.push_back({kind, i, iid, sid, r.values()});
    };
    if (px[i].frontend && v.frontends[i]) add(frontendRow(ctx, i, *v.frontends[i]), 'F', 0);
    if (px[i].backend && v.backends[i]) {
      for (auto& s : v.backends[i]->servers()) add(serverRow(ctx, i, *s), 'S', uint64_t(s->spec->id));
      add(backendRow(ctx, i, *v.backends[i]), 'B', 0);
    }
  }
  return rows;
}

void cli_show_stat(CliContext& ctx, const std::vector<std::string>& args) {
  bool typed = false, json = false;
  for (size_t i = 2; i < args.size(); ++i) typed |= args[i] == "typed", json |= args[i] == "json";
  if (!typed && !json) ctx.out += std::string("# ") + kHeader + "\n";
  const std::vector<StatRow> rows = statRows(ctx);
  for (size_t i = 0; i < rows.size(); ++i) {
    const StatRow& r = rows[i];
    if (json)
      emitJson(ctx, r, i == 0);
    else if (typed)
      emitTyped(ctx, r.values, r.kind, r.iid, r.sid);
    else
      emitCsv(ctx, r.values);
  }
  if (json) ctx.out += rows.empty() ? "[]\n" : "]\n";
}

}  // namespace lbc::rt
