// The observable result of running one transaction through a configuration: what every engine
// (interpreter, JIT, AOT) must agree on, and what `lbc route` prints.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "ir/ir.h"
#include "lbc/rt/txn.h"

namespace lbc::interp {

struct StickResult {
  uint32_t rule = 0;
  int32_t result = LBC_FAIL;  // LBC_PASS / LBC_FAIL / LBC_MISS
  std::string key;            // printable key ("-" when not found)
  bool operator==(const StickResult&) const = default;
};

struct Outcome {
  int32_t backend = LBC_BACKEND_NONE;   // proxy index; NONE when selection did not run or found none
  bool backend_selected = false;        // selection ran (no final verdict before it)
  int32_t verdict = LBC_HOOK_CONTINUE;  // the final LBC_HOOK_* code (CONTINUE = forwarded)
  std::string stage;                    // hook that produced the verdict, e.g. "http-request frontend"
  int32_t status = 0;                   // deny / return / redirect status
  std::string content_type, body;
  std::vector<std::pair<std::string, std::string>> reply_headers;  // Location, hdr, Set-Cookie
  std::vector<rt::FiredRule> fired;
  std::vector<StickResult> sticks;
  // The request and response as rewritten.
  std::string method, uri;
  std::vector<std::pair<std::string, std::string>> req_headers, res_headers;
  int32_t res_status = 0;
  std::string res_reason;
  std::vector<std::string> vars;    // "txn.name=value(type)", in creation order
  std::vector<std::string> tracks;  // "sc0=key@table"
  bool operator==(const Outcome&) const = default;
};

// Copies the final state of `t` into `o` (request/response, vars, tracks, fired rules).
void captureState(const rt::Txn& t, Outcome& o);

// Human-readable text (`lbc route`, and the difference report of the differential suite).
// `where(loc)` gives "file:line".
std::string describe(const Outcome& o, const ir::Program& p, const std::vector<std::string>& files);
std::string smpText(const lbc_smp& s);
const char* verdictName(int32_t v);
// The IR location of a fired rule.
ir::SourceLoc ruleLoc(const ir::Program& p, const rt::FiredRule& r);

}  // namespace lbc::interp
