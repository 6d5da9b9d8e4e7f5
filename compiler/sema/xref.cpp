// The cross-reference pass (backends, stick tables) and the per-proxy checks HAProxy makes
// once a section is complete, plus lbc's own lint.
#include <algorithm>
#include <set>
#include <tuple>

#include "sema/context.h"

namespace lbc::sema {

namespace {

std::vector<std::string_view> proxyNames(const ir::Program& p, uint8_t caps) {
  std::vector<std::string_view> v;
  for (const auto& px : p.proxies)
    if (px.caps & caps) v.push_back(px.name);
  return v;
}

bool keyFitsTable(stdlib::SmpType t, ir::StickTable::Type tt) {
  using S = stdlib::SmpType;
  using T = ir::StickTable::Type;
  switch (tt) {
    case T::Ip:
      return t == S::Ipv4 || t == S::Addr || t == S::Ipv6 || t == S::Str || t == S::Sint || t == S::Any;
    case T::Ipv6:
      return t == S::Ipv4 || t == S::Ipv6 || t == S::Addr || t == S::Str || t == S::Any;
    case T::Integer:
      return t == S::Sint || t == S::Bool || t == S::Str || t == S::Ipv4 || t == S::Any;
    case T::String:
      return t != S::Bool;
    case T::Binary:
      return true;
  }
  return true;
}

// The index of the `table` argument in a registry signature ("integer[,table]" -> 1), or -1.
int tableArg(std::string_view sig) {
  int n = 0;
  for (size_t i = 0; i < sig.size(); ++i) {
    if (sig.compare(i, 5, "table") == 0) return n;
    if (sig[i] == ',') ++n;
  }
  return -1;
}

// Every `table` argument of the fetches and converters of a proxy (sc_*, src_*, table_*,
// in_table) names a proxy with a stick-table, as HAProxy checks when it resolves them.
class TableArgs {
 public:
  TableArgs(const ir::Program& p, front::DiagEngine& d) : prog_(p), d_(d) {}

  void proxy(const ir::Proxy& px) {
    for (const ir::Acl& a : px.acls)
      for (const ir::AclTerm& t : a.terms) sample(t.expr);
    for (const ir::Rule& r : px.rules) {
      std::visit(
          [&](const auto& a) {
            using T = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<T, ir::HeaderArgs> || std::is_same_v<T, ir::FormatArgs>)
              format(a.value);
            else if constexpr (std::is_same_v<T, ir::RedirectArgs>)
              format(a.target);
            else if constexpr (std::is_same_v<T, ir::VarArgs>)
              sample(a.expr);
            else if constexpr (std::is_same_v<T, ir::TrackArgs>)
              sample(a.key);
            else if constexpr (std::is_same_v<T, ir::CounterArgs>) {
              if (a.expr) sample(*a.expr);
            } else if constexpr (std::is_same_v<T, ir::ReturnArgs>) {
              format(a.lf);
              for (const auto& [n, v] : a.headers) format(v);
            }
          },
          r.args);
    }
    for (const ir::StickRule& s : px.stick_rules) sample(s.expr);
  }

 private:
  void format(const ir::LogFormat& lf) {
    for (const auto& it : lf.items)
      if (it.sample) sample(*it.sample);
  }
  void sample(const ir::SampleExpr& e) {
    check("sample fetch", e.fetch_name, stdlib::fetch(e.fetch).args, e.args, e.loc);
    for (const ir::Converter& c : e.convs)
      check("converter", c.name, stdlib::converter(c.id).args, c.args, c.loc);
  }
  void check(const char* what, const std::string& name, std::string_view sig,
             const std::vector<ir::Arg>& args, SourceLoc at) {
    const int i = tableArg(sig);
    if (i < 0 || size_t(i) >= args.size() || args[size_t(i)].str.empty()) return;
    const ir::Arg& a = args[size_t(i)];
    std::vector<std::string_view> names;
    for (const ir::Proxy& p : prog_.proxies) {
      if (p.name == a.str && p.table) return;
      if (p.table) names.push_back(p.name);
    }
    d_.error(a.loc.valid() ? a.loc : at, std::string(what) + " '" + name + "': stick-table '" + a.str +
                                             "' not found: no proxy of that name declares a 'stick-table'" +
                                             front::didYouMean(a.str, names));
  }

  const ir::Program& prog_;
  front::DiagEngine& d_;
};

}  // namespace

