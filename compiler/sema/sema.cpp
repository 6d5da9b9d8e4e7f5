// Sections and directive dispatch: which keyword a line is, whether it may appear here, and
// what lbc says when it may not (unknown, unsupported, removed, misplaced).
#include <sys/stat.h>

#include <algorithm>

#include "sema/context.h"
#include "sema/values.h"

namespace lbc::sema {

using stdlib::DirectiveId;
using stdlib::Status;

// ---- helpers ------------------------------------------------------------------------------------

bool Sema::needArgs(const Line& l, size_t n, const std::string& usage) {
  if (l.words.size() > n) return true;
  SourceLoc at = l.words.back().loc;
  at.col += at.len;
  at.len = 1;
  diags_.error(at, "'" + l.words[0].text + "' expects " + usage);
  return false;
}

bool Sema::noCondition(const Line& l) {
  if (!l.cond) return true;
  diags_.error(l.cond->loc, "'" + l.words[0].text + "' does not take a condition");
  return false;
}

bool Sema::duration(const Word& w, uint64_t& ms, uint64_t unit_ms) {
  std::string warn;
  std::string e = parseDuration(w.text, ms, unit_ms, &warn);
  if (!warn.empty() && e.empty()) warning(w, warn);
  if (e.empty()) return true;
  error(w, e);
  return false;
}

bool Sema::size(const Word& w, uint64_t& v) {
  std::string e = parseSize(w.text, v);
  if (e.empty()) return true;
  error(w, e);
  return false;
}

bool Sema::integer(const Word& w, int64_t& v, int64_t lo, int64_t hi) {
  std::string e = parseInt(w.text, v, lo, hi);
  if (e.empty()) return true;
  error(w, e);
  return false;
}

bool hasDefaultErrorPage(int64_t status) {
  static constexpr int kPages[] = {200, 400, 401, 403, 404, 405, 407, 408, 410, 413,
                                   421, 422, 425, 429, 500, 501, 502, 503, 504};
  return std::find(std::begin(kPages), std::end(kPages), status) != std::end(kPages);
}

bool Sema::lenientInteger(const Word& w, int64_t& v, int64_t lo, int64_t hi) {
  if (parseInt(w.text, v, lo, hi).empty()) return true;
  size_t i = 0;
  bool neg = !w.text.empty() && w.text[0] == '-';
  if (neg || (!w.text.empty() && w.text[0] == '+')) i = 1;
  int64_t n = 0;
  while (i < w.text.size() && w.text[i] >= '0' && w.text[i] <= '9' && n < (int64_t(1) << 40))
    n = n * 10 + (w.text[i++] - '0');
  if (i == w.text.size() && w.text.size() > (neg ? 1u : 0u))
    return integer(w, v, lo, hi);  // a number, but out of range
  v = neg ? -n : n;
  warning(w, "'" + w.text + "' is not a number: HAProxy reads it as " + std::to_string(v) +
                 "; write a plain integer");
  return true;
}

bool Sema::fileExists(const Word& w, const std::string& path, const char* what) {
  if (!opts_.check_files) return true;
  struct stat st;
  if (::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode)) return true;
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && std::string_view(what) == "certificate")
    return true;  // a crt directory holds several certificates
  error(w, std::string("cannot open ") + what + " file '" + path +
               "': " + (::stat(path.c_str(), &st) == 0 ? "not a regular file" : "no such file or directory"));
  return false;
}

std::string Sema::sectionDesc() const {
  switch (sec_) {
    case Sec::Global:
      return "'global' section";
    case Sec::Defaults:
      return cur_ && !cur_->name.empty() ? "defaults section '" + cur_->name + "'" : "'defaults' section";
    case Sec::Proxy:
      return std::string(cur_->kind()) + " '" + cur_->name + "'";
    case Sec::HttpErrors:
      return "'http-errors' section";
    case Sec::Userlist:
      return "'userlist' section";
    case Sec::Resolvers:
      return "resolvers section '" + prog_.resolvers.back().name + "'";
    default:
      return "section";
  }
}

