// JIT-compiled programs on hand-built transactions: the routing examples of the back-end issue,
// pattern sets of every lowering (direct, hashed, prefix/suffix/substring, -i) against a plain
// reference, IPv4 prefix switches, three-valued MISS, actions and merged use_backend decisions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <sstream>

#include "codegen/analysis.h"
#include "driver/driver.h"
#include "interp/interp.h"
#include "jit/jit.h"
#include "lbc/rt/txn.h"

namespace {

using lbc::rt::Txn;

struct Compiled {
  std::unique_ptr<lbc::driver::Compilation> comp;
  lbc::jit::ProgramRef prog;
  const lbc_program* p() const { return prog->program(); }
  int32_t proxy(const std::string& name) const {
    for (uint32_t i = 0; i < p()->nproxies; ++i)
      if (name == p()->proxy_names[i]) return int32_t(i);
    return -2;
  }
};

Compiled compileCfg(const std::string& text) {
  Compiled c;
  lbc::sema::Options opts;
  opts.resolve_hosts = false;
  c.comp = lbc::driver::compileText("test.cfg", text, opts, [](std::string_view) { return std::nullopt; });
  if (!c.comp->ok()) {
    std::ostringstream os;
    c.comp->diags->render(os, lbc::front::DiagFormat::Text);
    ADD_FAILURE() << os.str();
    return c;
  }
  auto r = lbc::jit::compile(c.comp->program);
  EXPECT_TRUE(r.program) << r.error;
  c.prog = r.program;
  return c;
}

std::unique_ptr<Txn> request(const Compiled& c, const std::string& fe, std::string_view method,
                             std::string_view uri, std::vector<lbc::rt::Header> headers = {},
                             bool ssl = false) {
  auto t = std::make_unique<Txn>();
  t->program = c.p();
  t->frontend = uint32_t(c.proxy(fe));
  t->http = true;
  t->method = method;
  t->uri = uri;
  t->req_headers = std::move(headers);
  t->ssl = ssl;
  t->src[0] = 10, t->src[1] = 1, t->src[2] = 2, t->src[3] = 3;
  return t;
}

std::string backendOf(const Compiled& c, Txn& t) {
  int32_t be = c.p()->select_backend(lbc::rt::toAbi(&t), t.frontend);
  return be < 0 ? "<none>" : c.p()->proxy_names[be];
}

const char* kHead = "defaults\n  mode http\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n";

TEST(JitCodegen, SeedRoutingApplicationOrCache) {
  auto c = compileCfg(std::string(kHead) +
                      "frontend fe\n  bind :8080\n"
                      "  acl app path_beg /user\n  acl app path_beg /profile\n  acl app method POST\n"
                      "  use_backend APPLICATION if app\n  default_backend CACHE\n"
                      "backend APPLICATION\n  server s 127.0.0.1:1\nbackend CACHE\n  server s 127.0.0.1:2\n");
  ASSERT_TRUE(c.prog);
  EXPECT_EQ(backendOf(c, *request(c, "fe", "GET", "/user/1")), "APPLICATION");
  EXPECT_EQ(backendOf(c, *request(c, "fe", "GET", "/profile")), "APPLICATION");
  EXPECT_EQ(backendOf(c, *request(c, "fe", "POST", "/x")), "APPLICATION");
  EXPECT_EQ(backendOf(c, *request(c, "fe", "GET", "/x")), "CACHE");
  EXPECT_EQ(backendOf(c, *request(c, "fe", "GET", "/use")), "CACHE");
}

TEST(JitCodegen, SeedRoutingHostThenStatic) {
  auto c = compileCfg(std::string(kHead) +
                      "frontend fe\n  bind :8080\n"
                      "  use_backend api if { hdr(Host) -i api.example.com }\n"
                      "  use_backend static if { path_beg /static/ }\n  default_backend web\n"
                      "backend api\n  server s 127.0.0.1:1\nbackend static\n  server s 127.0.0.1:2\n"
                      "backend web\n  server s 127.0.0.1:3\n");
  ASSERT_TRUE(c.prog);
  EXPECT_EQ(backendOf(c, *request(c, "fe", "GET", "/", {{"Host", "API.example.COM"}})), "api");
  EXPECT_EQ(backendOf(c, *request(c, "fe", "GET", "/static/a.css", {{"Host", "www"}})), "static");
  EXPECT_EQ(backendOf(c, *request(c, "fe", "GET", "/static", {{"Host", "www"}})), "web");
  // hdr() in an ACL tests every value of the header.
  EXPECT_EQ(backendOf(c, *request(c, "fe", "GET", "/", {{"Host", "a"}, {"host", "api.example.com"}})), "api");
}

TEST(JitCodegen, SeedRedirectScheme) {
  auto c =
      compileCfg(std::string(kHead) +
                 "frontend fe\n  bind :8080\n"
                 "  http-request redirect scheme https code 301 unless { ssl_fc }\n  default_backend web\n"
                 "backend web\n  server s 127.0.0.1:3\n");
  ASSERT_TRUE(c.prog);
  auto t = request(c, "fe", "GET", "/a?b", {{"Host", "example.com"}});
  EXPECT_EQ(c.p()->http_req(lbc::rt::toAbi(t.get()), t->frontend), LBC_HOOK_REDIRECT);
  EXPECT_EQ(t->reply.status, 301);
  auto s = request(c, "fe", "GET", "/a", {{"Host", "example.com"}}, true);
  EXPECT_EQ(c.p()->http_req(lbc::rt::toAbi(s.get()), s->frontend), LBC_HOOK_CONTINUE);
}

// Reference matcher for the pattern-set property test.
bool refMatch(const std::string& method, std::string s, std::string p, bool icase) {
  if (icase) {
    for (auto& ch : s) ch = char(tolower((unsigned char)ch));
    for (auto& ch : p) ch = char(tolower((unsigned char)ch));
  }
  if (method == "str") return s == p;
  if (method == "beg") return s.compare(0, p.size(), p) == 0 && s.size() >= p.size();
  if (method == "end") return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
  return s.find(p) != std::string::npos;  // sub
}

std::string randWord(std::mt19937& rng, size_t maxlen) {
  static const char kAlpha[] = "abAB/._-x";
  std::string s = "/";
  size_t n = rng() % maxlen;
  for (size_t i = 0; i < n; ++i) s += kAlpha[rng() % (sizeof(kAlpha) - 1)];
  return s;
}

// Several use_backend rules over one fetch (merged into one lookup) and http-request rules over
// the same sets (separate ACLs), against the reference, for small and large sets.
TEST(JitCodegen, PatternSetsAgainstReference) {
  for (const char* method : {"str", "beg", "end", "sub"}) {
    for (bool icase : {false, true}) {
      // 40 patterns of up to 20 bytes: word-at-a-time hashing; 150 of up to 90 bytes: more than
      // 64 distinct lengths, byte-at-a-time hashing.
      for (size_t per_rule : {1, 3, 40, 150}) {
        uint32_t seed = uint32_t(per_rule * 131 + icase * 7 + method[0]);
        std::mt19937 rng(seed);
        const int kRules = 4;
        std::vector<std::vector<std::string>> sets(kRules);
        std::ostringstream cfg;
        cfg << kHead << "frontend fe\n  bind :8080\n";
        for (int r = 0; r < kRules; ++r) {
          cfg << "  use_backend b" << r << " if { path -m " << method << (icase ? " -i" : "");
          for (size_t k = 0; k < per_rule; ++k) {
            sets[r].push_back(randWord(rng, per_rule > 100 ? 90 : 20));
            cfg << " " << sets[r].back();
          }
          cfg << " }\n";
        }
        cfg << "  default_backend dflt\n";
        for (int r = 0; r < kRules; ++r) cfg << "backend b" << r << "\n  server s 127.0.0.1:1\n";
        cfg << "backend dflt\n  server s 127.0.0.1:1\n";
        auto c = compileCfg(cfg.str());
        ASSERT_TRUE(c.prog) << cfg.str();
        for (int i = 0; i < 400; ++i) {
          std::string path =
              i % 3 == 0 ? sets[rng() % kRules][0] + randWord(rng, 3).substr(1) : randWord(rng, 8);
          if (i % 5 == 0)
            for (auto& ch : path) ch = char(rng() % 2 ? toupper((unsigned char)ch) : ch);
          std::string want = "dflt";
          for (int r = 0; r < kRules && want == "dflt"; ++r)
            for (auto& p : sets[r])
              if (refMatch(method, path, p, icase)) {
                want = "b" + std::to_string(r);
                break;
              }
          auto t = request(c, "fe", "GET", path);
          ASSERT_EQ(backendOf(c, *t), want) << "method " << method << " icase " << icase << " per_rule "
                                            << per_rule << " path " << path << " seed " << seed;
        }
      }
    }
  }
}

// Rules over different inputs interleaved (path_beg, hdr(host) -i, a regex, a compound condition):
// groups are looked up out of order, yet the first matching rule in file order must win.
TEST(JitCodegen, InterleavedGroupsKeepFileOrder) {
  std::mt19937 rng(99);
  std::ostringstream cfg;
  cfg << kHead << "frontend fe\n  bind :8080\n";
  struct Rule {
    int kind;
    std::string pat;
  };
  std::vector<Rule> rules;
  for (int k = 0; k < 60; ++k) {
    int kind = k % 4;
    std::string pat =
        kind == 1 ? "h" + std::to_string(rng() % 20) + ".Ex" : "/p" + std::to_string(rng() % 20);
    rules.push_back({kind, pat});
    cfg << "  use_backend b" << k << " if ";
    if (kind == 0)
      cfg << "{ path_beg " << pat << " }\n";
    else if (kind == 1)
      cfg << "{ hdr(host) -i " << pat << " }\n";
    else if (kind == 2)
      cfg << "{ path_reg ^" << pat << "x }\n";
    else
      cfg << "{ path_beg " << pat << " } { method POST }\n";
  }
  cfg << "  default_backend dflt\n";
  for (int k = 0; k < 60; ++k) cfg << "backend b" << k << "\n  server s 127.0.0.1:1\n";
  cfg << "backend dflt\n  server s 127.0.0.1:1\n";
  auto c = compileCfg(cfg.str());
  ASSERT_TRUE(c.prog);
  for (int i = 0; i < 2000; ++i) {
    std::string path = "/p" + std::to_string(rng() % 25) + (rng() % 2 ? "x" : "") + "/y";
    std::string host = "H" + std::to_string(rng() % 25) + ".ex";
    std::string method = rng() % 2 ? "POST" : "GET";
    std::string want = "dflt";
    for (size_t k = 0; k < rules.size() && want == "dflt"; ++k) {
      const Rule& r = rules[k];
      bool m = r.kind == 0   ? path.rfind(r.pat, 0) == 0
               : r.kind == 1 ? refMatch("str", host, r.pat, true)
               : r.kind == 2 ? path.rfind(r.pat + "x", 0) == 0
                             : path.rfind(r.pat, 0) == 0 && method == "POST";
      if (m) want = "b" + std::to_string(k);
    }
    auto t = request(c, "fe", method, path, {{"Host", host}});
    ASSERT_EQ(backendOf(c, *t), want) << method << " " << path << " host " << host;
    if (want != "dflt") {
      ASSERT_EQ(t->fired.size(), 1u);
      EXPECT_EQ(t->fired[0].index, uint32_t(std::stoi(want.substr(1))));
    }
  }
}

// Regex rules grouped by literal prefix: a candidate whose regex fails must hand over to the next
// one in file order; quantified, escaped, unanchored and -i regexes keep their meaning.
TEST(JitCodegen, RegexPrefixGroups) {
  const std::vector<std::pair<std::string, std::string>> rules = {
      {"", "^/a/[0-9]+$"}, {"", "^/a/b"},      {"", "^/ab?c/"}, {"", "^\\/api\\.v1/"},
      {"", "x[0-9]z"},     {"-i ", "^/CASE/"}, {"", "^/a"},     {"", "^/zz*top"}};
  std::ostringstream cfg;
  cfg << kHead << "frontend fe\n  bind :8080\n";
  for (size_t k = 0; k < rules.size(); ++k)
    cfg << "  use_backend b" << k << " if { path_reg " << rules[k].first << rules[k].second << " }\n";
  cfg << "  default_backend dflt\n";
  for (size_t k = 0; k < rules.size(); ++k) cfg << "backend b" << k << "\n  server s 127.0.0.1:1\n";
  cfg << "backend dflt\n  server s 127.0.0.1:1\n";
  auto c = compileCfg(cfg.str());
  ASSERT_TRUE(c.prog);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"/a/123", "b0"}, {"/a/12x", "b6"},    {"/a/b/1", "b1"},   {"/ac/", "b2"},   {"/abc/", "b2"},
      {"/abbc/", "b6"}, {"/api.v1/x", "b3"}, {"/apixv1/", "b6"}, {"/q/x5z", "b4"}, {"/case/1", "b5"},
      {"/CaSe/", "b5"}, {"/ztop", "b7"},     {"/zzztop", "b7"},  {"/top", "dflt"}, {"/", "dflt"}};
  for (const auto& [path, want] : cases)
    EXPECT_EQ(backendOf(c, *request(c, "fe", "GET", path)), want) << path;
}

