#include "stream/counters.h"

#include "upstream/live.h"

namespace lbc::rt {
namespace {

StkData rateOf(StkData gpc) {
  return gpc == StkData::Gpc1 ? StkData::Gpc1Rate : StkData::Gpc0Rate;
}

// The monotonic clock the loop reads (ms), read at each count: rates depend on it.
uint64_t now() {
  return monoMs();
}

}  // namespace

StickTable* StkBinding::tableNamed(std::string_view name) const {
  if (!gen_) return nullptr;
  const auto& px = gen_->topo.proxies;
  const auto& tables = viewOf(*gen_).tables;
  for (size_t i = 0; i < px.size(); ++i)
    if (tables[i] && px[i].name == name) return tables[i];
  return nullptr;
}

const StkCounter* StkBinding::counter(int32_t slot) const {
  if (slot < 0 || slot >= kStkCounters) return nullptr;
  if (strm_ && strm_->sc[slot].entry) return &strm_->sc[slot];
  if (sess_ && sess_->sc[slot].entry) return &sess_->sc[slot];
  return nullptr;
}

void StkBinding::track(int32_t slot, const lbc_smp& key, int32_t table_proxy) {
  StkSet* set = session_level_ ? sess_ : strm_;
  if (!gen_ || !set || slot < 0 || slot >= kStkCounters || table_proxy < 0) return;
  if (set->sc[slot].entry) return;  // only the first tracking of a counter applies
  const auto& tables = viewOf(*gen_).tables;
  StickTable* t = size_t(table_proxy) < tables.size() ? tables[size_t(table_proxy)] : nullptr;
  if (!t || !t->makeKey(key, key_)) return;
  StickTable::Entry* e = t->acquire(key_, now());
  if (!e) return;
  set->sc[slot] = {t, e};
  set->any = true;
  // HAProxy's stream_start_counters.
  t->add(e, StkData::ConnCur, 1, now());
  t->add(e, StkData::ConnCnt, 1, now());
  t->add(e, StkData::ConnRate, 1, now());
  // Tracked once the request was counted (http-request/http-response rules): this request counts
  // now, and a 4xx/5xx response already seen (http-response) too.
  if (!session_level_ && http_counted_) {
    t->add(e, StkData::HttpReqCnt, 1, now());
    t->add(e, StkData::HttpReqRate, 1, now());
    countStatus(*t, e, status_);
  }
}

void StkBinding::countStatus(StickTable& t, StickTable::Entry* e, int32_t status) {
  if (status / 100 == 4) {
    t.add(e, StkData::HttpErrCnt, 1, now());
    t.add(e, StkData::HttpErrRate, 1, now());
  } else if (status / 100 == 5 && status != 501 && status != 505) {
    t.add(e, StkData::HttpFailCnt, 1, now());
    t.add(e, StkData::HttpFailRate, 1, now());
  }
}

void StkBinding::countSession() {
  if (!sess_) return;
  sess_->add(StkData::SessCnt, 1, now());
  sess_->add(StkData::SessRate, 1, now());
}

void StkBinding::countHttpRequest() {
  http_counted_ = true;
  for (int32_t i = 0; i < kStkCounters; ++i)
    if (const StkCounter* c = counter(i)) {
      c->table->add(c->entry, StkData::HttpReqCnt, 1, now());
      c->table->add(c->entry, StkData::HttpReqRate, 1, now());
    }
}

void StkBinding::countHttpError() {
  for (int32_t i = 0; i < kStkCounters; ++i)
    if (const StkCounter* c = counter(i)) {
      c->table->add(c->entry, StkData::HttpErrCnt, 1, now());
      c->table->add(c->entry, StkData::HttpErrRate, 1, now());
    }
}

void StkBinding::countHttpStatus(int32_t status) {
  status_ = status;
  for (int32_t i = 0; i < kStkCounters; ++i)
    if (const StkCounter* c = counter(i)) countStatus(*c->table, c->entry, status);
}

bool StkBinding::entryOp(StkOp op, StickTable* t, StickTable::Entry* e, StkData d, int64_t arg,
                         int64_t& out) {
  std::optional<uint64_t> v;
  switch (op) {
    case StkOp::Get:
      v = t->get(e, d, now());
      break;
    case StkOp::Trackers:
      v = t->refs(e->key, now());
      break;
    case StkOp::Inc: {
      // HAProxy's sc_inc_gpc0: the rate and the counter, whichever is stored; the counter's value.
      std::optional<uint64_t> r = t->add(e, rateOf(d), 1, now());
      v = t->add(e, d, 1, now());
      if (!v && r) v = 0;
      break;
    }
    case StkOp::Clr:
      v = t->set(e, d, 0, now());
      break;
    case StkOp::Set:
      v = t->set(e, d, uint64_t(arg), now());
      break;
    case StkOp::Updt:
      v = t->add(e, StkData::ConnCnt, 1, now());
      break;
    default:
      return false;
  }
  if (!v) return false;
  out = int64_t(*v);
  return true;
}

bool StkBinding::op(StkOp op, int32_t slot, const lbc_smp* key, std::string_view table, uint32_t data,
                    int64_t arg, int64_t& out) {
  const StkData d = static_cast<StkData>(data);
  if (op == StkOp::Count || op == StkOp::Avail) {
    StickTable* t = tableNamed(table);
    if (!t) return false;
    const uint64_t used = t->entries(), size = t->spec().size;
    out = int64_t(op == StkOp::Count ? used : size > used ? size - used : 0);
    return true;
  }
  StickTable* t = nullptr;
  if (slot >= 0) {
    const StkCounter* c = counter(slot);
    if (!c) return false;
    if (op == StkOp::Tracked) return out = 1, true;
    if (table.empty()) return entryOp(op, c->table, c->entry, d, arg, out);
    // Another table: the same key looked up there.
    t = tableNamed(table);
    if (!t) return false;
    key_ = c->entry->key;
  } else {
    t = tableNamed(table);
    if (!t || !key || !t->makeKey(*key, key_)) return false;
  }
  switch (op) {
    case StkOp::Has:
      return out = t->has(key_, now()), true;
    case StkOp::Trackers:
      // table_trackers (no slot): HAProxy reads the count while its own lookup holds the entry, so
      // an existing entry counts one more; sc_trackers(N,table) subtracts its lookup's reference.
      if (slot < 0 && t->has(key_, now())) return out = int64_t(t->refs(key_, now())) + 1, true;
      return out = t->refs(key_, now()), true;
    case StkOp::Get:
      if (!t->stores(d) && !(d == StkData::ServerId && t->spec().sticky)) return false;
      out = int64_t(t->getKey(key_, d, now()).value_or(0));  // an absent entry reads 0
      return true;
    default: {
      // src_inc_gpc0, src_clr_gpc0, src_updt_conn_cnt: the entry is created when absent.
      StickTable::Entry* e = t->acquire(key_, now());
      if (!e) return false;
      bool ok = entryOp(op, t, e, d, arg, out);
      t->release(e, now());
      return ok;
    }
  }
}

}  // namespace lbc::rt
