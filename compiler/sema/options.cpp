// `option`, `cookie`, `http-check`, `stick-table` and `errorfile`.
#include <fstream>
#include <sstream>

#include <algorithm>

#include "sema/context.h"
#include "sema/values.h"

namespace lbc::sema {

using stdlib::OptionId;
using stdlib::Status;

// option smtpchk [HELO|EHLO <domain>], mysql-check [user <name> [post-41|pre-41]],
// pgsql-check user <name>, ldap-check, ssl-hello-chk, spop-check: HAProxy 2.6's arguments and errors
// (src/tcpcheck.c).
void Sema::protoCheckOption(const Line& l, stdlib::OptionId id) {
  using PC = ir::Proxy::ProtoCheck;
  ir::Proxy& p = *cur_;
  const std::string& name = l.words[1].text;
  const size_t n = l.words.size() - 2;  // the arguments
  auto arg = [&](size_t i) -> const std::string& { return l.words[2 + i].text; };
  const size_t max = id == OptionId::smtpchk       ? 2
                     : id == OptionId::mysql_check ? 3
                     : id == OptionId::pgsql_check ? 2
                                                   : 0;
  if (n > max) {
    error(l.words[2 + max], "'option " + name + "' cannot handle unexpected argument '" + arg(max) + "'");
    return;
  }
  PC kind = PC::None;
  std::string value;
  bool pre41 = false;
  switch (id) {
    case OptionId::smtpchk:
      kind = PC::Smtp;
      // As HAProxy: "HELO|EHLO <domain>", anything else is the default "HELO localhost".
      value = n == 2 && (arg(0) == "HELO" || arg(0) == "EHLO") ? arg(0) + " " + arg(1) : "HELO localhost";
      break;
    case OptionId::mysql_check:
      kind = PC::Mysql;
      if (n >= 1) {
        if (arg(0) != "user") {
          error(l.words[2],
                "'option mysql-check' only supports optional values: 'user' (got '" + arg(0) + "')");
          return;
        }
        if (n < 2) {
          error(l.words[2], "'option mysql-check user' expects <username> as argument");
          return;
        }
        if (n == 3 && arg(2) != "post-41" && arg(2) != "pre-41") {
          error(l.words[4], "keyword 'user' only supports 'post-41' and 'pre-41' (got '" + arg(2) + "')");
          return;
        }
        value = arg(1);
        pre41 = n == 3 && arg(2) == "pre-41";
      }
      break;
    case OptionId::pgsql_check:
      kind = PC::Pgsql;
      if (n < 2) {
        error(l.words[1], "'option pgsql-check' expects 'user <username>' as argument");
        return;
      }
      if (arg(0) != "user") {
        error(l.words[2], "'option pgsql-check' only supports optional values: 'user'");
        return;
      }
      value = arg(1);
      break;
    case OptionId::ssl_hello_chk:
      kind = PC::SslHello;
      break;
    case OptionId::spop_check:
      kind = PC::Spop;
      break;
    default:
      kind = PC::Ldap;
      break;
  }
  p.proto_check = kind;
  p.proto_arg = std::move(value);
  p.mysql_pre41 = pre41;
  p.tcp_check = p.redis_check = p.http_check.enabled = false;
}

void Sema::option(const Line& l, bool negated) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "an option name")) return;
  const Word& nw = l.words[1];
  const stdlib::OptionInfo* o = stdlib::findOption(nw.text);
  if (!o) {
    error(nw, "unknown option '" + nw.text + "'" + front::didYouMean(nw.text, stdlib::optionNames()));
    return;
  }
  if (o->status == Status::Removed) {
    if (o->replacement.empty())
      error(nw, "'option " + nw.text + "' was removed from HAProxy and has no replacement: delete the line");
    else
      error(nw, "'option " + nw.text + "' was removed from HAProxy; use '" + std::string(o->replacement) +
                    "' instead");
    return;
  }
  SectionMask where = st_->section;
  if (!(o->sections & where)) {
    warning(nw, "'option " + nw.text + "' is ignored in " + sectionDesc() + ": it does not apply to a " +
                    stdlib::sectionName(where));
    return;
  }
  if (o->status == Status::Unsupported) {
    error(nw, "unsupported option '" + nw.text + "': HAProxy knows it, lbc does not support it yet");
    return;
  }
  stdlib::noteUse(*o);
  bool on = !negated;
  if (negated &&
      (o->id == OptionId::httplog || o->id == OptionId::tcplog || o->id == OptionId::forwardfor ||
       o->id == OptionId::httpchk || o->id == OptionId::tcp_check || o->id == OptionId::smtpchk ||
       o->id == OptionId::mysql_check || o->id == OptionId::pgsql_check || o->id == OptionId::ldap_check ||
       o->id == OptionId::ssl_hello_chk || o->id == OptionId::spop_check)) {
    error(l.words[0], "'no option " + nw.text +
                          "' is not supported: this option cannot be negated; remove the "
                          "'option " +
                          nw.text + "' line (or the defaults section it comes from) instead");
    return;
  }
  auto noArgs = [&]() {
    if (l.words.size() > 2) {
      error(l.words[2], "unexpected '" + l.words[2].text + "': 'option " + nw.text + "' takes no argument");
      return false;
    }
    return true;
  };
  ir::Proxy& p = *cur_;
  switch (o->id) {
    case OptionId::httplog:
      if (l.words.size() > 2 && l.words[2].text == "clf")
        p.httplog_clf = on;
      else if (!noArgs())
        return;
      p.httplog = on;
      if (on) p.tcplog = false;
      break;
    case OptionId::tcplog:
      if (!noArgs()) return;
      p.tcplog = on;
      if (on) p.httplog = false;
      break;
    case OptionId::dontlognull:
      if (noArgs()) p.dontlognull = on;
      break;
    case OptionId::dontlog_normal:
      if (noArgs()) p.dontlog_normal = on;
      break;
    case OptionId::log_separate_errors:
      if (noArgs()) p.log_separate_errors = on;
      break;
    case OptionId::http_ignore_probes:
      if (noArgs()) p.http_ignore_probes = on;
      break;
    // The HTTP connection modes exclude each other: the last one wins, as in HAProxy.
    case OptionId::httpclose:
      if (!noArgs()) return;
      p.httpclose = on;
      if (on) p.http_server_close = p.http_keep_alive = false;
      break;
    case OptionId::http_server_close:
      if (!noArgs()) return;
      p.http_server_close = on;
      if (on) p.httpclose = p.http_keep_alive = false;
      break;
    case OptionId::http_keep_alive:
      if (!noArgs()) return;
      p.http_keep_alive = on;
      if (on) p.httpclose = p.http_server_close = false;
      break;
    case OptionId::abortonclose:
      if (noArgs()) p.abortonclose = on;
      break;
    case OptionId::log_health_checks:
      if (noArgs()) p.log_health_checks = on;
      break;
    case OptionId::persist:
      if (noArgs()) p.persist = on;
      break;
    // One check type per proxy: the last option given wins, as in HAProxy.
    case OptionId::tcp_check:
      if (noArgs()) {
        p.tcp_check = on;
        if (on) p.redis_check = p.http_check.enabled = false, p.proto_check = ir::Proxy::ProtoCheck::None;
      }
      break;
    case OptionId::redis_check:
      if (noArgs()) {
        p.redis_check = on;
        if (on) p.tcp_check = p.http_check.enabled = false, p.proto_check = ir::Proxy::ProtoCheck::None;
      }
      break;
    case OptionId::smtpchk:
    case OptionId::mysql_check:
    case OptionId::pgsql_check:
    case OptionId::ldap_check:
    case OptionId::ssl_hello_chk:
    case OptionId::spop_check:
      protoCheckOption(l, o->id);
      break;
    case OptionId::redispatch: {
      p.redispatch = on;
      if (l.words.size() > 2) {
        int64_t v = 0;
        if (!integer(l.words[2], v, -0x7fffffff, 0x7fffffff)) return;
        p.redispatch_interval = static_cast<int>(v);
      }
      break;
    }
    case OptionId::forwardfor: {
      if (negated) {
        p.forwardfor.enabled = false;
        break;
      }
      ir::Forwardfor f;
      f.loc = nw.loc;
      f.enabled = true;
      for (size_t i = 2; i < l.words.size(); ++i) {
        const std::string& w = l.words[i].text;
        if (w == "if-none") {
          f.if_none = true;
        } else if (w == "except" || w == "header") {
          if (i + 1 >= l.words.size()) {
            error(l.words[i],
                  "'option forwardfor " + w + "' expects " + (w == "except" ? "a network" : "a header name"));
            return;
          }
          const Word& a = l.words[++i];
          if (w == "except") {
            uint8_t ip[16];
            uint8_t len = 0;
            bool v6 = false;
            std::string e = parseNetwork(a.text, ip, len, v6);
            if (!e.empty()) {
              error(a, e);
              return;
            }
            f.except = a.text;
          } else {
            f.header = a.text;
          }
        } else {
          error(l.words[i], "unknown 'option forwardfor' argument '" + w +
                                "': expected 'except <network>', "
                                "'header <name>' or 'if-none'");
          return;
        }
      }
      p.forwardfor = f;
      break;
    }
    case OptionId::httpchk: {
      p.http_check.enabled = on;
      if (!on) break;
      p.tcp_check = p.redis_check = false;
      p.proto_check = ir::Proxy::ProtoCheck::None;
      size_t n = l.words.size() - 2;
      if (n == 1) {
        p.http_check.uri = l.words[2].text;
      } else if (n >= 2) {
        p.http_check.method = l.words[2].text;
        p.http_check.uri = l.words[3].text;
        if (n >= 3) p.http_check.version = l.words[4].text;
        if (n > 3) {
          error(l.words[5], "unexpected '" + l.words[5].text +
                                "': 'option httpchk' takes [<method>] [<uri>] [<version>]");
          return;
        }
      }
      if (!p.http_check.uri.empty() && p.http_check.uri[0] != '/' && p.http_check.uri != "*" && n >= 1)
        warning(l.words[n == 1 ? 2 : 3],
                "health check URI '" + p.http_check.uri + "' does not start with '/'");
      break;
    }
    default:
      error(nw, "internal error: supported option '" + nw.text + "' has no handler");
  }
}

