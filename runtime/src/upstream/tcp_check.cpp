#include "upstream/tcp_check.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <iterator>

namespace lbc::rt::tcpcheck {

Regex compile(const std::string& pattern) {
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code =
      pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(), 0, &err, &off, nullptr);
  return Regex(code, [](pcre2_code* c) {
    if (c) pcre2_code_free(c);
  });
}

namespace {
bool search(const Regex& re, std::string_view s) {
  if (!re) return false;
  pcre2_match_data* md = pcre2_match_data_create(1, nullptr);
  int rc = pcre2_match(re.get(), reinterpret_cast<PCRE2_SPTR>(s.data()), s.size(), 0, 0, md, nullptr);
  pcre2_match_data_free(md);
  return rc >= 0;
}

// rbinary patterns are matched against the bytes in upper-case hex, as HAProxy dumps them.
std::string hexDump(std::string_view data, bool upper) {
  static const char* kUpper = "0123456789ABCDEF";
  static const char* kLower = "0123456789abcdef";
  const char* tab = upper ? kUpper : kLower;
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out.push_back(tab[c >> 4]);
    out.push_back(tab[c & 15]);
  }
  return out;
}

// The rule's own comment, or a `tcp-check comment` found walking back over expect rules only (as
// HAProxy: a comment before a send does not name the expects after it).
const std::string* comment(const TcpCheckSpec& spec, size_t idx) {
  if (!spec.steps[idx].comment.empty()) return &spec.steps[idx].comment;
  for (size_t i = idx; i-- > 0;) {
    if (spec.steps[i].kind == TcpCheckStepKind::Comment) return &spec.steps[i].data;
    if (spec.steps[i].kind != TcpCheckStepKind::Expect) break;
  }
  return nullptr;
}

void appendComment(std::string& m, const TcpCheckSpec& spec, size_t idx) {
  if (const std::string* c = comment(spec, idx)) m += " comment: " + *c;
}
}  // namespace

std::string message(const TcpCheckStep& s, TcpCheckMsg m, std::string_view data, bool success) {
  switch (m) {
    case TcpCheckMsg::None:
      return "";
    case TcpCheckMsg::Text:
      return success ? s.success_text : s.error_text;
    case TcpCheckMsg::From6:  // a string sample made a C string: up to its first NUL
      data = data.size() > 6 ? data.substr(6) : std::string_view();
      return std::string(data.substr(0, data.find('\0')));
    case TcpCheckMsg::AfterCode:
      data = data.size() > 4 ? data.substr(4) : std::string_view();
      data.remove_prefix(std::min(data.size(), data.find_first_not_of(' ')));
      [[fallthrough]];
    case TcpCheckMsg::Line:
      data = data.substr(0, data.find('\0'));
      return std::string(data.substr(0, data.find_first_of("\r\n")));
  }
  return "";
}

int statusCode(std::string_view data) {
  // res.payload(0,3) as an integer (HAProxy's string-to-integer cast: an optional sign, the digits
  // up to the first other character); fewer than 3 bytes: no sample, 0.
  if (data.size() < 3) return 0;
  data = data.substr(0, 3);
  size_t i = 0;
  const bool neg = data[0] == '-';
  if (neg || data[0] == '+') ++i;
  int code = 0;
  for (; i < data.size() && data[i] >= '0' && data[i] <= '9'; ++i) code = code * 10 + (data[i] - '0');
  return neg ? -code : code;
}

