// Integer and boolean converters (HAProxy 2.6 sample.c): capped 64-bit arithmetic, bitwise
// operators, parity and truth tests. An operand is an integer or a variable name (`txn.x`).
#include <climits>
#include <cstring>

#include "internal.h"

using namespace lbc::rt;
using namespace lbc::rt::detail;

namespace {

int32_t fail(lbc_smp* s) {
  setNone(s);
  return 0;
}

// The input as an integer, as HAProxy's casts: an empty string does not convert.
bool asInt(lbc_txn* txn, lbc_smp* s) {
  if (s->type == LBC_SMP_STR && s->len == 0) return false;
  return lbc_rt_smp_cast(txn, s, LBC_SMP_SINT) == 1;
}

// The operand: a variable's value (cast to an integer) or the integer written.
bool operand(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, int64_t& v) {
  std::string_view a = argStr(args, nargs, 0);
  if (a.find('.') == std::string_view::npos) {
    v = readInt(a);
    return true;
  }
  lbc_smp var{};
  if (lbc_fetch_var(txn, args, 1, &var) != LBC_FETCH_OK || !asInt(txn, &var)) return false;
  v = var.sint;
  return true;
}

// HAProxy 2.6's arith_add, exactly: with both operands negative its second test wraps and the
// sum is LLONG_MAX (`-7,add(-5)` is 9223372036854775807 there too).
int64_t wrap(uint64_t v) {
  return static_cast<int64_t>(v);
}
int64_t capAdd(int64_t a, int64_t b) {
  if ((a ^ b) >= 0) {
    if (a < 0 && wrap(static_cast<uint64_t>(LLONG_MIN) - static_cast<uint64_t>(a)) > b) return LLONG_MIN;
    if (wrap(static_cast<uint64_t>(LLONG_MAX) - static_cast<uint64_t>(a)) < b) return LLONG_MAX;
  }
  return wrap(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}

template <class Op>
int32_t binary(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s, Op op) {
  int64_t b = 0;
  if (!asInt(txn, s) || !operand(txn, args, nargs, b)) return fail(s);
  setInt(s, op(s->sint, b));
  return 1;
}

int32_t unaryBool(lbc_txn* txn, lbc_smp* s, bool (*test)(int64_t)) {
  if (!asInt(txn, s)) return fail(s);
  setInt(s, test(s->sint) ? 1 : 0, LBC_SMP_BOOL);
  return 1;
}

}  // namespace

#define CONV(Id) int32_t lbc_conv_##Id(lbc_txn* txn, const lbc_arg* args, uint32_t nargs, lbc_smp* s)

extern "C" {

CONV(add) {
  return binary(txn, args, nargs, s, capAdd);
}
CONV(sub) {
  return binary(txn, args, nargs, s, [](int64_t a, int64_t b) {
    if (b == LLONG_MIN) {  // -LLONG_MIN does not exist: add LLONG_MAX, then one more
      int64_t r = capAdd(a, LLONG_MAX);
      return r < LLONG_MAX ? r + 1 : r;
    }
    return capAdd(a, -b);
  });
}
CONV(mul) {
  return binary(txn, args, nargs, s, [](int64_t a, int64_t b) {
    if (!a || !b) return int64_t{0};
    if (a == LLONG_MIN && b == -1) return int64_t{LLONG_MAX};
    int64_t r;
    if (__builtin_mul_overflow(a, b, &r)) return (a < 0) == (b < 0) ? int64_t{LLONG_MAX} : int64_t{LLONG_MIN};
    return r;
  });
}
CONV(div) {
  return binary(txn, args, nargs, s, [](int64_t a, int64_t b) {
    if (!b) return int64_t{LLONG_MAX};
    if (a == LLONG_MIN && b == -1) return int64_t{LLONG_MAX};
    return a / b;
  });
}
CONV(mod) {
  return binary(txn, args, nargs, s, [](int64_t a, int64_t b) {
    if (!b || (a == LLONG_MIN && b == -1)) return int64_t{0};
    return a % b;
  });
}
CONV(and_) {
  return binary(txn, args, nargs, s, [](int64_t a, int64_t b) { return a & b; });
}
CONV(or_) {
  return binary(txn, args, nargs, s, [](int64_t a, int64_t b) { return a | b; });
}
CONV(xor_) {
  return binary(txn, args, nargs, s, [](int64_t a, int64_t b) { return a ^ b; });
}

CONV(neg) {
  (void)args, (void)nargs;
  if (!asInt(txn, s)) return fail(s);
  setInt(s, s->sint == LLONG_MIN ? LLONG_MAX : -s->sint);
  return 1;
}
CONV(cpl) {
  (void)args, (void)nargs;
  if (!asInt(txn, s)) return fail(s);
  setInt(s, ~s->sint);
  return 1;
}
CONV(even) {
  (void)args, (void)nargs;
  return unaryBool(txn, s, [](int64_t v) { return !(v & 1); });
}
CONV(odd) {
  (void)args, (void)nargs;
  return unaryBool(txn, s, [](int64_t v) { return (v & 1) != 0; });
}
CONV(not_) {
  (void)args, (void)nargs;
  return unaryBool(txn, s, [](int64_t v) { return v == 0; });
}
CONV(bool_) {
  (void)args, (void)nargs;
  return unaryBool(txn, s, [](int64_t v) { return v != 0; });
}

}  // extern "C"
