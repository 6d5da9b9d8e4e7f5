// Constant arguments prepared once per program (lbc_rt_args_prepare): regsub's regex, map files.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <unordered_map>
#include <vector>

#include "internal.h"
#include "maps.h"
#include "userlist.h"

using namespace lbc::rt::detail;

namespace lbc::rt::detail {

Map* loadMap(const std::string& path, int32_t method, std::string& err) {
  std::ifstream in(path);
  if (!in) {
    err = "cannot open map file '" + path + "'";
    return nullptr;
  }
  auto m = std::make_unique<Map>();
  m->method = method;
  std::string line;
  while (std::getline(in, line)) {
    std::string l(stdlib::trim(line));
    if (l.empty() || l[0] == '#') continue;
    size_t sp = l.find_first_of(" \t");
    MapEntry e;
    e.key = l.substr(0, sp);
    e.value =
        sp == std::string::npos ? std::string() : std::string(stdlib::trim(std::string_view(l).substr(sp)));
    if (method == LBC_MATCH_REG) {
      e.re = lbc_rt_regex_new(e.key.data(), e.key.size(), 0);
      if (!e.re) {
        err = "invalid regex '" + e.key + "' in map file '" + path + "'";
        return nullptr;
      }
    } else if (method == LBC_MATCH_IP) {
      std::string addr = e.key.substr(0, e.key.find('/'));
      bool v6 = false;
      if (!parseIp(addr, e.net, v6) || (!v6 && addr.find(':') != std::string::npos)) {
        err = "invalid network '" + e.key + "' in map file '" + path + "'";
        return nullptr;
      }
      e.v6 = v6;
      e.prefix = v6 ? 128 : 32;
      if (size_t sl = e.key.find('/'); sl != std::string::npos) {
        std::string mask = e.key.substr(sl + 1);
        if (mask.find('.') != std::string::npos) {
          uint8_t mb[16];
          bool mv6 = false;
          if (!parseIp(mask, mb, mv6) || mv6) {
            err = "invalid netmask '" + mask + "' in map file '" + path + "'";
            return nullptr;
          }
          int n = 0;
          while (n < 32 && (mb[n / 8] & (0x80 >> (n % 8)))) ++n;
          e.prefix = n;
        } else {
          e.prefix = static_cast<int>(readInt(mask));
        }
      }
    } else if (method == LBC_MATCH_INT && !stdlib::parseIntRange(e.key, e.range)) {
      err = "'" + e.key + "' is not a valid number range in map file '" + path + "'";
      return nullptr;
    }
    m->entries.push_back(std::move(e));
  }
  if (method == LBC_MATCH_STR)
    for (size_t i = m->entries.size(); i-- > 0;) m->exact[m->entries[i].key] = i;  // first line wins
  return m.release();
}

void freeMap(Map* m) {
  if (!m) return;
  for (auto& e : m->entries)
    if (e.re) lbc_rt_regex_free(e.re);
  delete m;
}

int32_t mapMethodOf(std::string_view helper) {
  if (helper == "lbc_conv_map" || helper == "lbc_conv_map_str") return LBC_MATCH_STR;
  if (helper == "lbc_conv_map_beg") return LBC_MATCH_BEG;
  if (helper == "lbc_conv_map_end") return LBC_MATCH_END;
  if (helper == "lbc_conv_map_sub") return LBC_MATCH_SUB;
  if (helper == "lbc_conv_map_reg") return LBC_MATCH_REG;
  if (helper == "lbc_conv_map_int") return LBC_MATCH_INT;
  if (helper == "lbc_conv_map_ip") return LBC_MATCH_IP;
  return -1;
}

}  // namespace lbc::rt::detail

extern "C" {

int32_t lbc_rt_args_prepare(const char* helper, lbc_arg* args, uint32_t nargs) {
  std::string_view h = helper ? helper : "";
  if (h == "lbc_conv_regsub") {
    if (nargs < 2) return -1;
    std::string_view flags = argStr(args, nargs, 2);
    int32_t f = flags.find('i') != std::string_view::npos ? LBC_RE_ICASE : 0;
    lbc_regex* re = lbc_rt_regex_new(args[0].str, args[0].len, f);
    if (!re) {
      std::fprintf(stderr, "lbc: regsub: invalid regular expression '%.*s'\n", static_cast<int>(args[0].len),
                   args[0].str);
      return -1;
    }
    args[0].obj = re;
    return 0;
  }
  if (h == "lbc_fetch_http_auth" || h == "lbc_fetch_http_auth_group") {
    if (nargs < 2) return -1;  // sema appends the userlist's users
    args[0].obj = parseUserList(argStr(args, nargs, 1));
    return 0;
  }
  if (int32_t m = mapMethodOf(h); m >= 0) {
    if (nargs < 1) return -1;
    std::string err;
    Map* map = loadMap(std::string(argStr(args, nargs, 0)), m, err);
    if (!map) {
      std::fprintf(stderr, "lbc: %s\n", err.c_str());
      return -1;
    }
    args[0].obj = map;
    return 0;
  }
  return 0;
}

void lbc_rt_args_release(const char* helper, lbc_arg* args, uint32_t nargs) {
  std::string_view h = helper ? helper : "";
  if (nargs < 1 || !args[0].obj) return;
  if (h == "lbc_conv_regsub")
    lbc_rt_regex_free(const_cast<lbc_regex*>(static_cast<const lbc_regex*>(args[0].obj)));
  else if (h == "lbc_fetch_http_auth" || h == "lbc_fetch_http_auth_group")
    freeUserList(const_cast<UserList*>(static_cast<const UserList*>(args[0].obj)));
  else if (mapMethodOf(h) >= 0)
    freeMap(const_cast<Map*>(static_cast<const Map*>(args[0].obj)));
  args[0].obj = nullptr;
}

}  // extern "C"