void Sema::cookie(const Line& l) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "a cookie name")) return;
  ir::Cookie c;
  c.loc = l.loc;
  c.name = l.words[1].text;
  bool mode_set = false;
  for (size_t i = 2; i < l.words.size(); ++i) {
    const std::string& w = l.words[i].text;
    auto setMode = [&](ir::Cookie::Mode m) {
      if (mode_set && c.mode != m) {
        error(l.words[i], "'cookie' accepts only one of 'rewrite', 'insert' and 'prefix'");
        return false;
      }
      c.mode = m;
      mode_set = true;
      return true;
    };
    if (w == "rewrite") {
      if (!setMode(ir::Cookie::Mode::Rewrite)) return;
    } else if (w == "insert") {
      if (!setMode(ir::Cookie::Mode::Insert)) return;
    } else if (w == "prefix") {
      if (!setMode(ir::Cookie::Mode::Prefix)) return;
    } else if (w == "indirect")
      c.indirect = true;
    else if (w == "nocache")
      c.nocache = true;
    else if (w == "postonly")
      c.postonly = true;
    else if (w == "preserve")
      c.preserve = true;
    else if (w == "httponly")
      c.httponly = true;
    else if (w == "secure")
      c.secure = true;
    else if (w == "domain" || w == "maxidle" || w == "maxlife" || w == "attr") {
      if (i + 1 >= l.words.size()) {
        error(l.words[i], "'cookie " + w + "' expects an argument");
        return;
      }
      const Word& a = l.words[++i];
      if (w == "domain")
        c.domains.push_back(a.text);
      else if (w == "attr")
        c.attrs.push_back(a.text);
      else {
        uint64_t ms = 0;
        if (!duration(a, ms, 1000)) return;  // bare numbers are seconds here, as in HAProxy
        (w == "maxidle" ? c.maxidle_ms : c.maxlife_ms) = ms;
      }
    } else if (w == "dynamic") {
      error(l.words[i], "unsupported cookie option 'dynamic': lbc does not support it yet");
      return;
    } else {
      static const std::vector<std::string_view> kOpts = {
          "rewrite",  "insert", "prefix", "indirect", "nocache", "postonly", "preserve",
          "httponly", "secure", "domain", "maxidle",  "maxlife", "attr",     "dynamic"};
      error(l.words[i], "unknown cookie option '" + w + "'" + front::didYouMean(w, kOpts));
      return;
    }
  }
  if (c.mode == ir::Cookie::Mode::Prefix && c.indirect) {
    error(l.words[0], "'cookie' options 'prefix' and 'indirect' cannot be combined");
    return;
  }
  // As HAProxy 2.6 (cfgparse): rewrite needs the server to see its cookie, and preserve only
  // means something where the cookie is inserted or hidden.
  if (c.mode == ir::Cookie::Mode::Rewrite && mode_set && c.indirect) {
    error(l.words[0], "'cookie' modes 'rewrite' and 'indirect' cannot be combined");
    return;
  }
  if (c.preserve && c.mode != ir::Cookie::Mode::Insert && !c.indirect) {
    error(l.words[0], "'cookie' option 'preserve' requires at least 'insert' or 'indirect'");
    return;
  }
  if ((c.maxidle_ms || c.maxlife_ms) && c.mode != ir::Cookie::Mode::Insert) {
    error(l.words[0], "'cookie' options 'maxidle' and 'maxlife' need 'insert' mode");
    return;
  }
  cur_->cookie = c;
}

