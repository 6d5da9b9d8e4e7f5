// A position in a configuration file. Every IR node carries one so that every later stage
// (sema, codegen, `lbc route`, the runtime's logs) can name the line a decision came from.
#pragma once
#include <cstdint>

namespace lbc::ir {

struct SourceLoc {
  uint32_t file = 0;  // index into front::SourceManager; 0 = none
  uint32_t line = 0;  // 1-based
  uint32_t col = 0;   // 1-based, in bytes
  uint32_t len = 0;   // length of the underlined range, in bytes (0 = a single caret)
  bool valid() const { return file != 0; }
};

}  // namespace lbc::ir
