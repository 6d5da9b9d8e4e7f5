#include <cstdlib>

#include "lbc/rt/run.h"

namespace lbc::rt {

const char* runFlagsHelp() {
  return "  -D             run in the background (daemon), as `daemon` in global\n"
         "  -p FILE        write the process id to FILE, as `pidfile` in global\n"
         "  -q             quiet: only errors\n"
         "  --nbthread N   number of engine threads (overrides `nbthread`)\n";
}

bool parseRunFlags(const std::vector<std::string>& args, RunFlags& flags, std::string& err) {
  auto number = [&](const std::string& v, uint32_t& out) {
    char* end = nullptr;
    unsigned long n = std::strtoul(v.c_str(), &end, 10);
    if (v.empty() || *end || n == 0 || n > 4096) {
      err = "--nbthread expects a number between 1 and 4096, got '" + v + "'";
      return false;
    }
    out = uint32_t(n);
    return true;
  };
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-D") {
      flags.daemon = true;
    } else if (a == "-q") {
      flags.quiet = true;
    } else if (a == "-p") {
      if (i + 1 >= args.size()) {
        err = "-p expects a file name";
        return false;
      }
      flags.pidfile = args[++i];
    } else if (a.rfind("-p", 0) == 0 && a.size() > 2 && a[2] != '-') {
      flags.pidfile = a.substr(2);
    } else if (a == "--nbthread") {
      if (i + 1 >= args.size()) {
        err = "--nbthread expects a number";
        return false;
      }
      if (!number(args[++i], flags.nbthread)) return false;
    } else if (a.rfind("--nbthread=", 0) == 0) {
      if (!number(a.substr(11), flags.nbthread)) return false;
    } else if (a == "--") {
      for (++i; i < args.size(); ++i) flags.rest.push_back(args[i]);
    } else if (!a.empty() && a[0] == '-' && a != "-") {
      err = "unknown flag '" + a + "'";
      return false;
    } else {
      flags.rest.push_back(a);
    }
  }
  return true;
}

}  // namespace lbc::rt