void Sema::checkProxy(ir::Proxy& p, ProxyState& st) {
  const bool http = p.mode == ir::Mode::Http;
  const std::string desc = std::string(p.kind()) + " '" + p.name + "'";
  // HAProxy's "missing timeouts" warning.
  std::vector<std::string> missing;
  if (p.isFrontend() && !p.timeouts.client) missing.push_back("'timeout client'");
  if (p.isBackend() && !p.timeouts.connect) missing.push_back("'timeout connect'");
  if (p.isBackend() && !p.timeouts.server) missing.push_back("'timeout server'");
  if (!missing.empty()) {
    std::string list;
    for (size_t i = 0; i < missing.size(); ++i)
      list += (i ? (i + 1 == missing.size() ? " and " : ", ") : "") + missing[i];
    diags_.warning(p.loc, "missing timeouts for " + desc + ": set " + list +
                              " (in this section or in 'defaults'), or idle connections may never be closed");
  }
  if (p.isFrontend() && (p.httplog || p.tcplog) && p.logs.empty() &&
      !(p.log_global && !prog_.global.logs.empty())) {
    diags_.warning(p.loc, std::string("'option ") + (p.httplog ? "httplog" : "tcplog") +
                              "' has no effect in " + desc +
                              ": it has no log target (add 'log global' with a global 'log' line, or 'log "
                              "<target> <facility>')");
  }
  if (!http) {
    const ir::Rule* first_http = nullptr;
    for (const auto& r : p.rules)
      if (!first_http && (r.set == ir::RuleSet::HttpReq || r.set == ir::RuleSet::HttpRes)) first_http = &r;
    if (first_http)
      diags_.warning(first_http->loc, "'http-request'/'http-response' rules are ignored in " + desc +
                                          ": they need 'mode http'");
    if (p.isFrontend() && p.httplog)
      diags_.warning(p.loc, "'option httplog' is not usable in " + desc +
                                " (it needs 'mode http'); 'option tcplog' is used instead");
    if (p.forwardfor.enabled)
      diags_.warning(p.forwardfor.loc.valid() ? p.forwardfor.loc : p.loc,
                     "'option forwardfor' is ignored in " + desc + ": it needs 'mode http'");
    if (p.isBackend() && p.cookie)
      diags_.warning(p.cookie->loc,
                     "'cookie' is ignored in " + desc + ": cookie persistence needs 'mode http'");
    using A = ir::Balance::Algo;
    if (p.isBackend() &&
        (p.balance.algo == A::Uri || p.balance.algo == A::UrlParam || p.balance.algo == A::Hdr))
      diags_.warning(
          p.balance.loc.valid() ? p.balance.loc : p.loc,
          "layer 7 balancing is not possible in " + desc + " (mode tcp): round robin is used instead");
  }
  if (!opts_.lint) return;
  // Rules that can never run are one pass of their own (codegen::deadRuleLint, run by the driver).
  if (diags_.errorCount() == st.errors_at_start) {
    for (const auto& a : p.acls)
      if (!a.used && !a.name.empty() && !a.predefined)
        diags_.warning(a.loc, "ACL '" + a.name + "' is never used");
  }
  if (p.isBackend() && !p.servers.empty()) {
    bool all_disabled = true;
    for (const auto& s : p.servers) all_disabled = all_disabled && s.opts.disabled;
    if (all_disabled)
      diags_.warning(p.loc, "every server of " + desc + " is disabled: it will answer 503 to every request");
  }
  if (p.maxconn && p.isBackend()) {
    for (const auto& s : p.servers)
      if (s.opts.maxconn > *p.maxconn)
        diags_.warning(s.loc, "server '" + s.name + "' has maxconn " + std::to_string(s.opts.maxconn) +
                                  ", above the proxy's maxconn " + std::to_string(*p.maxconn) +
                                  ": it can never be reached");
  }
}

// `errorfiles SECTION [CODE...]` entries become the section's error files, in place. An entry
// inherited from a defaults section is checked once, not once per proxy that inherits it.
void Sema::importErrorFiles(ir::Program& prog) {
  std::set<std::tuple<uint32_t, uint32_t, uint32_t, int>> reported;  // file, line, col, code (0: section)
  auto once = [&](const SourceLoc& loc, int code) {
    return reported.insert({loc.file, loc.line, loc.col, code}).second;
  };
  for (ir::Proxy& p : prog.proxies) {
    std::vector<ir::ErrorFile> out;
    for (ir::ErrorFile& e : p.errorfiles) {
      if (e.import_section.empty()) {
        out.push_back(std::move(e));
        continue;
      }
      const ir::HttpErrorsSection* sec = nullptr;
      for (const auto& h : prog.http_errors)
        if (h.name == e.import_section) sec = &h;
      if (!sec) {
        if (once(e.loc, 0)) {
          std::vector<std::string_view> names;
          for (const auto& h : prog.http_errors) names.push_back(h.name);
          diags_.error(e.loc, "errorfiles refers to http-errors section '" + e.import_section +
                                  "', which does not exist" + front::didYouMean(e.import_section, names));
        }
        continue;
      }
      if (e.import_codes.empty()) {
        for (const auto& f : sec->errorfiles) out.push_back(f);
        continue;
      }
      for (int code : e.import_codes) {
        const ir::ErrorFile* found = nullptr;
        for (const auto& f : sec->errorfiles)
          if (f.status == code) found = &f;  // the last one of the section, as HAProxy
        if (found)
          out.push_back(*found);
        else if (once(e.loc, code))
          diags_.warning(e.loc, "status " + std::to_string(code) +
                                    " is not declared in http-errors section '" + sec->name +
                                    "': 'errorfiles' imports nothing for it");
      }
    }
    p.errorfiles = std::move(out);
  }
}

