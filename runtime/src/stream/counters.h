// The runtime's side of Txn::stk: track-scN actions and sc_*/src_*/table_* fetches on the stick
// tables of the connection's generation, with HAProxy 2.6's two levels of trackers: the
// session's (`tcp-request connection|session`, kept for the connection's life) and the stream's
// (`tcp-request content`, `http-request`, `http-response`: one request).
#pragma once
#include "config/generation.h"
#include "core/clock.h"
#include "lbc/rt/txn.h"
#include "state/trackers.h"

namespace lbc::rt {

class StkBinding final : public StkAccess {
 public:
  void bind(const Generation* gen, StkSet* session, StkSet* stream) {
    gen_ = gen, sess_ = session, strm_ = stream;
    session_level_ = http_counted_ = false;
    status_ = 0;
  }
  bool httpCounted() const { return http_counted_; }
  // Trackers of `tcp-request connection|session` rules belong to the session.
  void sessionLevel(bool on) { session_level_ = on; }

  void track(int32_t slot, const lbc_smp& key, int32_t table_proxy) override;
  bool op(StkOp op, int32_t slot, const lbc_smp* key, std::string_view table, uint32_t data, int64_t arg,
          int64_t& out) override;

  // HAProxy's session_count_new: sess_cnt and sess_rate of the session's trackers.
  void countSession();
  // stream_inc_http_req_ctr: one request more on every tracked entry.
  void countHttpRequest();
  // A request denied by an http-request rule (HAProxy's `deny:` path counts an error).
  void countHttpError();
  // A response status: 4xx are errors (http_err_*), 5xx other than 501/505 failures (http_fail_*).
  void countHttpStatus(int32_t status);

 private:
  StickTable* tableNamed(std::string_view name) const;
  // The counter `slot` of the stream, else of the session (HAProxy looks there in that order).
  const StkCounter* counter(int32_t slot) const;
  bool entryOp(StkOp op, StickTable* t, StickTable::Entry* e, StkData d, int64_t arg, int64_t& out);
  void countStatus(StickTable& t, StickTable::Entry* e, int32_t status);

  const Generation* gen_ = nullptr;
  StkSet* sess_ = nullptr;
  StkSet* strm_ = nullptr;
  bool session_level_ = false;
  bool http_counted_ = false;  // this stream's request was counted (countHttpRequest)
  int32_t status_ = 0;         // the response's status once known
  std::string key_;            // scratch
};

}  // namespace lbc::rt