namespace {
// A MySQL packet at `off` (3 bytes of length, a sequence id): an error packet (0xff) fails with
// L7STS, its error code and message (HAProxy's tcpcheck_mysql_expect_packet); a truncated one waits
// for more bytes, or fails with L7RSP once no more come.
Verdict mysqlPacket(std::string_view d, size_t off, bool final, CustomResult& r) {
  auto at = [&](size_t i) { return i < d.size() ? unsigned(static_cast<unsigned char>(d[i])) : 0u; };
  if (d.size() < off + 4) {
    if (!final) return Verdict::Wait;
    r.l7sts = false;
    return Verdict::Fail;
  }
  const size_t plen = at(off) | at(off + 1) << 8 | at(off + 2) << 16;
  if (d.size() < off + plen + 4) {
    if (!final) return Verdict::Wait;
    r.l7sts = false;
    return Verdict::Fail;
  }
  if (at(off + 4) == 0xff) {
    r.l7sts = true;
    r.code = int(at(off + 5) | at(off + 6) << 8);
    std::string_view desc = d.size() > off + 7 ? d.substr(off + 7) : std::string_view();
    r.info = std::string(desc.substr(0, desc.find('\0')));
    return Verdict::Fail;
  }
  return Verdict::Pass;
}
// SPOP (HAProxy's flt_spoe.c): its varints, length-prefixed buffers, typed data.
bool spopVarint(std::string_view d, size_t& p, uint64_t& v) {
  if (p >= d.size()) return false;
  v = static_cast<unsigned char>(d[p++]);
  if (v < 240) return true;
  unsigned r = 4;
  unsigned char b;
  do {
    if (p >= d.size() || r > 60) return false;
    b = static_cast<unsigned char>(d[p++]);
    v += uint64_t(b) << r;
    r += 7;
  } while (b >= 128);
  return true;
}
bool spopBuffer(std::string_view d, size_t& p, std::string_view& out) {
  uint64_t n;
  if (!spopVarint(d, p, n) || n > d.size() - p) return false;
  out = d.substr(p, n);
  p += n;
  return true;
}
enum SpopType { kBool = 1, kInt32, kUint32, kInt64, kUint64, kIpv4, kIpv6, kStr, kBin };
bool spopSkip(std::string_view d, size_t& p) {
  if (p >= d.size()) return false;
  const int type = d[p++] & 0x0f;
  uint64_t v;
  std::string_view s;
  switch (type) {
    case kInt32:
    case kUint32:
    case kInt64:
    case kUint64:
      return spopVarint(d, p, v);
    case kIpv4:
    case kIpv6: {
      const size_t n = type == kIpv4 ? 4 : 16;
      if (d.size() - p < n) return false;
      p += n;
      return true;
    }
    case kStr:
    case kBin:
      return spopBuffer(d, p, s);
    default:
      return true;
  }
}
// "X.Y" as X * 1000 + Y, -1 if malformed (spoe_str_to_vsn).
int spopVersion(std::string_view s) {
  size_t p = 0;
  while (p < s.size() && std::isspace(static_cast<unsigned char>(s[p]))) ++p;
  int maj = 0, min = 0;
  for (; p < s.size() && s[p] != '.'; ++p) {
    if (s[p] < '0' || s[p] > '9' || maj > 100000) return -1;
    maj = maj * 10 + (s[p] - '0');
  }
  if (!maj) return -1;
  ++p;
  if (p >= s.size() || s[p] < '0' || s[p] > '9') return -1;
  for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p) {
    min = min * 10 + (s[p] - '0');
    if (min > 999) return -1;
  }
  while (p < s.size() && std::isspace(static_cast<unsigned char>(s[p]))) ++p;
  return p == s.size() ? maj * 1000 + min : -1;
}
const char* spopReason(uint64_t code) {
  static const char* const kReasons[] = {"normal",
                                         "I/O error",
                                         "a timeout occurred",
                                         "frame is too big",
                                         "invalid frame received",
                                         "version value not found",
                                         "max-frame-size value not found",
                                         "capabilities value not found",
                                         "unsupported version",
                                         "max-frame-size too big or too small",
                                         "fragmentation not supported",
                                         "invalid interlaced frames",
                                         "frame-id not found",
                                         "resource allocation error"};
  return code < std::size(kReasons) ? kReasons[code] : "an unknown error occurred";
}
enum SpopError : uint64_t {
  kInvalid = 4,
  kNoVersion,
  kNoFrameSize,
  kBadVersion = 8,
  kBadFrameSize,
  kFragmented
};
constexpr uint64_t kSpopOk = ~uint64_t(0);
// The agent's frame (after its 4-byte length): kSpopOk for a valid AGENT-HELLO, else the SPOP
// error (an AGENT-DISCONNECT frame's own status-code) - HAProxy's spoe_handle_healthcheck_response.
uint64_t spopAgentHello(std::string_view f) {
  if (f.empty()) return kInvalid;
  const unsigned char type = static_cast<unsigned char>(f[0]);
  if (type != 101 && type != 102) return kInvalid;  // AGENT-HELLO, AGENT-DISCONNECT
  const bool discon = type == 102;
  if (f.size() < 7) return kInvalid;
  const uint32_t flags = uint32_t(static_cast<unsigned char>(f[1])) << 24 |
                         uint32_t(static_cast<unsigned char>(f[2])) << 16 |
                         uint32_t(static_cast<unsigned char>(f[3])) << 8 | static_cast<unsigned char>(f[4]);
  if (!(flags & 1)) return kFragmented;
  if (f[5] != 0 || f[6] != 0) return kInvalid;
  size_t p = 7;
  uint64_t status = 0;  // a disconnect's
  bool version = false, frame_size = false;
  while (p < f.size()) {
    std::string_view key, str;
    if (!spopBuffer(f, p, key) || key.empty()) return kInvalid;
    auto is = [&](std::string_view k) { return key.size() >= k.size() && key.substr(0, k.size()) == k; };
    auto intType = [](int t) { return t == kInt32 || t == kUint32 || t == kInt64 || t == kUint64; };
    const int vtype = p < f.size() ? (f[p] & 0x0f) : 0;
    uint64_t v;
    if (discon && is("status-code")) {
      ++p;
      if (!intType(vtype) || !spopVarint(f, p, v)) return kInvalid;
      status = v;
    } else if (discon && is("message")) {
      ++p;
      if (vtype != kStr || !spopBuffer(f, p, str) || str.size() > 255) return kInvalid;
    } else if (!discon && is("version")) {
      ++p;
      if (vtype != kStr || !spopBuffer(f, p, str)) return kInvalid;
      if (spopVersion(str) != 2000) return kBadVersion;  // the one version HAProxy 2.6 speaks
      version = true;
    } else if (!discon && is("max-frame-size")) {
      ++p;
      if (!intType(vtype) || !spopVarint(f, p, v)) return kInvalid;
      if (v < 256 || v > 16384) return kBadFrameSize;
      frame_size = true;
    } else if (!discon && is("capabilities")) {
      ++p;
      if (vtype != kStr || !spopBuffer(f, p, str)) return kInvalid;
    } else if (!spopSkip(f, p)) {
      return kInvalid;
    }
  }
  if (discon) return status >= 100 ? 99 : status;  // a disconnect is an error, its own
  if (!version) return kNoVersion;
  if (!frame_size) return kNoFrameSize;
  return kSpopOk;
}
}  // namespace

