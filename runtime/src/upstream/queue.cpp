// The backend's waiting lines: who gets a freed slot, leaving a queue, a server's waiters when it
// goes down. All under the backend lock.
#include "queue.h"

#include "backend.h"

namespace lbc::rt {

void Fifo::push(QueueLink* l) {
  l->prev = tail;
  l->next = nullptr;
  if (tail)
    tail->next = l;
  else
    head = l;
  tail = l;
  ++length;
}

void Fifo::remove(QueueLink* l) {
  if (l->prev)
    l->prev->next = l->next;
  else
    head = l->next;
  if (l->next)
    l->next->prev = l->prev;
  else
    tail = l->prev;
  l->prev = l->next = nullptr;
  --length;
}

void Backend::enqueueLocked(QueueLink* link, ServerState* on) {
  link->seq = ++seq_;
  link->queued_on = on;
  link->queued = true;
  link->assigned = nullptr;
  (on ? on->queue : queue_).push(link);
}

void Backend::dispatchLocked(ServerState* s) {
  // The freed slot goes to the oldest waiter of this server's queue or the backend's queue.
  while (s->usable() || s->queue.length) {
    uint32_t max = s->maxconn.load(std::memory_order_relaxed);
    if (max && s->served.load() >= max) return;
    QueueLink* a = s->queue.head;
    QueueLink* b = s->usable() ? queue_.head : nullptr;
    QueueLink* w = a && b ? (a->seq < b->seq ? a : b) : a ? a : b;
    if (!w) return;
    (w->queued_on ? w->queued_on->queue : queue_).remove(w);
    w->queued = false;
    waiting_.fetch_sub(1);
    s->took();
    s->lc_stamp.store(++seq_);
    w->assigned = s;
    wake_(w);
  }
}

void Backend::release(ServerState* s) {
  s->served.fetch_sub(1);
  s->lc_stamp.store(s->lc_stamp.load() + 1);
  if (waiting_.load() == 0) return;
  std::lock_guard g(lock_);
  dispatchLocked(s);
  // A waiter of the backend queue may also fit any other server with room.
  for (auto& o : servers_)
    if (queue_.length && o.get() != s && o->usable()) dispatchLocked(o.get());
}

bool Backend::leaveQueue(QueueLink* link) {
  std::lock_guard g(lock_);
  if (!link->queued) return false;
  (link->queued_on ? link->queued_on->queue : queue_).remove(link);
  link->queued = false;
  waiting_.fetch_sub(1);
  return true;
}

}  // namespace lbc::rt
