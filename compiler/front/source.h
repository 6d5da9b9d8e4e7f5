// Holds every configuration file of a run so diagnostics can quote source lines.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "ir/source_loc.h"

namespace lbc::front {

using ir::SourceLoc;

class SourceManager {
 public:
  // Returns the file id (>= 1).
  uint32_t add(std::string path, std::string text);
  // Reads a file from disk; returns 0 and sets `error` when it cannot be read.
  uint32_t load(const std::string& path, std::string& error);

  const std::string& path(uint32_t file) const { return files_[file - 1].path; }
  const std::string& text(uint32_t file) const { return files_[file - 1].text; }
  std::string_view lineText(uint32_t file, uint32_t line) const;
  size_t fileCount() const { return files_.size(); }

 private:
  struct File {
    std::string path;
    std::string text;
    std::vector<uint32_t> line_starts;
  };
  std::vector<File> files_;
};

}  // namespace lbc::front
