// `resolvers` sections and servers' run-time DNS settings, as the runtime's resolvers use them.
#pragma once
#include <functional>
#include <vector>

#include "ir/ir.h"
#include "lbc/rt/topology.h"

namespace lbc::lower {

using EndpointOf = std::function<rt::Endpoint(const ir::Address&)>;

std::vector<rt::ResolversSpec> resolvers(const ir::Program& p, const EndpointOf& endpoint);
rt::ServerDnsSpec serverDns(const ir::Program& p, const ir::Server& s, const EndpointOf& endpoint);

}  // namespace lbc::lower
