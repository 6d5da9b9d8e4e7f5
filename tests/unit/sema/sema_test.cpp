#include <gtest/gtest.h>

#include "driver/driver.h"

using namespace lbc;

namespace {
std::unique_ptr<driver::Compilation> compile(const std::string& text) {
  sema::Options o;
  o.resolve_hosts = false;
  o.lint = true;
  return driver::compileText("t.cfg", text, o, [](std::string_view) { return std::optional<std::string>(); });
}

std::string messages(const driver::Compilation& c) {
  std::string s;
  for (const auto& d : c.diags->all()) s += d.message + "\n";
  return s;
}

const char* kDefaults = "defaults\n mode http\n timeout client 5s\n timeout server 5s\n timeout connect 1s\n";
}  // namespace

TEST(Sema, DefaultsAreInherited) {
  auto c = compile(
      std::string(kDefaults) +
      " retries 7\nfrontend fe\n bind :8080\n default_backend be\nbackend be\n server s 127.0.0.1:80\n");
  ASSERT_TRUE(c->ok()) << messages(*c);
  const auto& be = c->program.proxies[1];
  EXPECT_EQ(be.mode, ir::Mode::Http);
  EXPECT_EQ(be.retries, 7u);
  EXPECT_EQ(*be.timeouts.server, 5000u);
  EXPECT_EQ(c->program.proxies[0].default_backend->backend, 1u);
}

TEST(Sema, NamedDefaultsAndFrom) {
  auto c = compile(
      "defaults a\n mode tcp\n timeout client 1s\n timeout server 1s\n timeout connect 1s\n"
      "defaults b\n mode http\n timeout client 2s\n timeout server 2s\n timeout connect 1s\n"
      "listen l from a\n bind :8080\n server s 127.0.0.1:80\n"
      "listen m\n bind :8081\n server s 127.0.0.1:80\n");
  ASSERT_TRUE(c->ok()) << messages(*c);
  EXPECT_EQ(c->program.proxies[0].mode, ir::Mode::Tcp);   // explicit 'from a'
  EXPECT_EQ(c->program.proxies[1].mode, ir::Mode::Http);  // the last defaults section
}

TEST(Sema, AclLinesWithTheSameNameAreOred) {
  auto c = compile(
      std::string(kDefaults) +
      "frontend fe\n bind :8080\n acl DYN path_beg /user\n acl DYN path_beg /profile\n acl DYN method POST\n"
      " use_backend app if DYN\n default_backend cache\nbackend app\n server a 127.0.0.1:80\n"
      "backend cache\n server c 127.0.0.1:81\n");
  ASSERT_TRUE(c->ok()) << messages(*c);
  const auto& fe = c->program.proxies[0];
  ASSERT_EQ(fe.acls.size(), 1u);
  EXPECT_EQ(fe.acls[0].terms.size(), 3u);
  EXPECT_EQ(fe.acls[0].terms[0].method, stdlib::MatchMethod::Beg);
  EXPECT_EQ(fe.use_backends[0].backend, 1u);
}

TEST(Sema, FrontendAndBackendMayShareAName) {
  auto c = compile(std::string(kDefaults) +
                   "frontend app\n bind :8080\n default_backend app\nbackend app\n server a 127.0.0.1:80\n");
  EXPECT_TRUE(c->ok()) << messages(*c);
  auto d = compile(std::string(kDefaults) +
                   "backend app\n server a 127.0.0.1:80\nbackend app\n server a 127.0.0.1:80\n"
                   "frontend f\n bind :8080\n default_backend app\n");
  EXPECT_FALSE(d->ok());
  EXPECT_NE(messages(*d).find("already defined"), std::string::npos);
}

TEST(Sema, UndefinedBackendHasDidYouMean) {
  auto c = compile(
      std::string(kDefaults) +
      "frontend fe\n bind :8080\n default_backend web_backnd\nbackend web_backend\n server a 127.0.0.1:80\n");
  EXPECT_FALSE(c->ok());
  EXPECT_NE(messages(*c).find("did you mean 'web_backend'"), std::string::npos) << messages(*c);
}

TEST(Sema, ServerWithoutAddressNamesTheOption) {
  auto c = compile(std::string(kDefaults) +
                   "backend servers\n server s1 ssl alpn h2,http/1.1\nfrontend f\n bind :8080\n "
                   "default_backend servers\n");
  EXPECT_FALSE(c->ok());
  std::string m = messages(*c);
  EXPECT_NE(m.find("has no address"), std::string::npos) << m;
  EXPECT_NE(m.find("'ssl' is a server option"), std::string::npos) << m;
}

TEST(Sema, RemovedKeywordsNameTheReplacement) {
  auto c = compile(std::string(kDefaults) + "frontend fe\n bind :8080\n reqidel ^Accept-Encoding\n");
  EXPECT_FALSE(c->ok());
  EXPECT_NE(messages(*c).find("http-request del-header"), std::string::npos) << messages(*c);
}

TEST(Sema, ResponseFetchInRequestRuleIsRejected) {
  auto c = compile(std::string(kDefaults) +
                   "frontend fe\n bind :8080\n http-request set-header X %[res.hdr(y)]\n");
  EXPECT_FALSE(c->ok());
  EXPECT_NE(messages(*c).find("not available in a frontend http-request rule"), std::string::npos)
      << messages(*c);
}

