// One function per `lbc` sub-command that lives in its own file, so the runtime (run), the
// back end (build, route) and the front end (check) evolve without touching each other.
#pragma once
#include <string>
#include <vector>

namespace lbc::cli {
// Each takes the arguments after the command name and returns the process exit code.
int cmdRun(const std::vector<std::string>& args);    // cmd_run.cpp   (runtime issue)
int cmdBuild(const std::vector<std::string>& args);  // cmd_build.cpp (back-end issue)
int cmdRoute(const std::vector<std::string>& args);  // cmd_route.cpp (back-end issue)
}  // namespace lbc::cli
