// docs/keywords.md, generated from the registry (`lbc keywords > docs/keywords.md`).
#pragma once
#include <iosfwd>

namespace lbc::stdlib {
void writeKeywordsMarkdown(std::ostream& out);
}
