// The rows of `show stat` (HAProxy's CSV columns), for the other views of the same counters: the
// stats page (HTML, `;csv`, `;json`) and the Prometheus exporter.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "admin/command.h"

namespace lbc::rt {

struct StatRow {
  char kind = 'F';                  // 'F' frontend, 'S' server, 'B' backend
  size_t proxy = 0;                 // index in the topology
  size_t iid = 0;                   // HAProxy's proxy id
  uint64_t sid = 0;                 // the server's id (0 for a frontend or backend)
  std::vector<std::string> values;  // by statColumns(); empty = a column this kind has not
  const std::string& operator[](std::string_view column) const;
};

const std::vector<std::string>& statColumns();
size_t statColumn(std::string_view name);  // statColumns().size() if unknown
// Frontend, servers and backend of every proxy in ctx.scope (all if none), in file order.
std::vector<StatRow> statRows(const CliContext& ctx);

inline const std::string& StatRow::operator[](std::string_view column) const {
  static const std::string kNone;
  size_t i = statColumn(column);
  return i < values.size() ? values[i] : kNone;
}

}  // namespace lbc::rt