Verdict custom(const TcpCheckStep& s, std::string_view d, bool final, CustomResult& r) {
  auto at = [&](size_t i) { return i < d.size() ? unsigned(static_cast<unsigned char>(d[i])) : 0u; };
  switch (s.custom) {
    case TcpCheckCustom::None:
      break;
    case TcpCheckCustom::MysqlHandshake:
      return mysqlPacket(d, 0, final, r);
    case TcpCheckCustom::MysqlOk: {
      const size_t hs = 4 + (at(0) | at(1) << 8 | at(2) << 16);
      return mysqlPacket(d, hs, final, r);
    }
    case TcpCheckCustom::SpopHello: {
      // HAProxy's tcpcheck_spop_expect_agenthello: the frame whole (or the close), its length first.
      const size_t len = size_t(at(0)) << 24 | size_t(at(1)) << 16 | size_t(at(2)) << 8 | at(3);
      if (!final && d.size() < 4 + len) return Verdict::Wait;
      const uint64_t err = d.size() < 4 ? kInvalid : spopAgentHello(d.substr(4, std::min(len, d.size() - 4)));
      if (err == kSpopOk) return Verdict::Pass;
      r.l7sts = false;
      r.info = spopReason(err);
      return Verdict::Fail;
    }
    case TcpCheckCustom::LdapBind: {
      // HAProxy's tcpcheck_ldap_expect_bindrsp, after "rbinary ^30 min-recv 14": a bind response
      // (message ID 1), its result code 0.
      size_t len = (at(1) & 0x80) ? (at(1) & 0x7f) : 0;
      static const char kBind[] = "\x02\x01\x01\x61";
      bool ok = len <= 2 && d.size() >= 2 + len + 4 && d.substr(2 + len, 4) == std::string_view(kBind, 4);
      if (ok) {
        len += (at(len + 6) & 0x80) ? (at(len + 6) & 0x7f) : 0;
        ok = len <= 4 && d.size() >= 7 + len + 2 && d.substr(7 + len, 2) == std::string_view("\x0a\x01", 2);
      }
      if (!ok) {
        r.l7sts = false;
        r.info = "Not LDAPv3 protocol";
        return Verdict::Fail;
      }
      r.code = int(at(len + 9));
      if (r.code) {
        r.l7sts = true;
        r.info = "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9";
        return Verdict::Fail;
      }
      return Verdict::Pass;
    }
  }
  return Verdict::Pass;
}

