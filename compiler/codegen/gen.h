// Internal to codegen: the module-wide generator (ABI declarations, constant arguments prepared
// once in `init`, regex slots) and the per-function generator (fetch cache, conditions, samples,
// log-formats, actions). LLVM headers stay inside compiler/codegen.
#pragma once
#include <llvm/IR/IRBuilder.h>
#include <llvm/IR/Module.h>

#include <array>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "codegen/codegen.h"
#include "ir/ir.h"
#include "lbc/abi.h"

namespace lbc::codegen {

class Gen {
 public:
  Gen(llvm::Module& m, const ir::Program& p);

  llvm::Module& m;
  llvm::LLVMContext& c;
  const ir::Program& prog;
  llvm::Type* i1;
  llvm::Type* i8;
  llvm::Type* i32;
  llvm::Type* i64;
  llvm::PointerType* ptr;
  llvm::StructType* smp_ty;  // lbc_smp
  llvm::StructType* arg_ty;  // lbc_arg

  // An ABI helper, declared from its signature code on first use.
  llvm::FunctionCallee helper(const std::string& name);
  bool hasHelper(const std::string& name) const { return sigs_.count(name) != 0; }

  // Constant data.
  llvm::Constant* bytes(const std::string& s);        // private constant, not NUL-terminated
  llvm::Constant* cstring(const std::string& s);      // NUL-terminated
  llvm::Constant* constStrSmp(const std::string& s);  // a constant STR lbc_smp
  // The lbc_arg array of a fetch/converter, prepared in init by lbc_rt_args_prepare(helper).
  llvm::Constant* argArray(const std::string& helper, const std::vector<ir::Arg>& args);
  // A slot holding the compiled regex, filled in init (init fails if it does not compile).
  llvm::GlobalVariable* regex(const std::string& pattern, bool icase);

  // init/fini bodies are accumulated while hooks are generated, then finished.
  llvm::Function* finishInit();
  llvm::Function* finishFini();

  std::string fresh(const std::string& base) { return base + "." + std::to_string(counter_++); }

  std::string error;
  ir::SourceLoc error_loc;
  void fail(ir::SourceLoc loc, std::string msg) {
    if (error.empty()) error = std::move(msg), error_loc = loc;
  }

 private:
  std::map<std::string, std::string> sigs_;
  std::map<std::string, llvm::Constant*> strings_, cstrings_, args_;
  std::map<std::pair<std::string, bool>, llvm::GlobalVariable*> regexes_;
  llvm::Function* init_;
  llvm::Function* fini_;
  llvm::IRBuilder<> ib_;  // init body (before its final `ret 0`)
  llvm::IRBuilder<> fb_;  // fini body
  llvm::BasicBlock* init_fail_;
  unsigned counter_ = 0;
};

class FnGen {
 public:
  FnGen(Gen& g, llvm::Function* f, uint32_t proxy);

  Gen& g;
  llvm::Function* f;
  llvm::IRBuilder<> b;
  llvm::Value* txn;
  uint32_t proxy;

  llvm::BasicBlock* block(const std::string& name) { return llvm::BasicBlock::Create(g.c, name, f); }
  llvm::AllocaInst* local(llvm::Type* t, const std::string& name);

  // Three-valued condition (FAIL 0 / MISS 1 / PASS 3) before `unless` is applied.
  llvm::Value* condition(const ir::Proxy& px, const ir::Condition& cond);
  // Whether the rule's condition lets it run: i32 0 (no), 1 (yes), 2 (miss).
  llvm::Value* ruleGate(const ir::Proxy& px, const std::optional<ir::Condition>& cond);
  llvm::Value* acl(const ir::Acl& a);
  llvm::Value* term(const ir::AclTerm& t);
  // Evaluates a sample expression once (no iteration) into *out; returns the fetch result code.
  llvm::Value* sample(const ir::SampleExpr& e, llvm::Value* out);
  // Renders a log-format into a STR sample; returns a pointer to the sample, or a constant one.
  // `ok` receives i1 false when rendering failed (arena limit).
  llvm::Value* logFormat(const ir::LogFormat& lf, llvm::Value** ok);
  // After an action may have rewritten the transaction, cached fetches are stale.
  void invalidate();

  // Fetch for an ACL (iterating when multi-valued), computed once per hook invocation (until invalidate()):
  // returns {rc, smp pointer holding the first value}.
  std::pair<llvm::Value*, llvm::Value*> cachedFetch(const ir::SampleExpr& e);
  // Applies the converters of `e` to *smp; branches to `fail` when one fails.
  void convert(const ir::SampleExpr& e, llvm::Value* smp, llvm::BasicBlock* fail);
  llvm::Value* fetchCall(const ir::SampleExpr& e, llvm::Value* smp);
  // Casts *smp to `type` when it is not already; i1 true on success.
  llvm::Value* cast(llvm::Value* smp, int type);
  // The match of one value (already converted) against a term's patterns: i1.
  llvm::Value* match(const ir::AclTerm& t, llvm::Value* smp);
  // IPv4 networks become one switch per prefix length over the masked address; IPv6 ones and
  // IPv6 samples go through lbc_match_ip.
  llvm::Value* matchIp(const ir::AclTerm& t, llvm::Value* smp);
  llvm::Value* intervals(const ir::AclTerm& t, llvm::Value* v);
  llvm::Value* firstOf(size_t n, const std::function<llvm::Value*(size_t)>& call);
  // Smallest value of a pattern matching the STR sample (or kNoMatch): the merged-set form.
  llvm::Value* strSetIndex(const ir::AclTerm& t, llvm::Value* smp, const std::vector<uint32_t>* values);

  llvm::Value* field(llvm::Value* smp, unsigned idx);  // pointer to lbc_smp field
  llvm::Value* load(llvm::Type* t, llvm::Value* smp, unsigned idx) {
    return b.CreateLoad(t, field(smp, idx));
  }

 private:
  struct Cached {
    llvm::AllocaInst* smp;
    llvm::AllocaInst* rc;
    llvm::AllocaInst* done;
  };
  std::map<std::string, Cached> cache_;
  llvm::BasicBlock* entry_;
};

// lbc_smp field indexes in smp_ty.
enum SmpField : unsigned { kSmpType = 0, kSmpFlags, kSmpSint, kSmpPtr, kSmpLen, kSmpIp, kSmpCtx };

// Registry id names (helper names are lbc_fetch_<Id> / lbc_conv_<Id>).
std::string fetchHelper(stdlib::FetchId id);
std::string convHelper(stdlib::ConvId id);

// Rules, backend selection, stick rules (rules.cpp).
// The entry points of lbc_program's hooks, in LBC_HOOKS order (indexed by stdlib::Hook).
using HookConstants = std::array<llvm::Constant*, stdlib::kHookCount>;
HookConstants genHooks(Gen& g);

}  // namespace lbc::codegen
