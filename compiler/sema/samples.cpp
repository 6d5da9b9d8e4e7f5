// Sample expressions, log-format strings, ACLs and conditions: name lookup through the
// registry, argument and type checks, and availability of each fetch at its phase.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <openssl/evp.h>
#include <pcre2.h>

#include <fstream>

#include <algorithm>
#include "front/parse.h"

#include "lbc/stdlib/exec.h"
#include "lbc/stdlib/int_range.h"
#include "lbc/stdlib/text.h"
#include "sema/context.h"
#include "sema/values.h"

namespace lbc::sema {

using stdlib::MatchMethod;
using stdlib::SmpType;
using stdlib::Status;

namespace {

struct ArgSpec {
  std::string type;
  bool optional = false;
};

// Parses HAProxy's signature text ("integer,string[,integer]", "[string,integer]").
std::vector<ArgSpec> parseSignature(std::string_view sig) {
  std::vector<ArgSpec> out;
  bool opt = false;
  std::string cur;
  auto flush = [&] {
    std::string_view name = stdlib::trim(cur, " ");
    if (!name.empty()) out.push_back({std::string(name), opt});
    cur.clear();
  };
  for (char c : sig) {
    if (c == '[') {
      flush();
      opt = true;
    } else if (c == ']') {
      flush();
    } else if (c == ',') {
      flush();
    } else {
      cur += c;
    }
  }
  flush();
  return out;
}

bool castable(SmpType from, SmpType to) {
  if (from == to || from == SmpType::Any || to == SmpType::Any) return true;
  switch (from) {
    case SmpType::Bool:
      return to == SmpType::Sint || to == SmpType::Str || to == SmpType::Bin;
    case SmpType::Sint:
      return to == SmpType::Bool || to == SmpType::Str || to == SmpType::Bin || to == SmpType::Ipv4 ||
             to == SmpType::Ipv6 || to == SmpType::Addr;
    case SmpType::Ipv4:
    case SmpType::Addr:
      return to == SmpType::Sint || to == SmpType::Str || to == SmpType::Bin || to == SmpType::Ipv6 ||
             to == SmpType::Ipv4 || to == SmpType::Addr;
    case SmpType::Ipv6:
      return to == SmpType::Str || to == SmpType::Bin || to == SmpType::Ipv4 || to == SmpType::Addr;
    case SmpType::Str:
      return true;
    case SmpType::Bin:
      return to == SmpType::Str || to == SmpType::Meth;
    case SmpType::Meth:
      return to == SmpType::Str || to == SmpType::Bin;
    default:
      return false;
  }
}

std::string describeUsage(uint32_t usage) {
  if (usage & ((1u << stdlib::kUseBeHttpResHdr) | (1u << stdlib::kUseFeHttpResHdr)) &&
      !(usage & ((1u << stdlib::kUseFeHttpReqHdr) | (1u << stdlib::kUseBeHttpReqHdr))))
    return "the response";
  if (usage & (1u << stdlib::kUseFeHttpReqHdr)) return "the request";
  if (usage & (1u << stdlib::kUseBeTcpResCont)) return "the response";
  return "a later stage of the transaction";
}

}  // namespace

std::string compileRegex(const std::string& re, bool icase) {
  int err = 0;
  PCRE2_SIZE off = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(re.data()), re.size(),
                                   icase ? PCRE2_CASELESS : 0, &err, &off, nullptr);
  if (code) {
    pcre2_code_free(code);
    return {};
  }
  PCRE2_UCHAR buf[256];
  pcre2_get_error_message(err, buf, sizeof buf);
  return "invalid regular expression '" + re + "': " + reinterpret_cast<char*>(buf) + " at offset " +
         std::to_string(off);
}