TEST(JitCodegen, Ipv4PrefixSets) {
  auto c =
      compileCfg(std::string(kHead) +
                 "frontend fe\n  bind :8080\n"
                 "  acl lan src 10.0.0.0/8 192.168.1.0/24 172.16.5.4 1.2.3.0/24 5.6.7.8/32 9.9.0.0/16\n"
                 "  http-request deny if lan\n  default_backend web\nbackend web\n  server s 127.0.0.1:3\n");
  ASSERT_TRUE(c.prog);
  auto run = [&](uint8_t a, uint8_t b2, uint8_t cc, uint8_t d) {
    auto t = request(c, "fe", "GET", "/");
    t->src[0] = a, t->src[1] = b2, t->src[2] = cc, t->src[3] = d;
    return c.p()->http_req(lbc::rt::toAbi(t.get()), t->frontend);
  };
  EXPECT_EQ(run(10, 200, 3, 4), LBC_HOOK_DENY);
  EXPECT_EQ(run(192, 168, 1, 77), LBC_HOOK_DENY);
  EXPECT_EQ(run(192, 168, 2, 77), LBC_HOOK_CONTINUE);
  EXPECT_EQ(run(172, 16, 5, 4), LBC_HOOK_DENY);
  EXPECT_EQ(run(172, 16, 5, 5), LBC_HOOK_CONTINUE);
  EXPECT_EQ(run(9, 9, 255, 1), LBC_HOOK_DENY);
  EXPECT_EQ(run(11, 0, 0, 1), LBC_HOOK_CONTINUE);
}

