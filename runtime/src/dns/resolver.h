// A `resolvers` section on one loop: its nameservers (UDP sockets, or a TCP connection per query
// for `tcp@` ones), and the names it keeps resolved. As HAProxy 2.6 does, each resolution sends
// its query to every nameserver; the first valid answer ends it, an error ends it once every
// nameserver answered so, silence is retried every `timeout retry` up to `resolve_retries`
// queries, and an A (AAAA) query that gets no address is asked again at once as AAAA (A). A name
// is resolved again `timeout resolve` after its last resolution ended. What the answers mean
// for servers (the `hold` periods) is the caller's business.
#pragma once
#include <sys/socket.h>

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/loop.h"
#include "dns/message.h"
#include "net/raw_transport.h"

namespace lbc::rt::dns {

struct Nameserver {
  std::string id;
  sockaddr_storage addr{};
  socklen_t len = 0;
  bool tcp = false;
};

struct Settings {
  std::vector<Nameserver> nameservers;
  uint32_t retries = 3;
  uint64_t timeout_resolve = 1000, timeout_retry = 1000;
  uint64_t hold_valid = 10000, hold_nx = 30000, hold_refused = 30000, hold_timeout = 30000,
           hold_other = 30000, hold_obsolete = 0;
  uint16_t payload = 512;
};

enum class Status : uint8_t { kNone, kValid, kNx, kRefused, kTimeout, kOther };
const char* statusName(Status s);

struct Resolution {
  std::string name;          // canonical
  uint16_t prefer = kTypeA;  // kTypeA or kTypeAaaa (the other is asked when it has none), or kTypeSrv
  uint16_t qtype = kTypeA;   // of the query in flight
  Status status = Status::kNone;
  uint64_t last_valid = 0;  // ms of the last valid answer (0: never)
  uint64_t last_end = 0;    // ms the last resolution ended (0: never)
  uint64_t last_query = 0;
  uint32_t tries_left = 0;
  uint32_t errors = 0;  // error answers to the query in flight
  bool running = false;
  bool fell_back = false;
  uint16_t id = 0;
  Answer answer;           // the last valid one
  size_t answered_by = 0;  // the nameserver (index) that sent it
  // Called when a resolution ends, valid or not (status says which).
  std::function<void(Resolution&, uint64_t now)> done;
};

class Resolver {
 public:
  Resolver(Loop& loop, Settings s);
  ~Resolver();
  Resolver(const Resolver&) = delete;
  Resolver& operator=(const Resolver&) = delete;

  // Opens the UDP sockets: `err` names the nameservers left out (no socket, no route); false
  // when none is left.
  bool open(std::string& err);
  Resolution& add(std::string name, uint16_t prefer, std::function<void(Resolution&, uint64_t)> done);
  // Starts the resolutions that are due and times out the silent ones.
  void run(uint64_t now);
  uint64_t nextWake() const;  // ms; ~0: nothing
  const Settings& settings() const { return s_; }

  struct Udp;
  struct Tcp;
  // A message from a nameserver (`ns` its index).
  void onMessage(std::string_view msg, size_t ns, uint64_t now);

 private:
  void launch(Resolution& r, uint64_t now);
  void send(Resolution& r, uint64_t now);
  void finish(Resolution& r, Status st, uint64_t now);
  void endTcp(const Resolution& r);
  void reap();

  Loop& loop_;
  Settings s_;
  std::vector<std::unique_ptr<Udp>> udp_;  // one per nameserver (null for tcp@ ones)
  std::vector<bool> dead_;                 // nameservers whose socket could not be made
  std::list<std::unique_ptr<Tcp>> tcp_;
  std::list<Resolution> res_;
  std::map<uint16_t, Resolution*> by_id_;
  uint32_t rng_;
};

}  // namespace lbc::rt::dns
