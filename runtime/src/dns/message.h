// DNS messages (RFC 1035, SRV from RFC 2782, EDNS0 from RFC 6891) as the resolvers need them: a
// query for one name and type, and the validation and parsing of its answer. The parser reads
// untrusted bytes: every length is checked against the message, compression pointers may only
// point backwards (so they cannot loop) and are bounded in number, names are bounded to 255
// bytes, and an answer is only accepted for the question that was asked.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lbc::rt::dns {

enum : uint16_t { kTypeA = 1, kTypeCname = 5, kTypeAaaa = 28, kTypeSrv = 33, kTypeOpt = 41 };
enum : uint8_t { kRcodeOk = 0, kRcodeServFail = 2, kRcodeNxDomain = 3, kRcodeRefused = 5 };

// The wire form of a query for `name` (dotted, a trailing dot optional), recursion desired; an
// EDNS0 OPT record announces `payload` bytes when it is above 512. False if the name is not a
// valid DNS name (an empty label, a label over 63 bytes, over 255 bytes in all).
bool buildQuery(uint16_t id, std::string_view name, uint16_t qtype, uint16_t payload, std::string& out);

struct Record {
  std::string name;  // owner, lower case, no trailing dot
  uint16_t type = 0;
  uint32_t ttl = 0;
  // A / AAAA
  bool v6 = false;
  uint8_t addr[16] = {};
  // SRV (target lower case, no trailing dot); CNAME's target too
  uint16_t priority = 0, weight = 0, port = 0;
  std::string target;
};

enum class Verdict : uint8_t {
  kOk,         // answered: rcode 0, records (possibly none) in `answers`
  kNxDomain,   // rcode 3
  kRefused,    // rcode 5
  kError,      // another rcode (SERVFAIL...)
  kTruncated,  // TC set: the answer did not fit (retry over TCP)
  kWrongId,    // not the answer to this query: ignore it, keep waiting
  kInvalid,    // malformed, or for another question
};

struct Answer {
  uint8_t rcode = 0;
  std::vector<Record> answers;     // answer section: A, AAAA, SRV, CNAME kept, others skipped
  std::vector<Record> additional;  // additional section: A and AAAA (SRV targets' addresses)
};

// Validates `msg` as the answer to query `id` for (`qname`, `qtype`) and parses its records.
Verdict parseAnswer(std::string_view msg, uint16_t id, std::string_view qname, uint16_t qtype, Answer& out);

// `name` lower-cased without a trailing dot (how names are compared).
std::string canonicalName(std::string_view name);

const char* verdictName(Verdict v);

}  // namespace lbc::rt::dns
