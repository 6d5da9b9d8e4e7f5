// `show table`, `clear table`, `set table`: HAProxy 2.6's stick table commands. Without a name,
// `show table` prints one summary line per table; with one, the summary and every live entry in
// key order (HAProxy walks its tree): its trackers (`use`), the remaining time, then each stored
// data type in HAProxy's order (a rate with its period). Filters: `data.<type> <op> <value>`
// (up to 4, all must hold) or `key <key>`. A `user` socket sees the summaries only and changes
// nothing.
#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "admin/cli_proxy.h"
#include "admin/command.h"
#include "state/stick_table.h"

namespace lbc::rt {
namespace {

enum class Action { Show, Clear, Set };

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

// A stored data type: kept by `store`, or server_id/server_key of a table `stick` rules use.
bool shown(const StickTable& t, StkData d) {
  if (d == StkData::ServerId || d == StkData::ServerKey) return t.spec().sticky || t.stores(d);
  return t.stores(d);
}

uint32_t periodOf(const StickTable& t, StkData d) {
  for (const StkStoreSpec& s : t.spec().store)
    if (s.type == d) return s.period_ms;
  return 0;
}

void entryLine(CliContext& ctx, Backend* be, const StickTable& t, const StickTable::EntryView& e, size_t i) {
  // The entry's address in HAProxy; lbc prints a stable identifier of the same shape.
  char addr[32];
  snprintf(addr, sizeof addr, "%#llx",
           static_cast<unsigned long long>(reinterpret_cast<uintptr_t>(&t) + i * 64));
  std::string& o = ctx.out;
  o += std::string(addr) + ": key=" + keyText(t.spec().type, e.key) + " use=" + std::to_string(e.ref) +
       " exp=" + std::to_string(e.expires > ctx.now_ms ? e.expires - ctx.now_ms : 0);
  for (uint32_t k = 0; k < kStkDataCount; ++k) {
    const StkData d = static_cast<StkData>(k);
    if (!shown(t, d)) continue;
    o += " ";
    o += stkDataName(d);
    if (stkDataIsRate(d)) o += "(" + std::to_string(periodOf(t, d)) + ")";
    o += "=";
    if (d == StkData::ServerId) {
      o += std::to_string(e.server_id);
    } else if (d == StkData::ServerKey) {
      // The name of the server with that id in the table's own proxy (HAProxy stores the name
      // it stuck to); "-" when there is none.
      ServerState* s = be && e.server_id ? be->serverById(e.server_id) : nullptr;
      o += s ? s->spec->name : "-";
    } else {
      o += std::to_string(e.data[k].value_or(0));
    }
  }
  o += "\n";
}

struct Filter {
  StkData type;
  int op;  // 0 eq, 1 ne, 2 le, 3 ge, 4 lt, 5 gt
  long long value;
};

bool holds(const Filter& f, uint64_t v) {
  const long long x = static_cast<long long>(v);
  switch (f.op) {
    case 0:
      return x == f.value;
    case 1:
      return x != f.value;
    case 2:
      return x <= f.value;
    case 3:
      return x >= f.value;
    case 4:
      return x < f.value;
    default:
      return x > f.value;
  }
}

bool parseInteger(const std::string& s, long long& v) {
  if (s.empty()) return false;
  char* end = nullptr;
  errno = 0;
  v = std::strtoll(s.c_str(), &end, 10);
  return errno == 0 && *end == 0;
}

// The entry key of `text` in table `t` (HAProxy's table_process_entry_per_key); an error line when
// it cannot be one.
std::string parseKey(const StickTable& t, const std::string& text, Action a, std::string& key) {
  lbc_smp smp{};
  switch (t.spec().type) {
    case StickKeyType::Ip:
      smp.type = LBC_SMP_IPV4;
      // inet_aton, as HAProxy's str2ip: "1.2.3" is 1.2.0.3.
      if (inet_aton(text.c_str(), reinterpret_cast<in_addr*>(smp.ip)) == 0) return "Invalid IPv4 address\n";
      break;
    case StickKeyType::Ipv6:
      smp.type = LBC_SMP_IPV6;
      if (inet_pton(AF_INET6, text.c_str(), smp.ip) <= 0) return "Invalid IPv6 address\n";
      break;
    case StickKeyType::Integer: {
      char* end = nullptr;
      errno = 0;
      unsigned long v = std::strtoul(text.c_str(), &end, 10);
      if (errno || end == text.c_str() || v > 0xffffffffUL) return "Invalid key\n";
      smp.type = LBC_SMP_SINT;
      smp.sint = static_cast<int64_t>(v);
      break;
    }
    case StickKeyType::String:
      smp.type = LBC_SMP_STR;
      smp.ptr = text.data();
      smp.len = text.size();
      break;
    case StickKeyType::Binary:
      return a == Action::Show
                 ? "Showing keys from tables of type other than ip, ipv6, string and integer is "
                   "not supported\n"
             : a == Action::Clear
                 ? "Removing keys from tables of type other than ip, ipv6, string and integer "
                   "is not supported\n"
                 : "Inserting keys into tables of type other than ip, ipv6, string and integer "
                   "is not supported\n";
  }
  if (!t.makeKey(smp, key)) return "Invalid key\n";
  return {};
}

// `... key <k> [data.<type> <v>]*`.
void perKey(CliContext& ctx, size_t proxy, StickTable& t, const std::vector<std::string>& args, Action a) {
  if (args.size() < 5 || args[4].empty()) {
    ctx.out += "Key value expected\n";
    return;
  }
  std::string key;
  std::string err = parseKey(t, args[4], a, key);
  if (!err.empty()) {
    ctx.out += err;
    return;
  }
  if (ctx.level < CliLevel::Operator) return;
  const std::string& name = ctx.gen->topo.proxies[proxy].name;
  if (a == Action::Show) {
    for (const auto& e : t.snapshot(ctx.now_ms))
      if (e.key == key) {
        summary(ctx, name, t);
        entryLine(ctx, viewOf(*ctx.gen).backends[proxy], t, e, 0);
      }
    return;
  }
  if (a == Action::Clear) {
    if (t.has(key, ctx.now_ms) && t.refs(key, ctx.now_ms)) {
      ctx.out += "Entry currently in use, cannot remove\n";
      return;
    }
    t.erase(key, ctx.now_ms);
    return;
  }
  StickTable::Entry* e = t.acquire(key, ctx.now_ms);
  if (!e) {
    ctx.out += "Unable to allocate a new entry\n";
    return;
  }
  for (size_t i = 5; i < args.size(); i += 2) {
    StkData d;
    long long v = 0;
    if (args[i].rfind("data.", 0) != 0) {
      ctx.out += "\"data.<type>\" followed by a value expected\n";
      break;
    }
    if (!stkDataFromName(std::string_view(args[i]).substr(5), d)) {
      ctx.out += "Unknown data type\n";
      break;
    }
    if (!shown(t, d) || d == StkData::ServerKey) {
      ctx.out += "Data type not stored in this table\n";
      break;
    }
    if (i + 1 >= args.size() || !parseInteger(args[i + 1], v)) {
      ctx.out += "Require a valid integer value to store\n";
      break;
    }
    t.set(e, d, static_cast<uint64_t>(v), ctx.now_ms);
  }
  t.release(e, ctx.now_ms);
}

// `data.<type> <op> <value>` filters from args[3]; false with an error line.
bool parseFilters(CliContext& ctx, const StickTable& t, const std::vector<std::string>& args, Action a,
                  std::vector<Filter>& out) {
  if (a == Action::Set) {
    ctx.out += "content-based lookup is only supported with the \"show\" and \"clear\" actions\n";
    return false;
  }
  static const char* const kOps[] = {"eq", "ne", "le", "ge", "lt", "gt"};
  size_t i = 0;
  for (; i < 4; ++i) {
    const size_t at = 3 + 3 * i;
    if (i > 0 && (at >= args.size() || args[at].empty())) break;
    Filter f{};
    // HAProxy 2.6 names the filter an error is about.
    const std::string entry = "Filter entry #" + std::to_string(i + 1) + ": ";
    if (args[at].rfind("data.", 0) != 0 || !stkDataFromName(std::string_view(args[at]).substr(5), f.type)) {
      ctx.out += entry + "Unknown data type\n";
      return false;
    }
    if (!shown(t, f.type)) {
      ctx.out += entry + "Data type not stored in this table\n";
      return false;
    }
    f.op = -1;
    for (int k = 0; k < 6; ++k)
      if (at + 1 < args.size() && args[at + 1] == kOps[k]) f.op = k;
    if (f.op < 0) {
      ctx.out += entry + "Require and operator among \"eq\", \"ne\", \"le\", \"ge\", \"lt\", \"gt\"\n";
      return false;
    }
    if (at + 2 >= args.size() || !parseInteger(args[at + 2], f.value)) {
      ctx.out += entry + "Require a valid integer value to compare against\n";
      return false;
    }
    out.push_back(f);
  }
  const size_t at = 3 + 3 * i;
  if (at < args.size() && !args[at].empty()) {
    ctx.out += "Detected extra data in filter, " + std::to_string(at + 1) + "th word of input, after '" +
               args[at - 1] + "'\n";
    return false;
  }
  return true;
}

uint64_t valueOf(const StickTable::EntryView& e, StkData d) {
  return d == StkData::ServerId ? uint64_t(uint32_t(e.server_id)) : e.data[uint32_t(d)].value_or(0);
}

void run(CliContext& ctx, const std::vector<std::string>& args, Action a) {
  const GenerationView& v = viewOf(*ctx.gen);
  const auto& px = ctx.gen->topo.proxies;
  if (args.size() <= 2 || args[2].empty()) {
    if (a != Action::Show) {
      ctx.out += a == Action::Clear
                     ? "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> or <table> "
                       "key <key>\n"
                     : "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n";
      return;
    }
    for (size_t i = 0; i < px.size(); ++i)
      if (v.tables[i]) summary(ctx, px[i].name, *v.tables[i]);
    return;
  }
  size_t proxy = px.size();
  for (size_t i = 0; i < px.size(); ++i)
    if (v.tables[i] && px[i].name == args[2]) proxy = i;
  if (proxy == px.size()) {
    ctx.out += "No such table\n";
    return;
  }
  StickTable& t = *v.tables[proxy];
  std::vector<Filter> filters;
  if (args.size() > 3 && args[3] == "key") return perKey(ctx, proxy, t, args, a);
  if (args.size() > 3 && args[3].rfind("data.", 0) == 0) {
    if (!parseFilters(ctx, t, args, a, filters)) return;
  } else if (args.size() > 3 && !args[3].empty()) {
    ctx.out +=
        a == Action::Show ? "Optional argument only supports \"data.<store_data_type>\" <operator> <value> "
                            "and key <key>\n"
        : a == Action::Clear ? "Required arguments: <table> \"data.<store_data_type>\" <operator> <value> "
                               "or <table> key <key>\n"
                             : "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n";
    return;
  }
  if (a == Action::Set) {
    ctx.out += "Required arguments: <table> key <key> [data.<store_data_type> <value>]*\n";
    return;
  }
  if (a == Action::Show) summary(ctx, px[proxy].name, t);
  if (ctx.level < CliLevel::Operator) {
    if (a == Action::Show) ctx.out += "# contents not dumped due to insufficient privileges\n";
    return;
  }
  std::vector<StickTable::EntryView> es = t.snapshot(ctx.now_ms);
  std::sort(es.begin(), es.end(), [](const auto& x, const auto& y) { return x.key < y.key; });
  for (size_t i = 0; i < es.size(); ++i) {
    const auto& e = es[i];
    bool keep = true;
    for (const Filter& f : filters) keep = keep && holds(f, valueOf(e, f.type));
    if (!keep) continue;
    if (a == Action::Show)
      entryLine(ctx, v.backends[proxy], t, e, i);
    else
      t.erase(e.key, ctx.now_ms);  // an entry in use stays
  }
}

}  // namespace

void cli_show_table(CliContext& ctx, const std::vector<std::string>& args) {
  run(ctx, args, Action::Show);
}
void cli_clear_table(CliContext& ctx, const std::vector<std::string>& args) {
  run(ctx, args, Action::Clear);
}
void cli_set_table(CliContext& ctx, const std::vector<std::string>& args) {
  run(ctx, args, Action::Set);
}

}  // namespace lbc::rt
