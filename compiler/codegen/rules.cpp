// Rule lists as code: one function per (hook, proxy) with rules, a dispatcher per hook, backend
// selection with consecutive use_backend rules over one fetch merged into a single set lookup,
// and stick rules. Actions call stdlib helpers with arguments prepared here.
#include <llvm/IR/Constants.h>

#include <fstream>
#include <sstream>

#include "codegen/analysis.h"
#include "codegen/gen.h"
#include "codegen/strset.h"

namespace lbc::codegen {

using stdlib::ActionId;
using stdlib::MatchMethod;

namespace {

llvm::FunctionType* hookTy(Gen& g) {
  return llvm::FunctionType::get(g.i32, {g.ptr, g.i32}, false);
}

bool readFile(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::stringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

class RuleGen {
 public:
  RuleGen(FnGen& fg, const ir::Proxy& px) : fg_(fg), g_(fg.g), b_(fg.b), px_(px) {}

  // Returns from the function with `code` when `v` (i32 helper result) is -1.
  void errorIfFailed(llvm::Value* rc) {
    auto* bad = fg_.block("act.err");
    auto* ok = fg_.block("act.ok");
    b_.CreateCondBr(b_.CreateICmpSLT(rc, b_.getInt32(0)), bad, ok);
    b_.SetInsertPoint(bad);
    b_.CreateRet(b_.getInt32(LBC_HOOK_ERROR));
    b_.SetInsertPoint(ok);
  }
  llvm::Value* format(const ir::LogFormat& lf) {
    llvm::Value* ok;
    llvm::Value* v = fg_.logFormat(lf, &ok);
    if (!llvm::isa<llvm::Constant>(ok)) {
      auto* bad = fg_.block("lf.err");
      auto* good = fg_.block("lf.ok");
      b_.CreateCondBr(ok, good, bad);
      b_.SetInsertPoint(bad);
      b_.CreateRet(b_.getInt32(LBC_HOOK_ERROR));
      b_.SetInsertPoint(good);
    }
    return v;
  }

  // Emits the action of rule `r`; leaves the builder where evaluation continues (non-final).
  void action(const ir::Rule& r) {
    const int dir = ir::isResponseSide(r.set) ? LBC_DIR_RES : LBC_DIR_REQ;
    auto fnCall = [&](const char* h, std::vector<llvm::Value*> args) {
      return b_.CreateCall(g_.helper(h), args);
    };
    llvm::Value* txn = fg_.txn;
    switch (r.action) {
      case ActionId::accept:
      case ActionId::allow:
        b_.CreateRet(b_.getInt32(LBC_HOOK_ALLOW));
        return;
      case ActionId::reject:
        b_.CreateRet(b_.getInt32(LBC_HOOK_REJECT));
        return;
      case ActionId::deny:
      case ActionId::return_:
      case ActionId::auth: {
        ir::ReturnArgs def;
        def.status = 403;
        const auto* ra = std::get_if<ir::ReturnArgs>(&r.args);
        if (!ra) ra = &def;
        int kind = LBC_BODY_NONE;
        llvm::Value* body = llvm::ConstantPointerNull::get(g_.ptr);
        using B = ir::ReturnArgs::Body;
        switch (ra->body) {
          case B::None:
            break;
          case B::String:
            kind = LBC_BODY_TEXT, body = g_.constStrSmp(ra->text);
            break;
          case B::LfString:
            kind = LBC_BODY_TEXT, body = format(ra->lf);
            break;
          case B::File:
          case B::Errorfile: {
            std::string content;
            if (!readFile(ra->text, content)) {
              g_.fail(r.loc, "cannot read '" + ra->text + "' for '" + r.action_name + "'");
              break;
            }
            kind = ra->body == B::File ? LBC_BODY_TEXT : LBC_BODY_ERRORFILE;
            body = g_.constStrSmp(content);
            break;
          }
          case B::Page:
            kind = LBC_BODY_ERRORFILE, body = g_.constStrSmp(ra->text);
            break;
          case B::LfFile:
            g_.fail(r.loc, "'" + r.action_name + " lf-file' is not supported by lbc yet");
            break;
        }
        errorIfFailed(
            fnCall("lbc_act_reply", {txn, b_.getInt32(ra->status), g_.bytes(ra->content_type),
                                     b_.getInt64(ra->content_type.size()), b_.getInt32(kind), body}));
        for (const auto& [name, lf] : ra->headers) {
          llvm::Value* v = format(lf);
          errorIfFailed(fnCall("lbc_act_reply_header", {txn, g_.bytes(name), b_.getInt64(name.size()), v}));
        }
        b_.CreateRet(b_.getInt32(r.action == ActionId::deny ? LBC_HOOK_DENY : LBC_HOOK_RETURN));
        return;
      }
      case ActionId::redirect: {
        const auto& ra = std::get<ir::RedirectArgs>(r.args);
        llvm::Value* target = format(ra.target);
        int type = static_cast<int>(ra.type);
        int flags = (ra.drop_query ? LBC_REDIR_DROP_QUERY : 0) |
                    (ra.append_slash ? LBC_REDIR_APPEND_SLASH : 0) |
                    (ra.ignore_empty ? LBC_REDIR_IGNORE_EMPTY : 0);
        llvm::Value* rc = fnCall("lbc_act_redirect",
                                 {txn, b_.getInt32(type), target, b_.getInt32(ra.code), b_.getInt32(flags),
                                  g_.bytes(ra.set_cookie), b_.getInt64(ra.set_cookie.size()),
                                  g_.bytes(ra.clear_cookie), b_.getInt64(ra.clear_cookie.size())});
        errorIfFailed(rc);
        if (!ra.ignore_empty) {
          b_.CreateRet(b_.getInt32(LBC_HOOK_REDIRECT));
          return;
        }
        // 0: the location was empty, the rule is skipped.
        auto* redir = fg_.block("redir.done");
        auto* skip = fg_.block("redir.skip");
        b_.CreateCondBr(b_.CreateICmpEQ(rc, b_.getInt32(0)), skip, redir);
        b_.SetInsertPoint(redir);
        b_.CreateRet(b_.getInt32(LBC_HOOK_REDIRECT));
        b_.SetInsertPoint(skip);
        break;
      }
      case ActionId::set_header:
      case ActionId::add_header: {
        const auto& ha = std::get<ir::HeaderArgs>(r.args);
        llvm::Value* v = format(ha.value);
        errorIfFailed(fnCall(r.action == ActionId::set_header ? "lbc_act_set_header" : "lbc_act_add_header",
                             {txn, b_.getInt32(dir), g_.bytes(ha.name), b_.getInt64(ha.name.size()), v}));
        break;
      }
      case ActionId::del_header: {
        const auto& ha = std::get<ir::HeaderArgs>(r.args);
        MatchMethod m = ha.method.value_or(MatchMethod::Str);
        // HAProxy compiles the `-m reg` name case-sensitively (regex_comp(cs=1)).
        llvm::Value* re = m == MatchMethod::Reg
                              ? static_cast<llvm::Value*>(b_.CreateLoad(g_.ptr, g_.regex(ha.name, false)))
                              : llvm::ConstantPointerNull::get(g_.ptr);
        errorIfFailed(fnCall("lbc_act_del_header", {txn, b_.getInt32(dir), g_.bytes(ha.name),
                                                    b_.getInt64(ha.name.size()), b_.getInt32(int(m)), re}));
        break;
      }
      case ActionId::replace_header:
      case ActionId::replace_value: {
        const auto& ha = std::get<ir::HeaderArgs>(r.args);
        llvm::Value* re = b_.CreateLoad(g_.ptr, g_.regex(ha.regex, false));
        llvm::Value* v = format(ha.value);
        errorIfFailed(
            fnCall(r.action == ActionId::replace_header ? "lbc_act_replace_header" : "lbc_act_replace_value",
                   {txn, b_.getInt32(dir), g_.bytes(ha.name), b_.getInt64(ha.name.size()), re, v}));
        break;
      }
      case ActionId::replace_path:
      case ActionId::replace_pathq:
      case ActionId::replace_uri: {
        const auto& ha = std::get<ir::HeaderArgs>(r.args);
        llvm::Value* re = b_.CreateLoad(g_.ptr, g_.regex(ha.regex, false));
        llvm::Value* v = format(ha.value);
        int part = r.action == ActionId::replace_path    ? LBC_URI_PATH
                   : r.action == ActionId::replace_pathq ? LBC_URI_PATHQ
                                                         : LBC_URI_WHOLE;
        errorIfFailed(fnCall("lbc_act_replace_uri", {txn, b_.getInt32(part), re, v}));
        break;
      }
      case ActionId::set_path:
      case ActionId::set_uri:
      case ActionId::set_query:
      case ActionId::set_pathq:
      case ActionId::set_method: {
        const auto& fa = std::get<ir::FormatArgs>(r.args);
        llvm::Value* v = format(fa.value);
        const char* h = r.action == ActionId::set_path     ? "lbc_act_set_path"
                        : r.action == ActionId::set_uri    ? "lbc_act_set_uri"
                        : r.action == ActionId::set_pathq  ? "lbc_act_set_pathq"
                        : r.action == ActionId::set_method ? "lbc_act_set_method"
                                                           : "lbc_act_set_query";
        errorIfFailed(fnCall(h, {txn, v}));
        break;
      }
      case ActionId::set_var: {
        const auto& va = std::get<ir::VarArgs>(r.args);
        llvm::Value* smp = fg_.local(g_.smp_ty, "var.smp");
        fg_.sample(va.expr, smp);
        errorIfFailed(fnCall("lbc_act_set_var", {txn, b_.getInt32(static_cast<int32_t>(va.scope)),
                                                 g_.bytes(va.name), b_.getInt64(va.name.size()), smp}));
        break;
      }
      case ActionId::track_sc0:
      case ActionId::track_sc1:
      case ActionId::track_sc2: {
        const auto& ta = std::get<ir::TrackArgs>(r.args);
        llvm::Value* smp = fg_.local(g_.smp_ty, "track.key");
        fg_.sample(ta.key, smp);
        errorIfFailed(fnCall("lbc_act_track_sc", {txn, b_.getInt32(ta.slot), smp, g_.bytes(ta.table),
                                                  b_.getInt64(ta.table.size()),
                                                  b_.getInt32(static_cast<int32_t>(ta.table_proxy))}));
        break;
      }
      case ActionId::sc_inc_gpc0:
      case ActionId::sc_inc_gpc1:
      case ActionId::sc_set_gpt0: {
        const auto& ca = std::get<ir::CounterArgs>(r.args);
        const int32_t op = r.action == ActionId::sc_inc_gpc0   ? LBC_SC_INC_GPC0
                           : r.action == ActionId::sc_inc_gpc1 ? LBC_SC_INC_GPC1
                                                               : LBC_SC_SET_GPT0;
        llvm::Value* smp = llvm::ConstantPointerNull::get(g_.ptr);
        if (ca.expr) {
          smp = fg_.local(g_.smp_ty, "gpt.smp");
          fg_.sample(*ca.expr, smp);
        }
        fnCall("lbc_act_sc_counter",
               {txn, b_.getInt32(op), b_.getInt32(ca.slot), b_.getInt64(ca.value), smp});
        break;
      }
      case ActionId::set_status: {
        const auto& sa = std::get<ir::StatusArgs>(r.args);
        errorIfFailed(fnCall("lbc_act_set_status", {txn, b_.getInt32(sa.status), g_.bytes(sa.reason),
                                                    b_.getInt64(sa.reason.size())}));
        break;
      }
      default:
        g_.fail(r.loc, "action '" + r.action_name + "' cannot be compiled by lbc yet");
        b_.CreateRet(b_.getInt32(LBC_HOOK_ERROR));
        return;
    }
    if (r.final) {  // a final action without its own return code: stop the list
      b_.CreateRet(b_.getInt32(LBC_HOOK_ALLOW));
      return;
    }
    fg_.invalidate();  // the action may have rewritten what cached fetches saw
  }

  void ruleList(ir::RuleSet set) {
    auto dead = deadActionRules(px_);
    for (size_t i = 0; i < px_.rules.size(); ++i) {
      const ir::Rule& r = px_.rules[i];
      if (r.set != set || dead[i]) continue;
      llvm::Value* gate = fg_.ruleGate(px_, r.cond);
      auto* fire = fg_.block("rule.fire");
      auto* next = fg_.block("rule.next");
      auto* miss = fg_.block("rule.miss");
      auto* sw = b_.CreateSwitch(gate, next, 2);
      sw->addCase(b_.getInt32(1), fire);
      sw->addCase(b_.getInt32(2), miss);
      b_.SetInsertPoint(miss);
      b_.CreateRet(b_.getInt32(LBC_HOOK_MISS));
      b_.SetInsertPoint(fire);
      b_.CreateCall(g_.helper("lbc_rt_fired"),
                    {fg_.txn, b_.getInt32(fg_.proxy), b_.getInt32(LBC_RULE_ACTION), b_.getInt32(i)});
      action(r);
      if (!b_.GetInsertBlock()->getTerminator()) b_.CreateBr(next);
      b_.SetInsertPoint(next);
    }
    b_.CreateRet(b_.getInt32(LBC_HOOK_CONTINUE));
  }

 private:
  FnGen& fg_;
  Gen& g_;
  llvm::IRBuilder<>& b_;
  const ir::Proxy& px_;
};

// A dispatcher `i32 (txn, proxy)` switching to per-proxy functions; NULL when there are none.
llvm::Constant* dispatcher(Gen& g, const std::string& name,
                           const std::vector<std::pair<uint32_t, llvm::Function*>>& fns, int32_t dflt,
                           bool self_default = false) {
  if (fns.empty()) return llvm::ConstantPointerNull::get(g.ptr);
  auto* f = llvm::Function::Create(hookTy(g), llvm::GlobalValue::InternalLinkage, name, g.m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(g.c, "entry", f));
  auto* other = llvm::BasicBlock::Create(g.c, "other", f);
  auto* sw = b.CreateSwitch(f->getArg(1), other, fns.size());
  for (auto& [idx, fn] : fns) {
    auto* bb = llvm::BasicBlock::Create(g.c, "proxy", f);
    sw->addCase(b.getInt32(idx), bb);
    llvm::IRBuilder<> cb(bb);
    cb.CreateRet(cb.CreateCall(fn, {f->getArg(0), f->getArg(1)}));
  }
  b.SetInsertPoint(other);
  b.CreateRet(self_default ? static_cast<llvm::Value*>(f->getArg(1)) : b.getInt32(dflt));
  return f;
}

}  // namespace

void genBackend(Gen& g, FnGen& fg, const ir::Proxy& px, uint32_t index);  // backend.cpp
void genStick(Gen& g, FnGen& fg, const ir::Proxy& px);                    // backend.cpp

namespace {

// One rule set's hook: a dispatcher over the per-proxy rule lists.
llvm::Constant* genRuleHook(Gen& g, ir::RuleSet set) {
  std::vector<std::pair<uint32_t, llvm::Function*>> fns;
  for (uint32_t p = 0; p < g.prog.proxies.size(); ++p) {
    const ir::Proxy& px = g.prog.proxies[p];
    if (px.caps == 0) continue;
    auto dead = deadActionRules(px);
    bool any = false;
    for (size_t i = 0; i < px.rules.size(); ++i) any |= px.rules[i].set == set && !dead[i];
    if (!any) continue;
    auto* f = llvm::Function::Create(hookTy(g), llvm::GlobalValue::InternalLinkage,
                                     std::string("lbc.rules.") + ir::ruleSetName(set) + "." + px.name, g.m);
    FnGen fg(g, f, p);
    RuleGen(fg, px).ruleList(set);
    fns.push_back({p, f});
  }
  return dispatcher(g, std::string("lbc.hook.") + ir::ruleSetName(set), fns, LBC_HOOK_CONTINUE);
}

llvm::Constant* genSelectBackendHook(Gen& g) {
  std::vector<std::pair<uint32_t, llvm::Function*>> be;
  for (uint32_t p = 0; p < g.prog.proxies.size(); ++p) {
    const ir::Proxy& px = g.prog.proxies[p];
    if (!px.isFrontend()) continue;
    auto* f =
        llvm::Function::Create(hookTy(g), llvm::GlobalValue::InternalLinkage, "lbc.backend." + px.name, g.m);
    FnGen fg(g, f, p);
    genBackend(g, fg, px, p);
    be.push_back({p, f});
  }
  return dispatcher(g, "lbc.select_backend", be, LBC_BACKEND_NONE);
}

// stick: i32 (txn, proxy, rule, key*)
llvm::Constant* genStickHook(Gen& g) {
  std::vector<std::pair<uint32_t, llvm::Function*>> st;
  auto* sty = llvm::FunctionType::get(g.i32, {g.ptr, g.i32, g.i32, g.ptr}, false);
  for (uint32_t p = 0; p < g.prog.proxies.size(); ++p) {
    const ir::Proxy& px = g.prog.proxies[p];
    if (px.caps == 0 || px.stick_rules.empty()) continue;
    auto* f = llvm::Function::Create(sty, llvm::GlobalValue::InternalLinkage, "lbc.stick." + px.name, g.m);
    FnGen fg(g, f, p);
    genStick(g, fg, px);
    st.push_back({p, f});
  }
  if (st.empty()) return llvm::ConstantPointerNull::get(g.ptr);
  auto* f = llvm::Function::Create(sty, llvm::GlobalValue::InternalLinkage, "lbc.stick", g.m);
  llvm::IRBuilder<> b(llvm::BasicBlock::Create(g.c, "entry", f));
  auto* other = llvm::BasicBlock::Create(g.c, "other", f);
  auto* sw = b.CreateSwitch(f->getArg(1), other, st.size());
  for (auto& [idx, fn] : st) {
    auto* bb = llvm::BasicBlock::Create(g.c, "proxy", f);
    sw->addCase(b.getInt32(idx), bb);
    llvm::IRBuilder<> cb(bb);
    cb.CreateRet(cb.CreateCall(fn, {f->getArg(0), f->getArg(1), f->getArg(2), f->getArg(3)}));
  }
  b.SetInsertPoint(other);
  b.CreateRet(b.getInt32(LBC_FAIL));
  return f;
}

}  // namespace

HookConstants genHooks(Gen& g) {
  HookConstants hooks{};
#define LBC_CODEGEN_HOOK_RULES(Name) genRuleHook(g, ir::RuleSet::Name)
#define LBC_CODEGEN_HOOK_BACKEND(Name) genSelectBackendHook(g)
#define LBC_CODEGEN_HOOK_STICK(Name) genStickHook(g)
#define LBC_CODEGEN_HOOK(field, Name, KIND, text) \
  hooks[static_cast<size_t>(stdlib::Hook::Name)] = LBC_CODEGEN_HOOK_##KIND(Name);
  LBC_HOOKS(LBC_CODEGEN_HOOK)
#undef LBC_CODEGEN_HOOK
#undef LBC_CODEGEN_HOOK_RULES
#undef LBC_CODEGEN_HOOK_BACKEND
#undef LBC_CODEGEN_HOOK_STICK
  return hooks;
}

}  // namespace lbc::codegen
