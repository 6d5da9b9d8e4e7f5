#include "front/source.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace lbc::front {

uint32_t SourceManager::add(std::string path, std::string text) {
  File f{std::move(path), std::move(text), {0}};
  for (uint32_t i = 0; i < f.text.size(); ++i)
    if (f.text[i] == '\n') f.line_starts.push_back(i + 1);
  files_.push_back(std::move(f));
  return static_cast<uint32_t>(files_.size());
}

uint32_t SourceManager::load(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = std::strerror(errno);
    return 0;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return add(path, ss.str());
}

std::string_view SourceManager::lineText(uint32_t file, uint32_t line) const {
  if (file == 0 || file > files_.size()) return {};
  const File& f = files_[file - 1];
  if (line == 0 || line > f.line_starts.size()) return {};
  size_t start = f.line_starts[line - 1];
  size_t end = f.text.find('\n', start);
  if (end == std::string::npos) end = f.text.size();
  if (end > start && f.text[end - 1] == '\r') --end;
  return std::string_view(f.text).substr(start, end - start);
}

}  // namespace lbc::front
