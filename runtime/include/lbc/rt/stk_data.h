// The data types a stick table stores (`store ...`), in HAProxy 2.6's order (its
// STKTABLE_DT_* enum): `show table` prints an entry's data in this order.
#pragma once
#include <cstdint>
#include <string_view>

namespace lbc::rt {

enum class StkData : uint8_t {
  ServerId,
  Gpt0,
  Gpc0,
  Gpc0Rate,
  ConnCnt,
  ConnRate,
  ConnCur,
  SessCnt,
  SessRate,
  HttpReqCnt,
  HttpReqRate,
  HttpErrCnt,
  HttpErrRate,
  BytesInCnt,
  BytesInRate,
  BytesOutCnt,
  BytesOutRate,
  Gpc1,
  Gpc1Rate,
  ServerKey,
  HttpFailCnt,
  HttpFailRate,
  kCount
};
constexpr uint32_t kStkDataCount = static_cast<uint32_t>(StkData::kCount);

inline constexpr std::string_view kStkDataNames[kStkDataCount] = {
    "server_id",     "gpt0",         "gpc0",          "gpc0_rate",     "conn_cnt",       "conn_rate",
    "conn_cur",      "sess_cnt",     "sess_rate",     "http_req_cnt",  "http_req_rate",  "http_err_cnt",
    "http_err_rate", "bytes_in_cnt", "bytes_in_rate", "bytes_out_cnt", "bytes_out_rate", "gpc1",
    "gpc1_rate",     "server_key",   "http_fail_cnt", "http_fail_rate"};

inline std::string_view stkDataName(StkData d) {
  return kStkDataNames[static_cast<uint32_t>(d)];
}
// False when `name` is no data type of this list.
inline bool stkDataFromName(std::string_view name, StkData& out) {
  for (uint32_t i = 0; i < kStkDataCount; ++i)
    if (kStkDataNames[i] == name) return out = static_cast<StkData>(i), true;
  return false;
}
// A rate over a period (HAProxy's freq_ctr), rather than a counter or a tag.
inline bool stkDataIsRate(StkData d) {
  return stkDataName(d).ends_with("_rate");
}

}  // namespace lbc::rt