// ---- sections -------------------------------------------------------------------------------------

static bool validName(const std::string& n) {
  return !n.empty() &&
         n.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") ==
             std::string::npos;
}

void Sema::endSection() {
  if (sec_ == Sec::Proxy || sec_ == Sec::Defaults) reportUnresolvedAcls();
  if (sec_ == Sec::Proxy) {
    for (auto& r : st_->legacy_redirects) cur_->rules.push_back(std::move(r));
    checkProxy(*cur_, *st_);
  }
  sec_ = Sec::None;
  cur_ = nullptr;
  st_ = nullptr;
}

void Sema::sectionHeader(const Line& l) {
  endSection();
  outside_unknown_reported_ = false;
  const std::string& kind = l.words[0].text;
  if (kind == "global") {
    sec_ = Sec::Global;
    if (l.words.size() > 1)
      warning(l.words[1], "'global' takes no argument; '" + l.words[1].text + "' is ignored");
    return;
  }
  if (kind == "http-errors") {
    sec_ = Sec::HttpErrors;
    if (!needArgs(l, 1, "<name> as an argument")) {
      sec_ = Sec::Unsupported;
      return;
    }
    for (const auto& h : prog_.http_errors) {
      if (h.name == l.words[1].text) {
        error(l.words[1], "http-errors section '" + h.name + "' is already defined");
        diags_.note(h.loc, "previous definition is here");
        sec_ = Sec::Unsupported;
        return;
      }
    }
    prog_.http_errors.push_back(ir::HttpErrorsSection{l.loc, l.words[1].text, {}});
    return;
  }
  if (kind == "userlist") {
    userlistHeader(l);
    return;
  }
  if (kind == "resolvers") return resolversSection(l);
  if (kind != "defaults" && kind != "frontend" && kind != "backend" && kind != "listen") {
    error(l.words[0], "section '" + kind + "' is not supported by lbc yet");
    sec_ = Sec::Unsupported;
    return;
  }

  // defaults [name] [from name] / frontend|backend|listen name [from defaults]
  std::string name;
  std::string from;
  bool has_from = false;
  size_t i = 1;
  if (i < l.words.size() && l.words[i].text != "from") name = l.words[i++].text;
  if (i < l.words.size() && l.words[i].text == "from") {
    has_from = true;
    if (i + 1 >= l.words.size()) {
      error(l.words[i], "'from' expects the name of a defaults section");
    } else {
      from = l.words[i + 1].text;
    }
    i += 2;
  }
  if (i < l.words.size()) error(l.words[i], "unexpected '" + l.words[i].text + "' after the section name");

  ir::Proxy* base = last_defaults_;
  if (has_from && !from.empty()) {
    if (auto dl = defaults_locs_.find(from); dl != defaults_locs_.end() && dl->second.size() > 1) {
      error(l.words[i - 1],
            "ambiguous defaults section name '" + from + "': several defaults sections have it");
      for (const auto& loc : dl->second) diags_.note(loc, "defaults section '" + from + "' is declared here");
    }
    auto it = named_defaults_.find(from);
    if (it == named_defaults_.end()) {
      std::vector<std::string_view> names;
      for (auto& [n, _] : named_defaults_) names.push_back(n);
      error(l.words[i - 1],
            "defaults section '" + from + "' not found" + front::didYouMean(from, names) +
                (named_defaults_.empty() ? " (no named defaults section is declared before this line)" : ""));
      base = nullptr;
    } else {
      base = it->second;
    }
  }

  const bool base_has_rules = base && !base->rules.empty();
  if (kind == "defaults") {
    if (base_has_rules && has_from) {
      error(l.words[i - 1],
            "a defaults section cannot inherit from a defaults section that defines tcp/http rules");
      diags_.note(base->loc, "the defaults section with rules is here");
    }
    if (!name.empty() && !validName(name))
      error(l.words[1], "invalid character in defaults section name '" + name + "'");
    auto d = std::make_unique<ir::Proxy>(has_from && base ? *base : ir::Proxy{});
    d->name = name;
    d->loc = l.loc;
    d->caps = 0;
    d->defaults = has_from ? from : "";
    cur_ = d.get();
    if (!name.empty()) {
      defaults_locs_[name].push_back(l.words[1].loc);
      named_defaults_[name] = d.get();
    }
    last_defaults_ = d.get();
    defaults_.push_back(std::move(d));
    defaults_state_ = std::make_unique<ProxyState>();
    defaults_state_->section = stdlib::kDefaults;
    st_ = defaults_state_.get();
    sec_ = Sec::Defaults;
    return;
  }

  if (name.empty()) {
    SourceLoc at = l.words[0].loc;
    at.col += at.len;
    diags_.error(at, "'" + kind + "' expects <name> as an argument");
    sec_ = Sec::Unsupported;
    return;
  }
  if (!validName(name)) {
    error(l.words[1], "invalid character in " + kind + " name '" + name +
                          "': only letters, digits, '-', '_', '.' and ':' are allowed");
  }
  uint8_t caps = kind == "frontend" ? ir::kCapFe : kind == "backend" ? ir::kCapBe : (ir::kCapFe | ir::kCapBe);
  if (base_has_rules) {
    if (caps == (ir::kCapFe | ir::kCapBe)) {
      error(l.words[0],
            "a listen section cannot inherit from a defaults section that defines tcp/http rules");
      diags_.note(base->loc, "the defaults section with rules is here");
    } else {
      DefaultsUse& u = rule_defaults_use_[base];
      (caps == ir::kCapFe ? u.fe : u.be) = true;
      (caps == ir::kCapFe ? u.first_fe : u.first_be) = l.loc;
      if (u.fe && u.be) {
        error(l.words[0],
              "frontends and backends cannot inherit from the same defaults section when it defines "
              "tcp/http rules");
        diags_.note(base->loc, "the defaults section with rules is here");
        diags_.note(caps == ir::kCapFe ? u.first_be : u.first_fe,
                    std::string("a ") + (caps == ir::kCapFe ? "backend" : "frontend") +
                        " already inherits from it here");
      }
    }
  }
  // Two frontends (or two backends) may not share a name; a frontend and a backend may.
  for (const auto& p : proxies_) {
    if (p->name == name && (p->caps & caps)) {
      error(l.words[1], std::string(caps & p->caps & ir::kCapFe ? "frontend" : "backend") + " '" + name +
                            "' is already defined (as " + p->kind() + ")");
      diags_.note(p->loc, std::string("previous ") + p->kind() + " '" + name + "' is here");
      break;
    }
  }
  auto p = std::make_unique<ir::Proxy>(base ? *base : ir::Proxy{});
  // Things a defaults section cannot give a proxy: its identity, listeners, servers, ACLs.
  p->name = name;
  p->loc = l.loc;
  p->caps = caps;
  p->defaults = base ? base->name : "";
  p->binds.clear();
  p->servers.clear();
  // ACLs copied from defaults stay (inherited rules refer to them by index) but are not
  // visible by name, as in HAProxy.
  for (auto& a : p->acls) a.used = true;
  p->use_backends.clear();
  p->stick_rules.clear();
  p->table.reset();
  if (!(caps & ir::kCapFe)) p->default_backend.reset();  // as HAProxy: only frontends inherit it
  auto st = std::make_unique<ProxyState>();
  st->errors_at_start = diags_.errorCount();
  st->section = kind == "frontend"  ? stdlib::kFrontend
                : kind == "backend" ? stdlib::kBackend
                                    : stdlib::kListen;
  cur_ = p.get();
  st_ = st.get();
  proxies_.push_back(std::move(p));
  states_.push_back(std::move(st));
  sec_ = Sec::Proxy;
}

