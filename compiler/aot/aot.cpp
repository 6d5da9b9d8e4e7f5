// Object emission through a TargetMachine (PIC, generic CPU) and the link step.
#include "aot/aot.h"

#include <llvm/IR/LegacyPassManager.h>
#include <llvm/MC/TargetRegistry.h>
#include <llvm/Support/FileSystem.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>
#include <llvm/Target/TargetOptions.h>
#include <llvm/TargetParser/Host.h>
#include <llvm/TargetParser/Triple.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "aot/link_config.h"
#include "codegen/module.h"

extern char** environ;

namespace lbc::aot {

namespace {

std::unique_ptr<llvm::TargetMachine> makeTargetMachine(const EmitOptions& opts, std::string& err) {
  codegen::initNativeTarget();
  std::string triple = llvm::sys::getDefaultTargetTriple();
  const llvm::Target* target = llvm::TargetRegistry::lookupTarget(triple, err);
  if (!target) return nullptr;
  // A built executable may run on another machine of the same architecture: target the
  // architecture's baseline unless asked otherwise.
  std::string cpu = opts.cpu;
  if (cpu.empty()) cpu = llvm::Triple(triple).getArch() == llvm::Triple::x86_64 ? "x86-64" : "generic";
  if (cpu == "native") cpu = llvm::sys::getHostCPUName().str();
  llvm::TargetOptions to;
  return std::unique_ptr<llvm::TargetMachine>(target->createTargetMachine(
      triple, cpu, "", to, llvm::Reloc::PIC_, std::nullopt, llvm::CodeGenOptLevel::Default));
}

}  // namespace

std::string emit(codegen::Module& module, EmitKind kind, const std::string& path, const EmitOptions& opts) {
  std::string err;
  auto tm = makeTargetMachine(opts, err);
  if (!tm) return "cannot create the target machine: " + err;
  llvm::Module& m = *module.mod;
  m.setDataLayout(tm->createDataLayout());
  m.setTargetTriple(tm->getTargetTriple().str());
  m.setPICLevel(llvm::PICLevel::BigPIC);
  if (opts.optimize) codegen::optimize(m, tm.get());

  std::error_code ec;
  llvm::raw_fd_ostream out(path, ec, kind == EmitKind::Obj ? llvm::sys::fs::OF_None : llvm::sys::fs::OF_Text);
  if (ec) return "cannot write '" + path + "': " + ec.message();
  if (kind == EmitKind::Llvm) {
    m.print(out, nullptr);
  } else {
    llvm::legacy::PassManager pm;
    auto ft = kind == EmitKind::Obj ? llvm::CodeGenFileType::ObjectFile : llvm::CodeGenFileType::AssemblyFile;
    if (tm->addPassesToEmitFile(pm, out, nullptr, ft)) return "the target cannot emit this file type";
    pm.run(m);
  }
  out.close();
  if (out.has_error()) return "cannot write '" + path + "': " + out.error().message();
  return {};
}

namespace {

std::vector<std::string> split(const char* list) {
  std::vector<std::string> v;
  std::string cur;
  for (const char* p = list; *p; ++p) {
    if (*p == ';') {
      if (!cur.empty()) v.push_back(cur);
      cur.clear();
    } else {
      cur += *p;
    }
  }
  if (!cur.empty()) v.push_back(cur);
  return v;
}

}  // namespace

std::vector<std::string> runtimeArchives() {
  std::vector<std::string> v = split(kMainArchive);
  for (auto& a : split(kRuntimeArchives)) v.push_back(a);
  return v;
}
std::vector<std::string> runtimeSystemLibs() {
  return split(kSystemLibs);
}
std::vector<std::string> buildLinkFlags() {
  return split(kLinkFlags);
}
bool haveMainArchive() {
  return kMainArchive[0] != '\0';
}

std::string link(const LinkOptions& opts) {
  std::string driver = opts.driver;
  if (driver.empty()) {
    const char* cxx = std::getenv("CXX");
    driver = cxx && *cxx ? cxx : "c++";
  }
  std::vector<std::string> argv{driver, "-o", opts.output};
  for (auto& f : opts.flags) argv.push_back(f);
  for (auto& o : opts.objects) argv.push_back(o);
  // Archives may refer to each other (runtime <-> stdlib helpers): one group resolves both ways.
  auto archives = opts.archives;
  if (!archives.empty()) {
    argv.push_back("-Wl,--start-group");
    for (auto& a : archives) argv.push_back(a);
    argv.push_back("-Wl,--end-group");
  }
  for (auto& l : opts.libs) argv.push_back(l);

  // The driver's diagnostics go to a temporary file so the caller can show them with context.
  char log_path[] = "/tmp/lbc-link-XXXXXX";
  int log_fd = mkstemp(log_path);
  if (log_fd < 0) return "cannot create a temporary file for the linker output";
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, log_fd, 1);
  posix_spawn_file_actions_adddup2(&fa, log_fd, 2);
  std::vector<char*> cargv;
  for (auto& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawnp(&pid, driver.c_str(), &fa, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(log_fd);
  std::string err;
  if (rc != 0) {
    err = "cannot run the C++ driver '" + driver + "'";
  } else {
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      std::ifstream in(log_path);
      std::stringstream ss;
      ss << in.rdbuf();
      std::string cmd;
      for (auto& a : argv) cmd += (cmd.empty() ? "" : " ") + a;
      err = "link failed: " + cmd + "\n" + ss.str();
    }
  }
  unlink(log_path);
  return err;
}

}  // namespace lbc::aot
