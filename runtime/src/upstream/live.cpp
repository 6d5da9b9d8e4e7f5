#include "upstream/live.h"

#include "net/sockets.h"
#include "state/stick_table.h"
#include "upstream/dns_servers.h"

namespace lbc::rt {
namespace {

TlsVersions versions(int32_t min, int32_t max) {
  TlsVersions v;
  v.min = min, v.max = max;
  return v;
}

std::unique_ptr<TlsServerContext> bindContext(const BindSpec& b, std::string& err) {
  const TlsBindSpec& t = b.tls;
  TlsServerSettings s;
  s.crt = t.crt;
  s.alpn = t.alpn;
  s.ciphers = t.ciphers;
  s.ciphersuites = t.ciphersuites;
  s.versions = versions(t.min_ver, t.max_ver);
  s.strict_sni = t.strict_sni;
  s.no_tickets = t.no_tickets;
  s.prefer_client_ciphers = t.prefer_client_ciphers;
  s.verify = t.verify == 2 ? TlsVerify::kRequired : t.verify == 1 ? TlsVerify::kOptional : TlsVerify::kNone;
  s.ca_file = t.ca_file;
  s.crl_file = t.crl_file;
  auto ctx = std::make_unique<TlsServerContext>();
  if (!ctx->build(s, err)) return nullptr;
  return ctx;
}

std::unique_ptr<TlsClientContext> serverContext(const TlsServerSpec& t, std::string& err) {
  TlsClientSettings s;
  s.alpn = t.alpn;
  s.ciphers = t.ciphers;
  s.ciphersuites = t.ciphersuites;
  s.versions = versions(t.min_ver, t.max_ver);
  s.verify = t.verify ? TlsVerify::kRequired : TlsVerify::kNone;
  s.ca_file = t.ca_file;
  s.crt = t.crt;
  s.reuse = t.reuse;
  s.no_tickets = t.no_tickets;
  auto ctx = std::make_unique<TlsClientContext>();
  if (!ctx->build(s, err)) return nullptr;
  return ctx;
}

}  // namespace

LiveState::LiveState() = default;
LiveState::~LiveState() = default;

FrontendLive* LiveState::frontend(const std::string& name) const {
  auto it = frontends_.find(name);
  return it == frontends_.end() ? nullptr : it->second.get();
}

bool LiveState::bindBackend(const ProxySpec& p, GenerationView& v, std::string& where, std::string& err) {
  std::unique_ptr<Backend>& slot = backends_[p.name];
  if (!slot) {
    auto be = std::make_unique<Backend>(p, wake);
    for (auto& s : be->servers()) {
      const ServerSpec& ss = *s->spec;
      if (!initServerAddress(*s, err)) {
        where = ss.where;
        err = "backend '" + p.name + "': server '" + ss.name + "': " + err;
        backends_.erase(p.name);
        return false;
      }
      if (ss.tls.enabled && !(s->tls = serverContext(ss.tls, err))) {
        where = ss.where;
        err = "backend '" + p.name + "': server '" + ss.name + "': " + err;
        backends_.erase(p.name);
        return false;
      }
      const Endpoint& ce = ss.check.has_addr ? ss.check.addr : ss.addr;
      uint16_t cport = ss.check.port ? ss.check.port : ss.addr.port_lo;
      if (ss.check.has_addr && ss.check.enabled &&
          !resolveEndpoint(ce, cport, s->check_addr, s->check_addrlen, err)) {
        where = ss.where;
        err = "backend '" + p.name + "': server '" + ss.name + "': check address: " + err;
        backends_.erase(p.name);
        return false;
      }
      if (ss.agent.enabled && ss.agent.has_addr &&
          !resolveEndpoint(ss.agent.addr, ss.agent.port, s->agent_addr, s->agent_addrlen, err)) {
        where = ss.where;
        err = "backend '" + p.name + "': server '" + ss.name + "': agent address: " + err;
        backends_.erase(p.name);
        return false;
      }
      s->storeAddr(s->addr, s->addrlen);  // publishes the addresses connects read
    }
    slot = std::move(be);
    backend_order_.push_back(slot.get());
    created_.push_back(p.name);
  } else if (slot->spec().index != p.index) {
    // Rules and pages are indexed by the backend's place in its own topology: a backend that
    // moved needs the reload's re-pointing, which does not exist yet.
    where = p.where;
    err = "backend '" + p.name + "' moved in the proxy list: it cannot be carried over yet";
    return false;
  }
  v.backends[p.index] = slot.get();
  return true;
}

bool LiveState::bind(Generation& g, std::string& where, std::string& err) {
  auto v = std::make_unique<GenerationView>();
  const auto& proxies = g.topo.proxies;
  v->backends.resize(proxies.size());
  v->tables.resize(proxies.size());
  v->frontends.resize(proxies.size());
  v->by_slot.resize(frontends_.size());
  created_.clear();
  for (const ProxySpec& p : proxies) {
    if (p.table.present) {
      std::unique_ptr<StickTable>& t = tables_[p.name];
      if (!t) t = std::make_unique<StickTable>(p.table);
      v->tables[p.index] = t.get();
    }
    if (p.backend && !bindBackend(p, *v, where, err)) {
      forgetCreated();
      return false;
    }
  }
  for (const ProxySpec& p : proxies) {
    if (!p.frontend) continue;
    std::unique_ptr<FrontendLive>& live = frontends_[p.name];
    if (!live) {
      live = std::make_unique<FrontendLive>();
      live->slot = uint32_t(frontends_.size() - 1);
      live->limit.max = p.maxconn ? p.maxconn : g.topo.global.maxconn;
      v->by_slot.resize(frontends_.size());
    }
    auto fe = std::make_unique<Frontend>(&p, *live);
    fe->tls.resize(p.binds.size());
    for (size_t i = 0; i < p.binds.size(); ++i) {
      if (!p.binds[i].tls.enabled) continue;
      if (!(fe->tls[i] = bindContext(p.binds[i], err))) {
        where = p.binds[i].where;
        err = "proxy '" + p.name + "': " + err;
        forgetCreated();
        return false;
      }
    }
    if (p.backend_index != kNoIndex) fe->backend = v->backends[p.backend_index];
    v->frontends[p.index] = v->by_slot[live->slot] = fe.get();
    v->owned.push_back(std::move(fe));
  }
  g.extension = std::move(v);
  return true;
}

// A failed bind leaves no backend pointing into a generation that will not be published.
void LiveState::forgetCreated() {
  for (const std::string& name : created_) {
    backend_order_.pop_back();
    backends_.erase(name);
  }
  created_.clear();
}

void LiveState::keepSpecs(const GenerationRef& g) {
  if (!created_.empty()) spec_owners_.push_back(g);
}

}  // namespace lbc::rt
