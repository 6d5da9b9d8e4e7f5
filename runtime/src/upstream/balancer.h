// How a backend picks a server: one implementation per `balance` algorithm, each in its own file
// (fwrr, map, chash, leastconn, first, random). The backend calls them under its lock. They never
// see the request: a hashing algorithm gets the hash of the hashed part from the caller
// (stream/lb_key.h), or nothing when that part is absent.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>

#include "server.h"

namespace lbc::rt {

class Balancer {
 public:
  virtual ~Balancer() = default;
  // Servers went up or down: start over from the usable ones.
  virtual void rebuild() = 0;
  // The server for a new connection; `avoid` (the one a retry left) only when nothing else is
  // possible. `key`: the request's hash; absent, hashing algorithms fall back to round robin as
  // HAProxy does. Null with `all_full` set: every candidate is saturated and the connection waits
  // in the backend queue; null otherwise: no usable server.
  virtual ServerState* pick(ServerState* avoid, std::optional<uint32_t> key, bool& all_full) = 0;
  // Waiters of the backend queue go first (the algorithms that never prefer a server).
  virtual bool fairQueue() const { return false; }
};

// One factory per file.
std::unique_ptr<Balancer> makeFwrr(const Servers& servers);
std::unique_ptr<Balancer> makeStaticRr(const Servers& servers);
std::unique_ptr<Balancer> makeMapHash(const Servers& servers);
std::unique_ptr<Balancer> makeChash(const Servers& servers);
std::unique_ptr<Balancer> makeLeastConn(const Servers& servers);
std::unique_ptr<Balancer> makeFirst(const Servers& servers);
std::unique_ptr<Balancer> makeRandom(const Servers& servers, uint32_t draws);

// The algorithm `spec` asks for.
std::unique_ptr<Balancer> makeBalancer(const ProxySpec& spec, const Servers& servers);

}  // namespace lbc::rt