void Sema::httpCheck(const Line& l) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "'send' or 'expect'")) return;
  const std::string& sub = l.words[1].text;
  ir::HttpCheckRule r;
  r.loc = l.loc;
  if (sub == "send") {
    r.kind = ir::HttpCheckRule::Kind::Send;
    for (size_t i = 2; i < l.words.size(); ++i) {
      const std::string& w = l.words[i].text;
      if (i + 1 >= l.words.size() && w != "") {
        error(l.words[i], "'http-check send " + w + "' expects an argument");
        return;
      }
      if (w == "meth")
        r.meth = l.words[++i].text;
      else if (w == "uri")
        r.uri = l.words[++i].text;
      else if (w == "ver")
        r.ver = l.words[++i].text;
      else if (w == "body")
        r.body = l.words[++i].text;
      else if (w == "hdr") {
        if (i + 2 >= l.words.size()) {
          error(l.words[i], "'http-check send hdr' expects a name and a value");
          return;
        }
        r.headers.emplace_back(l.words[i + 1].text, l.words[i + 2].text);
        i += 2;
      } else if (w == "uri-lf" || w == "body-lf") {
        error(l.words[i], "unsupported 'http-check send' option '" + w + "': lbc does not support it yet");
        return;
      } else {
        error(l.words[i], "unknown 'http-check send' option '" + w + "'" +
                              front::didYouMean(w, {"meth", "uri", "ver", "hdr", "body"}));
        return;
      }
    }
  } else if (sub == "expect") {
    r.kind = ir::HttpCheckRule::Kind::Expect;
    size_t i = 2;
    if (i < l.words.size() && l.words[i].text == "!") {
      r.negate = true;
      ++i;
    }
    static const std::vector<std::string_view> kMatches = {"status",  "rstatus", "string",
                                                           "rstring", "hdr",     "fhdr"};
    if (i >= l.words.size()) {
      error(l.words[1],
            "'http-check expect' expects a match type (status, rstatus, string, rstring) and a pattern");
      return;
    }
    const Word& m = l.words[i];
    static const std::vector<std::string_view> kUnsupported = {
        "hdr",       "fhdr",         "string-lf",   "status-lf",  "min-recv", "comment",
        "ok-status", "error-status", "tout-status", "on-success", "on-error", "status-code"};
    if (std::find(kUnsupported.begin(), kUnsupported.end(), m.text) != kUnsupported.end()) {
      error(m, "unsupported 'http-check expect' option '" + m.text + "': lbc does not support it yet");
      return;
    }
    if (std::find(kMatches.begin(), kMatches.end(), m.text) == kMatches.end()) {
      std::string hint = front::didYouMean(m.text, kMatches);
      error(m, "unknown 'http-check expect' match '" + m.text +
                   "' (expected 'status <codes>', 'rstatus <regex>', "
                   "'string <text>' or 'rstring <regex>')" +
                   hint);
      return;
    }
    if (i + 1 >= l.words.size()) {
      error(m, "'http-check expect " + m.text + "' expects a pattern");
      return;
    }
    using M = ir::HttpCheckRule::Match;
    r.match = m.text == "status"    ? M::Status
              : m.text == "rstatus" ? M::RStatus
              : m.text == "string"  ? M::String
                                    : M::RString;
    r.pattern = l.words[i + 1].text;
    if (r.match == M::RStatus || r.match == M::RString) {
      if (std::string e = compileRegex(r.pattern, false); !e.empty()) {
        error(l.words[i + 1], e);
        return;
      }
    }
    if (i + 2 < l.words.size()) {
      const Word& extra = l.words[i + 2];
      if (std::find(kUnsupported.begin(), kUnsupported.end(), extra.text) != kUnsupported.end())
        error(extra,
              "unsupported 'http-check expect' option '" + extra.text + "': lbc does not support it yet");
      else
        error(extra, "unexpected '" + extra.text + "' after the 'http-check expect' pattern");
      return;
    }
  } else if (sub == "connect" || sub == "comment" || sub == "disable-on-404" || sub == "send-state" ||
             sub == "set-var" || sub == "unset-var" || sub.starts_with("set-var(") ||
             sub.starts_with("unset-var(")) {
    error(l.words[1],
          "unsupported keyword 'http-check " + sub + "': HAProxy knows it, lbc does not support it yet");
    return;
  } else {
    error(l.words[1], "unknown 'http-check' keyword '" + sub + "'" +
                          front::didYouMean(
                              sub, {"send", "expect", "connect", "comment", "disable-on-404", "send-state"}));
    return;
  }
  cur_->http_check.rules.push_back(std::move(r));
}