// IPv4 and IPv6 networks against IPv4, IPv6, v4-mapped, ::/96 and 6to4 sources: the JIT's
// prefix switches decide as the interpreter (lbc_match_ip per pattern).
TEST(JitCodegen, IpSetsAgreeWithInterpreter) {
  auto c =
      compileCfg(std::string(kHead) +
                 "frontend fe\n  bind :8080\n"
                 "  acl net src 10.0.0.0/8 192.168.1.0/24 172.16.5.4 2001:db8::/32 2001:db8:1:2::/64 ::1 "
                 "fe80::/10 ::ffff:7.7.7.0/120 2002:909:900::/40 8.8.0.0/16 0.0.0.0/32\n"
                 "  acl any6 src ::/0\n"
                 "  http-request deny if net\n  http-request return status 200 if any6\n"
                 "  default_backend web\nbackend web\n  server s 127.0.0.1:3\n");
  ASSERT_TRUE(c.prog);
  lbc::interp::Interpreter in(c.comp->program);
  std::mt19937 rng(7);
  const uint8_t kPick[] = {0, 1, 2, 5, 7, 8, 9, 10, 172, 192, 168, 0x20, 0x01, 0x0d, 0xb8, 0xfe, 0x80, 0xff};
  for (int i = 0; i < 20000; ++i) {
    lbc::rt::Txn a, b2;
    for (lbc::rt::Txn* t : {&a, &b2}) {
      t->http = true;
      t->method = "GET";
      t->uri = "/";
      t->frontend = uint32_t(c.proxy("fe"));
    }
    uint8_t ip[16];
    for (auto& x : ip) x = kPick[rng() % sizeof(kPick)];
    int shape = int(rng() % 6);
    bool v6 = shape != 0 && shape != 5;
    if (shape == 5) ip[0] = ip[1] = ip[2] = 7;                       // IPv4 inside ::ffff:7.7.7.0/120
    if (shape == 2) std::memset(ip, 0, 10), ip[10] = ip[11] = 0xff;  // v4-mapped
    if (shape == 3) std::memset(ip, 0, 12);                          // ::a.b.c.d
    if (shape == 4) ip[0] = 0x20, ip[1] = 0x02;                      // 6to4
    for (lbc::rt::Txn* t : {&a, &b2}) std::memcpy(t->src, ip, 16), t->src_v6 = v6;
    a.program = c.p();
    b2.program = in.descriptor();
    int32_t want = in.hook(lbc::interp::Hook::HttpReq, b2, b2.frontend);
    int32_t got = c.p()->http_req(lbc::rt::toAbi(&a), a.frontend);
    ASSERT_EQ(got, want) << "case " << i << " shape " << shape;
  }
}

