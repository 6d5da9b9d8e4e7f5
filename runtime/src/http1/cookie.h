// Cookie persistence of a backend (`cookie NAME insert|rewrite|prefix ...`, server `cookie V`),
// as HAProxy 2.6 does it: the request's Cookie headers may designate a server (and lose the
// cookie with `indirect`, or its `SRV~` prefix); the response's Set-Cookie for NAME is deleted,
// rewritten or prefixed; in insert mode a Set-Cookie (and `Cache-control: private` with
// nocache on a cacheable response) is appended after the http-response rules.
#pragma once
#include <cstdint>

#include "lbc/rt/topology.h"
#include "lbc/rt/txn.h"

namespace lbc::rt {

class Backend;
struct ServerState;

// One transaction's persistence state; cli/srv are the log's %tsc third and fourth characters.
struct CookieState {
  char cli = 'N';          // N none, I invalid, D down, V valid, E expired, O old, U unused
  char srv = 'N';          // N none, I inserted, U updated, P provided, R rewritten, D deleted
  bool direct = false;     // the cookie chose the server (HAProxy's SF_DIRECT)
  bool found = false;      // the server's response carried the cookie
  bool cacheable = false;  // the response could be cached (nocache then adds Cache-control)
  uint32_t last_date = 0;  // dates carried by an insert-mode cookie (seconds, 4 s resolution)
  uint32_t first_date = 0;
};

// Request side, after the backend's http-request rules: returns the server the cookie designates
// (null: balance), with the Cookie headers rewritten as the mode requires. False when the
// transaction's arena is full (answer 500, as a failed rewrite).
bool cookieRequest(const ProxySpec& be, Backend& backend, Txn& txn, CookieState& st, int64_t now_s,
                   ServerState** out);

// Response side, before the http-response rules: the server's Set-Cookie for the name.
bool cookieResponse(const CookieSpec& ck, const ServerState* srv, Txn& txn, CookieState& st);

// After the http-response rules: the inserted Set-Cookie and Cache-control headers.
bool cookieInsert(const CookieSpec& ck, const ServerState* srv, Txn& txn, CookieState& st, int64_t now_s);

}  // namespace lbc::rt