static SectionMask maskOf(Sema::Sec sec, const ProxyState* st) {
  switch (sec) {
    case Sema::Sec::Global:
      return stdlib::kGlobal;
    case Sema::Sec::Defaults:
      return stdlib::kDefaults;
    case Sema::Sec::Proxy:
      return st->section;
    case Sema::Sec::HttpErrors:
      return stdlib::kHttpErrors;
    case Sema::Sec::Userlist:
      return stdlib::kUserlist;
    case Sema::Sec::Resolvers:
      return stdlib::kResolvers;
    default:
      return stdlib::kGlobal;
  }
}

// Section header names, from the registry's section table (for "did you mean").
static const std::vector<std::string_view>& sectionNames() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> v;
    for (uint32_t b = 1; b <= stdlib::kLogForward; b <<= 1)
      v.push_back(stdlib::sectionName(static_cast<SectionMask>(b)));
    return v;
  }();
  return names;
}

static std::string sectionList(uint32_t mask) {
  std::vector<std::string> names;
  for (uint32_t b = 1; b <= stdlib::kLogForward; b <<= 1)
    if (mask & b) names.push_back(stdlib::sectionName(static_cast<SectionMask>(b)));
  std::string s;
  for (size_t i = 0; i < names.size(); ++i)
    s += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return s;
}

