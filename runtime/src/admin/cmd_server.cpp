// Servers and backends: `show servers state`, `show backend`, `set server ... state|weight`,
// `enable|disable server`, `get|set weight`. Changes go to the live Backend, so traffic follows
// at once (a server in maintenance gets no new connection).
#include <arpa/inet.h>

#include <charconv>
#include <ctime>

#include "admin/cli_proxy.h"
#include "admin/command.h"
#include "upstream/live.h"
#include "upstream/server_events.h"

namespace lbc::rt {
namespace {

// HAProxy's HCHK_STATUS_* and CHK_RES_* numbers (show servers state).
int checkStatusNumber(int8_t s) {
  switch (CheckStatus(s)) {
    case CheckStatus::SockErr:
      return 5;
    case CheckStatus::L4Ok:
      return 6;
    case CheckStatus::L4Timeout:
      return 7;
    case CheckStatus::L4Con:
      return 8;
    case CheckStatus::L7Timeout:
      return 12;
    case CheckStatus::L7Rsp:
      return 13;
    case CheckStatus::L7Ok:
      return 15;
    case CheckStatus::L7Sts:
      return 17;
    case CheckStatus::L6Ok:
      return 9;
    case CheckStatus::L6Timeout:
      return 10;
    case CheckStatus::L6Rsp:
      return 11;
    case CheckStatus::Checked:
      return 3;
  }
  return 1;
}

std::string addrText(const ServerState& s) {
  char b[INET6_ADDRSTRLEN] = "-";
  sockaddr_storage a;
  socklen_t len;
  s.loadAddr(a, len);
  if (a.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(a).sin_addr, b, sizeof b);
  else if (a.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6&>(a).sin6_addr, b, sizeof b);
  return b;
}

// HAProxy's agent check state bits: configured 2, enabled 4, agent 16, in progress 1.
std::string agentState(const ServerState& s) {
  if (!s.spec->agent.enabled) return "0";
  return std::to_string(22 + (s.agent_running.load() ? 1 : 0));
}

void serverStateLine(CliContext& ctx, const ProxySpec& p, int pxid, const ServerState& s) {
  const ServerSpec& sp = *s.spec;
  const bool checked = sp.check.enabled;
  const int8_t st = s.check_status.load();
  const int status = !checked ? 1 : st < 0 ? 1 : checkStatusNumber(st);
  const int result = !checked || st < 0 ? 0 : checkPassed(CheckStatus(st)) ? 3 : 2;
  const uint32_t health = checked && st < 0 ? sp.check.rise : s.check_health.load();
  const uint64_t since = uint64_t(time(nullptr)) - s.last_change_s.load();
  ctx.out += std::to_string(pxid) + " " + p.name + " " + std::to_string(sp.id) + " " + sp.name + " " +
             addrText(s) + " " + std::to_string(srvOpState(s)) + " " + std::to_string(srvAdminBits(s)) + " " +
             std::to_string(s.weight()) + " " + std::to_string(sp.weight) + " " + std::to_string(since) +
             " " + std::to_string(status) + " " + std::to_string(result) + " " + std::to_string(health) +
             " " +
             (!checked                            ? "0"
              : s.admin.load() == SrvAdmin::Maint ? "14"
                                                  : "6") +
             " " + agentState(s) + " 0 " + (sp.id_forced ? "1" : "0") + " " +
             (sp.dns.fqdn.empty() ? "-" : sp.dns.fqdn) + " " + std::to_string(sp.addr.port_lo) + " - 0 " +
             std::to_string(sp.check.port) + " - " + (sp.agent.has_addr ? sp.agent.addr.host : "-") + " " +
             std::to_string(sp.agent.port) + "\n";
}

void changeWeight(CliContext& ctx, Backend& be, ServerState& s, std::string_view arg) {
  if (const char* err = be.changeWeight(&s, arg)) ctx.out += err;
}

}  // namespace

ServerState* findServer(CliContext& ctx, std::string_view arg, Backend** out_be) {
  size_t slash = arg.find('/');
  if (slash == std::string_view::npos) {
    ctx.out += "Require 'backend/server'.\n";
    return nullptr;
  }
  Backend* be = findBackend(ctx, arg.substr(0, slash));
  if (!be) {
    ctx.out += "No such backend.\n";
    return nullptr;
  }
  for (auto& s : be->servers())
    if (s->spec->name == arg.substr(slash + 1)) {
      if (out_be) *out_be = be;
      return s.get();
    }
  ctx.out += "No such server.\n";
  return nullptr;
}

void cli_show_backend(CliContext& ctx, const std::vector<std::string>&) {
  ctx.out += "# name\n";
  for (const ProxySpec& p : ctx.gen->topo.proxies)
    if (p.backend) ctx.out += p.name + "\n";
}

void cli_show_servers_state(CliContext& ctx, const std::vector<std::string>& args) {
  const std::string* only = args.size() > 3 ? &args[3] : nullptr;
  if (only && !findBackend(ctx, *only)) {
    ctx.out += "Can't find backend.\n";
    return;
  }
  ctx.out +=
      "1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight "
      "srv_time_since_last_change srv_check_status srv_check_result srv_check_health srv_check_state "
      "srv_agent_state bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port "
      "srv_check_addr srv_agent_addr srv_agent_port\n";
  const GenerationView& v = viewOf(*ctx.gen);
  const auto& px = ctx.gen->topo.proxies;
  for (size_t i = 0; i < px.size(); ++i) {
    if (!px[i].backend || !v.backends[i] || (only && px[i].name != *only)) continue;
    for (auto& s : v.backends[i]->servers()) serverStateLine(ctx, px[i], proxyId(ctx, i), *s);
  }
}

void cli_get_weight(CliContext& ctx, const std::vector<std::string>& args) {
  ServerState* s = findServer(ctx, args.size() > 2 ? args[2] : "");
  if (s) ctx.out += std::to_string(s->weight()) + " (initial " + std::to_string(s->spec->weight) + ")\n";
}

void cli_set_weight(CliContext& ctx, const std::vector<std::string>& args) {
  Backend* be = nullptr;
  ServerState* s = findServer(ctx, args.size() > 2 ? args[2] : "", &be);
  if (!s) return;
  if (args.size() < 4) {
    ctx.out += "Require <weight>.\n";
    return;
  }
  changeWeight(ctx, *be, *s, args[3]);
}

void cli_disable_server(CliContext& ctx, const std::vector<std::string>& args) {
  Backend* be = nullptr;
  if (ServerState* s = findServer(ctx, args.size() > 2 ? args[2] : "", &be))
    be->setServerAdmin(s, SrvAdmin::Maint, s->weight());
}

void cli_enable_server(CliContext& ctx, const std::vector<std::string>& args) {
  Backend* be = nullptr;
  if (ServerState* s = findServer(ctx, args.size() > 2 ? args[2] : "", &be))
    be->setServerAdmin(s, SrvAdmin::Ready, s->weight());
}

void cli_set_server(CliContext& ctx, const std::vector<std::string>& args) {
  Backend* be = nullptr;
  ServerState* s = findServer(ctx, args.size() > 2 ? args[2] : "", &be);
  if (!s) return;
  const std::string what = args.size() > 3 ? args[3] : "";
  if (what == "state") {
    const std::string v = args.size() > 4 ? args[4] : "";
    if (v == "ready")
      be->setServerAdmin(s, SrvAdmin::Ready, s->weight());
    else if (v == "drain")
      be->setServerAdmin(s, SrvAdmin::Drain, s->weight());
    else if (v == "maint")
      be->setServerAdmin(s, SrvAdmin::Maint, s->weight());
    else
      ctx.out += "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n";
  } else if (what == "weight") {
    changeWeight(ctx, *be, *s, args.size() > 4 ? args[4] : "");
  } else {
    ctx.out +=
        "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | "
        "check-addr | check-port | fqdn | health | ssl | state | weight\n";
  }
}

}  // namespace lbc::rt
