// TLS settings of binds and servers, with the global ssl-default-* folded in, as the runtime
// builds its OpenSSL contexts from them.
#pragma once
#include "ir/ir.h"
#include "lbc/rt/topology.h"

namespace lbc::lower {

rt::TlsBindSpec bindTls(const ir::Global& g, const ir::Bind& b);
rt::TlsServerSpec serverTls(const ir::Global& g, const ir::ServerOpts& o);
// The server name of `sni str(NAME)`; empty for any other expression (supported.cpp refuses it).
std::string literalSni(const std::string& expr);

}  // namespace lbc::lower
