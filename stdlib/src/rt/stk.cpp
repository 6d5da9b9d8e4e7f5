// Sticky-counter fetches (sc_*, sc0_* .. sc2_*, src_*, table_cnt/avl) and converters (table_*,
// in_table), listed with what each asks in lbc/abi_stk.h. They reach the runtime's tables through
// Txn::stk; without one (lbc route) they have no value, as a counter that tracks nothing.
#include "internal.h"
#include "lbc/rt/stk_data.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace {

constexpr int32_t kArg = -1, kSrc = -2, kTab = -3;  // the Slot column of abi_stk.h
constexpr int32_t ARG = kArg, SRC = kSrc, TAB = kTab;

// HAProxy's smp_fetch_sc_stkctr: `sc_*(ctr[,table])` and `scN_*([table])` read the entry a
// counter tracks (the same key in `table` when named); `src_*([table])` look the source address
// up; the table's own fetches (table_cnt) only name it.
int32_t stkFetch(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out, int32_t slot, StkOp op,
                 StkData d, bool kilo, bool boolean) {
  Txn& t = T(txn);
  uint32_t a = 0;
  if (slot == kArg) {
    slot = a < nargs ? int32_t(args[a].num) : 0;
    ++a;
  }
  std::string_view table = argStr(args, nargs, a);
  lbc_smp key{};
  const lbc_smp* k = nullptr;
  if (slot == kSrc) {
    setIp(&key, t.src, t.src_v6);
    k = &key;
  }
  int64_t v = 0;
  if (!t.stk || !t.stk->op(op, slot < 0 ? -1 : slot, k, table, static_cast<uint32_t>(d), 0, v)) {
    // sc_tracked answers even when nothing is tracked.
    if (op != StkOp::Tracked) return setNone(out), LBC_FETCH_NONE;
    v = 0;
  }
  setInt(out, kilo ? v >> 10 : v, boolean ? LBC_SMP_BOOL : LBC_SMP_SINT);
  return LBC_FETCH_OK;
}

// `table_*(table)` / `in_table(table)`: the input sample is the key.
int32_t stkConv(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s, StkOp op, StkData d, bool kilo,
                bool boolean) {
  Txn& t = T(txn);
  lbc_smp key = *s;
  int64_t v = 0;
  if (!t.stk || !t.stk->op(op, -1, &key, argStr(args, nargs, 0), static_cast<uint32_t>(d), 0, v)) {
    if (op != StkOp::Has) return setNone(s), 0;
    v = 0;
  }
  setInt(s, kilo ? v >> 10 : v, boolean ? LBC_SMP_BOOL : LBC_SMP_SINT);
  return 1;
}

}  // namespace

extern "C" {

#define LBC_STK_FETCH(Id, Op, Data, Kilo, Bool, Slot)                                       \
  int32_t lbc_fetch_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* out) { \
    return stkFetch(txn, args, nargs, out, Slot, StkOp::Op, StkData::Data, Kilo, Bool);     \
  }
LBC_ABI_STK_FETCH_LIST(LBC_STK_FETCH)
#undef LBC_STK_FETCH

#define LBC_STK_CONV(Id, Op, Data, Kilo, Bool)                                           \
  int32_t lbc_conv_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s) { \
    return stkConv(txn, args, nargs, s, StkOp::Op, StkData::Data, Kilo, Bool);           \
  }
LBC_ABI_STK_CONV_LIST(LBC_STK_CONV)
#undef LBC_STK_CONV

}  // extern "C"
