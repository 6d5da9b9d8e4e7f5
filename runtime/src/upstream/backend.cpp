#include "backend.h"

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
  auto count = [&] {
    t.act = t.bck = 0;
    for (auto& o : servers_)
      if (o->usable()) ++(o->spec->backup ? t.bck : t.act);
  };
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

void Backend::setServerAdmin(ServerState* s, SrvAdmin admin, uint32_t weight) {
  std::lock_guard g(lock_);
  const bool was = s->usable();
  if (s->admin.load() != admin) {
    // Leaving maintenance: a server without checks is up at once (HAProxy); a checked one
    // (disabled at start) goes on from what its checks say.
    // (A `disabled` one is never checked: it is up when enabled.)
    if (admin != SrvAdmin::Maint && (!s->spec->check.enabled || s->spec->disabled)) s->up.store(true);
    // A check is paused in maintenance and resumes at `rise` (the health checker follows).
    if (s->spec->check.enabled && (admin == SrvAdmin::Maint || s->admin.load() == SrvAdmin::Maint))
      s->check_health.store(admin == SrvAdmin::Maint ? 0 : s->spec->check.rise);
    s->admin.store(admin);
    s->last_change_s = uint64_t(time(nullptr));
  }
  s->uweight.store(weight);
  balancer_->rebuild();
  if (s->usable() && !was) {
    dispatchLocked(s);
  } else if (!s->usable() && was) {
    while (QueueLink* w = s->queue.head) {
      s->queue.remove(w);
      w->queued_on = nullptr;
      queue_.push(w);
    }
    for (auto& o : servers_)
      if (o->usable()) dispatchLocked(o.get());
  }
}

}  // namespace lbc::rt