void Sema::stickTable(const Line& l) {
  st_->table_seen = true;
  if (!noCondition(l)) return;
  ir::StickTable t;
  t.loc = l.loc;
  bool has_type = false, has_size = false;
  for (size_t i = 1; i < l.words.size(); ++i) {
    const std::string& w = l.words[i].text;
    auto arg = [&]() -> const Word* {
      if (i + 1 >= l.words.size()) {
        error(l.words[i], "'stick-table " + w + "' expects an argument");
        return nullptr;
      }
      return &l.words[++i];
    };
    if (w == "type") {
      const Word* a = arg();
      if (!a) return;
      using T = ir::StickTable::Type;
      if (a->text == "ip")
        t.type = T::Ip;
      else if (a->text == "ipv6")
        t.type = T::Ipv6;
      else if (a->text == "integer")
        t.type = T::Integer;
      else if (a->text == "string" || a->text == "binary") {
        t.type = a->text == "string" ? T::String : T::Binary;
        t.key_len = 32;
        if (i + 1 < l.words.size() && l.words[i + 1].text == "len") {
          ++i;
          const Word* n = arg();
          int64_t v = 0;
          if (!n || !integer(*n, v, 1, 0xffff)) return;
          t.key_len = static_cast<uint32_t>(v);
        }
      } else {
        error(*a, "unknown stick-table type '" + a->text + "': expected ip, ipv6, integer, string or binary");
        return;
      }
      has_type = true;
    } else if (w == "size") {
      const Word* a = arg();
      if (!a || !size(*a, t.size)) return;
      has_size = true;
    } else if (w == "expire") {
      const Word* a = arg();
      uint64_t ms = 0;
      if (!a || !duration(*a, ms)) return;
      t.expire_ms = ms;
    } else if (w == "nopurge") {
      t.nopurge = true;
    } else if (w == "peers") {
      const Word* a = arg();
      if (!a) return;
      error(*a, "peers section '" + a->text + "' not found: 'peers' sections are not supported by lbc yet");
      return;
    } else if (w == "store") {
      const Word* a = arg();
      if (!a) return;
      static const std::vector<std::string_view> kData = {
          "server_id",      "gpc0",          "gpc0_rate",     "gpc1",          "gpc1_rate",
          "conn_cnt",       "conn_cur",      "conn_rate",     "sess_cnt",      "sess_rate",
          "http_req_cnt",   "http_req_rate", "http_err_cnt",  "http_err_rate", "http_fail_cnt",
          "http_fail_rate", "bytes_in_cnt",  "bytes_in_rate", "bytes_out_cnt", "bytes_out_rate",
          "gpt0",           "gpt",           "gpc",           "gpc_rate",      "server_key",
          "glitch_cnt"};
      for (const std::string& d : [&] {
             std::vector<std::string> v;
             std::string cur;
             int depth = 0;
             for (char c : a->text) {
               if (c == '(') ++depth;
               if (c == ')') --depth;
               if (c == ',' && depth == 0) {
                 v.push_back(cur);
                 cur.clear();
               } else {
                 cur += c;
               }
             }
             v.push_back(cur);
             return v;
           }()) {
        std::string base = d.substr(0, d.find('('));
        if (std::find(kData.begin(), kData.end(), base) == kData.end()) {
          error(*a, "unknown stick-table data type '" + base + "'" + front::didYouMean(base, kData));
          return;
        }
        bool is_rate = base.ends_with("_rate");
        if (is_rate && d.find('(') == std::string::npos) {
          error(*a, "stick-table data type '" + base + "' expects a period, e.g. '" + base + "(10s)'");
          return;
        }
        if (is_rate) {
          uint64_t ms = 0;
          std::string per = d.substr(d.find('(') + 1);
          if (per.empty() || per.back() != ')') {
            error(*a, "missing ')' in '" + d + "'");
            return;
          }
          per.pop_back();
          if (!duration(Word{per, a->loc, false}, ms)) return;
        }
        t.store.push_back(d);
      }
    } else if (w == "srvkey" || w == "write-to" || w == "recv-only") {
      error(l.words[i], "unsupported stick-table option '" + w + "': lbc does not support it yet");
      return;
    } else {
      error(l.words[i], "unknown stick-table option '" + w + "'" +
                            front::didYouMean(w, {"type", "size", "expire", "nopurge", "peers", "store"}));
      return;
    }
  }
  if (!has_type) {
    error(l.words[0], "'stick-table' expects a type: 'type ip|ipv6|integer|string [len N]|binary [len N]'");
    return;
  }
  if (!has_size) {
    error(l.words[0], "'stick-table' expects a size: 'size <entries>'");
    return;
  }
  if (cur_->table) {
    error(l.words[0], "only one 'stick-table' is allowed per proxy; " + sectionDesc() + " already has one");
    diags_.note(cur_->table->loc, "previous 'stick-table' is here");
    return;
  }
  cur_->table = t;
}

