// The transaction a connection carries through the analysis stages when the program has rules:
// lbc::rt::Txn (what the compiled hooks see), the bounded inspection buffers of tcp-request and
// tcp-response content, and the stick entries waiting for the server's id. Pooled per worker
// and reused: the buffers and the arena's first chunk stay allocated across connections.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "lbc/rt/txn.h"
#include "stream/counters.h"

namespace lbc::rt {

struct ServerState;

struct TxnSlot {
  // HAProxy's request analysers in their order; the http stages are skipped by TCP streams.
  enum class Stage : uint8_t { FeContent, FeHttp, Select, BeContent, BeHttp, Stick, Connect, Done };
  static constexpr uint32_t kMaxStores = 8;  // as HAProxy's per-stream store array

  Txn txn;
  // Client bytes read while tcp-request content rules wait (never more than bufsize), forwarded
  // to the server before anything else; the same for the server's first bytes on the response
  // side. Allocated on first use, kept for the next connection.
  std::unique_ptr<char[]> req, res;
  uint32_t req_len = 0, req_sent = 0, res_len = 0, res_sent = 0;
  Stage stage = Stage::FeContent;
  bool stage_started = false;     // the current content stage set its inspect deadline
  bool inspecting = false;        // client bytes go to `req` (not the pipe) while rules wait
  bool early_recv = false;        // the client is read before the server connection exists
  bool res_pending = false;       // response analysis waits for the server's first data
  ServerState* sticky = nullptr;  // the server a stick match chose
  struct Store {
    uint32_t table = 0;  // proxy index of the table
    std::string key;
    bool done = false;
  } stores[kMaxStores];
  uint32_t nstores = 0;
  std::string scratch;  // key being built
  StkSet counters;      // tracked by this stream's rules (tcp-request content, http-request/response)
  StkBinding stk;       // txn.stk
  TxnSlot* next_free = nullptr;

  bool storing(uint32_t table) const {
    for (uint32_t i = 0; i < nstores; ++i)
      if (stores[i].table == table) return true;
    return false;
  }
  // Back to a blank transaction, keeping every capacity (no allocation on reuse).
  void reset();
  // Points txn.stk at this stream's trackers and the connection's (`session`).
  void bindCounters(const Generation* gen, StkSet* session) {
    stk.bind(gen, session, &counters);
    txn.stk = &stk;
  }
};

}  // namespace lbc::rt
