// Requests lbc answers itself instead of a server (HAProxy: an applet): the stats page, the
// Prometheus exporter, `monitor-uri`. The HTTP/1 session decides that a request goes to one and
// sends what it answers; the services themselves live above http1/ (admin/) and are registered
// at start-up, before any worker runs.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "config/generation.h"
#include "lbc/rt/txn.h"

namespace lbc::rt {

enum class Service : uint8_t { Stats, Prometheus, kCount };

struct ServiceRequest {
  const Generation& gen;
  uint32_t proxy;          // the proxy whose settings apply (stats: the one with the page)
  const Txn& txn;          // method, target, headers, the rules' variables
  std::string_view body;   // the request body when it came whole with the head
  bool body_whole = true;  // false: a body is still arriving (not read by services)
};

// A complete HTTP/1.1 response, and whether the connection closes after it.
struct ServiceReply {
  std::string bytes;
  bool close = false;
};

using ServiceFn = ServiceReply (*)(const ServiceRequest&);
void registerService(Service s, ServiceFn fn);
ServiceFn serviceFn(Service s);  // null: none registered (lbc_http1 tests)

// `http-request use-service prometheus-exporter` fired: its rule set txn.lbc_use_service.
bool serviceChosen(const Txn& x);
// HAProxy's stats_check_uri: a GET, HEAD or POST whose target starts with the page's `stats uri`.
bool statsRequested(const ProxySpec& ps, const Txn& x);

}  // namespace lbc::rt
