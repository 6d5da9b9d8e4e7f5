// The DNS answer parser (runtime/src/dns/message.cpp, the resolvers' client) on arbitrary bytes:
// no crash, no UB, no unbounded work on compression pointers, names within DNS's limits, only
// the record types the resolvers use. The first byte picks the question's type; the rest is the
// message, answered to the question "www.example.com" with the message's own ID (so the
// validation past the ID is what gets explored).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "dns/message.h"

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace dns = lbc::rt::dns;
  if (size < 3) return 0;
  static const uint16_t kTypes[] = {dns::kTypeA, dns::kTypeAaaa, dns::kTypeSrv, dns::kTypeCname};
  uint16_t qtype = kTypes[data[0] % 4];
  std::string_view msg(reinterpret_cast<const char*>(data + 1), size - 1);
  uint16_t id = uint16_t(uint8_t(msg[0]) << 8 | uint8_t(msg[1]));
  dns::Answer a;
  dns::Verdict v = dns::parseAnswer(msg, id, "www.example.com", qtype, a);
  if (v != dns::Verdict::kOk) {
    check(a.answers.empty() && a.additional.empty());
    return 0;
  }
  check(a.answers.size() + a.additional.size() <= msg.size() / 11);  // a record takes 11 bytes at least
  for (const auto* list : {&a.answers, &a.additional})
    for (const dns::Record& r : *list) {
      check(r.name.size() <= 253 && r.target.size() <= 253);
      check(r.type == dns::kTypeA || r.type == dns::kTypeAaaa || r.type == dns::kTypeSrv ||
            r.type == dns::kTypeCname);
      check(r.v6 == (r.type == dns::kTypeAaaa));
    }
  // A query built from a name of the answer parses back as its own (empty) answer.
  if (!a.answers.empty() && !a.answers[0].name.empty()) {
    std::string q;
    if (dns::buildQuery(id, a.answers[0].name, qtype, 1232, q)) {
      q[2] = char(q[2] | 0x80);
      dns::Answer back;
      check(dns::parseAnswer(q, id, a.answers[0].name, qtype, back) == dns::Verdict::kOk);
      check(back.answers.empty());
    }
  }
  return 0;
}