// Integer and length patterns (values, ranges, open ranges, operators) become merged intervals
// and a bisection: decisions equal the interpreter's (lbc_match_int per pattern).
TEST(JitCodegen, IntSetsAgreeWithInterpreter) {
  auto c = compileCfg(std::string(kHead) +
                      "frontend fe\n  bind :8080\n"
                      "  acl few hdr(x-n) -m int 3 7:9\n"
                      "  acl many hdr(x-n) -m int 1 5 10:20 15:25 40 42 44 60:70 71:72 100 :-50 1000:\n"
                      "  acl big hdr(x-n) -m int gt 500\n"
                      "  acl lens path -m len 1 3 5:7 9 11 13 15 17 19:22 30:\n"
                      "  http-request deny if many !lens\n  http-request return status 200 if lens few\n"
                      "  http-request return status 404 if big\n"
                      "  default_backend web\nbackend web\n  server s 127.0.0.1:3\n");
  ASSERT_TRUE(c.prog);
  lbc::interp::Interpreter in(c.comp->program);
  std::mt19937 rng(11);
  std::vector<std::string> keep;
  keep.reserve(100000);
  for (int i = 0; i < 20000; ++i) {
    std::string path = "/" + std::string(rng() % 35, 'a');
    std::vector<lbc::rt::Header> hs;
    for (int k = int(rng() % 3); k >= 0; --k) {
      int64_t v = int64_t(rng() % 1200) - 100;
      keep.push_back(std::to_string(v));
      hs.push_back({"X-N", keep.back()});
    }
    keep.push_back(path);
    auto a = request(c, "fe", "GET", keep.back(), hs);
    lbc::rt::Txn b2;
    b2.http = true;
    b2.method = "GET";
    b2.uri = keep.back();
    b2.req_headers = hs;
    b2.frontend = a->frontend;
    b2.program = in.descriptor();
    int32_t want = in.hook(lbc::interp::Hook::HttpReq, b2, b2.frontend);
    int32_t got = c.p()->http_req(lbc::rt::toAbi(a.get()), a->frontend);
    ASSERT_EQ(got, want) << "case " << i << " path length " << path.size();
    ASSERT_EQ(a->reply.status, b2.reply.status);
  }
}

