// The stream's side of balancing: which part of the request is hashed.
#include "stream/lb_key.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include "lbc/rt/txn.h"
#include "upstream/hash.h"

namespace lbc::rt {
namespace {

ProxySpec spec(BalanceAlgo algo) {
  ProxySpec p;
  p.balance = algo;
  return p;
}

TEST(LbKey, UriParts) {
  ProxySpec p = spec(BalanceAlgo::Uri);
  EXPECT_EQ(uriKey(p, "/a/b/c?x=1"), "/a/b/c");
  p.uri_whole = true;
  EXPECT_EQ(uriKey(p, "/a/b/c?x=1"), "/a/b/c?x=1");
  p.uri_whole = false;
  p.uri_depth = 2;
  EXPECT_EQ(uriKey(p, "/a/b/c?x=1"), "/a/b");
  p.uri_depth = 0;
  p.uri_len = 3;
  EXPECT_EQ(uriKey(p, "/a/b/c?x=1"), "/a/");
}

TEST(LbKey, UrlParam) {
  ProxySpec p = spec(BalanceAlgo::UrlParam);
  p.balance_arg = "id";
  EXPECT_EQ(urlParamKey(p, "/p?x=1&id=42&y=2"), "42");
  EXPECT_EQ(urlParamKey(p, "/p?id=7"), "7");
  EXPECT_EQ(urlParamKey(p, "/p?id="), "");                   // present, empty
  EXPECT_EQ(urlParamKey(p, "/p?idx=1&ID=2"), std::nullopt);  // case-sensitive, whole name
  EXPECT_EQ(urlParamKey(p, "/p"), std::nullopt);
}

TEST(LbKey, Header) {
  ProxySpec p = spec(BalanceAlgo::Hdr);
  p.balance_arg = "host";
  Txn t;
  EXPECT_EQ(hdrKey(p, t), std::nullopt);
  t.req_headers.push_back({"Host", " www.example.com , other"});
  EXPECT_EQ(hdrKey(p, t), "www.example.com");
  p.hdr_domain_only = true;
  EXPECT_EQ(hdrKey(p, t), "example");
  t.req_headers[0].value = "localhost";
  EXPECT_EQ(hdrKey(p, t), "localhost");
  t.req_headers[0].value = " ,x";
  EXPECT_EQ(hdrKey(p, t), std::nullopt);  // empty first value
}

TEST(LbKey, Source) {
  sockaddr_storage ss{};
  auto* in = reinterpret_cast<sockaddr_in*>(&ss);
  in->sin_family = AF_INET;
  inet_pton(AF_INET, "10.0.0.1", &in->sin_addr);
  ProxySpec p = spec(BalanceAlgo::Source);
  EXPECT_EQ(lbKey(p, &ss, nullptr), 0x0a000001u);
  p.hash_avalanche = true;
  EXPECT_EQ(lbKey(p, &ss, nullptr), fullHash(0x0a000001u));

  sockaddr_storage s6{};
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&s6);
  in6->sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:1:2", &in6->sin6_addr);
  EXPECT_EQ(sourceHash(&s6), 0x0000ffffu ^ 0x00010002u);
  sockaddr_storage un{};
  un.ss_family = AF_UNIX;
  EXPECT_EQ(sourceHash(&un), 0u);
}

TEST(LbKey, AbsentWhenNothingToHash) {
  Txn t;
  t.uri = "/p?id=1";
  EXPECT_EQ(lbKey(spec(BalanceAlgo::RoundRobin), nullptr, &t), std::nullopt);
  EXPECT_EQ(lbKey(spec(BalanceAlgo::LeastConn), nullptr, &t), std::nullopt);
  EXPECT_EQ(lbKey(spec(BalanceAlgo::Uri), nullptr, nullptr), std::nullopt);  // no transaction (TCP)
  ProxySpec p = spec(BalanceAlgo::UrlParam);
  p.balance_arg = "id";
  EXPECT_EQ(lbKey(p, nullptr, &t), hashSdbm("1"));
  p.balance_arg = "x";
  EXPECT_EQ(lbKey(p, nullptr, &t), std::nullopt);
  EXPECT_EQ(lbKey(spec(BalanceAlgo::Uri), nullptr, &t), hashSdbm("/p"));
}

}  // namespace
}  // namespace lbc::rt
