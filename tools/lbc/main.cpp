// The `lbc` command line: check, run, build, keywords; and HAProxy's own `-c -f FILE` form.
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "commands.h"
#include "driver/driver.h"
#include "ir/printer.h"
#include "lbc/stdlib/keywords_doc.h"
#include "lbc/stdlib/usage.h"

namespace {

constexpr const char* kVersion = "0.1.0";

void usage(std::ostream& o) {
  o << "usage: lbc <command> [options] CONFIG...\n"
       "\n"
       "commands:\n"
       "  check CONFIG...       validate configuration files (or directories of *.cfg files)\n"
       "      --strict          treat warnings as errors\n"
       "      --format=json     print diagnostics as JSON\n"
       "      --dump-ir         print the normalized IR (defaults applied, ACLs resolved)\n"
       "      --no-resolve      do not resolve host names on server and bind lines\n"
       "      --no-lint         only HAProxy's own warnings\n"
       "  run CONFIG...         compile (JIT) and serve (mode tcp and http)\n"
       "      -D, -p PIDFILE    daemonize, write the pid file (as haproxy's -D and -p)\n"
       "      -q, --nbthread N  quiet; threads (default: nbthread, else the online CPUs)\n"
       "      --engine=jit|interp  compiled rules (default) or the reference interpreter\n"
       "  build CONFIG... -o B  compile into a standalone executable that serves CONFIG (same flags as run)\n"
       "      --emit=exe|obj|asm|llvm  write that instead; --cpu=NAME|native\n"
       "  route CONFIG 'METHOD URI' [-H 'Name: value']... [--src IP] [--ssl] [--frontend NAME]\n"
       "                        show the backend chosen, the rules that fired (file:line) and the\n"
       "                        rewritten request, without starting a proxy; --engine=interp|jit|aot\n"
       "  keywords              print the keyword reference (Markdown) from the registry\n"
       "  keywords --coverage DIR  list supported keywords no configuration served by 'lbc run' used\n"
       "                        (each run writes its keywords to $LBC_KEYWORD_USAGE_DIR when set)\n"
       "  help                  this text\n"
       "\n"
       "HAProxy-compatible form: lbc -c [-q] -f FILE|DIR [-f FILE|DIR ...]\n"
       "  --version             print the version\n";
}

int check(const std::vector<std::string>& args, bool haproxy_form) {
  lbc::sema::Options opts;
  bool strict = false, json = false, dump = false, quiet = false;
  std::vector<std::string> paths;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--strict")
      strict = true;
    else if (a == "--format=json")
      json = true;
    else if (a == "--format=text")
      json = false;
    else if (a == "--dump-ir")
      dump = true;
    else if (a == "--no-resolve")
      opts.resolve_hosts = false;
    else if (a == "--no-lint")
      opts.lint = false;
    else if (a == "-q")
      quiet = true;
    else if (a == "-f" && i + 1 < args.size())
      paths.push_back(args[++i]);
    else if (a == "-c")
      continue;
    else if (haproxy_form && a == "--")
      continue;
    else if (!a.empty() && a[0] == '-' && a != "-") {
      std::cerr << "lbc: unknown option '" << a << "' for 'check'\n";
      return 2;
    } else
      paths.push_back(a);
  }
  if (paths.empty()) {
    std::cerr << "lbc: no configuration file given\n";
    usage(std::cerr);
    return 2;
  }
  auto c = lbc::driver::compile(paths, opts, lbc::front::processEnv());
  // JSON is for tools, so it goes to stdout; text diagnostics go to stderr as compilers do.
  c->diags->render(json ? std::cout : std::cerr,
                   json ? lbc::front::DiagFormat::Json : lbc::front::DiagFormat::Text);
  bool ok = c->ok() && !(strict && c->diags->warningCount() > 0);
  if (dump) lbc::ir::print(std::cout, c->program, c->files);
  if (ok && !quiet && !json) std::cout << "Configuration file is valid\n";
  if (!ok && !json && !c->ok())
    std::cerr << "lbc: configuration is invalid: " << c->diags->errorCount() << " error"
              << (c->diags->errorCount() == 1 ? "" : "s") << ", " << c->diags->warningCount() << " warning"
              << (c->diags->warningCount() == 1 ? "" : "s") << "\n";
  else if (!ok && !json)
    std::cerr << "lbc: " << c->diags->warningCount() << " warning(s) with --strict\n";
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    usage(std::cerr);
    return 2;
  }
  const std::string& cmd = args[0];
  if (cmd == "--version" || cmd == "-v" || cmd == "version") {
    std::cout << "lbc " << kVersion << " (HAProxy 2.6 configuration language)\n";
    return 0;
  }
  if (cmd == "help" || cmd == "--help" || cmd == "-h") {
    usage(std::cout);
    return 0;
  }
  if (cmd == "check") return check({args.begin() + 1, args.end()}, false);
  if (cmd == "-c" || cmd == "-f" || cmd == "-q") return check(args, true);
  if (cmd == "keywords") {
    if (args.size() == 3 && args[1] == "--coverage")
      return lbc::stdlib::reportCoverage(args[2], std::cout) ? 1 : 0;
    lbc::stdlib::writeKeywordsMarkdown(std::cout);
    return 0;
  }
  std::vector<std::string> rest(args.begin() + 1, args.end());
  if (cmd == "run") return lbc::cli::cmdRun(rest);
  if (cmd == "build") return lbc::cli::cmdBuild(rest);
  if (cmd == "route") return lbc::cli::cmdRoute(rest);
  std::cerr << "lbc: unknown command '" << cmd << "'\n";
  usage(std::cerr);
  return 2;
}
