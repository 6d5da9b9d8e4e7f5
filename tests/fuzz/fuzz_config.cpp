// libFuzzer target for lbc's front end: configuration text -> parse -> preprocess -> sema -> IR,
// plus diagnostics rendering (text and JSON) and the IR printer.
//
// Input layout:
//   first byte 0x01  -> the rest is one decoded word, parsed with front::parseSample
//   first byte 0x02  -> the rest is one decoded word, parsed with front::parseLogFormat
//   anything else    -> the whole input is a configuration file, given to driver::compileText
//
// Reproducibility: no DNS (resolve_hosts = false) and a fixed fake environment instead of the
// process one. check_files stays on, so file-reading paths are exercised; inputs that name
// special filesystems (/dev, /proc, /sys) are skipped, since reading /dev/zero or /dev/stdin
// would only hang or exhaust memory in a way that says nothing about lbc.
//
// Oracle: besides the sanitizers, each configuration is compiled twice in the same process and
// the rendered diagnostics and printed IR must be identical (the printer promises stable output;
// the sub-parser is a reused thread_local ANTLR lexer/parser pair, whose state must not leak
// from one input to the next).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

#include "driver/driver.h"
#include "front/parse.h"
#include "ir/printer.h"

#ifndef LBC_SOURCE_DIR
#define LBC_SOURCE_DIR "/nonexistent"
#endif

namespace {

using namespace lbc;

std::optional<std::string> fakeEnv(std::string_view name) {
  if (name == "HOME") return std::string("/root");
  if (name == "FOO") return std::string("bar");
  if (name == "VAR") return std::string("value");
  if (name == "EMPTY") return std::string();
  if (name == "SPACES") return std::string("a b  c");
  if (name == "QUOTES") return std::string("\"'\\");
  if (name == "PORT") return std::string("8080");
  if (name == "ADDR") return std::string("127.0.0.1:8443");
  // The differential corpus (the seeds) refers to these; the files directory is read-only data.
  if (name == "LBC_TEST_FILES") return std::string(LBC_SOURCE_DIR "/tests/haproxy_diff/files");
  if (name == "LBC_TEST_TMP") return std::string("/nonexistent/lbc-fuzz-tmp");
  if (name == "LBC_TEST_CERT") return std::string("/nonexistent/lbc-fuzz-cert.pem");
  return std::nullopt;
}

// True when the input may name a special file. Quote characters and backslashes are dropped
// first, so `/d"ev"/zero` is caught too.
bool namesSpecialFile(std::string_view in) {
  std::string flat;
  flat.reserve(in.size());
  for (char c : in)
    if (c != '"' && c != '\'' && c != '\\') flat += c;
  for (const char* p : {"/dev", "/proc", "/sys", "/run"})
    if (flat.find(p) != std::string::npos) return true;
  return false;
}

[[noreturn]] void mismatch(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(
      stderr,
      "lbc fuzz: %s differs between two compilations of the same input\n--- first\n%s\n--- second\n%s\n",
      what, a.c_str(), b.c_str());
  __builtin_trap();
}

struct Rendered {
  std::string text, json, ir;
};

Rendered compileOnce(const std::string& text) {
  sema::Options opts;
  opts.resolve_hosts = false;  // never DNS
  opts.check_files = true;
  opts.lint = true;
  const front::EnvLookup env = fakeEnv;
  std::unique_ptr<driver::Compilation> c = driver::compileText("fuzz.cfg", text, opts, env);
  Rendered r;
  std::ostringstream t, j, i;
  c->diags->render(t, front::DiagFormat::Text);
  c->diags->render(j, front::DiagFormat::Json);
  ir::print(i, c->program, c->files);
  r.text = t.str();
  r.json = j.str();
  r.ir = i.str();
  // renderOne on every diagnostic (the text renderer caps errors at 20).
  for (const auto& d : c->diags->all()) (void)c->diags->renderOne(d);
  (void)c->ok();
  return r;
}

void fuzzSubParser(uint8_t which, std::string_view rest) {
  front::SourceManager sm;
  uint32_t id = sm.add("fuzz-word", std::string(rest));
  front::DiagEngine diags(sm);
  front::Word w;
  w.text = std::string(rest);
  w.loc = front::SourceLoc{id, 1, 1, static_cast<uint32_t>(rest.size())};
  std::string summary;
  if (which == 1) {
    if (auto ast = front::parseSample(w, diags)) {
      summary += ast->fetch.name.text;
      for (const auto& a : ast->fetch.args) summary += a.text;
      for (const auto& cv : ast->convs) {
        summary += cv.name.text;
        for (const auto& a : cv.args) summary += a.text;
      }
    }
  } else {
    if (auto ast = front::parseLogFormat(w, diags)) {
      for (const auto& it : ast->items) {
        summary += it.text;
        summary += it.flags;
        if (it.sample) summary += it.sample->fetch.name.text;
      }
    }
  }
  std::ostringstream t, j;
  diags.render(t, front::DiagFormat::Text);
  diags.render(j, front::DiagFormat::Json);
  (void)summary;
}

int testOne(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  if (namesSpecialFile(in)) return -1;  // not worth keeping in the corpus
  if (size > 0 && (data[0] == 1 || data[0] == 2)) {
    fuzzSubParser(data[0], in.substr(1));
    return 0;
  }
  std::string text(in);
  Rendered a = compileOnce(text);
  Rendered b = compileOnce(text);
  if (a.text != b.text) mismatch("the text diagnostics", a.text, b.text);
  if (a.json != b.json) mismatch("the JSON diagnostics", a.json, b.json);
  if (a.ir != b.ir) mismatch("the printed IR", a.ir, b.ir);
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return testOne(data, size);
}
