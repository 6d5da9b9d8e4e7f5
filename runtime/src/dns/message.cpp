#include "dns/message.h"

#include <cstring>

namespace lbc::rt::dns {
namespace {

constexpr size_t kHeader = 12;
constexpr size_t kMaxName = 255;
constexpr int kMaxPointers = 64;  // backwards-only pointers end anyway; this bounds the work

uint16_t get16(std::string_view m, size_t at) {
  return uint16_t(uint8_t(m[at]) << 8 | uint8_t(m[at + 1]));
}
uint32_t get32(std::string_view m, size_t at) {
  return uint32_t(get16(m, at)) << 16 | get16(m, at + 2);
}

void put16(std::string& out, uint16_t v) {
  out.push_back(char(v >> 8));
  out.push_back(char(v & 0xff));
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c;
}

// Reads the (possibly compressed) name at `pos` into `name` (dotted, lower case); `pos` moves
// past the name as it is written at that place. False on any malformation.
bool readName(std::string_view m, size_t& pos, std::string& name) {
  name.clear();
  size_t at = pos, wire = 1;
  bool jumped = false;
  int pointers = 0;
  for (;;) {
    if (at >= m.size()) return false;
    uint8_t len = uint8_t(m[at]);
    if ((len & 0xc0) == 0xc0) {
      if (at + 1 >= m.size()) return false;
      size_t target = size_t(len & 0x3f) << 8 | uint8_t(m[at + 1]);
      // Only backwards, to a place before this pointer: a pointer chain cannot loop.
      if (target >= at || ++pointers > kMaxPointers) return false;
      if (!jumped) pos = at + 2;
      jumped = true;
      at = target;
      continue;
    }
    if (len & 0xc0) return false;  // 0x40 / 0x80: extended label types, obsolete
    if (len == 0) {
      if (!jumped) pos = at + 1;
      return true;
    }
    if (at + 1 + len > m.size()) return false;
    wire += 1 + len;
    if (wire > kMaxName) return false;
    if (!name.empty()) name.push_back('.');
    for (size_t i = 0; i < len; ++i) name.push_back(lower(m[at + 1 + i]));
    at += 1 + len;
  }
}

// One resource record at `pos`; `keep` false for records that are validated and skipped.
bool readRecord(std::string_view m, size_t& pos, Record& r, bool& keep) {
  if (!readName(m, pos, r.name)) return false;
  if (pos + 10 > m.size()) return false;
  r.type = get16(m, pos);
  uint16_t cls = get16(m, pos + 2);
  r.ttl = get32(m, pos + 4);
  size_t rdlen = get16(m, pos + 8);
  pos += 10;
  if (pos + rdlen > m.size()) return false;
  size_t rd = pos, end = pos + rdlen;
  pos = end;
  keep = false;
  if (r.type == kTypeOpt) return true;  // class is the payload size there
  if (cls != 1) return true;
  switch (r.type) {
    case kTypeA:
      if (rdlen != 4) return false;
      r.v6 = false;
      std::memcpy(r.addr, m.data() + rd, 4);
      break;
    case kTypeAaaa:
      if (rdlen != 16) return false;
      r.v6 = true;
      std::memcpy(r.addr, m.data() + rd, 16);
      break;
    case kTypeSrv: {
      if (rdlen < 7) return false;
      r.priority = get16(m, rd), r.weight = get16(m, rd + 2), r.port = get16(m, rd + 4);
      size_t at = rd + 6;
      if (!readName(m, at, r.target) || at != end) return false;
      break;
    }
    case kTypeCname: {
      size_t at = rd;
      if (!readName(m, at, r.target) || at != end) return false;
      break;
    }
    default:
      return true;
  }
  keep = true;
  return true;
}

}  // namespace

std::string canonicalName(std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string s(name);
  for (char& c : s) c = lower(c);
  return s;
}

bool buildQuery(uint16_t id, std::string_view name, uint16_t qtype, uint16_t payload, std::string& out) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() + 2 > kMaxName) return false;
  out.clear();
  put16(out, id);
  put16(out, 0x0100);  // RD
  put16(out, 1);
  put16(out, 0), put16(out, 0);
  put16(out, payload > 512 ? 1 : 0);
  size_t start = 0;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    if (dot == std::string_view::npos) dot = name.size();
    size_t len = dot - start;
    if (len == 0 || len > 63) return false;
    out.push_back(char(len));
    out.append(name.substr(start, len));
    start = dot + 1;
  }
  out.push_back('\0');
  put16(out, qtype);
  put16(out, 1);
  if (payload > 512) {
    out.push_back('\0');  // root
    put16(out, kTypeOpt);
    put16(out, payload);
    put16(out, 0), put16(out, 0);  // extended rcode, version, flags
    put16(out, 0);                 // no options
  }
  return true;
}

Verdict parseAnswer(std::string_view m, uint16_t id, std::string_view qname, uint16_t qtype, Answer& out) {
  out = Answer{};
  if (m.size() < kHeader) return Verdict::kInvalid;
  if (get16(m, 0) != id) return Verdict::kWrongId;
  uint16_t flags = get16(m, 2);
  if (!(flags & 0x8000) || (flags >> 11 & 0xf) != 0) return Verdict::kInvalid;  // not a response, not QUERY
  if (flags & 0x0200) return Verdict::kTruncated;
  out.rcode = uint8_t(flags & 0xf);
  uint16_t qd = get16(m, 4), an = get16(m, 6), ns = get16(m, 8), ar = get16(m, 10);
  if (qd != 1) return Verdict::kInvalid;
  size_t pos = kHeader;
  std::string name;
  if (!readName(m, pos, name) || pos + 4 > m.size()) return Verdict::kInvalid;
  if (name != canonicalName(qname) || get16(m, pos) != qtype || get16(m, pos + 2) != 1)
    return Verdict::kInvalid;
  pos += 4;
  if (out.rcode == kRcodeNxDomain) return Verdict::kNxDomain;
  if (out.rcode == kRcodeRefused) return Verdict::kRefused;
  if (out.rcode != kRcodeOk) return Verdict::kError;
  // Filled aside: a message that turns out malformed leaves `out` without records.
  Answer got;
  got.rcode = out.rcode;
  uint32_t total = uint32_t(an) + ns + ar;
  for (uint32_t i = 0; i < total; ++i) {
    Record r;
    bool keep = false;
    if (!readRecord(m, pos, r, keep)) return Verdict::kInvalid;
    if (!keep) continue;
    if (i < an)
      got.answers.push_back(std::move(r));
    else if (i >= uint32_t(an) + ns && (r.type == kTypeA || r.type == kTypeAaaa))
      got.additional.push_back(std::move(r));
  }
  out = std::move(got);
  return Verdict::kOk;
}

const char* verdictName(Verdict v) {
  switch (v) {
    case Verdict::kOk:
      return "ok";
    case Verdict::kNxDomain:
      return "NXDOMAIN";
    case Verdict::kRefused:
      return "refused";
    case Verdict::kError:
      return "error";
    case Verdict::kTruncated:
      return "truncated";
    case Verdict::kWrongId:
      return "wrong id";
    case Verdict::kInvalid:
      return "invalid";
  }
  return "?";
}

}  // namespace lbc::rt::dns