void Sema::directive(const Line& l) {
  const Word& kw = l.words[0];
  if (sec_ == Sec::Unsupported) return;  // already reported at the section header
  if (sec_ == Sec::None) {
    uint32_t sections = 0, supported = 0;
    for (const auto& d : stdlib::directives()) {
      if (d.name != kw.text) continue;
      sections |= d.sections;
      if (d.status == stdlib::Status::Supported) supported |= d.sections;
    }
    if (supported) sections = supported;
    // `stats socket|timeout|maxconn` is the global keyword, the other `stats` lines the proxies'.
    if (kw.text == "stats" && l.words.size() > 1) {
      const std::string& s = l.words[1].text;
      const bool global = s == "socket" || s == "timeout" || s == "maxconn" || s == "bind-process";
      sections = global ? uint32_t(stdlib::kGlobal) : sections & ~uint32_t(stdlib::kGlobal);
    }
    if (!sections) {
      // Not HAProxy at all (e.g. an appliance's network settings): say it once, not per line.
      if (!outside_unknown_reported_) {
        error(kw,
              "unknown keyword '" + kw.text + "' outside any section" +
                  front::didYouMean(kw.text, sectionNames()) +
                  ": this is not HAProxy configuration (lines up to the next section header are skipped)");
        outside_unknown_reported_ = true;
      }
      return;
    }
    sections &= stdlib::kGlobal | stdlib::kDefaults | stdlib::kFrontend | stdlib::kListen | stdlib::kBackend;
    std::string hint = "; it belongs in a " + sectionList(sections) + " section";
    if (sections & stdlib::kDefaults) hint += " (add a 'defaults' line above it to apply it to every proxy)";
    error(kw, "'" + kw.text + "' is outside any section" + hint);
    return;
  }
  for (size_t i = 1; i < l.words.size(); ++i) {
    if (l.words[i].text.empty()) {
      if (!l.words[i].unset_var.empty())
        error(l.words[i],
              "environment variable '" + l.words[i].unset_var + "' is not set, so this argument is empty");
      else
        error(l.words[i],
              "empty argument: HAProxy ends a line's arguments at an empty word, so this one and the "
              "words after it would be lost");
      return;
    }
  }
  SectionMask where = maskOf(sec_, st_);
  const stdlib::DirectiveInfo* d = stdlib::findDirective(kw.text, where);
  if (!d) {
    std::string section = front::closestMatch(kw.text, sectionNames());
    std::string hint = front::didYouMean(kw.text, stdlib::directiveNames(where));
    if (hint.empty() && !section.empty())
      hint = "; did you mean the section header '" + section + "'? (section names are case-sensitive)";
    error(kw, "unknown keyword '" + kw.text + "' in " + sectionDesc() + hint);
    return;
  }
  if (d->status == Status::Removed) {
    if (d->replacement.empty())
      error(kw, "keyword '" + kw.text + "' was removed from HAProxy and has no replacement: delete the line");
    else
      error(kw, "keyword '" + kw.text + "' was removed from HAProxy; use '" + std::string(d->replacement) +
                    "' instead");
    return;
  }
  if (!(d->sections & where)) {
    constexpr uint32_t kProxies = stdlib::kFrontend | stdlib::kListen | stdlib::kBackend;
    if ((where & kProxies) && (d->sections & kProxies)) {
      const bool fatal = d->id == DirectiveId::server || d->id == DirectiveId::default_server ||
                         d->id == DirectiveId::tcp_response || d->id == DirectiveId::stick_table;
      if (fatal) {
        error(kw, "'" + kw.text + "' is not allowed in " + sectionDesc() + ": it is only valid in " +
                      sectionList(d->sections & (kProxies | stdlib::kDefaults)) + " sections");
        return;
      }
      // HAProxy ignores a frontend-only keyword in a backend (and the reverse) with a warning.
      warning(kw, "'" + kw.text + "' is ignored in " + sectionDesc() + ": it is only valid in " +
                      sectionList(d->sections & (kProxies | stdlib::kDefaults)) + " sections");
      // ... but still checks a backend reference it makes (unknown target, loop).
      if (d->id == DirectiveId::use_backend || d->id == DirectiveId::default_backend)
        useBackend(l, d->id == DirectiveId::default_backend);
      return;
    }
    error(kw, "'" + kw.text + "' is not allowed in " + sectionDesc() + "; it is valid in " +
                  sectionList(d->sections) + " sections");
    return;
  }
  if (d->status == Status::Unsupported) {
    std::string full = kw.text;
    if (d->doc.starts_with("Sub-keywords") && l.words.size() > 1) full += " " + l.words[1].text;
    error(kw, "unsupported keyword '" + full + "'" +
                  (full != kw.text ? " in " + sectionDesc() : std::string()) +
                  ": HAProxy knows it, lbc does not support it yet");
    return;
  }
  stdlib::noteUse(*d);
  switch (sec_) {
    case Sec::Global:
      globalDirective(l, *d);
      break;
    case Sec::Defaults:
    case Sec::Proxy:
      proxyDirective(l, *d);
      break;
    case Sec::HttpErrors:
      httpErrorsDirective(l, *d);
      break;
    case Sec::Userlist:
      userlistDirective(l, *d);
      break;
    case Sec::Resolvers:
      resolversDirective(l, *d);
      break;
    default:
      break;
  }
}

