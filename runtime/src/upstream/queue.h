// Waiting lines: a connection that finds every server full waits in its server's queue or in the
// backend's queue until a slot frees (HAProxy's pendconn). The links live inside the waiting
// connection, so queueing allocates nothing. Everything here is changed under the backend lock.
#pragma once
#include <cstdint>

namespace lbc::rt {

struct ServerState;
struct QueueLink;

// The thread a waiting connection lives on: a link handed a slot is delivered through it (from
// any thread).
class QueueOwner {
 public:
  virtual void post(QueueLink* link) = 0;

 protected:
  ~QueueOwner() = default;
};

// A waiting connection's place in a queue.
struct QueueLink {
  QueueLink* prev = nullptr;
  QueueLink* next = nullptr;
  uint64_t seq = 0;                  // arrival order across the server and backend queues
  ServerState* queued_on = nullptr;  // the server queue it is in; null = the backend queue
  bool queued = false;               // in a queue (under the backend lock)
  ServerState* assigned = nullptr;   // set when a freed slot was handed to it
  QueueOwner* owner = nullptr;
};

// Delivers a connection that was handed a slot to the thread that owns it.
using WakeFn = void (*)(QueueLink* link);

struct Fifo {
  QueueLink* head = nullptr;
  QueueLink* tail = nullptr;
  uint32_t length = 0;
  void push(QueueLink* l);
  void remove(QueueLink* l);
};

}  // namespace lbc::rt
