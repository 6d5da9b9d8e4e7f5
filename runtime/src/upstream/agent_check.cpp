#include "upstream/agent_check.h"

#include <strings.h>

#include <cctype>

namespace lbc::rt::agent {

namespace {
bool is(std::string_view w, const char* k) {
  return w.size() == std::char_traits<char>::length(k) && strncasecmp(w.data(), k, w.size()) == 0;
}
}  // namespace

size_t lineEnd(std::string_view data, bool& broken) {
  broken = false;
  for (size_t i = 0; i < data.size(); ++i) {
    if (data[i] == '\r' || data[i] == '\n') return i;
    if (data[i] == '\0') {
      broken = true;
      return std::string_view::npos;
    }
  }
  return std::string_view::npos;
}

Reply parse(std::string_view line) {
  Reply r;
  size_t i = 0;
  while (i < line.size()) {
    const char ch = line[i];
    if (ch == ' ' || ch == '\t' || ch == ',') {
      ++i;
      continue;
    }
    if (ch == '#') {
      ++i;
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      r.desc = line.substr(i);
      break;
    }
    size_t e = i + 1;
    while (e < line.size() && line[e] != ' ' && line[e] != '\t' && line[e] != ',') ++e;
    std::string_view w = line.substr(i, e - i);
    i = e;
    if (is(w, "up") || is(w, "down") || is(w, "stopped") || is(w, "fail"))
      r.health = w;
    else if (is(w, "ready") || is(w, "drain") || is(w, "maint"))
      r.admin = w;
    else if (std::isdigit(static_cast<unsigned char>(w[0])) && w.find('%') != std::string_view::npos)
      r.weight = w;
    else if (w.size() >= 8 && strncasecmp(w.data(), "maxconn:", 8) == 0)
      r.maxconn = w.substr(8);
    else if (r.err.empty())
      r.err = w;
  }
  return r;
}

std::string describe(const Reply& r, std::string_view warn) {
  if (!r.health.empty()) {
    // Down reports keep their description; an "up" (or none) leaves room for the error, then the
    // warning.
    std::string_view msg = r.desc;
    if (msg.empty() || is(r.health, "up")) {
      if (!r.err.empty())
        msg = r.err;
      else if (!warn.empty())
        msg = warn;
    }
    std::string out = "via agent : ";
    out += r.health;
    if (!msg.empty()) {
      out += " (";
      out += msg;
      out += ')';
    }
    return out;
  }
  if (!r.err.empty()) return "agent reports an error : " + std::string(r.err);
  if (!warn.empty()) return "agent warns : " + std::string(warn);
  return "";
}

}  // namespace lbc::rt::agent
