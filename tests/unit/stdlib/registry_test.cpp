// The registry is the single home of every keyword: these tests keep its tables coherent.
#include "lbc/stdlib/registry.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

using namespace lbc::stdlib;

TEST(Registry, DirectiveNamesAreUniquePerSection) {
  std::set<std::pair<std::string, uint32_t>> seen;
  for (const auto& d : directives())
    for (uint32_t b = 1; b <= kLogForward; b <<= 1)
      if (d.sections & b) EXPECT_TRUE(seen.emplace(std::string(d.name), b).second) << d.name;
}

TEST(Registry, IdsIndexTheirTables) {
  for (size_t i = 0; i < directives().size(); ++i) EXPECT_EQ(static_cast<size_t>(directives()[i].id), i);
  for (size_t i = 0; i < fetches().size(); ++i) EXPECT_EQ(static_cast<size_t>(fetches()[i].id), i);
  for (size_t i = 0; i < converters().size(); ++i) EXPECT_EQ(static_cast<size_t>(converters()[i].id), i);
  for (size_t i = 0; i < actions().size(); ++i) EXPECT_EQ(static_cast<size_t>(actions()[i].id), i);
}

TEST(Registry, AclKeywordsPointAtFetches) {
  for (const auto& a : aclKeywords()) EXPECT_NE(findFetch(a.fetch), nullptr) << a.name << " -> " << a.fetch;
}

TEST(Registry, RemovedKeywordsCarryAMigrationHint) {
  size_t removed = 0, with_hint = 0;
  for (const auto& d : directives()) {
    if (d.status != Status::Removed) continue;
    ++removed;
    with_hint += !d.replacement.empty();
  }
  EXPECT_GE(removed, 20u);
  EXPECT_GE(with_hint, 20u);
  const DirectiveInfo* r = findDirective("reqirep", kFrontend);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->status, Status::Removed);
  EXPECT_EQ(r->replacement, "http-request replace-header");
}

TEST(Registry, IssueScopeIsSupported) {
  for (const char* n : {"mode",         "bind",         "server",        "default-server", "balance",
                        "hash-type",    "maxconn",      "timeout",       "retries",        "option",
                        "http-check",   "cookie",       "stick-table",   "stick",          "tcp-request",
                        "tcp-response", "http-request", "http-response", "use_backend",    "default_backend",
                        "acl",          "log",          "errorfile",     "http-reuse"}) {
    const DirectiveInfo* d = findDirective(n, kBackend);
    if (!d || !(d->sections & kBackend)) d = findDirective(n, kFrontend);
    ASSERT_NE(d, nullptr) << n;
    EXPECT_EQ(d->status, Status::Supported) << n;
  }
  for (const char* n :
       {"daemon", "nbthread", "maxconn", "log", "user", "group", "chroot", "pidfile", "stats", "tune.bufsize",
        "tune.maxrewrite", "hard-stop-after", "ssl-default-bind-options", "ssl-default-bind-ciphers"}) {
    const DirectiveInfo* d = findDirective(n, kGlobal);
    ASSERT_NE(d, nullptr) << n;
    EXPECT_TRUE(d->sections & kGlobal) << n;
    EXPECT_EQ(d->status, Status::Supported) << n;
  }
  for (const char* n : {"method",
                        "path",
                        "url",
                        "query",
                        "url_param",
                        "hdr",
                        "req.hdr",
                        "req.fhdr",
                        "hdr_cnt",
                        "hdr_ip",
                        "req.cook",
                        "cook",
                        "src",
                        "src_port",
                        "dst",
                        "dst_port",
                        "base",
                        "ssl_fc",
                        "res.hdr",
                        "status",
                        "var",
                        "req_ssl_hello_type",
                        "rep_ssl_hello_type",
                        "payload_lv"}) {
    const FetchInfo* f = findFetch(n);
    ASSERT_NE(f, nullptr) << n;
    EXPECT_EQ(f->status, Status::Supported) << n;
  }
  for (const char* n : {"lower", "upper", "regsub", "field", "word", "bytes", "length", "hex", "base64",
                        "ipmask", "map_str", "map_beg", "map_reg"}) {
    const ConvInfo* c = findConverter(n);
    ASSERT_NE(c, nullptr) << n;
    EXPECT_EQ(c->status, Status::Supported) << n;
  }
}

TEST(Registry, UnknownNamesAreNotFound) {
  EXPECT_EQ(findDirective("defualt_backend", kFrontend), nullptr);
  EXPECT_EQ(findFetch("no_such_fetch"), nullptr);
}
