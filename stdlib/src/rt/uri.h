// Parts of a request URI as HAProxy's http_get_path / query see them.
#pragma once
#include <string_view>

namespace lbc::rt::detail {

// The path with its query: from the first '/' of an origin-form URI, or after the authority of
// an absolute URI ("http://h/p?q" -> "/p?q"); empty when there is none ("*", "http://h").
inline std::string_view uriPathQuery(std::string_view uri) {
  if (!uri.empty() && uri[0] == '/') return uri;
  size_t s = uri.find("://");
  if (s == std::string_view::npos) return {};
  size_t p = uri.find('/', s + 3);
  return p == std::string_view::npos ? std::string_view() : uri.substr(p);
}
inline std::string_view uriPath(std::string_view uri) {
  std::string_view pq = uriPathQuery(uri);
  return pq.substr(0, pq.find('?'));
}

}  // namespace lbc::rt::detail
