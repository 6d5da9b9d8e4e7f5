// The agent check's answer (`agent-check`): one ASCII line of words separated by spaces, tabs or
// commas, as HAProxy 2.6 reads it (tcpcheck_agent_expect_reply): a weight ("75%"), a health
// ("up", "down", "stopped", "fail"), an admin state ("ready", "drain", "maint"), "maxconn:N", and
// after '#' a description. The last word of a kind wins; the first unknown word is the error.
#pragma once
#include <string>
#include <string_view>

namespace lbc::rt::agent {

struct Reply {
  std::string_view health, admin, weight, maxconn, err, desc;
};

// `line` without its end of line.
Reply parse(std::string_view line);

// Where the line ends in what was read: its length, or npos while it is not complete (a NUL
// before any CR/LF makes it incomplete for good, as in HAProxy's C-string scan).
size_t lineEnd(std::string_view data, bool& broken);

// HAProxy's description of the answer: "via agent : down (comment)", "agent reports an error :
// foo", "agent warns : ...", or "" (`warn`: what a weight/maxconn change refused).
std::string describe(const Reply& r, std::string_view warn);

}  // namespace lbc::rt::agent