TEST(Sema, HttpFrontendCannotUseTcpBackend) {
  auto c = compile(
      "defaults\n timeout client 1s\n timeout server 1s\n timeout connect 1s\n"
      "frontend fe\n mode http\n bind :8080\n default_backend be\nbackend be\n mode tcp\n server a "
      "127.0.0.1:80\n");
  EXPECT_FALSE(c->ok());
}

TEST(Sema, PredefinedAcls) {
  auto c = compile(std::string(kDefaults) +
                   "frontend fe\n bind :8080\n http-request deny if METH_POST !LOCALHOST\n");
  EXPECT_TRUE(c->ok()) << messages(*c);
}

TEST(Sema, AclMustBeDeclaredBeforeUse) {
  auto c = compile(std::string(kDefaults) +
                   "frontend fe\n bind :8080\n http-request deny if late\n acl late path /x\n");
  EXPECT_FALSE(c->ok());
  EXPECT_NE(messages(*c).find("used before it is declared"), std::string::npos) << messages(*c);
}

TEST(Sema, StickTablesResolveAcrossProxies) {
  auto c = compile(
      std::string(kDefaults) +
      "frontend fe\n bind :8080\n default_backend a\nbackend a\n stick on src table b\n server s "
      "127.0.0.1:80\n"
      "backend b\n stick-table type ip size 200k expire 30m\n stick on src\n server s 127.0.0.1:80\n");
  ASSERT_TRUE(c->ok()) << messages(*c);
  EXPECT_EQ(c->program.proxies[1].stick_rules[0].table_proxy, 2u);
}

TEST(Sema, LintWarnings) {
  auto c = compile(std::string(kDefaults) +
                   "frontend fe\n bind :8080\n acl unused path /x\n http-request deny\n http-request allow\n "
                   "default_backend a\n"
                   "backend a\n server s 127.0.0.1:80 disabled\nbackend b\n server s 127.0.0.1:80\n");
  EXPECT_TRUE(c->ok()) << messages(*c);
  std::string m = messages(*c);
  EXPECT_NE(m.find("ACL 'unused' is never used"), std::string::npos) << m;
  EXPECT_NE(m.find("can never run"), std::string::npos) << m;
  EXPECT_NE(m.find("every server of backend 'a' is disabled"), std::string::npos) << m;
  EXPECT_NE(m.find("backend 'b' is never used"), std::string::npos) << m;
}

TEST(Sema, NoListenerIsAnError) {
  auto c = compile(std::string(kDefaults) + "backend a\n server s 127.0.0.1:80\n");
  EXPECT_FALSE(c->ok());
}

// Inputs the fuzzer found crashing (tests/fuzz/regressions): each must give an error, not a crash.
TEST(Sema, FuzzerRegressionsGiveErrors) {
  for (const char* text : {"p if !", "frontend f\n http-request set-header X \"%[str(\\xe9)]\"\n", "\xff\n",
                           "frontend f\n bind :8080\n http-request set-header X %[str(\xff)]\n"}) {
    auto c = compile(text);
    EXPECT_FALSE(c->ok()) << text;
  }
}

TEST(Sema, NonUtf8BytesSurviveInLogFormats) {
  auto c = compile(std::string(kDefaults) +
                   "frontend f\n bind :8080\n http-request set-header X \"caf\\xe9 %[src]\"\n");
  ASSERT_TRUE(c->ok()) << messages(*c);
  const auto& r = std::get<ir::HeaderArgs>(c->program.proxies[0].rules[0].args);
  EXPECT_EQ(r.value.items[0].text, "caf\xe9 ");
}

// Parsed expressions are cached by text; every use must still report at its own place.
TEST(Sema, RepeatedExpressionsReportAtEachUse) {
  auto c = compile(std::string(kDefaults) +
                   "frontend fe\n bind :8080\n"
                   " http-request set-header X %[res.hdr(y)]\n"
                   "   http-request set-header Y %[res.hdr(y)]\n");
  std::vector<std::pair<uint32_t, uint32_t>> at;
  for (const auto& d : c->diags->all())
    if (d.severity == front::Severity::Error) at.emplace_back(d.loc.line, d.loc.col);
  ASSERT_EQ(at.size(), 2u) << messages(*c);
  EXPECT_EQ(at[0], std::make_pair(8u, 30u));
  EXPECT_EQ(at[1], std::make_pair(9u, 32u));
}

// HAProxy: "consistent hash uses sdbm and avalanche if no hash function is specified"; a named
// function takes the modifier only when written.
TEST(Sema, ConsistentHashDefaultsToSdbmAvalanche) {
  auto avalanche = [](const std::string& hash_type) {
    auto c = compile(std::string(kDefaults) + "listen be\n bind :8080\n balance uri\n hash-type " +
                     hash_type + "\n server s 127.0.0.1:80\n");
    EXPECT_TRUE(c->ok()) << messages(*c);
    const auto& be = c->program.proxies[0];
    EXPECT_STREQ(lbc::ir::hashFunctionName(be.hash.function), "sdbm") << hash_type;
    return be.hash.avalanche;
  };
  EXPECT_TRUE(avalanche("consistent"));
  EXPECT_FALSE(avalanche("consistent sdbm"));
  EXPECT_TRUE(avalanche("consistent sdbm avalanche"));
  EXPECT_FALSE(avalanche("map-based"));
}
