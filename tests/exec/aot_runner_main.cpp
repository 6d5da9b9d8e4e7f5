// A `main` for AOT executables in tests, linked in place of the runtime's: it drives the embedded
// `lbc_compiled_program` on requests read from stdin, one per line, and prints the decisions, so
// a test checks what the standalone executable decides without a network.
//   input:  FRONTEND METHOD URI [Name:value]...
//   output: hook=<http_req result> backend=<name|<none>> uri=<uri after rewrites>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "lbc/abi.h"
#include "lbc/rt/txn.h"

extern "C" const lbc_program lbc_compiled_program;

int main() {
  const lbc_program* p = &lbc_compiled_program;
  if (p->magic != LBC_PROGRAM_MAGIC || p->abi_version != LBC_ABI_VERSION) {
    std::cerr << "bad program descriptor\n";
    return 1;
  }
  if (p->init && p->init() != 0) {
    std::cerr << "init failed\n";
    return 1;
  }
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string fe, method, uri, h;
    if (!(in >> fe >> method >> uri)) continue;
    std::vector<std::string> hs;
    while (in >> h) hs.push_back(h);
    lbc::rt::Txn t;
    t.program = p;
    t.http = true;
    t.frontend = ~0u;
    for (uint32_t i = 0; i < p->nproxies; ++i)
      if (fe == p->proxy_names[i]) t.frontend = i;
    if (t.frontend == ~0u) {
      std::cout << "unknown frontend " << fe << "\n";
      continue;
    }
    t.method = method;
    t.uri = uri;
    for (const auto& x : hs) {
      size_t colon = x.find(':');
      if (colon != std::string::npos)
        t.req_headers.push_back(
            {std::string_view(x).substr(0, colon), std::string_view(x).substr(colon + 1)});
    }
    int32_t hook = p->http_req ? p->http_req(lbc::rt::toAbi(&t), t.frontend) : LBC_HOOK_CONTINUE;
    int32_t be = p->select_backend ? p->select_backend(lbc::rt::toAbi(&t), t.frontend) : LBC_BACKEND_NONE;
    std::cout << "hook=" << hook << " backend=" << (be >= 0 ? p->proxy_names[be] : "<none>")
              << " uri=" << t.uri << "\n";
  }
  if (p->fini) p->fini();
  return 0;
}