// Checks call arguments against a registry signature; fills `out`.
static bool checkArgs(Sema& s, const front::SampleCall& call, std::string_view sig, const char* what,
                      std::vector<ir::Arg>& out) {
  std::vector<ArgSpec> spec = parseSignature(sig);
  size_t required = 0;
  for (const auto& a : spec)
    if (!a.optional) ++required;
  std::string usage = std::string(call.name.text) + (sig.empty() ? "" : "(" + std::string(sig) + ")");
  if (call.args.size() < required) {
    s.error(call.name, std::string(what) + " '" + call.name.text + "' expects " + std::to_string(required) +
                           " argument" + (required == 1 ? "" : "s") + ", got " +
                           std::to_string(call.args.size()) + ": " + usage);
    return false;
  }
  if (call.args.size() > spec.size()) {
    s.error(call.args[spec.size()], std::string(what) + " '" + call.name.text + "' takes " +
                                        (spec.empty() ? "no argument"
                                                      : "at most " + std::to_string(spec.size()) +
                                                            " argument" + (spec.size() == 1 ? "" : "s")) +
                                        ": " + usage);
    return false;
  }
  for (size_t i = 0; i < call.args.size(); ++i) {
    const Word& w = call.args[i];
    ir::Arg a;
    a.str = w.text;
    a.loc = w.loc;
    const std::string& t = spec[i].type;
    if (t == "integer" || t == "sint") {
      int64_t v = 0;
      if (!s.integer(w, v, INT64_MIN / 2, INT64_MAX / 2)) return false;
      a.num = v;
      a.is_num = true;
    } else if (t == "regex") {
      std::string e = compileRegex(w.text, false);
      if (!e.empty()) {
        s.error(w, e);
        return false;
      }
    } else if (t.find("mask") != std::string::npos) {
      int64_t v = 0;
      uint8_t ip[16], len = 0;
      bool v6 = false;
      const bool want_v6 = t.find("IPv6") != std::string::npos;
      if (parseInt(w.text, v, 0, 1 << 20).empty() && v > (want_v6 ? 128 : 32)) {
        s.error(w, "'" + w.text + "' is not a valid " + (want_v6 ? "IPv6" : "IPv4") +
                       " mask: the prefix length is at most " + (want_v6 ? "128" : "32"));
        return false;
      }
      if (parseInt(w.text, v, 0, 128).empty()) {
        a.num = v;
        a.is_num = true;
      } else if (!parseNetwork(w.text, ip, len, v6).empty()) {
        s.error(w,
                "'" + w.text + "' is not a netmask: expected a prefix length (24) or a mask (255.255.255.0)");
        return false;
      }
    }
    out.push_back(std::move(a));
  }
  return true;
}

namespace {
bool isVarName(std::string_view v) {
  for (std::string_view scope : {"proc.", "sess.", "txn.", "req.", "res."})
    if (v.starts_with(scope) && v.size() > scope.size()) return true;
  return false;
}
bool isWholeInteger(std::string_view v) {
  size_t i = !v.empty() && (v[0] == '-' || v[0] == '+') ? 1 : 0;
  return i < v.size() && v.find_first_not_of("0123456789", i) == std::string_view::npos;
}
}  // namespace

// The operands HAProxy checks when it parses a converter: an arithmetic operand is an integer or
// a variable name; concat's second argument and secure_memcmp's are variable names.
bool Sema::checkConverterOperands(const front::SampleCall& c, const stdlib::ConvInfo& ci,
                                  std::vector<ir::Arg>& args) {
  using stdlib::ConvId;
  auto bad = [&](size_t i, const char* what) {
    error(c.args[i], "converter '" + c.name.text + "' expects " + what + ", not '" + args[i].str + "'");
    return false;
  };
  switch (ci.id) {
    case ConvId::add:
    case ConvId::sub:
    case ConvId::mul:
    case ConvId::div:
    case ConvId::mod:
    case ConvId::and_:
    case ConvId::or_:
    case ConvId::xor_:
      if (!args.empty() && !isWholeInteger(args[0].str) && !isVarName(args[0].str))
        return bad(0, "an integer or a variable name (txn.name)");
      return true;
    case ConvId::concat:
      if (args.size() > 1 && !args[1].str.empty() && !isVarName(args[1].str))
        return bad(1, "a variable name (txn.name)");
      return true;
    case ConvId::secure_memcmp:
    case ConvId::strcmp:
      if (!args.empty() && !isVarName(args[0].str)) return bad(0, "a variable name (txn.name)");
      return true;
    case ConvId::be2dec:
    case ConvId::be2hex: {
      int64_t chunk = args.size() > 1 ? args[1].num : 0;
      if (ci.id == ConvId::be2dec && (chunk < 1 || chunk > 8))
        return bad(args.size() > 1 ? 1 : 0, "a chunk size of 1 to 8 bytes");
      if (chunk < 1) return bad(args.size() > 1 ? 1 : 0, "a positive chunk size");
      if (args.size() > 2 && args[2].num != 0 && args[2].num != 1) return bad(2, "a truncate flag of 0 or 1");
      return true;
    }
    case ConvId::sha2:
      if (!args.empty() && args[0].num != 224 && args[0].num != 256 && args[0].num != 384 &&
          args[0].num != 512)
        return bad(0, "224, 256, 384 or 512 bits");
      return true;
    case ConvId::digest:
    case ConvId::hmac:
      if (!args.empty() && !EVP_get_digestbyname(args[0].str.c_str()))
        return bad(0, "a message digest algorithm OpenSSL knows (sha256, md5, ...)");
      return true;
    default:
      return true;
  }
}

