// Directive dispatch by registry id, and the global section.
#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "sema/context.h"
#include "sema/values.h"

namespace lbc::sema {

using stdlib::DirectiveId;

// user/uid and group/gid, as HAProxy 2.6 reads them: names are looked up now (HAProxy does at
// parse time); a second user/uid (group/gid) line keeps the first (HAProxy alerts and goes on:
// lbc warns); a uid or gid that is not a number is a warning that leaves it unset.
void Sema::identity(const Line& l) {
  const std::string& k = l.words[0].text;
  if (!needArgs(l, 1, k == "user" ? "a user name" : k == "group" ? "a group name" : "a number")) return;
  if (l.words.size() > 2) {
    error(l.words[2], "unexpected '" + l.words[2].text + "': '" + l.words[0].text + "' takes one argument");
    return;
  }
  ir::Global& g = prog_.global;
  const std::string& kw = l.words[0].text;
  const Word& arg = l.words[1];
  const bool is_user = kw == "user" || kw == "uid";
  std::optional<uint32_t>& id = is_user ? g.uid : g.gid;
  if (id && *id != 0) {
    warning(l.words[0], std::string(is_user ? "user/uid" : "group/gid") + " already specified, '" + kw +
                            "' ignored (HAProxy keeps the first one)");
    return;
  }
  if (kw == "user" || kw == "group") {
    const passwd* pw = is_user ? getpwnam(arg.text.c_str()) : nullptr;
    const group* gr = is_user ? nullptr : getgrnam(arg.text.c_str());
    if (!pw && !gr) {
      error(arg,
            std::string(is_user ? "user" : "group") + " '" + arg.text + "' does not exist on this machine");
      return;
    }
    (is_user ? g.user : g.group) = arg.text;
    id = is_user ? uint32_t(pw->pw_uid) : uint32_t(gr->gr_gid);
    return;
  }
  char* end = nullptr;
  unsigned long v = std::strtoul(arg.text.c_str(), &end, 10);
  if (arg.text.empty() || *end || v > 0x7fffffff) {
    warning(arg, "'" + kw + "': '" + arg.text + "' is not a number (use '" + (is_user ? "user" : "group") +
                     "' for a name); ignored as HAProxy does");
    return;
  }
  id = uint32_t(v);
}

void Sema::globalDirective(const Line& l, const stdlib::DirectiveInfo& d) {
  if (!noCondition(l)) return;
  ir::Global& g = prog_.global;
  int64_t v = 0;
  uint64_t u = 0;
  // True when the line gave its argument (then in `out`); a line without one keeps what an
  // earlier line set, so callers must not look at l.words[1] on false.
  auto oneWord = [&](std::string& out, const char* usage) {
    if (!needArgs(l, 1, usage)) return false;
    if (l.words.size() > 2)
      error(l.words[2], "unexpected '" + l.words[2].text + "': '" + l.words[0].text + "' takes one argument");
    out = l.words[1].text;
    return true;
  };
  switch (d.id) {
    case DirectiveId::daemon:
      if (l.words.size() > 1) {
        error(l.words[1], "'daemon' takes no argument");
        break;
      }
      g.daemon = true;
      break;
    case DirectiveId::nbthread:
      if (needArgs(l, 1, "a number of threads") && integer(l.words[1], v, 1, 64))
        g.nbthread = static_cast<uint32_t>(v);
      break;
    case DirectiveId::global_maxconn:
      if (needArgs(l, 1, "a number") && lenientInteger(l.words[1], v, 0, 0x7fffffff))
        g.maxconn = static_cast<uint32_t>(v);
      break;
    case DirectiveId::global_log:
      logLine(l, g.logs, nullptr);
      break;
    case DirectiveId::global_log_tag:
      logTag(l, g.log_tag);
      break;
    case DirectiveId::log_send_hostname:
      logSendHostname(l);
      break;
    case DirectiveId::global_user:
    case DirectiveId::uid:
    case DirectiveId::global_group:
    case DirectiveId::gid:
      identity(l);
      break;
    case DirectiveId::chroot:
      oneWord(g.chroot, "a directory");
      break;
    case DirectiveId::pidfile:
      oneWord(g.pidfile, "a file name");
      break;
    case DirectiveId::tune_bufsize:
      if (needArgs(l, 1, "a size in bytes") && lenientInteger(l.words[1], v, 0, 0x7fffffff)) {
        if (v < 1024) {  // haproxy itself crashes on tiny buffers
          error(l.words[1], "'tune.bufsize' must be at least 1024 bytes");
          break;
        }
        g.tune_bufsize = static_cast<uint32_t>(v);
      }
      break;
    case DirectiveId::tune_maxrewrite:
      if (needArgs(l, 1, "a size in bytes") && lenientInteger(l.words[1], v, 0, 0x7fffffff))
        g.tune_maxrewrite = static_cast<uint32_t>(v);
      break;
    case DirectiveId::hard_stop_after:
      if (needArgs(l, 1, "a duration") && duration(l.words[1], u)) g.hard_stop_after = u;
      break;
    case DirectiveId::node: {
      if (!oneWord(g.node, "a node name")) break;
      const bool ok = !g.node.empty() && std::all_of(g.node.begin(), g.node.end(), [](unsigned char c) {
        return std::isalnum(c) || c == '_' || c == '-' || c == '.';
      });
      if (!ok)
        error(l.words[1],
              "'node' requires valid node name - non-empty string with digits(0-9), letters(A-Z, a-z), "
              "dot(.), hyphen(-) or underscore(_)");
      break;
    }
    case DirectiveId::global_description:  // the rest of the line, as HAProxy joins it
      if (!needArgs(l, 1, "a description")) break;
      g.description.clear();
      for (size_t i = 1; i < l.words.size(); ++i) g.description += (i > 1 ? " " : "") + l.words[i].text;
      break;
    case DirectiveId::global_grace:
      if (needArgs(l, 1, "a duration") && duration(l.words[1], u)) g.grace = u;
      break;
    case DirectiveId::ssl_default_bind_options:
    case DirectiveId::ssl_default_server_options: {
      if (!needArgs(l, 1, "at least one option")) break;
      // HAProxy 2.6's lists: prefer-client-ciphers is a bind option only.
      static const std::vector<std::string_view> kServerOpts = {
          "no-sslv3",       "no-tlsv10",    "no-tlsv11",    "no-tlsv12",    "no-tlsv13",
          "force-sslv3",    "force-tlsv10", "force-tlsv11", "force-tlsv12", "force-tlsv13",
          "no-tls-tickets", "ssl-min-ver",  "ssl-max-ver"};
      static const std::vector<std::string_view> kBindOpts = [] {
        auto v = kServerOpts;
        v.push_back("prefer-client-ciphers");
        return v;
      }();
      const auto& kOpts = d.id == DirectiveId::ssl_default_bind_options ? kBindOpts : kServerOpts;
      std::string all;
      for (size_t i = 1; i < l.words.size(); ++i) {
        const std::string& o = l.words[i].text;
        if (std::find(kOpts.begin(), kOpts.end(), o) == kOpts.end()) {
          error(l.words[i],
                "unknown '" + l.words[0].text + "' option '" + o + "'" + front::didYouMean(o, kOpts));
          return;
        }
        if (o == "ssl-min-ver" || o == "ssl-max-ver") {
          static const std::vector<std::string_view> kVers = {"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2",
                                                              "TLSv1.3"};
          if (i + 1 >= l.words.size() ||
              std::find(kVers.begin(), kVers.end(), l.words[i + 1].text) == kVers.end()) {
            error(l.words[i], "'" + o + "' expects one of SSLv3, TLSv1.0, TLSv1.1, TLSv1.2, TLSv1.3");
            return;
          }
          all += (all.empty() ? "" : " ") + o + " " + l.words[++i].text;
          continue;
        }
        all += (all.empty() ? "" : " ") + o;
      }
      (d.id == DirectiveId::ssl_default_bind_options ? g.ssl_default_bind_options
                                                     : g.ssl_default_server_options) = all;
      break;
    }
    case DirectiveId::ssl_default_server_ciphers:
      if (!oneWord(g.ssl_default_server_ciphers, "a cipher list")) break;
      if (std::string e = checkCipherList(g.ssl_default_server_ciphers);
          !g.ssl_default_server_ciphers.empty() && !e.empty())
        error(l.words[1], e);
      break;
    case DirectiveId::ssl_default_bind_ciphersuites:
      oneWord(g.ssl_default_bind_ciphersuites, "a TLSv1.3 cipher suite list");
      break;
    case DirectiveId::ca_base:
      oneWord(g.ca_base, "a directory");
      break;
    case DirectiveId::crt_base:
      oneWord(g.crt_base, "a directory");
      break;
    case DirectiveId::ssl_server_verify: {
      std::string mode;
      if (!oneWord(mode, "'none' or 'required'")) break;
      if (mode == "none" || mode == "required")
        g.ssl_server_verify = mode == "required";
      else
        error(l.words[1], "'ssl-server-verify' expects 'none' or 'required', not '" + mode + "'");
      break;
    }
    case DirectiveId::ssl_default_bind_ciphers:
      if (!oneWord(g.ssl_default_bind_ciphers, "a cipher list")) break;
      if (std::string e = checkCipherList(g.ssl_default_bind_ciphers);
          !g.ssl_default_bind_ciphers.empty() && !e.empty())
        error(l.words[1], e);
      break;
    case DirectiveId::global_stats: {
      if (!needArgs(l, 1, "'socket' or 'timeout'")) break;
      const std::string& sub = l.words[1].text;
      if (sub == "timeout") {
        if (needArgs(l, 2, "a duration after 'stats timeout'") && duration(l.words[2], u))
          g.stats_timeout = u;
      } else if (sub == "socket") {
        if (!needArgs(l, 2, "an address after 'stats socket'")) break;
        ir::StatsSocket s;
        s.loc = l.words[2].loc;
        std::string e = parseAddress(l.words[2].text, AddrUse::Other, false, s.addr);
        if (e.empty() && s.addr.kind != ir::Address::Kind::Unix && !s.addr.has_port)
          e = "missing port number in '" + l.words[2].text +
              "' (a path must be absolute or start with 'unix@')";
        if (!e.empty()) {
          if (l.words[2].text.find(':') == std::string::npos &&
              l.words[2].text.find('@') == std::string::npos)
            e = "missing port in '" + l.words[2].text +
                "': a UNIX socket path must be absolute or start with "
                "'unix@' (e.g. 'unix@" +
                l.words[2].text + "')";
          error(l.words[2], e);
          break;
        }
        for (size_t i = 3; i < l.words.size(); ++i) {
          const std::string& o = l.words[i].text;
          if (o == "level") {
            if (i + 1 >= l.words.size() ||
                (l.words[i + 1].text != "user" && l.words[i + 1].text != "operator" &&
                 l.words[i + 1].text != "admin")) {
              error(l.words[i], "'level' expects 'user', 'operator' or 'admin'");
              return;
            }
            const std::string& lv = l.words[++i].text;
            s.level = lv == "admin"      ? ir::StatsSocket::Level::Admin
                      : lv == "operator" ? ir::StatsSocket::Level::Operator
                                         : ir::StatsSocket::Level::User;
          } else if (o == "mode") {
            if (i + 1 >= l.words.size()) {
              error(l.words[i], "'mode' expects an octal file mode, e.g. 600");
              return;
            }
            const std::string& m = l.words[++i].text;
            if (m.empty() || m.size() > 4 || m.find_first_not_of("01234567") != std::string::npos) {
              error(l.words[i], "'" + m + "' is not an octal file mode");
              return;
            }
            s.mode = static_cast<uint32_t>(std::stoul(m, nullptr, 8));
          } else if (o == "uid" || o == "gid" || o == "user" || o == "group") {
            if (i + 1 >= l.words.size()) {
              error(l.words[i], "'" + o + "' expects " + (o == "uid" || o == "gid" ? "a number" : "a name"));
              return;
            }
            const Word& w = l.words[++i];
            if (o == "uid" || o == "gid") {
              if (!integer(w, v, 0, 0x7fffffff)) return;
              (o == "uid" ? s.uid : s.gid) = static_cast<uint32_t>(v);
            } else if (o == "user") {
              const passwd* pw = getpwnam(w.text.c_str());
              if (!pw) {
                error(w, "user '" + w.text + "' does not exist on this machine");
                return;
              }
              s.uid = pw->pw_uid;
            } else {
              const group* gr = getgrnam(w.text.c_str());
              if (!gr) {
                error(w, "group '" + w.text + "' does not exist on this machine");
                return;
              }
              s.gid = gr->gr_gid;
            }
          } else if (o == "expose-fd") {
            if (i + 1 >= l.words.size() || l.words[i + 1].text != "listeners") {
              error(l.words[i], "'expose-fd' expects 'listeners'");
              return;
            }
            ++i;
            s.expose_fd_listeners = true;
          } else if (const auto* bo = stdlib::findBindOption(o)) {
            error(l.words[i], "unsupported 'stats socket' option '" + std::string(bo->name) +
                                  "': lbc supports 'level', 'mode', 'uid', 'gid', 'user', 'group' and "
                                  "'expose-fd listeners'");
            return;
          } else {
            error(l.words[i],
                  "unknown 'stats socket' option '" + o + "'" +
                      front::didYouMean(o, {"level", "mode", "uid", "gid", "user", "group", "expose-fd"}));
            return;
          }
        }
        g.stats_sockets.push_back(std::move(s));
      } else if (sub == "maxconn") {
        if (needArgs(l, 2, "a number after 'stats maxconn'") && integer(l.words[2], v, 1, 0x7fffffff))
          g.stats_maxconn = static_cast<uint32_t>(v);
      } else if (sub == "bind-process") {
        error(l.words[1],
              "unsupported keyword 'stats " + sub + "': HAProxy knows it, lbc does not support it yet");
      } else {
        error(l.words[1], "unknown 'stats' keyword '" + sub + "' in the 'global' section" +
                              front::didYouMean(sub, {"socket", "timeout", "maxconn", "bind-process"}));
      }
      break;
    }
    default:
      error(l.words[0], "internal error: supported keyword '" + l.words[0].text + "' has no handler");
  }
}

void Sema::httpErrorsDirective(const Line& l, const stdlib::DirectiveInfo& d) {
  if (d.id == DirectiveId::httperrors_errorfile) errorfile(l, prog_.http_errors.back().errorfiles);
}

void Sema::proxyDirective(const Line& l, const stdlib::DirectiveInfo& d) {
  switch (d.id) {
    case DirectiveId::mode:
      mode(l);
      break;
    case DirectiveId::bind:
      bind(l);
      break;
    case DirectiveId::server:
      server(l, false);
      break;
    case DirectiveId::default_server:
      server(l, true);
      break;
    case DirectiveId::server_template:
      serverTemplate(l);
      break;
    case DirectiveId::balance:
      balance(l);
      break;
    case DirectiveId::hash_type:
      hashType(l);
      break;
    case DirectiveId::maxconn:
      maxconnProxy(l);
      break;
    case DirectiveId::timeout:
      timeout(l);
      break;
    case DirectiveId::retries:
      retries(l);
      break;
    case DirectiveId::option:
      option(l, false);
      break;
    case DirectiveId::no:
      if (l.words.size() >= 2 && l.words[1].text == "option") {
        Line rest = l;
        rest.words.erase(rest.words.begin());
        option(rest, true);
      } else if (l.words.size() >= 2 && l.words[1].text == "log") {
        if (l.words.size() > 2) {
          error(l.words[2], "unexpected '" + l.words[2].text + "': 'no log' takes no argument");
          break;
        }
        cur_->logs.clear();
        cur_->log_global = false;
      } else {
        error(l.words[0], "'no' expects 'option <name>' or 'log'");
      }
      break;
    case DirectiveId::http_check:
      httpCheck(l);
      break;
    case DirectiveId::stats:
      stats(l);
      break;
    case DirectiveId::tcp_check:
      tcpCheck(l);
      break;
    case DirectiveId::cookie:
      cookie(l);
      break;
    case DirectiveId::stick_table:
      stickTable(l);
      break;
    case DirectiveId::stick:
      stick(l);
      break;
    case DirectiveId::tcp_request:
      tcpRule(l, false);
      break;
    case DirectiveId::tcp_response:
      tcpRule(l, true);
      break;
    case DirectiveId::http_request:
      httpRule(l, ir::RuleSet::HttpReq);
      break;
    case DirectiveId::http_response:
      httpRule(l, ir::RuleSet::HttpRes);
      break;
    case DirectiveId::http_after_response:
      httpRule(l, ir::RuleSet::HttpAfterRes);
      break;
    case DirectiveId::use_backend:
      useBackend(l, false);
      break;
    case DirectiveId::default_backend:
      useBackend(l, true);
      break;
    case DirectiveId::acl:
      acl(l);
      break;
    case DirectiveId::log:
      logLine(l, cur_->logs, &cur_->log_global);
      break;
    case DirectiveId::log_tag: {
      std::string tag;
      logTag(l, tag);
      if (!tag.empty()) cur_->log_tag = tag;
      break;
    }
    case DirectiveId::errorfile:
      errorfile(l, cur_->errorfiles);
      break;
    case DirectiveId::errorfiles:
      errorfiles(l, cur_->errorfiles);
      break;
    case DirectiveId::errorloc:
    case DirectiveId::errorloc302:
      errorloc(l, 302, cur_->errorfiles);
      break;
    case DirectiveId::errorloc303:
      errorloc(l, 303, cur_->errorfiles);
      break;
    case DirectiveId::redirect:
      legacyRedirect(l);
      break;
    case DirectiveId::monitor_uri:
      monitorUri(l);
      break;
    case DirectiveId::capture:
      capture(l);
      break;
    case DirectiveId::monitor:
      monitor(l);
      break;
    case DirectiveId::http_reuse:
      httpReuse(l);
      break;
    default:
      error(l.words[0], "internal error: supported keyword '" + l.words[0].text + "' has no handler");
  }
}

}  // namespace lbc::sema