void Sema::errorfile(const Line& l, std::vector<ir::ErrorFile>& out) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 2, "<code> <file>")) return;
  int64_t code = 0;
  if (!integer(l.words[1], code, 100, 599)) return;
  if (!hasDefaultErrorPage(code)) {
    error(l.words[1],
          "status code " + l.words[1].text +
              " cannot be customized: 'errorfile' supports 200, 400, 401, "
              "403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503 and 504");
    return;
  }
  ir::ErrorFile e;
  e.loc = l.loc;
  e.status = static_cast<int>(code);
  e.path = l.words[2].text;
  if (opts_.check_files) {
    std::ifstream in(e.path, std::ios::binary);
    if (!in) {
      error(l.words[2], "cannot open error file '" + e.path + "': no such file or directory");
      return;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    e.content = ss.str();
    if (!e.content.empty() && !e.content.starts_with("HTTP/")) {
      error(l.words[2], "error file '" + e.path +
                            "' is not an HTTP response: it must start with a status line "
                            "such as 'HTTP/1.0 503 Service Unavailable'");
      return;
    }
  }
  out.push_back(std::move(e));
}

// errorloc|errorloc302|errorloc303 <code> <url>: the error answered by a redirection, kept as
// the error file HAProxy builds for it (http_parse_errorloc).
void Sema::errorloc(const Line& l, int code, std::vector<ir::ErrorFile>& out) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 2, "<code> <url>")) return;
  int64_t status = 0;
  if (!integer(l.words[1], status, 100, 599)) return;
  if (!hasDefaultErrorPage(status)) {
    warning(l.words[1], "status code " + l.words[1].text + " not handled by '" + l.words[0].text +
                            "', error relocation will be ignored");
    return;
  }
  ir::ErrorFile e;
  e.loc = l.loc;
  e.status = static_cast<int>(status);
  e.content = std::string(code == 302 ? "HTTP/1.1 302 Found\r\n" : "HTTP/1.1 303 See Other\r\n") +
              "Cache-Control: no-cache\r\nContent-length: 0\r\nLocation: " + l.words[2].text + "\r\n\r\n";
  out.push_back(std::move(e));
}

// errorfiles <name> [<code> ...]: resolved by the cross-reference pass (the http-errors section
// may come later in the file).
void Sema::errorfiles(const Line& l, std::vector<ir::ErrorFile>& out) {
  if (!noCondition(l)) return;
  if (!needArgs(l, 1, "<name> [<code> ...]")) return;
  ir::ErrorFile e;
  e.loc = l.words[1].loc;  // diagnostics of the import point at the section's name
  e.import_section = l.words[1].text;
  for (size_t i = 2; i < l.words.size(); ++i) {
    int64_t code = 0;
    if (!integer(l.words[i], code, 100, 599)) return;
    if (!hasDefaultErrorPage(code)) {
      error(l.words[i],
            "status code " + l.words[i].text +
                " cannot be customized: 'errorfiles' supports 200, 400, "
                "401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503 and 504");
      return;
    }
    e.import_codes.push_back(static_cast<int>(code));
  }
  out.push_back(std::move(e));
}

}  // namespace lbc::sema
