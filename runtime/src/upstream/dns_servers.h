// Servers whose address comes from DNS: `init-addr` at start, then the `resolvers` sections'
// answers applied to the live servers as HAProxy 2.6 applies them (resolvers.c / server.c): an
// address that changes is taken by new connections at once ("be/s changed its IP from A to B by
// DNS cache"), a name with no address puts the server in maintenance (RMAINT) once the section's
// `hold` period for that status has run out since the last valid answer, and a valid answer
// brings it back. Runs on one worker (the first), on its loop.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/loop.h"
#include "dns/resolver.h"
#include "upstream/live.h"

namespace lbc::rt {

// The server's first address by its `init-addr` methods (default "last,libc"; lbc keeps no
// state file, so `last` finds nothing); `none` starts it without one, in maintenance. False with
// `err` when no method gives one.
bool initServerAddress(ServerState& s, std::string& err);

class DnsServers {
 public:
  DnsServers(LiveState& state, const Topology& topo, Loop& loop);
  ~DnsServers();
  DnsServers(const DnsServers&) = delete;
  DnsServers& operator=(const DnsServers&) = delete;

  bool empty() const { return groups_.empty(); }
  // Opens the nameservers' sockets; false with `err`.
  bool open(std::string& err);
  void run(uint64_t now);
  uint64_t nextWake() const;

 private:
  // The servers of one resolvers section asking for one name: HAProxy shares one resolution.
  struct Group {
    const ResolversSpec* spec = nullptr;
    dns::Resolution* res = nullptr;
    std::vector<ServerState*> servers;
  };
  void resolved(Group& g, uint64_t now);
  void failed(ServerState& s, const ResolversSpec& spec, const dns::Resolution& r, uint64_t now);
  void noAddress(ServerState& s, const char* reason);
  void setAddress(ServerState& s, const dns::Record& rec, const std::string& by);

  LiveState& state_;
  std::vector<std::unique_ptr<dns::Resolver>> resolvers_;  // by Topology::resolvers index
  std::vector<std::unique_ptr<Group>> groups_;
};

}  // namespace lbc::rt