// Map files are loaded at check time by HAProxy: each key must parse for the map's match type.
bool Sema::checkMapFile(const Word& w, const std::string& conv) {
  if (!opts_.check_files) return true;
  std::ifstream in(w.text);
  std::string line;
  int n = 0;
  const std::string kind = conv.size() > 4 ? conv.substr(4) : "str";
  while (std::getline(in, line)) {
    ++n;
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line[b] == '#') continue;
    size_t e = line.find_first_of(" \t", b);
    std::string key = line.substr(b, e == std::string::npos ? std::string::npos : e - b);
    if (!key.empty() && key.back() == '\r') key.pop_back();
    std::string err;
    if (kind == "reg" || kind == "regm")
      err = compileRegex(key, false);
    else if (kind == "ip") {
      uint8_t ip[16], len = 0;
      bool v6 = false;
      err = parseNetwork(key, ip, len, v6);
    } else if (kind == "int") {
      stdlib::IntRange r;
      if (!stdlib::parseIntRange(key, r)) err = "'" + key + "' is not a valid number range";
    }
    if (!err.empty()) {
      error(w, "in map file '" + w.text + "' line " + std::to_string(n) + ": " + err);
      return false;
    }
  }
  return true;
}

// Real configurations repeat the same expressions (`hdr(host)`, `src`, `%[src]`) hundreds of
// times: each distinct text is parsed once per run, and its locations moved to each use.
namespace {
void moveLoc(SourceLoc& l, const SourceLoc& from, const SourceLoc& to) {
  l.file = to.file;
  l.line = to.line;
  l.col = l.col - from.col + to.col;
}
void moveSample(front::SampleAst& a, const SourceLoc& from, const SourceLoc& to) {
  auto call = [&](front::SampleCall& c) {
    moveLoc(c.name.loc, from, to);
    for (auto& w : c.args) moveLoc(w.loc, from, to);
  };
  call(a.fetch);
  for (auto& c : a.convs) call(c);
}
}  // namespace

std::optional<front::SampleAst> Sema::parseSampleCached(const Word& w) {
  if (auto it = sample_cache_.find(w.text); it != sample_cache_.end()) {
    front::SampleAst a = it->second.first;
    moveSample(a, it->second.second, w.loc);
    return a;
  }
  auto ast = front::parseSample(w, diags_);
  if (ast) sample_cache_.emplace(w.text, std::make_pair(*ast, w.loc));
  return ast;
}

std::optional<front::LogFormatAst> Sema::parseLogFormatCached(const Word& w) {
  if (auto it = lf_cache_.find(w.text); it != lf_cache_.end()) {
    front::LogFormatAst a = it->second.first;
    for (auto& item : a.items) {
      moveLoc(item.loc, it->second.second, w.loc);
      if (item.sample) moveSample(*item.sample, it->second.second, w.loc);
    }
    return a;
  }
  auto ast = front::parseLogFormat(w, diags_);
  if (ast) lf_cache_.emplace(w.text, std::make_pair(*ast, w.loc));
  return ast;
}

std::optional<ir::SampleExpr> Sema::sample(const Word& w, const Phase* phase) {
  auto ast = parseSampleCached(wholeSampleWord(w));
  if (!ast) return std::nullopt;
  return resolveSample(*ast, w, phase);
}

// HAProxy skips the commas that end a sample expression written as a word of its own (`ssl_fc,`),
// though not inside a log-format's `%[...]`.
Word Sema::wholeSampleWord(const Word& w) {
  Word t = w;
  while (t.text.size() > 1 && t.text.back() == ',') t.text.pop_back();
  return t;
}

// After a sample fetch (not an ACL keyword) in an `acl` line, HAProxy reads each following word
// that starts with a converter name as more converters (`acl x ssl_fc, not`), and still matches
// those words as patterns: the one-converter-per-word syntax of sample_parse_expr.
void Sema::absorbConverterWords(const std::vector<Word>& words, size_t next, front::SampleAst& ast) {
  for (; next < words.size(); ++next) {
    const std::string& t = words[next].text;
    size_t end = t.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+$");
    if (end == 0 || !stdlib::findConverter(std::string_view(t).substr(0, end))) return;
    auto convs = parseSampleCached(wholeSampleWord(words[next]));
    if (!convs) return;  // the word is a pattern after all; a real error is reported below
    ast.convs.push_back(convs->fetch);
    for (auto& c : convs->convs) ast.convs.push_back(c);
  }
}

