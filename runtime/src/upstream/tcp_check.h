// `option tcp-check` / `option redis-check` steps: how an expect rule judges the bytes read so far,
// and HAProxy 2.6's texts for the failures (the `info` of the state-change messages).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "lbc/rt/topology.h"

struct pcre2_real_code_8;

namespace lbc::rt::tcpcheck {

// A compiled rstring/rbinary pattern.
using Regex = std::shared_ptr<pcre2_real_code_8>;
Regex compile(const std::string& pattern);

enum class Verdict { Wait, Pass, Fail };
// `final`: no more bytes will come (the server closed, or the buffer is full). As HAProxy: a
// mismatch waits for more bytes until then, negated rules included.
Verdict expect(const TcpCheckStep& s, const Regex& re, std::string_view data, bool final);

// An on-error (`success` false) / on-success text on `data`; the status-code of `data` (its first
// 3 bytes as an integer).
std::string message(const TcpCheckStep& s, TcpCheckMsg m, std::string_view data, bool success);
int statusCode(std::string_view data);

// An "expect custom" rule (s.custom) on the bytes read: Wait, Pass, or Fail with `r` filled.
struct CustomResult {
  bool l7sts = false;  // else L7RSP
  int code = 0;
  std::string info;
};
Verdict custom(const TcpCheckStep& s, std::string_view data, bool final, CustomResult& r);

// The info of a failed expect at steps[idx] on `data` (HAProxy's tcpcheck_expect_onerror_message).
std::string expectFailure(const TcpCheckSpec& spec, size_t idx, std::string_view data, bool matched);
// The info of an expect that got nothing before the close.
std::string emptyResponse(const TcpCheckSpec& spec, size_t idx);
// What HAProxy appends to a connection error or timeout of a tcp-check (chk_report_conn_err):
// " at step N of tcp-check (...)"; `idx` < 0: before any rule (the implicit connect).
std::string connErrorSuffix(const TcpCheckSpec& spec, int idx);

}  // namespace lbc::rt::tcpcheck