Verdict expect(const TcpCheckStep& s, const Regex& re, std::string_view data, bool final) {
  // min-recv: fewer bytes wait (until the close); with it, a mismatch does not wait for more.
  if (s.min_recv > 0 && data.size() < size_t(s.min_recv) && !final) return Verdict::Wait;
  if (data.empty()) return final ? Verdict::Fail : Verdict::Wait;
  bool match;
  if (s.regex)
    match = search(re, s.binary ? std::string_view(hexDump(data, true)) : data);
  else
    match = data.find(s.data) != std::string_view::npos;
  if (!match && !final && s.min_recv < 0) return Verdict::Wait;
  return match != s.negate ? Verdict::Pass : Verdict::Fail;
}

std::string expectFailure(const TcpCheckSpec& spec, size_t idx, std::string_view data, bool matched) {
  const TcpCheckStep& s = spec.steps[idx];
  if (s.on_error != TcpCheckMsg::None) return message(s, s.on_error, data, false);
  if (spec.proto != TcpCheckProto::Tcp) return "";  // a protocol check's rule without on-error
  std::string m = matched ? "TCPCHK matched unwanted content" : "TCPCHK did not match content";
  if (s.regex)
    m += s.binary ? " (binary regex)" : " (regex)";
  else if (s.binary)
    m += " (binary)";
  else
    m += " '" + s.data + "'";
  m += " at step " + std::to_string(idx + 1);
  appendComment(m, spec, idx);
  return m;
}

std::string emptyResponse(const TcpCheckSpec& spec, size_t idx) {
  std::string m = "TCPCHK got an empty response at step " + std::to_string(idx + 1);
  appendComment(m, spec, idx);
  return m;
}

std::string connErrorSuffix(const TcpCheckSpec& spec, int idx) {
  if (spec.proto != TcpCheckProto::Tcp) return "";
  if (idx < 0) return " at initial connection step of tcp-check";
  const TcpCheckStep& s = spec.steps[size_t(idx)];
  std::string m = " at step " + std::to_string(idx + 1) + " of tcp-check";
  switch (s.kind) {
    case TcpCheckStepKind::Connect:
      m += " (connect";
      if (s.port) m += " port " + std::to_string(s.port);
      m += ")";
      break;
    case TcpCheckStepKind::Send:
      m += " (send)";
      break;
    case TcpCheckStepKind::Expect:
      if (s.regex)
        m += s.binary ? " (expect binary regex)" : " (expect regex)";
      else if (s.binary)
        m += " (expect binary '" + hexDump(s.data, false) + "')";
      else
        m += " (expect string '" + s.data + "')";
      break;
    case TcpCheckStepKind::Comment:
      break;
  }
  appendComment(m, spec, size_t(idx));
  return m;
}

}  // namespace lbc::rt::tcpcheck