std::optional<ir::SampleExpr> Sema::resolveSample(const front::SampleAst& ast_ref, const Word& w,
                                                  const Phase* phase) {
  const front::SampleAst* ast = &ast_ref;
  ir::SampleExpr e;
  e.loc = w.loc;
  e.text = w.text;
  const front::SampleCall& f = ast->fetch;
  const stdlib::FetchInfo* fi = stdlib::findFetch(f.name.text);
  if (!fi) {
    std::string hint;
    if (const auto* kw = stdlib::findAclKeyword(f.name.text))
      hint = " ('" + f.name.text + "' is an ACL keyword; as a sample use '" + std::string(kw->fetch) + "')";
    error(f.name, "unknown sample fetch '" + f.name.text + "'" +
                      front::didYouMean(f.name.text, stdlib::fetchNames()) + hint);
    return std::nullopt;
  }
  if (fi->status != Status::Supported) {
    error(f.name,
          "unsupported sample fetch '" + f.name.text + "': HAProxy knows it, lbc does not support it yet");
    return std::nullopt;
  }
  if (!checkArgs(*this, f, fi->args, "sample fetch", e.args)) return std::nullopt;
  // src_*([table]) and table_cnt/table_avl([table]) without a table use the current proxy's, as
  // HAProxy fills the argument in at parse time (sc_*'s table defaults to the tracked one).
  if ((fi->name.starts_with("src_") || fi->name.starts_with("table_")) && cur_) {
    std::vector<ArgSpec> spec = parseSignature(fi->args);
    if (!spec.empty() && spec.back().type == "table" && e.args.size() < spec.size()) {
      ir::Arg t;
      t.str = cur_->name;
      t.loc = f.name.loc;
      while (e.args.size() + 1 < spec.size()) e.args.push_back(ir::Arg{});
      e.args.push_back(std::move(t));
    }
  }
  if (fi->name == "var" && !e.args.empty()) {
    const std::string& v = e.args[0].str;
    size_t dot = v.find('.');
    std::string scope = v.substr(0, dot);
    if (dot == std::string::npos ||
        (scope != "proc" && scope != "sess" && scope != "txn" && scope != "req" && scope != "res")) {
      error(f.args[0], "invalid variable name '" + v +
                           "': expected <scope>.<name> with scope proc, sess, txn, req or res");
      return std::nullopt;
    }
  }
  stdlib::noteUse(*fi);
  e.fetch = fi->id;
  e.fetch_name = std::string(fi->name);
  e.usage = fi->usage;
  e.type = fi->out;
  if (phase && !(fi->usage & phase->usage)) {
    error(f.name, "sample fetch '" + f.name.text + "' extracts information from " + describeUsage(fi->usage) +
                      ", which is not available in a " + phase->what);
    return std::nullopt;
  }
  for (const front::SampleCall& c : ast->convs) {
    const stdlib::ConvInfo* ci = stdlib::findConverter(c.name.text);
    if (!ci) {
      error(c.name, "unknown converter '" + c.name.text + "'" +
                        front::didYouMean(c.name.text, stdlib::converterNames()));
      return std::nullopt;
    }
    if (ci->status != Status::Supported) {
      error(c.name,
            "unsupported converter '" + c.name.text + "': HAProxy knows it, lbc does not support it yet");
      return std::nullopt;
    }
    stdlib::noteUse(*ci);
    ir::Converter conv;
    conv.loc = c.name.loc;
    conv.id = ci->id;
    conv.name = std::string(ci->name);
    if (!checkArgs(*this, c, ci->args, "converter", conv.args)) return std::nullopt;
    if (!checkConverterOperands(c, *ci, conv.args)) return std::nullopt;
    if (!castable(e.type, ci->in)) {
      error(c.name, "converter '" + c.name.text + "' expects " + stdlib::smpTypeName(ci->in) +
                        " input, but '" +
                        e.text.substr(0, e.text.find(c.name.text) ? e.text.find(c.name.text) - 1 : 0) +
                        "' gives " + stdlib::smpTypeName(e.type));
      return std::nullopt;
    }
    if (conv.name.starts_with("map") && !conv.args.empty()) {
      if (!fileExists(c.args[0], conv.args[0].str, "map")) return std::nullopt;
      if (!checkMapFile(c.args[0], conv.name)) return std::nullopt;
    }
    e.type = ci->out;
    e.convs.push_back(std::move(conv));
  }
  return e;
}

