// A rendered reply (error page, deny, return, redirect) opened up for the http-after-response
// rules and written again after them.
#include <algorithm>
#include <cstring>
#include <string>

#include "head.h"
#include "lbc/rt/http.h"

namespace lbc::rt::http {

using namespace detail;

bool loadReply(Txn& t, std::string_view bytes, ReplyHead& head) {
  size_t end = bytes.find("\r\n\r\n");
  if (end == std::string_view::npos) return false;
  end += 4;
  char* buf = t.arena.alloc(end);
  if (!buf) return false;
  std::memcpy(buf, bytes.data(), end);
  http1::Header hs[101];
  http1::Parser p(http1::Kind::kResponse, hs);
  http1::Result res = p.feed(buf, end);
  if (res.outcome != http1::Outcome::kDone || res.length != end) return false;
  const http1::Message& m = p.message();
  head.version = m.version.in(buf);
  head.connection.clear();
  head.body = end;
  t.has_response = true;
  t.status = m.status;
  t.reason = m.reasonPhrase.in(buf);
  t.res_headers.clear();
  for (uint32_t i = 0; i < m.headerCount; ++i) {
    if (hs[i].drop) continue;
    if (hs[i].id == http1::HeaderId::kConnection)
      head.connection.push_back(hs[i].value.in(buf));
    else
      t.res_headers.push_back({hs[i].name.in(buf), hs[i].value.in(buf)});
  }
  return true;
}

std::string storeReply(const Txn& t, const ReplyHead& head, std::string_view bytes) {
  std::string s(head.version);
  s += ' ';
  s += std::to_string(t.status);
  s += ' ';
  s += reasonOf(t);
  s += "\r\n";
  auto put = [&s](std::string_view name, std::string_view value) {
    for (char c : name) s += (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    s += ": ";
    s += value;
    s += "\r\n";
  };
  for (const Header& h : t.res_headers) put(h.name, h.value);
  for (std::string_view v : head.connection) put("connection", v);
  s += "\r\n";
  s.append(bytes.substr(std::min(head.body, bytes.size())));
  return s;
}

}  // namespace lbc::rt::http
