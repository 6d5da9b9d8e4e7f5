// `option httplog` / `option tcplog` lines and their `log stdout|stderr format ...` framing, in
// HAProxy 2.6's default layouts (tests/unit/http/data/httplog.txt, logs_other.txt):
//   httplog: %ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc
//            %sq/%bq %hr %hs %{+Q}r
//   tcplog:  %ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts %ac/%fc/%bc/%sc/%rc %sq/%bq
// An empty field (%hr, %hs without captures) takes its separating space with it, as HAProxy's
// log-format does.
#include <cstdio>
#include <ctime>

#include "lbc/rt/http.h"

namespace lbc::rt::http {

namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

void num(std::string& s, int64_t v) {
  s += std::to_string(v);
}

// dd/Mmm/yyyy:HH:MM:SS.mmm in local time.
void date(std::string& s, int64_t ms) {
  time_t sec = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  localtime_r(&sec, &tm);
  char b[40];
  std::snprintf(b, sizeof b, "%02d/%s/%04d:%02d:%02d:%02d.%03d", tm.tm_mday, kMonths[tm.tm_mon % 12],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms % 1000));
  s += b;
}

void head(std::string& s, const LogFields& f) {
  s += f.clientIp.empty() ? std::string_view("-") : f.clientIp;
  s += ':';
  num(s, f.clientPort);
  s += " [";
  date(s, f.dateMs);
  s += "] ";
  s += f.frontend;
  if (f.ssl) s += '~';
  s += ' ';
  s += f.backend;
  s += '/';
  s += f.server.empty() ? std::string_view("<NOSRV>") : f.server;
  s += ' ';
}

void counters(std::string& s, const LogFields& f) {
  num(s, f.ac), s += '/', num(s, f.fc), s += '/', num(s, f.bc), s += '/', num(s, f.sc), s += '/';
  if (f.redispatched) s += '+';
  num(s, f.rc);
  s += ' ';
  num(s, f.sq), s += '/', num(s, f.bq);
}

// HAProxy encodes %r: control bytes, DEL and above, '"' and '#' become #XX; captured headers
// (hdr_encode_map) also '{', '|' and '}'.
void encoded(std::string& s, std::string_view v, bool hdr = false) {
  static const char kHex[] = "0123456789ABCDEF";
  for (unsigned char c : v) {
    if (c < 32 || c >= 127 || c == '"' || c == '#' || (hdr && (c == '{' || c == '|' || c == '}'))) {
      s += '#';
      s += kHex[c >> 4];
      s += kHex[c & 15];
    } else {
      s += static_cast<char>(c);
    }
  }
}

// Captured headers: {a|b} and a space; nothing at all without captures.
void captures(std::string& s, const std::vector<std::string_view>& c) {
  if (c.empty()) return;
  s += '{';
  for (size_t i = 0; i < c.size(); ++i) {
    if (i) s += '|';
    encoded(s, c[i], true);
  }
  s += "} ";
}

}  // namespace

std::string formatHttpLog(const LogFields& f) {
  std::string s;
  s.reserve(256);
  head(s, f);
  num(s, f.TR), s += '/', num(s, f.Tw), s += '/', num(s, f.Tc), s += '/', num(s, f.Tr), s += '/',
      num(s, f.Ta);
  s += ' ';
  num(s, f.status);
  s += ' ';
  num(s, static_cast<int64_t>(f.bytesOut));
  s += ' ';
  s += f.cookieReq.empty() ? std::string_view("-") : f.cookieReq;
  s += ' ';
  s += f.cookieRes.empty() ? std::string_view("-") : f.cookieRes;
  s += ' ';
  s.append(f.term, 4);
  s += ' ';
  counters(s, f);
  s += ' ';
  captures(s, f.reqCaptures);
  captures(s, f.resCaptures);
  s += '"';
  if (f.badRequest)
    s += "<BADREQ>";
  else
    encoded(s, f.requestLine);
  s += '"';
  return s;
}

