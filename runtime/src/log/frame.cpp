#include "log/frame.h"

#include <cstdio>
#include <ctime>

namespace lbc::rt::log {
namespace {

constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// Local time of `sec`; converting is costly and a busy proxy logs many lines a second.
const struct tm& localTime(int64_t sec) {
  thread_local int64_t cached = -1;
  thread_local struct tm tm {};
  if (sec != cached) {
    time_t t = static_cast<time_t>(sec);
    localtime_r(&t, &tm);
    cached = sec;
  }
  return tm;
}

void appendNum(std::string& out, long v) {
  out += std::to_string(v);
}

// rfc3164's "Mmm dd hh:mm:ss ".
void appendBsdDate(std::string& out, const Stamp& now) {
  const struct tm& tm = localTime(now.sec);
  char b[32];
  std::snprintf(b, sizeof b, "%s %2d %02d:%02d:%02d ", kMonths[tm.tm_mon % 12], tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec);
  out += b;
}

// rfc5424's "2026-12-07T18:15:59.966798+01:00" (local time with its offset), and a space.
void appendIsoDate(std::string& out, const Stamp& now) {
  const struct tm& tm = localTime(now.sec);
  long off = tm.tm_gmtoff / 60;
  const char sign = off < 0 ? '-' : '+';
  if (off < 0) off = -off;
  char b[64];
  std::snprintf(b, sizeof b, "%4d-%02d-%02dT%02d:%02d:%02d.%06d%c%02ld:%02ld ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, int(now.usec), sign, off / 60,
                off % 60);
  out += b;
}

void appendPri(std::string& out, int pri) {
  out += '<';
  appendNum(out, pri);
  out += '>';
}

// The host name field: log-send-hostname's, the machine's, or none (empty).
std::string_view hostOf(const LogTargetSpec& t, const Origin& from) {
  if (!t.send_hostname) return {};
  return t.hostname.empty() ? from.machine : std::string_view(t.hostname);
}

void appendTagPid(std::string& out, const LogTargetSpec& t, const Origin& from) {
  out += t.tag;
  out += '[';
  appendNum(out, from.pid);
  out += "]: ";
}

}  // namespace

void appendHeader(std::string& out, const LogTargetSpec& t, int level, int facility, const Stamp& now,
                  const Origin& from) {
  const int pri = facility * 8 + level;
  std::string_view host = hostOf(t, from);
  switch (t.format) {
    case LogFormatKind::Unspec:
    case LogFormatKind::Rfc3164:
      appendPri(out, pri);
      appendBsdDate(out, now);
      if (host.empty() && t.format == LogFormatKind::Rfc3164) host = "localhost";
      if (!host.empty()) {
        out += host;
        out += ' ';
      }
      appendTagPid(out, t, from);
      break;
    case LogFormatKind::Local:
      appendPri(out, pri);
      appendBsdDate(out, now);
      appendTagPid(out, t, from);
      break;
    case LogFormatKind::Rfc5424:  // <PRI>1 TIMESTAMP HOST TAG PID MSGID SD
      appendPri(out, pri);
      out += "1 ";
      appendIsoDate(out, now);
      out += host.empty() ? std::string_view("-") : host;
      out += ' ';
      out += t.tag;
      out += ' ';
      appendNum(out, from.pid);
      out += " - - ";
      break;
    case LogFormatKind::Priority:
      appendPri(out, pri);
      break;
    case LogFormatKind::Short:
      appendPri(out, level);
      break;
    case LogFormatKind::Timed:
      appendPri(out, level);
      appendIsoDate(out, now);
      break;
    case LogFormatKind::Iso:
      appendIsoDate(out, now);
      break;
    case LogFormatKind::Raw:
      break;
  }
}

void frameLine(std::string& out, const LogTargetSpec& t, int level, int facility, std::string_view message,
               const Stamp& now, const Origin& from) {
  if (t.message_max && message.size() >= t.message_max) message = message.substr(0, t.message_max - 1);
  while (!message.empty() && (message.back() == '\n' || message.back() == '\0')) message.remove_suffix(1);
  const size_t start = out.size();
  appendHeader(out, t, level, facility < 0 ? t.facility : facility, now, from);
  out += message;
  const size_t bound = t.kind == LogSinkKind::Fd ? t.len - 1 : t.len;
  if (out.size() - start > bound) out.resize(start + bound);
  out += '\n';
}

}  // namespace lbc::rt::log
