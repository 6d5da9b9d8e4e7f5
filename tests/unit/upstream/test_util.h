// A backend built from a hand-written ProxySpec, and the connections (queue links) that ask it
// for servers: what every balancing test needs.
#pragma once
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "upstream/backend.h"

namespace lbc::rt::test {

struct Srv {
  std::string name;
  uint32_t weight = 1;
  bool backup = false;
  uint32_t maxconn = 0, maxqueue = 0;
  int32_t id = 0;  // 0: numbered in order from 1, as HAProxy does
};

inline ProxySpec makeSpec(BalanceAlgo algo, const std::vector<Srv>& servers) {
  ProxySpec p;
  p.name = "be";
  p.backend = true;
  p.balance = algo;
  int32_t next_id = 1;
  for (const Srv& s : servers) {
    ServerSpec ss;
    ss.name = s.name;
    ss.weight = s.weight;
    ss.backup = s.backup;
    ss.maxconn = s.maxconn;
    ss.maxqueue = s.maxqueue;
    ss.id = s.id ? s.id : next_id;
    ++next_id;
    p.servers.push_back(ss);
  }
  return p;
}

// The links woken by a freed slot, in order (Backend calls wake under its lock).
inline std::vector<QueueLink*>& woken() {
  static std::vector<QueueLink*> w;
  return w;
}
inline void recordWake(QueueLink* l) {
  woken().push_back(l);
}

class Harness {
 public:
  explicit Harness(const ProxySpec& spec) : spec_(spec), be_(spec_, recordWake) { woken().clear(); }
  Backend& be() { return be_; }
  ServerState* srv(const std::string& name) {
    for (auto& s : be_.servers())
      if (s->spec->name == name) return s.get();
    ADD_FAILURE() << "no server " << name;
    return nullptr;
  }
  // A new connection asks for a server; it keeps its slot (or its queue place).
  QueueLink* open(Backend::Result* r = nullptr, std::optional<uint32_t> key = std::nullopt,
                  ServerState* avoid = nullptr) {
    links_.emplace_back();
    QueueLink* l = &links_.back();
    Backend::Result res = be_.assign(l, avoid, key);
    if (r) *r = res;
    return l;
  }
  // The server a connection would get; its slot is given back at once.
  std::string pick(std::optional<uint32_t> key = std::nullopt, ServerState* avoid = nullptr) {
    QueueLink l;
    if (be_.assign(&l, avoid, key) != Backend::Result::Assigned) return "-";
    be_.release(l.assigned);
    return l.assigned->spec->name;
  }
  std::vector<std::string> picks(size_t n) {
    std::vector<std::string> v;
    for (size_t i = 0; i < n; ++i) v.push_back(pick());
    return v;
  }
  // Opens n connections that keep their slots; returns the servers' names.
  std::vector<std::string> fill(size_t n) {
    std::vector<std::string> v;
    for (size_t i = 0; i < n; ++i) {
      Backend::Result r;
      QueueLink* l = open(&r);
      v.push_back(r == Backend::Result::Assigned ? l->assigned->spec->name
                  : r == Backend::Result::Queued ? "queued"
                                                 : "failed");
    }
    return v;
  }

 private:
  ProxySpec spec_;
  Backend be_;
  std::deque<QueueLink> links_;  // stable addresses
};

using Names = std::vector<std::string>;

}  // namespace lbc::rt::test
