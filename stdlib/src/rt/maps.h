// Map files loaded by lbc_rt_args_prepare for the map_* converters.
#pragma once
#include <string>
#include <unordered_map>
#include <vector>

#include "internal.h"
#include "lbc/stdlib/int_range.h"

namespace lbc::rt::detail {

struct MapEntry {
  std::string key, value;
  lbc_regex* re = nullptr;  // map_reg
  uint8_t net[16] = {};     // map_ip
  int prefix = 0;
  bool v6 = false;
  stdlib::IntRange range;  // map_int
};

struct Map {
  int32_t method = LBC_MATCH_STR;
  std::vector<MapEntry> entries;                  // file order
  std::unordered_map<std::string, size_t> exact;  // map_str: key -> first entry
};

Map* loadMap(const std::string& path, int32_t method, std::string& err);
void freeMap(Map* m);
int32_t mapMethodOf(std::string_view helper);

}  // namespace lbc::rt::detail
