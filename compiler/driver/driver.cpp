#include "driver/driver.h"

#include <algorithm>
#include <filesystem>

#include "codegen/analysis.h"
#include "front/parse.h"
#include "front/preproc.h"

namespace lbc::driver {

namespace fs = std::filesystem;

std::vector<std::string> expandPaths(const std::vector<std::string>& paths, std::string& error) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    std::error_code ec;
    if (fs::is_directory(p, ec)) {
      std::vector<std::string> cfgs;
      for (const auto& e : fs::directory_iterator(p, ec))
        if (e.is_regular_file() && e.path().extension() == ".cfg") cfgs.push_back(e.path().string());
      std::sort(cfgs.begin(), cfgs.end());
      out.insert(out.end(), cfgs.begin(), cfgs.end());
    } else {
      out.push_back(p);
    }
  }
  (void)error;
  return out;
}

// The dead-rule lint: one pass, each dead rule reported once. Conditions are evaluated only on
// a program without errors (a wrong reference leaves the IR incomplete).
static void lintDeadRules(Compilation& c) {
  for (auto& l : codegen::deadRuleLint(c.program, c.diags->errorCount() == 0)) {
    c.diags->warning(l.loc, std::move(l.message));
    if (l.note_loc.valid()) c.diags->note(l.note_loc, std::move(l.note));
  }
}

static void analyse(Compilation& c, std::vector<uint32_t> ids, const Options& opts,
                    const front::EnvLookup& env) {
  std::vector<front::File> parsed;
  for (uint32_t id : ids) {
    front::File f = front::parseConfig(c.sources, id, *c.diags, env);
    front::preprocess(f, *c.diags, env);
    parsed.push_back(std::move(f));
  }
  c.program = sema::analyze(parsed, *c.diags, opts.sema);
  if (opts.sema.lint) lintDeadRules(c);
  if (opts.goal != Goal::Check && c.ok()) checkSupported(c.program, Need::Rules, *c.diags);
}

std::unique_ptr<Compilation> compile(const std::vector<std::string>& paths, const Options& opts,
                                     const front::EnvLookup& env) {
  auto c = std::make_unique<Compilation>();
  std::string err;
  std::vector<uint32_t> ids;
  for (const auto& p : expandPaths(paths, err)) {
    std::string why;
    uint32_t id = c->sources.load(p, why);
    if (!id) {
      c->diags->error(ir::SourceLoc{}, "cannot open configuration file '" + p + "': " + why);
      continue;
    }
    c->files.push_back(p);
    ids.push_back(id);
  }
  if (ids.empty() && c->diags->errorCount() == 0)
    c->diags->error(ir::SourceLoc{}, "no configuration file to load (a directory holds no *.cfg file?)");
  analyse(*c, ids, opts, env);
  return c;
}

std::unique_ptr<Compilation> compileText(const std::string& name, const std::string& text,
                                         const Options& opts, const front::EnvLookup& env) {
  auto c = std::make_unique<Compilation>();
  c->files.push_back(name);
  analyse(*c, {c->sources.add(name, text)}, opts, env);
  return c;
}

std::unique_ptr<Compilation> compile(const std::vector<std::string>& paths, const sema::Options& opts,
                                     const front::EnvLookup& env) {
  return compile(paths, Options{opts, Goal::Check}, env);
}

std::unique_ptr<Compilation> compileText(const std::string& name, const std::string& text,
                                         const sema::Options& opts, const front::EnvLookup& env) {
  return compileText(name, text, Options{opts, Goal::Check}, env);
}

}  // namespace lbc::driver
