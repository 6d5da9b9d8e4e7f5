#include "backend.h"

#include <algorithm>
#include <charconv>
#include <ctime>

namespace lbc::rt {

Backend::Backend(const ProxySpec& spec, WakeFn wake) : spec_(&spec), wake_(wake) {
  for (uint32_t i = 0; i < spec.servers.size(); ++i) {
    auto s = std::make_unique<ServerState>();
    s->spec = &spec.servers[i];
    s->be = this;
    s->index = i;
    s->up = !spec.servers[i].disabled;
    s->uweight = spec.servers[i].weight;
    s->maxconn = spec.servers[i].maxconn;
    s->check_health = spec.servers[i].check.rise;
    if (spec.servers[i].disabled) s->admin = SrvAdmin::Maint;
    s->last_change_s = uint64_t(time(nullptr));
    servers_.push_back(std::move(s));
  }
  balancer_ = makeBalancer(spec, servers_);
  std::lock_guard g(lock_);
  balancer_->rebuild();
}

Backend::~Backend() = default;

ServerState* Backend::serverById(int32_t id) const {
  for (const auto& s : servers_)
    if (s->spec->id == id) return s.get();
  return nullptr;
}

ServerState* Backend::pickLocked(ServerState* avoid, std::optional<uint32_t> key, bool& all_full) {
  all_full = false;
  if (balancer_->fairQueue() && queue_.length) {  // waiters first: every server is full anyway
    all_full = true;
    return nullptr;
  }
  return balancer_->pick(avoid, key, all_full);
}

Backend::Result Backend::assign(QueueLink* link, ServerState* avoid, std::optional<uint32_t> key,
                                ServerState* force) {
  std::lock_guard g(lock_);
  waiting_.fetch_add(1);  // announce first: a concurrent release() then takes the lock (see release)
  bool all_full = false;
  ServerState* s = force ? force : pickLocked(avoid, key, all_full);
  Result r = Result::Failed;
  if (s) {
    if (s->hasRoom()) {
      s->took();
      s->lc_stamp.store(++seq_);
      link->assigned = s;
      r = Result::Assigned;
    } else if (s->spec->maxqueue && s->queue.length >= s->spec->maxqueue) {
      r = Result::Failed;  // the server's queue is full: HAProxy answers 503 / closes
    } else {
      enqueueLocked(link, s);
      r = Result::Queued;
    }
  } else if (all_full) {
    enqueueLocked(link, nullptr);
    r = Result::Queued;
  }
  if (r != Result::Queued) waiting_.fetch_sub(1);
  return r;
}

void Backend::countUsableLocked(ServerTransition& t) const {
  t.act = t.bck = 0;
  for (auto& o : servers_)
    if (o->usable()) ++(o->spec->backup ? t.bck : t.act);
}

ServerTransition Backend::setServerUp(ServerState* s, bool up) {
  return transition(s, s->up, up, up);
}

ServerTransition Backend::setServerNoAddr(ServerState* s, bool none) {
  return transition(s, s->rmaint, none, !none);
}

ServerTransition Backend::transition(ServerState* s, std::atomic<bool>& flag, bool value, bool up) {
  std::lock_guard g(lock_);
  ServerTransition t;
  if (flag.load() == value) return t;
  auto count = [&] { countUsableLocked(t); };
  count();
  t.prev_usable = t.act + t.bck;
  t.changed = true;
  flag.store(value);
  s->last_change_s = uint64_t(time(nullptr));
  balancer_->rebuild();
  if (up) {
    uint32_t waiting = queue_.length + s->queue.length;
    dispatchLocked(s);
    t.xferred = waiting - (queue_.length + s->queue.length);
  } else {
    // Connections queued on a server that went down go back to the backend queue, as HAProxy
    // redistributes them (pendconn_redistribute).
    while (QueueLink* w = s->queue.head) {
      s->queue.remove(w);
      w->queued_on = nullptr;
      queue_.push(w);
      ++t.xferred;
    }
    for (auto& o : servers_)
      if (o->usable()) dispatchLocked(o.get());
  }
  count();
  t.sessions = s->served.load();
  t.queued = s->queue.length;
  return t;
}

ServerTransition Backend::setServerAdmin(ServerState* s, SrvAdmin admin, uint32_t weight,
                                         const bool* leave_up) {
  std::lock_guard g(lock_);
  ServerTransition t;
  auto count = [&] { countUsableLocked(t); };
  count();
  t.prev_usable = t.act + t.bck;
  const bool was = s->usable();
  if (s->admin.load() != admin) {
    t.changed = true;
    // Leaving maintenance: a server without checks is up at once (HAProxy); a checked one
    // (disabled at start) goes on from what its checks say.
    // (A `disabled` one is never checked: it is up when enabled.)
    if (admin != SrvAdmin::Maint && s->admin.load() == SrvAdmin::Maint && leave_up && !s->spec->disabled)
      s->up.store(*leave_up);
    else if (admin != SrvAdmin::Maint && (!s->spec->check.enabled || s->spec->disabled))
      s->up.store(true);
    // A check is paused in maintenance and resumes at `rise` (the health checker follows).
    // (HAProxy zeroes the health of a running server entering maintenance, checked or not.)
    if (admin == SrvAdmin::Maint && (s->spec->check.enabled || s->up.load())) s->check_health.store(0);
    if (s->spec->check.enabled && s->admin.load() == SrvAdmin::Maint)
      s->check_health.store(s->spec->check.rise);
    s->admin.store(admin);
    s->last_change_s = uint64_t(time(nullptr));
  }
  s->uweight.store(weight);
  balancer_->rebuild();
  if (s->usable() && !was) {
    uint32_t waiting = queue_.length + s->queue.length;
    dispatchLocked(s);
    t.xferred = waiting - (queue_.length + s->queue.length);
  } else if (!s->usable() && was) {
    while (QueueLink* w = s->queue.head) {
      s->queue.remove(w);
      w->queued_on = nullptr;
      queue_.push(w);
      ++t.xferred;
    }
    for (auto& o : servers_)
      if (o->usable()) dispatchLocked(o.get());
  }
  count();
  t.sessions = s->served.load();
  t.queued = s->queue.length;
  return t;
}

const char* Backend::changeWeight(ServerState* s, std::string_view arg) {
  const bool relative = !arg.empty() && arg.back() == '%';
  if (relative) arg.remove_suffix(1);
  int64_t w = 0;
  auto r = std::from_chars(arg.data(), arg.data() + arg.size(), w);
  if (r.ec != std::errc() || r.ptr != arg.data() + arg.size()) w = 0;  // atoi: garbage reads as 0
  if (relative) {
    if (w < 0) return "Relative weight must be positive.\n";
    w = int64_t(s->spec->weight) * std::min<int64_t>(w, 25600) / 100;
    if (w > 256) w = 256;
  } else if (w < 0 || w > 256) {
    return "Absolute weight can only be between 0 and 256 inclusive.\n";
  }
  if (w && uint32_t(w) != s->spec->weight && !dynamicWeights(spec()))
    return "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n";
  setServerAdmin(s, s->admin.load(), uint32_t(w));
  return nullptr;
}

const char* Backend::changeMaxconn(ServerState* s, std::string_view arg) {
  int64_t v = 0;
  auto r = std::from_chars(arg.data(), arg.data() + arg.size(), v);
  if (r.ptr == arg.data()) return "maxconn string empty";
  if (r.ptr != arg.data() + arg.size()) return "Trailing garbage in maxconn string";
  std::lock_guard g(lock_);
  s->maxconn.store(uint32_t(std::max<int64_t>(0, v)));
  dispatchLocked(s);  // a higher limit lets waiters in
  return nullptr;
}

}  // namespace lbc::rt
