#include "http/router.h"

namespace coldtrack::http {
namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 1;  // paths begin with '/'
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    out.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

void Router::add(beast_http::verb method, std::string pattern, Access access, Role min_role,
                 Handler handler) {
  Route r{method, pattern, access, min_role, std::move(handler), {}};
  for (auto s : split(pattern)) r.segments.emplace_back(s);
  routes_.push_back(std::move(r));
}

Match Router::match(beast_http::verb method, std::string_view path) const {
  Match m;
  if (path.empty() || path[0] != '/') return m;
  const auto parts = split(path);
  for (const auto& r : routes_) {
    // A last segment "{*name}" takes the rest of the path, slashes and all (static files).
    const bool tail = !r.segments.empty() && r.segments.back().starts_with("{*");
    const std::size_t fixed = tail ? r.segments.size() - 1 : r.segments.size();
    if (tail ? parts.size() < fixed : parts.size() != fixed) continue;
    std::map<std::string, std::string> params;
    bool ok = true;
    if (tail) {
      std::string rest;
      for (std::size_t i = fixed; i < parts.size(); ++i) {
        if (i > fixed) rest += '/';
        rest += parts[i];
      }
      const auto& seg = r.segments.back();
      params.emplace(seg.substr(2, seg.size() - 3), std::move(rest));
    }
    for (std::size_t i = 0; i < fixed && ok; ++i) {
      const auto& seg = r.segments[i];
      if (seg.size() > 2 && seg.front() == '{' && seg.back() == '}') {
        if (parts[i].empty())
          ok = false;
        else
          params.emplace(seg.substr(1, seg.size() - 2), std::string(parts[i]));
      } else {
        ok = seg == parts[i];
      }
    }
    if (!ok) continue;
    if (r.method == method) {
      m.route = &r;
      m.params = std::move(params);
      return m;
    }
    const auto name = std::string(beast_http::to_string(r.method));
    if (m.allowed.find(name) == std::string::npos) {
      if (!m.allowed.empty()) m.allowed += ", ";
      m.allowed += name;
    }
  }
  return m;
}

}  // namespace coldtrack::http