TEST(JitCodegen, RewritesAndFiredRules) {
  auto c = compileCfg(std::string(kHead) +
                      "frontend fe\n  bind :8080\n"
                      "  http-request set-header X-Path %[path]\n"
                      "  http-request set-path /new%[path] if { path_beg /old }\n"
                      "  http-request deny if { path_beg /new/old/secret }\n"
                      "  default_backend web\nbackend web\n  server s 127.0.0.1:3\n");
  ASSERT_TRUE(c.prog);
  auto t = request(c, "fe", "GET", "/old/x");
  EXPECT_EQ(c.p()->http_req(lbc::rt::toAbi(t.get()), t->frontend), LBC_HOOK_CONTINUE);
  EXPECT_EQ(t->uri, "/new/old/x");
  ASSERT_EQ(t->req_headers.size(), 1u);
  EXPECT_EQ(t->req_headers[0].value, "/old/x");
  EXPECT_EQ(t->fired.size(), 2u);
  // The set-path rewrite is seen by the next rule (the cached path fetch is invalidated).
  auto s = request(c, "fe", "GET", "/old/secret");
  EXPECT_EQ(c.p()->http_req(lbc::rt::toAbi(s.get()), s->frontend), LBC_HOOK_DENY);
  EXPECT_EQ(s->reply.status, 403);
}

