// The `.if/.elif/.else/.endif` preprocessor and `.diag/.notice/.warning/.alert`, applied to
// the lines of a parsed file, as HAProxy 2.6 does before any keyword is looked at.
#pragma once
#include "front/diag.h"
#include "front/syntax.h"
#include "front/words.h"

namespace lbc::front {

// The HAProxy version whose configuration language lbc implements (for version_atleast()).
inline constexpr const char* kHaproxyCompatVersion = "2.6.12";

// Removes inactive lines and all preprocessor lines; reports unbalanced blocks and messages.
void preprocess(File& file, DiagEngine& diags, const EnvLookup& env);

}  // namespace lbc::front