void Sema::crossReference(ir::Program& prog) {
  importErrorFiles(prog);
  resolveUserLists(prog);
  for (auto& p : prog.proxies) lowerMonitor(p);
  checkResolvers(prog);
  std::vector<bool> backend_used(prog.proxies.size(), false);
  bool dynamic_routing = false;
  auto resolveBackend = [&](ir::Proxy& fe, ir::UseBackend& u, const char* kw) {
    if (u.dynamic) {
      dynamic_routing = true;
      return;
    }
    uint32_t idx = prog.findProxy(u.name, ir::kCapBe);
    if (idx == ir::kNone) {
      std::string hint = front::didYouMean(u.name, proxyNames(prog, ir::kCapBe));
      uint32_t fe_only = prog.findProxy(u.name, ir::kCapFe);
      diags_.error(u.loc,
                   std::string(kw) + " in " + fe.kind() + " '" + fe.name + "' refers to backend '" + u.name +
                       "', which does not exist" + hint +
                       (fe_only != ir::kNone ? " ('" + u.name + "' is a frontend, not a backend)" : ""));
      return;
    }
    u.backend = idx;
    backend_used[idx] = true;
    const ir::Proxy& be = prog.proxies[idx];
    if (&be == &fe) {
      diags_.error(u.loc,
                   std::string(kw) + " in " + fe.kind() + " '" + fe.name + "' refers to itself: a loop");
      return;
    }
    if (fe.mode == ir::Mode::Http && be.mode == ir::Mode::Tcp) {
      diags_.error(u.loc, std::string(fe.kind()) + " '" + fe.name + "' (mode http) cannot use backend '" +
                              be.name +
                              "' (mode tcp): set 'mode http' in the backend or 'mode tcp' in the frontend");
      diags_.note(be.loc, "backend '" + be.name + "' is here");
    }
  };
  auto resolveTable = [&](const ir::Proxy& owner, const std::string& name, SourceLoc loc, uint32_t& out,
                          stdlib::SmpType key_type) {
    uint32_t self = ir::kNone;
    for (uint32_t i = 0; i < prog.proxies.size(); ++i)
      if (&prog.proxies[i] == &owner) self = i;
    uint32_t idx = ir::kNone;
    if (name.empty()) {
      idx = self;
    } else {
      for (uint32_t i = 0; i < prog.proxies.size(); ++i)
        if (prog.proxies[i].name == name && prog.proxies[i].table) idx = i;
    }
    if (name.empty() && self != ir::kNone && self < states_.size() && states_[self]->table_seen) {
      out = self;
      return;
    }
    if (idx == ir::kNone || !prog.proxies[idx].table) {
      std::vector<std::string_view> names;
      for (const auto& px : prog.proxies)
        if (px.table) names.push_back(px.name);
      if (name.empty())
        diags_.error(
            loc,
            std::string(owner.kind()) + " '" + owner.name +
                "' has no 'stick-table': declare one, or name another proxy's table with 'table <name>'");
      else
        diags_.error(loc, "stick-table '" + name +
                              "' not found: no proxy of that name declares a 'stick-table'" +
                              front::didYouMean(name, names));
      return;
    }
    out = idx;
    if (idx != self) backend_used[idx] = true;  // a table-only backend is used through its table
    const ir::StickTable& t = *prog.proxies[idx].table;
    if (!keyFitsTable(key_type, t.type)) {
      diags_.error(loc, std::string("the key's type (") + stdlib::smpTypeName(key_type) +
                            ") cannot be stored in stick-table '" + prog.proxies[idx].name + "'");
      diags_.note(t.loc, "the table is declared here");
    }
  };
  for (auto& p : prog.proxies) {
    if (p.isFrontend() || !p.use_backends.empty() || p.default_backend) {
      for (auto& u : p.use_backends) resolveBackend(p, u, "use_backend");
      if (p.default_backend) resolveBackend(p, *p.default_backend, "default_backend");
    }
    // Only backends hold stick rules: sema ignores `stick` in a frontend with a warning, as
    // HAProxy does (the registry's section mask, tests/diag 139_stick_in_frontend).
    for (auto& r : p.stick_rules)
      resolveTable(p, r.table, r.table_loc.valid() ? r.table_loc : r.loc, r.table_proxy, r.expr.type);
    for (auto& r : p.rules) {
      if (auto* t = std::get_if<ir::TrackArgs>(&r.args))
        resolveTable(p, t->table, t->table_loc.valid() ? t->table_loc : r.loc, t->table_proxy, t->key.type);
    }
  }
  TableArgs tables(prog, diags_);
  for (const auto& p : prog.proxies) tables.proxy(p);
  // Lint after errors would mostly repeat them ("never used" because the reference was wrong).
  if (!opts_.lint || dynamic_routing || diags_.errorCount() > 0) return;
  for (uint32_t i = 0; i < prog.proxies.size(); ++i) {
    const ir::Proxy& p = prog.proxies[i];
    if (p.caps == ir::kCapBe && !backend_used[i])
      diags_.warning(p.loc, "backend '" + p.name + "' is never used: no frontend routes to it");
  }
}

}  // namespace lbc::sema