TEST(JitCodegen, TcpContentMissUntilDataIsFinal) {
  auto c = compileCfg(
      "defaults\n  mode tcp\n  timeout client 1s\n  timeout server 1s\n  timeout connect 1s\n"
      "frontend fe\n  bind :8080\n  tcp-request inspect-delay 5s\n"
      "  tcp-request content reject if !{ req.payload(0,4) -m str abcd abxx }\n"
      "  tcp-request content accept if { req.payload(0,4) -m str abcd }\n"
      "  default_backend be\nbackend be\n  server s 127.0.0.1:3\n");
  ASSERT_TRUE(c.prog);
  Txn t;
  t.program = c.p();
  t.frontend = uint32_t(c.proxy("fe"));
  t.req_payload = "ab";
  t.more_data = true;
  // Not enough data: MISS, and `!` keeps MISS a MISS.
  EXPECT_EQ(c.p()->tcp_req_cont(lbc::rt::toAbi(&t), t.frontend), LBC_HOOK_MISS);
  t.req_payload = "abcd";
  EXPECT_EQ(c.p()->tcp_req_cont(lbc::rt::toAbi(&t), t.frontend), LBC_HOOK_ALLOW);
  t.req_payload = "abxx";
  EXPECT_EQ(c.p()->tcp_req_cont(lbc::rt::toAbi(&t), t.frontend), LBC_HOOK_CONTINUE);
  t.req_payload = "ab";
  t.more_data = false;  // final data: the missing bytes mean "not found", so `!` passes
  EXPECT_EQ(c.p()->tcp_req_cont(lbc::rt::toAbi(&t), t.frontend), LBC_HOOK_REJECT);
}

