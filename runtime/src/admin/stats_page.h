// The stats page (`stats enable`): registered at start-up as the HTTP session's stats service.
#pragma once
#include <cstdint>
#include <string>

#include "admin/command.h"

namespace lbc::rt {

void registerStatsPage();
void registerPrometheus();  // prometheus.cpp
uint64_t statsStartTime();  // wall clock, seconds

// What the page's URI asks for (`;csv`, `;up`, `;st=DONE` ...).
struct StatsView {
  bool csv = false, json = false, up = false, no_maint = false, norefresh = false;
  bool admin = false;  // `stats admin` holds: server check boxes and the action form
  std::string status;  // `;st=`: the outcome of the last POST, shown as a banner
};

// HAProxy's HTML page: the process information, then a table per proxy in scope.
std::string statsHtml(const CliContext& ctx, const ProxySpec& page, const StatsView& view);

}  // namespace lbc::rt