namespace {

// dd/Mmm/yyyy:HH:MM:SS +0000 (%trg: the request date in GMT).
void gmtDate(std::string& s, int64_t ms) {
  time_t sec = static_cast<time_t>(ms / 1000);
  struct tm tm {};
  gmtime_r(&sec, &tm);
  char b[40];
  std::snprintf(b, sizeof b, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, kMonths[tm.tm_mon % 12],
                tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  s += b;
}

void quoted(std::string& s, std::string_view v) {
  s += '"';
  s += v;
  s += '"';
}

// %hrl / %hsl under %{+Q}: each capture quoted, separated by spaces; nothing (and no separator)
// without captures. `sep`: the separator after it (HAProxy writes one only before a next field).
void captureList(std::string& s, const std::vector<std::string_view>& c, bool sep) {
  if (c.empty()) return;
  for (size_t i = 0; i < c.size(); ++i) {
    if (i) s += ' ';
    s += '"';
    encoded(s, c[i], true);
    s += '"';
  }
  if (sep) s += ' ';
}

}  // namespace

std::string formatClfLog(const LogFields& f) {
  std::string s;
  s.reserve(256);
  s += f.clientIp.empty() ? std::string_view("-") : f.clientIp;
  s += " - - [";
  gmtDate(s, f.dateMs);
  s += "] \"";
  if (f.badRequest)
    s += "<BADREQ>";
  else
    encoded(s, f.requestLine);
  s += "\" ";
  num(s, f.status), s += ' ', num(s, static_cast<int64_t>(f.bytesOut));
  s += " \"\" \"\" ";
  num(s, f.clientPort);
  char ms[8];
  std::snprintf(ms, sizeof ms, " %03d ", static_cast<int>(f.acceptMs % 1000));
  s += ms;
  s += '"', s += f.frontend;
  if (f.ssl) s += '~';
  s += "\" ";
  quoted(s, f.backend), s += ' ';
  quoted(s, f.server.empty() ? std::string_view("<NOSRV>") : f.server), s += ' ';
  for (int64_t t : {f.TR, f.Tw, f.Tc, f.Tr, f.Ta}) num(s, t), s += ' ';
  s.append(f.term, 4);
  for (uint32_t v : {f.ac, f.fc, f.bc, f.sc}) s += ' ', num(s, v);
  s += ' ';
  if (f.redispatched) s += '+';
  num(s, f.rc);
  s += ' ', num(s, f.sq), s += ' ', num(s, f.bq), s += ' ';
  quoted(s, f.cookieReq), s += ' ';
  quoted(s, f.cookieRes), s += ' ';
  captureList(s, f.reqCaptures, true);  // %hrl, then %hsl: the line's last field
  captureList(s, f.resCaptures, false);
  return s;
}

std::string formatConnectLog(std::string_view src, uint16_t src_port, std::string_view dst, uint16_t dst_port,
                             std::string_view frontend, bool http) {
  std::string s = "Connect from ";
  s += src, s += ':', num(s, src_port);
  s += " to ";
  s += dst, s += ':', num(s, dst_port);
  s += " (";
  s += frontend;
  s += http ? "/HTTP)" : "/TCP)";
  return s;
}

std::string formatTcpLog(const LogFields& f) {
  std::string s;
  s.reserve(160);
  head(s, f);
  num(s, f.Tw), s += '/', num(s, f.Tc), s += '/', num(s, f.Tt);
  s += ' ';
  num(s, static_cast<int64_t>(f.bytesOut));
  s += ' ';
  s.append(f.term, 2);
  s += ' ';
  counters(s, f);
  return s;
}

std::string formatConnError(const LogFields& f, std::string_view listener, std::string_view reason) {
  std::string s;
  s += f.clientIp.empty() ? std::string_view("-") : f.clientIp;
  s += ':';
  num(s, f.clientPort);
  s += " [";
  date(s, f.dateMs);
  s += "] ";
  s += f.frontend;
  s += '/';
  s += listener;
  s += ": ";
  s += reason;
  return s;
}

std::string frameLog(const LogFrame& fr, std::string_view message) {
  std::string s;
  switch (fr.format) {
    case LogFormat::kRaw:
      break;
    case LogFormat::kShort:  // only the level: <6> (logs_other.txt)
      s = "<" + std::to_string(fr.level) + ">";
      break;
    case LogFormat::kRfc3164: {
      time_t sec = static_cast<time_t>(fr.nowMs / 1000);
      struct tm tm {};
      localtime_r(&sec, &tm);
      char b[64];
      std::snprintf(b, sizeof b, "<%d>%s %2d %02d:%02d:%02d ", fr.facility * 8 + fr.level,
                    kMonths[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
      s = b;
      s += fr.tag;
      s += '[' + std::to_string(fr.pid) + "]: ";
      break;
    }
  }
  s += message;
  // `len` bounds the line with its newline: HAProxy keeps len - 1 characters of the text.
  if (fr.maxLen && s.size() >= fr.maxLen) s.resize(fr.maxLen - 1);
  s += '\n';
  return s;
}

}  // namespace lbc::rt::http
