#include "interp/engine.h"

namespace lbc::interp {

namespace {

bool isFinal(int32_t r) {
  return r != LBC_HOOK_CONTINUE && r != LBC_HOOK_ALLOW;
}

}  // namespace

Outcome Engine::evaluate(const ir::Program& p, rt::Txn& t) {
  Outcome o;
  t.program = descriptor();
  const uint32_t fe = t.frontend;
  auto run = [&](Hook h, uint32_t proxy) {
    int32_t r = hook(h, t, proxy);
    if (isFinal(r)) {
      o.verdict = r;
      o.stage = std::string(ir::ruleSetName(h)) + " " + p.proxies[proxy].name;
    }
    return !isFinal(r);
  };
  auto finish = [&]() -> Outcome {
    if (o.verdict == LBC_HOOK_DENY || o.verdict == LBC_HOOK_RETURN || o.verdict == LBC_HOOK_REDIRECT) {
      o.status = t.reply.status;
      o.content_type = t.reply.content_type;
      o.body = t.reply.body;
      for (const rt::Header& h : t.reply.headers) o.reply_headers.emplace_back(h.name, h.value);
    }
    captureState(t, o);
    return o;
  };

  t.in_response = false;
  if (!run(Hook::TcpReqConn, fe) || !run(Hook::TcpReqSess, fe) || !run(Hook::TcpReqCont, fe)) return finish();
  if (t.http && !run(Hook::HttpReq, fe)) return finish();

  int32_t be = selectBackend(t, fe);
  o.backend_selected = true;
  o.backend = be;
  t.backend = be;
  if (be < 0) return finish();
  const auto bi = static_cast<uint32_t>(be);
  if (bi != fe) {
    if (!run(Hook::TcpReqCont, bi)) return finish();
    if (t.http && !run(Hook::HttpReq, bi)) return finish();
  }
  const ir::Proxy& bp = p.proxies[bi];
  auto sticks = [&](bool response) {
    for (uint32_t i = 0; i < bp.stick_rules.size(); ++i) {
      bool store_res = bp.stick_rules[i].kind == ir::StickRule::Kind::StoreResponse;
      if (store_res != response) continue;
      lbc_smp key{};
      int32_t r = stick(t, bi, i, &key);
      o.sticks.push_back({i, r, r == LBC_PASS ? smpText(key) : std::string()});
    }
  };
  sticks(false);

  if (!t.has_response) return finish();
  t.in_response = true;
  std::vector<uint32_t> order{bi};
  if (bi != fe) order.push_back(fe);
  for (uint32_t px : order)
    if (!run(Hook::TcpResCont, px)) return finish();
  if (t.http)
    for (uint32_t px : order)
      if (!run(Hook::HttpRes, px)) return finish();
  sticks(true);
  if (t.http)
    for (uint32_t px : order)
      if (!run(Hook::HttpAfterRes, px)) return finish();
  return finish();
}

int32_t ProgramEngine::hook(Hook h, rt::Txn& t, uint32_t proxy) {
  lbc_hook_fn f = nullptr;
  switch (h) {
#define LBC_ENGINE_HOOK(field, Name, KIND, text) \
  LBC_HOOK_IF_RULES_##KIND(case Hook::Name : f = prog_->field; break;)
    LBC_HOOKS(LBC_ENGINE_HOOK)
#undef LBC_ENGINE_HOOK
  }
  int32_t r = f ? f(rt::toAbi(&t), proxy) : LBC_HOOK_CONTINUE;
  if (r != LBC_HOOK_CONTINUE && r != LBC_HOOK_ALLOW) t.verdict = r;
  return r;
}

int32_t ProgramEngine::selectBackend(rt::Txn& t, uint32_t frontend) {
  if (prog_->select_backend) return prog_->select_backend(rt::toAbi(&t), frontend);
  return (prog_->proxy_caps[frontend] & 2) ? static_cast<int32_t>(frontend) : LBC_BACKEND_NONE;
}

int32_t ProgramEngine::stick(rt::Txn& t, uint32_t proxy, uint32_t rule, lbc_smp* key) {
  if (!prog_->stick) return LBC_FAIL;
  return prog_->stick(rt::toAbi(&t), proxy, rule, key);
}

}  // namespace lbc::interp
