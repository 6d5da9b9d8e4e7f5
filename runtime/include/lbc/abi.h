/* The only interface between generated code and the runtime (see shared DESIGN.md).
 * extern "C", opaque handles and scalars. The entry points and helpers are declared by the
 * compiler back end issue; the version and magic are fixed now so every artefact carries them. */
#ifndef LBC_ABI_H
#define LBC_ABI_H
#include <stdint.h>

#define LBC_ABI_VERSION 1u
#define LBC_PROGRAM_MAGIC 0x4C42433Fu /* "LBC?" */

#endif