std::optional<ir::LogFormat> Sema::logFormat(const Word& w, const Phase* phase) {
  auto ast = parseLogFormatCached(w);
  if (!ast) return std::nullopt;
  ir::LogFormat lf;
  lf.text = w.text;
  for (auto& it : ast->items) {
    ir::LogFormat::Item item;
    item.text = it.text;
    item.flags = it.flags;
    item.lf_flags = stdlib::lfRuleFlags(it.flags);
    if (it.kind == front::LogFormatItem::Kind::Text) {
      item.kind = ir::LogFormat::Item::Kind::Text;
    } else if (it.kind == front::LogFormatItem::Kind::Alias) {
      item.kind = ir::LogFormat::Item::Kind::Alias;
      item.alias = stdlib::lfAlias(it.text);
      const auto names = stdlib::logFormatAliases();
      if (std::find(names.begin(), names.end(), it.text) == names.end()) {
        Word at{it.text, it.loc, false};
        error(at, "no such log-format variable '%" + it.text + "' (a literal '%' is written '%%')" +
                      front::didYouMean(it.text, std::vector<std::string_view>(names.begin(), names.end())));
        return std::nullopt;
      }
    } else {
      item.kind = ir::LogFormat::Item::Kind::Sample;
      Word inner{it.text, it.loc, false};
      inner.loc.col += static_cast<uint32_t>(2 + (it.flags.empty() ? 0 : it.flags.size() + 2));
      inner.loc.len = static_cast<uint32_t>(it.text.size());
      auto s = resolveSample(*it.sample, inner, phase);
      if (!s) return std::nullopt;
      item.sample = std::move(*s);
    }
    lf.items.push_back(std::move(item));
  }
  return lf;
}

// ---- ACLs -----------------------------------------------------------------------------------

static MatchMethod defaultMethod(SmpType t) {
  switch (t) {
    case SmpType::Bool:
      return MatchMethod::Bool;
    case SmpType::Sint:
      return MatchMethod::Int;
    case SmpType::Ipv4:
    case SmpType::Ipv6:
    case SmpType::Addr:
      return MatchMethod::Ip;
    case SmpType::Bin:
      return MatchMethod::Bin;
    default:
      return MatchMethod::Str;
  }
}

static std::optional<MatchMethod> methodByName(const std::string& n) {
  static const std::pair<const char*, MatchMethod> kMethods[] = {
      {"found", MatchMethod::Found}, {"bool", MatchMethod::Bool}, {"int", MatchMethod::Int},
      {"ip", MatchMethod::Ip},       {"bin", MatchMethod::Bin},   {"len", MatchMethod::Len},
      {"str", MatchMethod::Str},     {"sub", MatchMethod::Sub},   {"reg", MatchMethod::Reg},
      {"beg", MatchMethod::Beg},     {"end", MatchMethod::End},   {"dir", MatchMethod::Dir},
      {"dom", MatchMethod::Dom}};
  for (const auto& [name, m] : kMethods)
    if (n == name) return m;
  return std::nullopt;
}

static SmpType methodInput(MatchMethod m) {
  switch (m) {
    case MatchMethod::Int:
      return SmpType::Sint;
    case MatchMethod::Ip:
      return SmpType::Addr;
    case MatchMethod::Bin:
      return SmpType::Bin;
    case MatchMethod::Bool:
      return SmpType::Bool;
    case MatchMethod::Found:
      return SmpType::Any;
    default:
      return SmpType::Str;
  }
}

