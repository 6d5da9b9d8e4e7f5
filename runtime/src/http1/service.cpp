#include "http1/service.h"

#include <array>

namespace lbc::rt {
namespace {
std::array<ServiceFn, size_t(Service::kCount)> services{};
}

void registerService(Service s, ServiceFn fn) {
  services[size_t(s)] = fn;
}

ServiceFn serviceFn(Service s) {
  return services[size_t(s)];
}

bool serviceChosen(const Txn& x) {
  for (const Var& v : x.vars)
    if (v.scope == LBC_VAR_TXN && v.name == "lbc_use_service") return true;
  return false;
}

bool statsRequested(const ProxySpec& ps, const Txn& x) {
  if (!ps.stats.enabled) return false;
  if (x.method != "GET" && x.method != "HEAD" && x.method != "POST") return false;
  return x.uri.starts_with(ps.stats.uri);
}

}  // namespace lbc::rt
