// `capture request header NAME len N` and `capture response header NAME len N`: HAProxy keeps the
// last value of each named header of a frontend's requests (before its http-request rules) and
// responses (before its http-response rules), cut to N bytes, for %hr/%hs/%hrl/%hsl in its logs.
// `capture cookie` is not done yet: refused by name.
#include <cstdlib>

#include "sema/context.h"

namespace lbc::sema {

void Sema::capture(const Line& l) {
  const auto& w = l.words;
  if (l.cond) {
    error(w[0], "'capture' takes no condition");
    return;
  }
  if (w.size() >= 2 && w[1].text == "cookie") {
    error(w[1],
          "'capture cookie' is not supported by lbc yet ('capture request header' and 'capture response "
          "header' are)");
    return;
  }
  const bool req = w.size() >= 2 && w[1].text == "request";
  if (w.size() < 3 || !(req || w[1].text == "response") || w[2].text != "header") {
    error(w.size() >= 2 ? w[1] : w[0], "'capture' expects 'cookie' or 'request header' or 'response header'");
    return;
  }
  if (w.size() < 6 || w[4].text != "len") {
    error(w[w.size() < 4 ? 2 : 3], "'capture " + w[1].text + "' expects 'header' <header_name> 'len' <len>");
    return;
  }
  if (w.size() > 6) {
    error(w[6], "'capture " + w[1].text + " header' cannot handle unexpected argument '" + w[6].text + "'");
    return;
  }
  // HAProxy reads the length with atol(): leading digits, 0 when there are none.
  const std::string& n = w[5].text;
  char* end = nullptr;
  long len = std::strtol(n.c_str(), &end, 10);
  if (end == n.c_str() || *end != '\0' || len < 0) {
    warning(w[5], "capture length '" + n + "' is not a positive number: HAProxy reads it as " +
                      std::to_string(len < 0 ? len : std::atol(n.c_str())) + ", which captures nothing");
    if (len < 0 || end == n.c_str()) len = 0;
  }
  if (len > 65536) {
    error(w[5], "capture length " + n + " is larger than lbc's limit of 65536 bytes");
    return;
  }
  (req ? cur_->req_captures : cur_->res_captures).push_back({w[3].text, static_cast<uint32_t>(len)});
}

}  // namespace lbc::sema
