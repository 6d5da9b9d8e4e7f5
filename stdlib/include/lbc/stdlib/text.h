// The stdlib's names for the one copy of the ASCII text helpers (lbc/text.h).
#pragma once
#include "lbc/text.h"

namespace lbc::stdlib {
using text::ieq;
using text::lowerAscii;
using text::lowerCopy;
using text::trim;
}  // namespace lbc::stdlib
