#include "balancer.h"

namespace lbc::rt {

std::unique_ptr<Balancer> makeBalancer(const ProxySpec& spec, const Servers& servers) {
  switch (spec.balance) {
    case BalanceAlgo::RoundRobin:
      return makeFwrr(servers);
    case BalanceAlgo::StaticRr:
      return makeStaticRr(servers);
    case BalanceAlgo::LeastConn:
      return makeLeastConn(servers);
    case BalanceAlgo::First:
      return makeFirst(servers);
    case BalanceAlgo::Random:
      return makeRandom(servers, spec.random_draws);
    case BalanceAlgo::Source:
    case BalanceAlgo::Uri:
    case BalanceAlgo::UrlParam:
    case BalanceAlgo::Hdr:
      return spec.hash_consistent ? makeChash(servers) : makeMapHash(servers);
  }
  return makeFwrr(servers);
}

}  // namespace lbc::rt
