// The stats page (`stats enable` ...), served by the HTTP session as an internal service
// (http1/service.h): authentication, the page's options in its URI, the admin form's POST
// (answered with HAProxy's 303 to `<uri>;st=<status>`), and the `;csv` / `;json` exports, which
// are `show stat`'s output (one implementation for the CLI and the page).
#include "admin/stats_page.h"

#include <ctime>

#include "admin/cli_proxy.h"
#include "admin/command.h"
#include "http1/service.h"

namespace lbc::rt {
namespace {

uint64_t g_start_wall_s = 0;

int b64(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::string base64Decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = b64(c);
    if (v < 0) break;  // '=' padding or the end
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

// `stats auth`: HTTP basic credentials equal to one of the user:password pairs.
bool authorized(const StatsPageSpec& sp, const Txn& x) {
  if (sp.auths.empty()) return true;
  for (const Header& h : x.req_headers) {
    if (!iequals(h.name, "authorization")) continue;
    std::string_view v = h.value;
    if (v.size() < 6 || !iequals(v.substr(0, 6), "basic ")) return false;
    v.remove_prefix(6);
    while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
    const std::string cred = base64Decode(v);
    for (const std::string& a : sp.auths)
      if (a == cred) return true;
    return false;
  }
  return false;
}

bool marked(const Txn& x, std::string_view name) {
  for (const Var& v : x.vars)
    if (v.scope == LBC_VAR_TXN && v.name == name) return true;
  return false;
}

bool adminAllowed(const StatsPageSpec& sp, const Txn& x) {
  return sp.admin && marked(x, "lbc_stats_admin");
}

// The first `stats http-request` rule whose condition held, or null.
const StatsRuleSpec* firstRule(const StatsPageSpec& sp, const Txn& x) {
  for (size_t k = 0; k < sp.rules.size(); ++k)
    if (marked(x, "lbc_stats_rule_" + std::to_string(k))) return &sp.rules[k];
  return nullptr;
}

std::string head(int status, const char* reason, std::string_view type, std::string_view extra, size_t len) {
  return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\ncontent-length: " + std::to_string(len) +
         "\r\ncache-control: no-cache\r\ncontent-type: " + std::string(type) + "\r\n" + std::string(extra) +
         "\r\n";
}

ServiceReply unauthorized(const std::string& realm) {
  static constexpr std::string_view kBody =
      "<html><body><h1>401 Unauthorized</h1>\nYou need a valid user and password to access this "
      "content.\n</body></html>\n";
  ServiceReply r;
  r.bytes = head(401, "Unauthorized", "text/html", "www-authenticate: Basic realm=\"" + realm + "\"\r\n",
                 kBody.size());
  r.bytes += kBody;
  return r;
}

// The form's fields, `application/x-www-form-urlencoded`.
std::string urlDecode(std::string_view s) {
  std::string o;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+') {
      o += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() + 0 && i + 2 <= s.size() - 1) {
      o += char(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
      i += 2;
    } else {
      o += s[i];
    }
  }
  return o;
}

// HAProxy's stats_process_http_post: `b` (the backend: `#<id>` or its name) and `action` (read
// first: they follow the servers in the form), then each `s`. The answer is a status word.
const char* applyPost(CliContext& ctx, std::string_view body) {
  std::vector<std::pair<std::string, std::string>> kv;
  while (!body.empty()) {
    size_t amp = body.find('&');
    std::string_view p = body.substr(0, amp);
    size_t eq = p.find('=');
    if (eq != std::string_view::npos)
      kv.emplace_back(urlDecode(p.substr(0, eq)), urlDecode(p.substr(eq + 1)));
    body = amp == std::string_view::npos ? std::string_view() : body.substr(amp + 1);
  }
  std::string backend, action;
  for (auto it = kv.rbegin(); it != kv.rend(); ++it) {
    if (it->first == "b" && backend.empty()) backend = it->second;
    if (it->first == "action" && action.empty()) action = it->second;
  }
  if (backend.starts_with("#")) {
    const auto& px = ctx.gen->topo.proxies;
    const std::string id = backend.substr(1);
    backend.clear();
    for (size_t i = 0; i < px.size(); ++i)
      if (px[i].backend && std::to_string(proxyId(ctx, i)) == id) backend = px[i].name;
  }
  const char* state = action == "ready"   ? "ready"
                      : action == "drain" ? "drain"
                      : action == "maint" ? "maint"
                                          : nullptr;
  size_t total = 0, done = 0;
  for (const auto& [k, v] : kv) {
    if (k != "s") continue;
    if (backend.empty() || action.empty()) return "ERRP";
    if (!state) return "ERRP";  // health/agent forcing and `shutdown` are not done by lbc yet
    ++total;
    ctx.out.clear();
    runCommand(ctx, {"set", "server", backend + "/" + v, "state", state});
    if (ctx.out.empty()) ++done;
  }
  if (!total) return "NONE";
  return done == total ? "DONE" : done ? "PART" : "ERRP";
}

ServiceReply redirect(const StatsPageSpec& sp, const char* st) {
  ServiceReply r;
  r.bytes = head(303, "See Other", "text/plain", "location: " + sp.uri + ";st=" + st + "\r\n", 0);
  return r;
}

ServiceReply serveStats(const ServiceRequest& rq) {
  const ProxySpec& ps = rq.gen.topo.proxies[rq.proxy];
  const StatsPageSpec& sp = ps.stats;
  const Txn& x = rq.txn;
  // `stats http-request` rules, or `stats auth`'s credentials (HAProxy refuses both together).
  const StatsRuleSpec* rule = firstRule(sp, x);
  if (rule && rule->kind == StatsRuleKind::Deny)
    return ServiceReply{std::string(rq.gen.pages[rq.proxy].page(403))};
  if (rule && rule->kind == StatsRuleKind::Auth)
    return unauthorized(rule->realm.empty() ? sp.realm : rule->realm);
  if (!rule && !authorized(sp, x)) return unauthorized(sp.realm);
  CliContext ctx;
  ctx.gen = &rq.gen;
  ctx.global = &rq.gen.topo.global;
  ctx.level = CliLevel::Admin;
  ctx.start_wall_s = g_start_wall_s;
  ctx.scope = &sp.scopes;
  ctx.legends = sp.show_legends;
  const bool admin = adminAllowed(sp, x);
  if (x.method == "POST") {
    if (!admin) return redirect(sp, "DENY");
    if (!rq.body_whole) return redirect(sp, "EXCD");
    return redirect(sp, applyPost(ctx, rq.body));
  }
  // The options after the prefix, as HAProxy's http_handle_stats reads them.
  StatsView view;
  std::string_view opts = std::string_view(x.uri).substr(sp.uri.size());
  view.csv = opts.find(";csv") != std::string_view::npos;
  view.json = opts.find(";json") != std::string_view::npos;
  view.up = opts.find(";up") != std::string_view::npos;
  view.no_maint = opts.find(";no-maint") != std::string_view::npos;
  view.norefresh = opts.find(";norefresh") != std::string_view::npos;
  if (size_t st = opts.find(";st="); st != std::string_view::npos)
    view.status = std::string(opts.substr(st + 4, 4));
  view.admin = admin;
  std::string body, type;
  if (view.csv || view.json) {
    runCommand(ctx, view.json ? std::vector<std::string>{"show", "stat", "json"}
                              : std::vector<std::string>{"show", "stat"});
    body = std::move(ctx.out);
    type = view.json ? "application/json" : "text/plain";
  } else {
    body = statsHtml(ctx, ps, view);
    type = "text/html";
  }
  std::string extra;
  if (sp.refresh_s && !view.norefresh) extra = "refresh: " + std::to_string(sp.refresh_s) + "\r\n";
  ServiceReply r;
  r.bytes = head(200, "OK", type, extra, body.size());
  if (x.method != "HEAD") r.bytes += body;
  return r;
}

}  // namespace

void registerStatsPage() {
  g_start_wall_s = uint64_t(time(nullptr));
  registerService(Service::Stats, &serveStats);
  registerPrometheus();
}

uint64_t statsStartTime() {
  return g_start_wall_s;
}

}  // namespace lbc::rt
