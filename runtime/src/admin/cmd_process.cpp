// `show version` and `show info [typed|json]`: the process fields of HAProxy 2.6, in its order,
// with lbc's values where it has them (0 where it counts nothing of the kind: SSL, pipes,
// compression, pools).
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>

#include "admin/command.h"
#include "upstream/live.h"

namespace lbc::rt {
namespace {

struct InfoField {
  int pos;
  const char* name;
  const char* tags;  // origin, nature, scope letters (HAProxy's typed output)
  const char* type;
  std::string value;
};

// HAProxy's letters of a typed field's tags, spelled out for the JSON form.
const char* tagWord(int which, char c) {
  switch (which) {
    case 0:
      return c == 'P' ? "Product" : c == 'C' ? "Config" : c == 'K' ? "Key" : c == 'S' ? "Status" : "Metric";
    case 1:
      switch (c) {
        case 'O':
          return "Output";
        case 'G':
          return "Gauge";
        case 'C':
          return "Counter";
        case 'D':
          return "Duration";
        case 'L':
          return "Limit";
        case 'M':
          return "Max";
        case 'R':
          return "Rate";
        case 'a':
          return "Age";
        default:
          return "Output";
      }
    default:
      return c == 'S' ? "Service" : "Process";
  }
}

std::string uptime(uint64_t s) {
  char b[64];
  snprintf(b, sizeof b, "%llud %lluh%02llum%02llus", (unsigned long long)(s / 86400),
           (unsigned long long)(s / 3600 % 24), (unsigned long long)(s / 60 % 60),
           (unsigned long long)(s % 60));
  return b;
}

std::vector<InfoField> infoFields(const CliContext& ctx) {
  const GlobalSpec& g = *ctx.global;
  const LiveState& st = *ctx.state;
  rlimit rl{};
  getrlimit(RLIMIT_NOFILE, &rl);
  const std::string nofile = std::to_string(rl.rlim_cur);
  const uint64_t up = uint64_t(time(nullptr)) - ctx.start_wall_s;
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  uint32_t listeners = uint32_t(g.stats_sockets.size());
  for (const ProxySpec& p : ctx.gen->topo.proxies)
    if (p.frontend) listeners += uint32_t(p.binds.size());
  const uint32_t cur = st.global.cur.load();
  const std::string z = "0";
  auto n = [](uint64_t v) { return std::to_string(v); };
  std::vector<InfoField> v = {
      {0, "Name", "POS", "str", "lbc"},
      {1, "Version", "POS", "str", cliVersion()},
      {2, "Release_date", "POS", "str", "2026/12/07"},
      {3, "Nbthread", "CGS", "u32", n(g.nbthread)},
      {4, "Nbproc", "CGS", "u32", "1"},
      {5, "Process_num", "KGP", "u32", "1"},
      {6, "Pid", "SGP", "u32", n(uint64_t(getpid()))},
      {7, "Uptime", "MDP", "str", uptime(up)},
      {8, "Uptime_sec", "MDP", "u32", n(up)},
      {9, "Memmax_MB", "CLP", "u32", z},
      {10, "PoolAlloc_MB", "MGP", "u32", z},
      {11, "PoolUsed_MB", "MGP", "u32", z},
      {12, "PoolFailed", "MCP", "u32", z},
      {13, "Ulimit-n", "CLP", "u32", nofile},
      {14, "Maxsock", "CLP", "u32", nofile},
      {15, "Maxconn", "CLP", "u32", n(g.maxconn)},
      {16, "Hard_maxconn", "CLP", "u32", n(g.maxconn)},
      {17, "CurrConns", "MGP", "u32", n(cur)},
      {18, "CumConns", "MCP", "u32", n(st.cum_conns.load())},
      {19, "CumReq", "MCP", "u32", z},
      {20, "MaxSslConns", "MMP", "u32", z},
      {21, "CurrSslConns", "MGP", "u32", z},
      {22, "CumSslConns", "MCP", "u32", z},
      {23, "Maxpipes", "CLP", "u32", z},
      {24, "PipesUsed", "MGP", "u32", z},
      {25, "PipesFree", "MGP", "u32", z},
      {26, "ConnRate", "MRP", "u32", z},
      {27, "ConnRateLimit", "CLP", "u32", z},
      {28, "MaxConnRate", "MMP", "u32", z},
      {29, "SessRate", "MRP", "u32", z},
      {30, "SessRateLimit", "CLP", "u32", z},
      {31, "MaxSessRate", "MRP", "u32", z},
      {32, "SslRate", "MRP", "u32", z},
      {33, "SslRateLimit", "CLP", "u32", z},
      {34, "MaxSslRate", "MMP", "u32", z},
      {35, "SslFrontendKeyRate", "MRP", "u32", z},
      {36, "SslFrontendMaxKeyRate", "MMP", "u32", z},
      {37, "SslFrontendSessionReuse_pct", "MGP", "u32", z},
      {38, "SslBackendKeyRate", "MRP", "u32", z},
      {39, "SslBackendMaxKeyRate", "MMP", "u32", z},
      {40, "SslCacheLookups", "MCP", "u32", z},
      {41, "SslCacheMisses", "MCP", "u32", z},
      {42, "CompressBpsIn", "MRP", "u32", z},
      {43, "CompressBpsOut", "MRP", "u32", z},
      {44, "CompressBpsRateLim", "CLP", "u32", z},
      {47, "Tasks", "MGP", "u32", n(cur)},
      {48, "Run_queue", "MGP", "u32", z},
      {49, "Idle_pct", "MaP", "u32", "100"},
      {50, "node", "COS", "str", g.node.empty() ? std::string(host) : g.node},
      {52, "Stopping", "MGP", "u32", z},
      {53, "Jobs", "MGP", "u32", n(cur + listeners)},
      {54, "Unstoppable Jobs", "MGP", "u32", z},
      {55, "Listeners", "MGP", "u32", n(listeners)},
      {56, "ActivePeers", "MGP", "u32", z},
      {57, "ConnectedPeers", "MGP", "u32", z},
      {58, "DroppedLogs", "MGP", "u32", z},
      {59, "BusyPolling", "MGP", "u32", z},
      {60, "FailedResolutions", "MGP", "u32", z},
      {61, "TotalBytesOut", "MGP", "u64", z},
      {62, "TotalSplicdedBytesOut", "MGP", "u64", z},
      {63, "BytesOutRate", "MRP", "u64", z},
      {64, "DebugCommandsIssued", "MGP", "u32", z},
      {65, "CumRecvLogs", "MCP", "u32", z},
      {66, "Build info", "POS", "str", cliVersion()},
      {67, "Memmax_bytes", "CLP", "u32", z},
      {68, "PoolAlloc_bytes", "MGP", "u64", z},
      {69, "PoolUsed_bytes", "MGP", "u64", z},
      {70, "Start_time_sec", "MDP", "u32", n(ctx.start_wall_s)},
      {71, "Tainted", "SGP", "str", z},
  };
  if (!g.description.empty()) {  // HAProxy prints it after node, and only when set
    auto at = std::find_if(v.begin(), v.end(), [](const InfoField& f) { return f.pos == 50; });
    v.insert(at + 1, InfoField{51, "description", "COS", "str", g.description});
  }
  return v;
}

std::string jsonString(std::string_view s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

}  // namespace

const char* cliVersion() {
  return "lbc-0.1.0";
}

void cli_show_version(CliContext& ctx, const std::vector<std::string>&) {
  ctx.out += std::string(cliVersion()) + "\n";
}

void cli_show_info(CliContext& ctx, const std::vector<std::string>& args) {
  bool typed = false, json = false;
  for (size_t i = 2; i < args.size(); ++i) {
    typed |= args[i] == "typed";
    json |= args[i] == "json";
  }
  std::vector<InfoField> fields = infoFields(ctx);
  if (json) {
    ctx.out += "[";
    for (size_t i = 0; i < fields.size(); ++i) {
      const InfoField& f = fields[i];
      const bool num = f.type[0] != 's';
      ctx.out += std::string(i ? "," : "") + "{\"field\":{\"pos\":" + std::to_string(f.pos) +
                 ",\"name\":" + jsonString(f.name) + "},\"processNum\":1,\"tags\":{\"origin\":\"" +
                 tagWord(0, f.tags[0]) + "\",\"nature\":\"" + tagWord(1, f.tags[1]) + "\",\"scope\":\"" +
                 tagWord(2, f.tags[2]) + "\"},\"value\":{\"type\":\"" + f.type +
                 "\",\"value\":" + (num ? f.value : jsonString(f.value)) + "}}";
    }
    ctx.out += "]\n";
    return;
  }
  for (const InfoField& f : fields) {
    if (typed)
      ctx.out += std::to_string(f.pos) + "." + f.name + ".1:" + f.tags + ":" + f.type + ":" + f.value + "\n";
    else
      ctx.out += std::string(f.name) + ": " + f.value + "\n";
  }
}

}  // namespace lbc::rt