// Generated code reaches only the symbols it is given: without lbc_fetch_path in the map the
// program does not link, and nothing is looked up in the process instead.
TEST(JitCodegen, SymbolsOnlyFromTheExplicitMap) {
  lbc::sema::Options opts;
  opts.resolve_hosts = false;
  auto comp = lbc::driver::compileText("t.cfg",
                                       std::string(kHead) +
                                           "frontend fe\n  bind :8080\n  use_backend web if { path_beg /a }\n"
                                           "backend web\n  server s 127.0.0.1:3\n",
                                       opts, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(comp->ok());
  std::vector<lbc::jit::Symbol> partial;
  for (const auto& s : lbc::jit::abiSymbols())
    if (std::string_view(s.name) != "lbc_fetch_path") partial.push_back(s);
  auto gen = lbc::codegen::generate(comp->program, {});
  ASSERT_TRUE(gen.ok()) << gen.error;
  auto r = lbc::jit::load(std::move(gen.module), partial);
  EXPECT_FALSE(r.program);
  EXPECT_NE(r.error.find("lbc_fetch_path"), std::string::npos) << r.error;
  // With the full map it links, and the program stays valid while a reference is held.
  auto ok = lbc::jit::compile(comp->program);
  ASSERT_TRUE(ok.program) << ok.error;
  lbc::jit::ProgramRef held = ok.program;
  ok.program.reset();
  EXPECT_EQ(held->program()->magic, LBC_PROGRAM_MAGIC);
  EXPECT_EQ(held->program()->abi_version, LBC_ABI_VERSION);
}

TEST(JitCodegen, DeadRulesReported) {
  lbc::sema::Options opts;
  opts.resolve_hosts = false;
  auto comp =
      lbc::driver::compileText("t.cfg",
                               std::string(kHead) +
                                   "frontend fe\n  bind :8080\n  http-request deny if { always_false }\n"
                                   "  http-request deny\n  http-request set-header a b\n"
                                   "  default_backend web\nbackend web\n  server s 127.0.0.1:3\n",
                               opts, [](std::string_view) { return std::nullopt; });
  ASSERT_TRUE(comp->ok());
  // One pass reports each dead rule once: the false condition, and the rule after the
  // unconditional deny (with a note at the deny).
  auto warnings = lbc::codegen::deadRuleLint(comp->program, true);
  ASSERT_EQ(warnings.size(), 2u);
  std::sort(warnings.begin(), warnings.end(), [](auto& a, auto& b) { return a.loc.line < b.loc.line; });
  EXPECT_EQ(warnings[0].loc.line, 8u);
  EXPECT_EQ(warnings[1].loc.line, 10u);
  EXPECT_EQ(warnings[1].note_loc.line, 9u);
  auto r = lbc::jit::compile(comp->program);
  ASSERT_TRUE(r.program) << r.error;
}

// Rule formats render as HAProxy 2.6's HTTP context (LOG_OPT_HTTP; values captured from
// /usr/sbin/haproxy by tests/http_diff): a sample that fetches nothing is empty (not "-"), +Q and +X
// do not apply to samples, CTLs but HT become %XX, +E backslashes '"', '\\' and ']'. replace-value
// replaces a matching list value with the blanks around it and leaves the others as written.
// The compiled program and the interpreter give the same bytes.
TEST(JitCodegen, RuleFormatsAndReplaceValueAsHaproxy) {
  auto c = compileCfg(std::string(kHead) +
                      "frontend fe\n  bind :8080\n"
                      "  http-request set-header X-A a%[req.hdr(x)]e\n"
                      "  http-request set-header X-Q a%{+Q}[req.hdr(x)]e\n"
                      "  http-request set-header X-C a%[req.hdr(x),url_dec]e\n"
                      "  http-request set-header X-E a%{+E}[req.hdr(x),url_dec]e\n"
                      "  http-request set-header X-H a%{+X}[req.hdr(n)]e\n"
                      "  http-request replace-value X-List ^b.*$ z\n"
                      "  default_backend web\nbackend web\n  server s 127.0.0.1:3\n");
  ASSERT_TRUE(c.prog);
  lbc::interp::Interpreter in(c.comp->program);
  auto run = [&](std::vector<lbc::rt::Header> hs) {
    std::vector<std::vector<std::string>> out;
    for (bool compiled : {true, false}) {
      auto t = request(c, "fe", "GET", "/", hs);
      if (compiled) {
        EXPECT_EQ(c.p()->http_req(lbc::rt::toAbi(t.get()), t->frontend), LBC_HOOK_CONTINUE);
      } else {
        t->program = in.descriptor();
        EXPECT_EQ(in.hook(lbc::interp::Hook::HttpReq, *t, t->frontend), LBC_HOOK_CONTINUE);
      }
      std::vector<std::string> vs;
      for (const auto& h : t->req_headers) vs.push_back(std::string(h.name) + "=" + std::string(h.value));
      out.push_back(vs);
    }
    EXPECT_EQ(out[0], out[1]);
    return out[0];
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(run({}), (V{"X-A=ae", "X-Q=ae", "X-C=ae", "X-E=ae", "X-H=ae"}));
  EXPECT_EQ(run({{"X", "zz"}, {"N", "255"}}),
            (V{"X=zz", "N=255", "X-A=azze", "X-Q=azze", "X-C=azze", "X-E=azze", "X-H=a255e"}));
  EXPECT_EQ(run({{"X", "%01z%09z%7fz%22z%5c%5dz%c3%a9%25"}}),
            (V{"X=%01z%09z%7fz%22z%5c%5dz%c3%a9%25", "X-A=a%01z%09z%7fz%22z%5c%5dz%c3%a9%25e",
               "X-Q=a%01z%09z%7fz%22z%5c%5dz%c3%a9%25e", "X-C=a%01z\tz%7Fz\"z\\]z\xc3\xa9%e",
               "X-E=a%01z\tz%7Fz\\\"z\\\\\\]z\xc3\xa9%e", "X-H=ae"}));
  V lists = run({{"X-List", "a1, b2, c3, bb"}, {"X-List", "  b  ,b,  \t b\t, \"b,\\\"c\" , \"x\\\",b\" ,b"}});
  ASSERT_EQ(lists.size(), 7u);
  EXPECT_EQ(lists[0], "X-List=a1,z, c3,z");
  EXPECT_EQ(lists[1], "X-List=z,z,z, \"b,\\\"c\" , \"x\\\",b\" ,z");
}

}  // namespace
