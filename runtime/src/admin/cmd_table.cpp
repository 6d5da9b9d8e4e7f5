// `show table [name]`: HAProxy 2.6's stick table dump. Without a name, one summary line per
// table; with one, the summary and every live entry in key order (HAProxy walks its tree), with
// the remaining time, the server id and the server's name (`server_key`). A `user` socket sees
// the summary only.
#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "admin/cli_proxy.h"
#include "admin/command.h"
#include "state/stick_table.h"

namespace lbc::rt {
namespace {

const char* typeName(StickKeyType t) {
  switch (t) {
    case StickKeyType::Ip:
      return "ip";
    case StickKeyType::Ipv6:
      return "ipv6";
    case StickKeyType::Integer:
      return "integer";
    case StickKeyType::String:
      return "string";
    case StickKeyType::Binary:
      return "binary";
  }
  return "";
}

std::string keyText(StickKeyType t, const std::string& k) {
  char b[INET6_ADDRSTRLEN] = "";
  switch (t) {
    case StickKeyType::Ip:
      if (k.size() == 4) inet_ntop(AF_INET, k.data(), b, sizeof b);
      return b;
    case StickKeyType::Ipv6:
      if (k.size() == 16) inet_ntop(AF_INET6, k.data(), b, sizeof b);
      return b;
    case StickKeyType::Integer: {
      uint32_t v = 0;
      std::memcpy(&v, k.data(), std::min<size_t>(4, k.size()));
      return std::to_string(v);
    }
    case StickKeyType::String:
      return std::string(k.c_str());  // up to the first NUL, as HAProxy prints it
    case StickKeyType::Binary: {
      std::string o;
      for (unsigned char c : k) {
        snprintf(b, sizeof b, "%02X", c);
        o += b;
      }
      return o;
    }
  }
  return k;
}

void summary(CliContext& ctx, const std::string& name, const StickTable& t) {
  ctx.out += "# table: " + name + ", type: " + typeName(t.spec().type) +
             ", size:" + std::to_string(t.spec().size) + ", used:" + std::to_string(t.entries()) + "\n";
}

void dump(CliContext& ctx, size_t proxy, StickTable& t) {
  std::vector<StickTable::EntryView> es = t.snapshot(ctx.now_ms);
  std::sort(es.begin(), es.end(), [](const auto& a, const auto& b) { return a.key < b.key; });
  // The entry's address in HAProxy; lbc prints a stable identifier of the same shape.
  uintptr_t base = reinterpret_cast<uintptr_t>(&t);
  Backend* be = viewOf(*ctx.gen).backends[proxy];
  for (size_t i = 0; i < es.size(); ++i) {
    const auto& e = es[i];
    char addr[32];
    snprintf(addr, sizeof addr, "%#llx", static_cast<unsigned long long>(base + i * 64));
    ctx.out += std::string(addr) + ": key=" + keyText(t.spec().type, e.key) +
               " use=0 exp=" + std::to_string(e.expires ? e.expires - ctx.now_ms : 0) +
               " server_id=" + std::to_string(e.server_id);
    // server_key: the name of the server with that id in the table's own proxy, when it is a
    // backend (HAProxy stores the name it stuck to).
    if (ServerState* s = be ? be->serverById(e.server_id) : nullptr)
      ctx.out += " server_key=" + s->spec->name;
    ctx.out += "\n";
  }
}

}  // namespace

void cli_show_table(CliContext& ctx, const std::vector<std::string>& args) {
  const GenerationView& v = viewOf(*ctx.gen);
  const auto& px = ctx.gen->topo.proxies;
  const std::string* only = args.size() > 2 ? &args[2] : nullptr;
  bool found = false;
  for (size_t i = 0; i < px.size(); ++i) {
    if (!v.tables[i] || (only && px[i].name != *only)) continue;
    found = true;
    summary(ctx, px[i].name, *v.tables[i]);
    if (!only) continue;
    if (ctx.level < CliLevel::Operator)
      ctx.out += "# contents not dumped due to insufficient privileges\n";
    else
      dump(ctx, i, *v.tables[i]);
  }
  if (only && !found) ctx.out += "No such table\n";
}

}  // namespace lbc::rt
