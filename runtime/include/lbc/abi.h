/* The only interface between generated code and the runtime (see shared DESIGN.md).
 * extern "C", opaque handles and scalars.
 *
 * A compiled configuration is one `lbc_program` descriptor. The runtime reads:
 *   - `magic` and `abi_version`, and refuses a program that does not match;
 *   - `topology`/`topology_size`: the binds, proxies, servers, timeouts... encoded by
 *     lbc::rt::encodeTopology (runtime/include/lbc/rt/topology.h) and decoded at start-up, so a
 *     JIT-compiled program and an AOT executable start the runtime the same way;
 *   - the hook entry points (compiled rule lists), NULL where the configuration has none.
 * The back end issue declares the hooks and the helpers they call. */
#ifndef LBC_ABI_H
#define LBC_ABI_H
#include <stdint.h>

#define LBC_ABI_VERSION 1u
#define LBC_PROGRAM_MAGIC 0x4C42433Fu /* "LBC?" */

#ifdef __cplusplus
extern "C" {
#endif

typedef struct lbc_program {
  uint32_t magic;       /* LBC_PROGRAM_MAGIC */
  uint32_t abi_version; /* LBC_ABI_VERSION */
  const uint8_t* topology;
  uint64_t topology_size;
  /* hook entry points follow (back end issue) */
} lbc_program;

#ifdef __cplusplus
}
#endif
#endif
