// The supported-check (driver/supported.cpp): what the engines and the runtime cannot run yet is
// refused in one place, at the line, with the messages `lbc run` has always printed.
#include <gtest/gtest.h>

#include "driver/driver.h"

using namespace lbc;

namespace {

std::unique_ptr<driver::Compilation> compileFront(const std::string& text) {
  driver::Options o;
  o.sema.resolve_hosts = false;
  o.sema.lint = false;
  o.goal = driver::Goal::Evaluate;
  return driver::compileText("t.cfg", text, o, [](std::string_view) { return std::optional<std::string>(); });
}

std::string messages(const driver::Compilation& c) {
  std::string s;
  for (const auto& d : c.diags->all()) s += std::to_string(d.loc.line) + ": " + d.message + "\n";
  return s;
}

const char* kConfig = R"(global
  stats socket /tmp/lbc-test.sock
defaults
  mode http
  timeout client 5s
  timeout server 5s
  timeout connect 1s
frontend fe
  bind :8080 accept-proxy
  option tcplog
  log stdout format raw local0
  tcp-request content accept
  default_backend be
backend be
  http-reuse always
  stick-table type ip size 1k store conn_cur,bytes_in_cnt
  server s1 127.0.0.1:80 send-proxy
  server s2 127.0.0.1
  tcp-response content accept
)";

}  // namespace

TEST(Supported, RulesPassForEveryEngine) {
  auto c = compileFront(kConfig);
  ASSERT_TRUE(c->ok()) << messages(*c);
}

TEST(Supported, ServingRefusesWhatTheRuntimeLacks) {
  auto c = compileFront(kConfig);
  ASSERT_TRUE(c->ok()) << messages(*c);
  EXPECT_FALSE(driver::checkSupported(c->program, driver::Need::Serving, *c->diags));
  EXPECT_EQ(messages(*c),
            "8: 'option tcplog' logging of HTTP streams in frontend 'fe' is not supported by 'lbc run' yet\n"
            "14: 'http-reuse aggressive|always' in backend 'be' is not supported by 'lbc run' yet\n"
            "16: 'store bytes_in_cnt' in a stick-table is not supported by 'lbc run' yet\n"
            "18: server 's2': an address without an absolute port (the client's destination port) is not "
            "supported by 'lbc run' yet\n");
}

// The response side of the one analyser sequence runs in mode http too (tcp-response content
// before http-response, http-after-response after it).
TEST(Supported, ResponseRulesServeInModeHttp) {
  auto c = compileFront(R"(defaults
  mode http
  timeout client 5s
  timeout server 5s
  timeout connect 1s
frontend fe
  bind 127.0.0.1:8080
  http-after-response set-header x-a %[status]
  default_backend be
backend be
  tcp-response inspect-delay 1s
  tcp-response content reject if { res.hdr(x-bad) -m found }
  http-after-response set-status 299 if { status 200 }
  server s1 127.0.0.1:80
)");
  ASSERT_TRUE(c->ok()) << messages(*c);
  EXPECT_TRUE(driver::checkSupported(c->program, driver::Need::Serving, *c->diags)) << messages(*c);
}

// The protocol checks run their own rule set on a plain socket: tcp-check rules beside one, and an
// 'ssl' server checked by one, are refused.
TEST(Supported, ProtocolChecksRefuseTcpCheckRulesAndSslServers) {
  auto c = compileFront(R"(defaults
  mode tcp
  timeout client 5s
  timeout server 5s
  timeout connect 1s
frontend fe
  bind 127.0.0.1:8080
  default_backend db
backend db
  option mysql-check user haproxy
  tcp-check send PING\r\n
  server s1 127.0.0.1:3306 check
backend mail
  option smtpchk EHLO example.org
  server s1 127.0.0.1:465 check ssl verify none
)");
  ASSERT_TRUE(c->ok()) << messages(*c);
  EXPECT_FALSE(driver::checkSupported(c->program, driver::Need::Serving, *c->diags));
  EXPECT_EQ(
      messages(*c),
      "9: 'tcp-check' rules in backend 'db' together with a protocol check (option smtpchk, mysql-check, "
      "pgsql-check, ldap-check, ssl-hello-chk, spop-check) is not supported by 'lbc run' yet\n"
      "15: server 's1': tcp-check send and expect rules (option tcp-check, redis-check, smtpchk, "
      "mysql-check, pgsql-check, ldap-check, ssl-hello-chk, spop-check) on an 'ssl' server is not supported "
      "by "
      "'lbc run' yet\n");
}
