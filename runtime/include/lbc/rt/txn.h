// The state of one transaction as the compiled hooks and the stdlib helpers see it. The runtime
// fills it from the connection and the parsed request (a later issue); `lbc route` and the tests
// fill it by hand. Generated code only holds an opaque `lbc_txn*` and reaches the fields through
// the helpers of abi.h.
//
// Memory: every string_view below points into `arena` (or into memory the filler keeps alive for
// the whole transaction). A rewrite writes new bytes into the arena and repoints the view; old
// bytes stay until the transaction ends, so samples fetched earlier never dangle. The arena has a
// hard limit: past it a rewrite fails (the hook returns LBC_HOOK_ERROR) instead of growing.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lbc/abi.h"

namespace lbc::rt {

class Arena {
 public:
  explicit Arena(size_t limit = kDefaultLimit) : limit_(limit) {}
  static constexpr size_t kDefaultLimit = 1u << 20;  // per transaction
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  // nullptr once `limit` bytes have been handed out.
  char* alloc(size_t n) {
    if (n > limit_ - used_ || n > limit_) return nullptr;
    if (n > avail_) {
      size_t chunk = n > kChunk ? n : kChunk;
      if (chunks_.empty()) first_chunk_ = chunk;
      chunks_.push_back(std::make_unique<char[]>(chunk));
      cur_ = chunks_.back().get();
      avail_ = chunk;
    }
    char* p = cur_;
    cur_ += n;
    avail_ -= n;
    used_ += n;
    return p;
  }
  // A copy of `s` in the arena; an empty view (and `ok` = false) past the limit.
  std::string_view copy(std::string_view s, bool* ok = nullptr) {
    if (s.empty()) {
      if (ok) *ok = true;
      return {};
    }
    char* p = alloc(s.size());
    if (ok) *ok = p != nullptr;
    if (!p) return {};
    std::memcpy(p, s.data(), s.size());
    return {p, s.size()};
  }
  size_t used() const { return used_; }
  // Keeps the first standard-size chunk: a transaction object reused from a pool (the runtime's,
  // one per connection) then allocates nothing for small rule work.
  void reset() {
    if (!chunks_.empty() && first_chunk_ == kChunk) {
      chunks_.resize(1);
      cur_ = chunks_[0].get();
      avail_ = kChunk;
    } else {
      chunks_.clear();
      cur_ = nullptr;
      avail_ = 0;
    }
    used_ = 0;
  }

 private:
  static constexpr size_t kChunk = 4096;
  size_t limit_;
  std::vector<std::unique_ptr<char[]>> chunks_;
  char* cur_ = nullptr;
  size_t avail_ = 0, used_ = 0;
  size_t first_chunk_ = 0;
};

struct Header {
  std::string_view name, value;
};

struct Var {
  int32_t scope = LBC_VAR_TXN;  // LBC_VAR_*
  std::string_view name;
  lbc_smp value{};  // strings in the arena
};

struct Track {
  int32_t slot = 0;
  lbc_smp key{};
  std::string_view table;  // empty: the proxy's own
};

// What a sticky-counter fetch, converter or action asks of the stick tables.
enum class StkOp : uint8_t {
  Get,       // the data type's value (a rate over its period)
  Inc,       // gpc0/gpc1 (and its rate) + 1: the new value
  Clr,       // gpc0/gpc1 set to 0: the previous value
  Set,       // gpt0 set to the argument
  Updt,      // conn_cnt + 1, the entry created (src_updt_conn_cnt)
  Tracked,   // 1 when the counter tracks an entry
  Trackers,  // the trackers holding the entry
  Has,       // 1 when the key has an entry (in_table)
  Count,     // entries in the table (table_cnt)
  Avail,     // free entries (table_avl)
};

// Sticky counters: the runtime's stick tables and the trackers of the connection and of the
// stream. Null where there are none (the interpreter of `lbc route`): tracking then records
// only `tracks` and the fetches find nothing.
class StkAccess {
 public:
  // track-scN: the entry of `key` in the table of proxy `table_proxy`, held by counter `slot`.
  virtual void track(int32_t slot, const lbc_smp& key, int32_t table_proxy) = 0;
  // `slot` >= 0: the entry counter `slot` tracks (the same key in `table` when one is named);
  // `slot` < 0: the entry of `key` in `table`. `data` is a StkData. False: no sample (the counter
  // tracks nothing, or the table does not store the data type); an absent entry reads 0.
  virtual bool op(StkOp op, int32_t slot, const lbc_smp* key, std::string_view table, uint32_t data,
                  int64_t arg, int64_t& out) = 0;

 protected:
  ~StkAccess() = default;
};

struct FiredRule {
  uint32_t proxy = 0, kind = 0, index = 0;  // LBC_RULE_* kind
  bool operator==(const FiredRule&) const = default;
};

// What a final action decided (deny, return, redirect) and the response it asks for.
struct Reply {
  int32_t status = 0;
  std::string_view content_type;
  int32_t body_kind = LBC_BODY_NONE;
  std::string_view body;
  std::vector<Header> headers;  // `hdr` of return/deny; Location and Set-Cookie of a redirect
};

struct Txn {
  const lbc_program* program = nullptr;  // for proxy names (dynamic use_backend, %f, %b)

  // ---- connection ----
  uint8_t src[16] = {}, dst[16] = {};  // network order; IPv4 in the first 4 bytes
  bool src_v6 = false, dst_v6 = false;
  uint16_t src_port = 0, dst_port = 0;
  bool ssl = false;                                     // ssl_fc
  std::string_view sni;                                 // ssl_fc_sni (empty: none)
  std::string_view ssl_alpn, ssl_protocol, ssl_cipher;  // ssl_fc_alpn/_protocol/_cipher
  bool ssl_resumed = false;                             // ssl_fc_is_resumed
  bool ssl_bc = false;                                  // ssl_bc: the server connection is TLS
  std::string_view pp_authority, pp_unique_id;          // fc_pp_*: the PROXY header's TLVs (empty: none)
  uint32_t frontend = 0;                                // proxy index
  int32_t backend = LBC_BACKEND_NONE;                   // set once backend selection ran

  // ---- where we are ----
  bool in_response = false;  // response-side hook running (hdr = res.hdr, payload = response)
  bool more_data = false;    // partial data and inspect-delay not expired: fetches may MISS

  // ---- raw contents (tcp-request/response content) ----
  std::string_view req_payload, res_payload;

  // ---- HTTP request view ----
  bool http = false;
  std::string_view method, uri, version = "HTTP/1.1";
  std::vector<Header> req_headers;

  // ---- HTTP response view ----
  bool has_response = false;
  int32_t status = 0;
  std::string_view reason;
  std::vector<Header> res_headers;

  // ---- what the rules produced ----
  std::vector<Var> vars;
  std::vector<Track> tracks;
  StkAccess* stk = nullptr;  // the runtime's sticky counters (null: none)
  std::vector<FiredRule> fired;
  int32_t verdict = LBC_HOOK_CONTINUE;  // the last final action's LBC_HOOK_* code
  Reply reply;                          // deny / return / redirect
  bool rewrite_failed = false;

  // ---- scratch ----
  Arena arena;
  std::string lf;  // the log-format being rendered (lbc_lf_begin .. lbc_lf_end)
};

inline Txn* fromAbi(lbc_txn* t) {
  return reinterpret_cast<Txn*>(t);
}
inline lbc_txn* toAbi(Txn* t) {
  return reinterpret_cast<lbc_txn*>(t);
}

}  // namespace lbc::rt