void Sema::file(front::File& f) {
  for (const Line& l : f.lines) {
    if (l.kind == front::LineKind::Section)
      sectionHeader(l);
    else if (l.kind == front::LineKind::Directive)
      directive(l);
  }
  endSection();  // a section never continues into the next file, as in HAProxy
}

ir::Program Sema::finish() {
  endSection();
  bool listener = false;
  for (size_t i = 0; i < proxies_.size(); ++i) {
    auto& p = proxies_[i];
    if (p->isFrontend() && p->binds.empty() && !states_[i]->bind_seen)
      diags_.warning(
          p->loc,
          std::string(p->kind()) + " '" + p->name +
              "' has no 'bind' line, so it receives no traffic (declare it as a backend if it is one)");
    listener = listener || (p->isFrontend() && (!p->binds.empty() || states_[i]->bind_seen));
  }
  // HAProxy counts the stats sockets among its listeners.
  if (!listener && prog_.global.stats_sockets.empty() && diags_.errorCount() == 0)
    diags_.error(ir::SourceLoc{},
                 "the configuration has no listener: no frontend or listen section has a 'bind' "
                 "line, so the proxy would not start (haproxy exits with status 2)");
  for (auto& p : proxies_) prog_.proxies.push_back(std::move(*p));
  crossReference(prog_);
  return std::move(prog_);
}

ir::Program analyze(std::vector<front::File>& files, front::DiagEngine& diags, const Options& opts) {
  Sema s(diags, opts);
  for (auto& f : files) s.file(f);
  return s.finish();
}

}  // namespace lbc::sema