static std::string parsePattern(const std::string& text, MatchMethod m, bool icase, ir::Pattern& p,
                                std::string* op) {
  p.text = text;
  switch (m) {
    case MatchMethod::Int:
    case MatchMethod::Len: {
      if (op && !op->empty()) {
        int64_t v = 0;
        std::string e = parseInt(text, v, INT64_MIN / 2, INT64_MAX / 2);
        if (!e.empty()) return e;
        if (*op == "eq")
          p.lo = p.hi = v, p.has_lo = p.has_hi = true;
        else if (*op == "ge")
          p.lo = v, p.has_lo = true;
        else if (*op == "gt")
          p.lo = v + 1, p.has_lo = true;
        else if (*op == "le")
          p.hi = v, p.has_hi = true;
        else if (*op == "lt")
          p.hi = v - 1, p.has_hi = true;
        return {};
      }
      stdlib::IntRange r;
      if (!stdlib::parseIntRange(text, r))
        return "'" + text +
               "' is not a valid number range: expected N, LO:HI, :HI or LO: ('-' also separates)";
      p.lo = r.lo, p.hi = r.hi, p.has_lo = r.has_lo, p.has_hi = r.has_hi;
      return {};
    }
    case MatchMethod::Ip:
      return parseNetwork(text, p.ip, p.prefix_len, p.ipv6);
    case MatchMethod::Reg:
      return compileRegex(text, icase);
    case MatchMethod::Bin:
      if (text.size() % 2 || text.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        return "'" + text + "' is not a binary pattern: expected an even number of hexadecimal digits";
      return {};
    default:
      return {};
  }
}

std::optional<ir::AclTerm> Sema::aclTerm(const std::vector<Word>& words, size_t first, SourceLoc loc) {
  ir::AclTerm t;
  t.loc = loc;
  if (first >= words.size()) {
    diags_.error(loc, "missing sample fetch in ACL: expected a criterion such as 'path_beg' or 'hdr(host)'");
    return std::nullopt;
  }
  const Word& crit = words[first];
  std::optional<MatchMethod> method;
  std::string fetch_text = crit.text;
  // ACL keywords (path_beg = path -m beg) take precedence over sample fetches, as in HAProxy.
  std::string head = crit.text.substr(0, crit.text.find_first_of("(,"));
  if (const auto* kw = stdlib::findAclKeyword(head)) {
    method = kw->method;
    fetch_text = std::string(kw->fetch) + crit.text.substr(head.size());
  }
  Word fw{fetch_text, crit.loc, crit.quoted};
  auto ast = parseSampleCached(wholeSampleWord(fw));
  if (!ast) return std::nullopt;
  if (!method) absorbConverterWords(words, first + 1, *ast);
  auto e = resolveSample(*ast, fw, nullptr);
  if (!e) return std::nullopt;
  t.expr = std::move(*e);
  size_t i = first + 1;
  bool explicit_method = false;
  std::vector<SourceLoc> file_locs;
  for (; i < words.size(); ++i) {
    const std::string& f = words[i].text;
    if (f.empty() || f[0] != '-') break;
    if (f == "--") {
      ++i;
      break;
    }
    if (f == "-i")
      t.icase = true;
    else if (f == "-n")
      t.no_dns = true;
    else if (f == "-m" || f == "-f") {
      if (i + 1 >= words.size()) {
        error(words[i], "ACL flag '" + f + "' expects an argument");
        return std::nullopt;
      }
      const Word& a = words[++i];
      if (f == "-m") {
        auto m = methodByName(a.text);
        if (!m) {
          error(a, "unknown match method '" + a.text + "'" +
                       front::didYouMean(a.text, {"found", "bool", "int", "ip", "bin", "len", "str", "sub",
                                                  "reg", "beg", "end", "dir", "dom"}) +
                       " (expected found, bool, int, ip, bin, len, str, sub, reg, beg, end, dir or dom)");
          return std::nullopt;
        }
        if (method && explicit_method && *method != *m) {
          error(a, "a second match method '-m " + a.text + "' conflicts with the first one");
          return std::nullopt;
        }
        method = m;
        explicit_method = true;
      } else {
        t.files.push_back(a.text);
        file_locs.push_back(a.loc);
      }
    } else if (f == "-u" || f == "-M") {
      error(words[i], "unsupported ACL flag '" + f + "': lbc does not support it yet");
      return std::nullopt;
    } else {
      error(words[i], "'" + f +
                          "' is not a valid ACL option: a pattern beginning with '-' must follow '--' "
                          "(as HAProxy requires)");
      return std::nullopt;
    }
  }
  t.method = method.value_or(defaultMethod(t.expr.type));
  if (!castable(t.expr.type, methodInput(t.method))) {
    error(crit, "match method '-m " + std::string(stdlib::matchMethodName(t.method)) + "' cannot apply to '" +
                    crit.text + "', which gives " + stdlib::smpTypeName(t.expr.type));
    return std::nullopt;
  }
  std::string op;
  for (; i < words.size(); ++i) {
    if (t.method == MatchMethod::Int || t.method == MatchMethod::Len) {
      const std::string& w = words[i].text;
      if (w == "eq" || w == "ge" || w == "gt" || w == "le" || w == "lt") {
        op = w;
        if (i + 1 >= words.size()) {
          error(words[i], "operator '" + op + "' expects a value");
          return std::nullopt;
        }
        continue;
      }
    }
    ir::Pattern p;
    p.loc = words[i].loc;
    std::string err = parsePattern(words[i].text, t.method, t.icase, p, &op);
    if (!err.empty()) {
      error(words[i], err);
      return std::nullopt;
    }
    t.patterns.push_back(std::move(p));
    op.clear();
  }
  for (size_t k = 0; k < t.files.size(); ++k) {
    const std::string& path = t.files[k];
    std::ifstream in(path);
    if (!in) {
      if (opts_.check_files) {
        diags_.error(file_locs[k], "cannot open ACL pattern file '" + path + "': no such file or directory");
        return std::nullopt;
      }
      continue;
    }
    std::string line;
    while (std::getline(in, line)) {
      std::string_view text = stdlib::trim(line, " \t\r");
      if (text.empty() || text[0] == '#') continue;
      ir::Pattern p;
      p.loc = loc;
      std::string err = parsePattern(std::string(text), t.method, t.icase, p, nullptr);
      if (!err.empty()) {
        diags_.error(file_locs[k], "in pattern file '" + path + "': " + err);
        return std::nullopt;
      }
      t.patterns.push_back(std::move(p));
    }
  }
  if (t.patterns.empty() && t.files.empty() && t.method != MatchMethod::Found &&
      t.method != MatchMethod::Bool) {
    diags_.warning(crit.loc,
                   "no pattern to match against: this ACL will never match; use '-m found' to test "
                   "that '" +
                       crit.text + "' exists");
  }
  return t;
}

void Sema::acl(const Line& l) {
  if (l.cond) {
    diags_.error(l.cond->loc, "'acl' lines take no condition: '" +
                                  std::string(l.cond->unless ? "unless" : "if") +
                                  "' cannot be an ACL pattern");
    return;
  }
  if (!needArgs(l, 2, "<name> <criterion> [flags] [patterns...]")) return;
  const Word& name = l.words[1];
  if (name.text.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:") !=
      std::string::npos) {
    error(name, "invalid character in ACL name '" + name.text + "'");
    return;
  }
  if (stdlib::findPredefinedAcl(name.text)) {
    error(name, "'" + name.text + "' is a predefined ACL and cannot be redefined");
    return;
  }
  auto term = aclTerm(l.words, 2, l.loc);
  if (!term) {
    st_->failed_acls.insert(name.text);  // its error is reported: its uses are not reported again
    return;
  }
  auto it = st_->acl_index.find(name.text);
  if (it == st_->acl_index.end()) {
    ir::Acl a;
    a.name = name.text;
    a.loc = name.loc;
    a.terms.push_back(std::move(*term));
    st_->acl_index.emplace(name.text, static_cast<uint32_t>(cur_->acls.size()));
    cur_->acls.push_back(std::move(a));
  } else {
    cur_->acls[it->second].terms.push_back(std::move(*term));  // same name: OR'ed
  }
}

uint32_t Sema::predefinedAcl(const std::string& name, SourceLoc loc) {
  const auto* pd = stdlib::findPredefinedAcl(name);
  if (!pd) return ir::kNone;
  std::string key = "\x01" + name;  // predefined ACLs are instantiated once per proxy
  if (auto it = st_->acl_index.find(key); it != st_->acl_index.end()) return it->second;
  std::vector<Word> words;
  std::string expr(pd->expr);
  size_t p = 0;
  while (p < expr.size()) {
    size_t q = expr.find(' ', p);
    if (q == std::string::npos) q = expr.size();
    words.push_back(Word{expr.substr(p, q - p), loc, false});
    p = q + 1;
  }
  auto term = aclTerm(words, 0, loc);
  if (!term) return ir::kNone;
  ir::Acl a;
  a.name = name;
  a.loc = loc;
  a.predefined = true;
  a.terms.push_back(std::move(*term));
  uint32_t idx = static_cast<uint32_t>(cur_->acls.size());
  cur_->acls.push_back(std::move(a));
  st_->acl_index.emplace(key, idx);
  return idx;
}

void Sema::condition(const Line& l, std::optional<ir::Condition>& out, Phase phase) {
  if (!l.cond) return;
  const front::CondAst& ast = *l.cond;
  if (ast.alternatives.empty()) {
    diags_.warning(ast.loc, std::string("empty condition after '") + (ast.unless ? "unless" : "if") +
                                "': the rule " + (ast.unless ? "always applies" : "never applies"));
  }
  ir::Condition c;
  c.loc = ast.loc;
  c.unless = ast.unless;
  bool ok = true;
  for (const auto& alt : ast.alternatives) {
    std::vector<ir::CondRef> refs;
    for (const auto& t : alt) {
      ir::CondRef r;
      r.negated = t.negated;
      r.loc = t.loc;
      if (t.anonymous) {
        auto term = aclTerm(t.acl, 0, t.loc);
        if (!term) {
          ok = false;
          continue;
        }
        ir::Acl a;
        a.loc = t.loc;
        a.terms.push_back(std::move(*term));
        a.used = true;
        r.acl = static_cast<uint32_t>(cur_->acls.size());
        cur_->acls.push_back(std::move(a));
      } else {
        const std::string& n = t.name.text;
        if (auto it = st_->acl_index.find(n); it != st_->acl_index.end()) {
          r.acl = it->second;
        } else if (uint32_t pd = predefinedAcl(n, t.name.loc); pd != ir::kNone) {
          r.acl = pd;
        } else if (st_->failed_acls.contains(n) || stdlib::findPredefinedAcl(n)) {
          ok = false;  // its definition failed with an error already: no follow-on error
          continue;
        } else {
          if (n.starts_with("{") || n.ends_with("}")) {
            error(t.name, "'" + n +
                              "' is not an ACL name: the braces of an anonymous ACL must be separate words, "
                              "as in '{ " +
                              n.substr(n.starts_with("{") ? 1 : 0,
                                       n.size() - (n.starts_with("{") ? 1 : 0) - (n.ends_with("}") ? 1 : 0)) +
                              " }'");
          } else {
            st_->unresolved.push_back(UnresolvedAcl{n, t.name.loc});
          }
          ok = false;
          continue;
        }
        cur_->acls[r.acl].used = true;
      }
      refs.push_back(r);
    }
    c.alternatives.push_back(std::move(refs));
  }
  if (!ok) return;
  // HAProxy warns (and the rule stays) when an ACL can never match at this point.
  for (const auto& alt : c.alternatives) {
    for (const auto& r : alt) {
      const ir::Acl& a = cur_->acls[r.acl];
      uint32_t usage = 0;
      for (const auto& term : a.terms) usage |= term.expr.usage;
      if (!(usage & phase.usage)) {
        diags_.warning(r.loc, "ACL '" + (a.name.empty() ? "{ " + a.terms[0].expr.text + " ... }" : a.name) +
                                  "' will never match: it only involves data that is not available in a " +
                                  phase.what);
      }
      c.usage &= usage;
    }
  }
  out = std::move(c);
}

void Sema::reportUnresolvedAcls() {
  for (const auto& u : st_->unresolved) {
    std::vector<std::string_view> names;
    for (const auto& [n, _] : st_->acl_index)
      if (n[0] != '\x01') names.push_back(n);
    for (const auto& p : stdlib::predefinedAcls()) names.push_back(p.name);
    auto it = st_->acl_index.find(u.name);
    if (it == st_->acl_index.end() && st_->failed_acls.contains(u.name)) continue;  // reported already
    if (it != st_->acl_index.end()) {
      diags_.error(u.loc, "ACL '" + u.name + "' is used before it is declared");
      diags_.note(cur_->acls[it->second].loc, "'" + u.name +
                                                  "' is declared here; HAProxy requires an ACL to be "
                                                  "declared before the rules that use it");
    } else {
      diags_.error(u.loc,
                   "no such ACL '" + u.name + "' in " + sectionDesc() + front::didYouMean(u.name, names));
    }
  }
  st_->unresolved.clear();
}

// ---- phases -----------------------------------------------------------------------------------

Phase Sema::phaseFor(ir::RuleSet set) const {
  using namespace stdlib;
  bool fe = !cur_->caps || (cur_->caps & ir::kCapFe);
  bool be = !cur_->caps || (cur_->caps & ir::kCapBe);
  const char* side = fe && be ? (cur_->caps ? "listen" : "defaults") : fe ? "frontend" : "backend";
  std::string what;
  Phase p;
  auto bit = [](UsagePoint u) { return 1u << u; };
  switch (set) {
    case ir::RuleSet::TcpReqConn:
      p.usage = bit(kUseFeTcpReqConn);
      what = " tcp-request connection rule";
      break;
    case ir::RuleSet::TcpReqSess:
      p.usage = bit(kUseFeTcpReqSess);
      what = " tcp-request session rule";
      break;
    case ir::RuleSet::TcpReqCont:
      p.usage = (fe ? bit(kUseFeTcpReqCont) : 0) | (be ? bit(kUseBeTcpReqCont) : 0);
      what = " tcp-request content rule";
      break;
    case ir::RuleSet::TcpResCont:
      p.usage = (fe ? bit(kUseFeTcpResCont) : 0) | (be ? bit(kUseBeTcpResCont) : 0);
      what = " tcp-response content rule";
      break;
    case ir::RuleSet::HttpReq:
      p.usage = (fe ? bit(kUseFeHttpReqHdr) : 0) | (be ? bit(kUseBeHttpReqHdr) : 0);
      what = " http-request rule";
      break;
    case ir::RuleSet::HttpRes:
    case ir::RuleSet::HttpAfterRes:
      p.usage = (fe ? bit(kUseFeHttpResHdr) : 0) | (be ? bit(kUseBeHttpResHdr) : 0);
      what = " http-response rule";
      break;
  }
  p.what = side + what;
  return p;
}

Phase Sema::phaseUseBackend() const {
  return Phase{1u << stdlib::kUseFeUseBackend, "frontend use_backend rule"};
}

Phase Sema::phaseStick(ir::StickRule::Kind k) const {
  using K = ir::StickRule::Kind;
  switch (k) {
    case K::Match:
      return Phase{1u << stdlib::kUseBeSwitchStick, "backend stick match rule"};
    case K::On:
      return Phase{(1u << stdlib::kUseBeSwitchStick), "backend stick on rule"};
    case K::StoreRequest:
      return Phase{1u << stdlib::kUseBeSwitchStick, "backend stick store-request rule"};
    case K::StoreResponse:
      return Phase{1u << stdlib::kUseBeStickStore, "backend stick store-response rule"};
  }
  return Phase{};
}

}  // namespace lbc::sema
