// Method + path-pattern routing. Patterns are literal segments and "{name}" captures; a last
// segment "{*name}" captures the rest of the path (possibly empty).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "http/context.h"

namespace coldtrack::http {

enum class Access {
  kPublic,  // no credentials (health, metrics, public tracking)
  kSigned,  // signed API key request with at least `min_role`
};

struct Route {
  beast_http::verb method;
  std::string pattern;  // "/api/orders/{order_no}/status"
  Access access = Access::kSigned;
  Role min_role = Role::kViewer;
  Handler handler;
  std::vector<std::string> segments;  // split pattern
};

struct Match {
  const Route* route = nullptr;  // null: see allowed
  std::map<std::string, std::string> params;
  std::string allowed;  // non-empty when the path exists with other methods (405)
};

class Router {
 public:
  void add(beast_http::verb method, std::string pattern, Access access, Role min_role,
           Handler handler);
  Match match(beast_http::verb method, std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }

 private:
  std::vector<Route> routes_;
};

}  // namespace coldtrack::http
