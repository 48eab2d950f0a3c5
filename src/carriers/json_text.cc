#include "carriers/json_text.h"

#include <cmath>

namespace coldtrack::carriers {

namespace json = boost::json;

std::string scalar_text(const json::value* v) {
  if (v == nullptr) return {};
  switch (v->kind()) {
    case json::kind::string:
      return std::string(v->get_string());
    case json::kind::int64:
      return std::to_string(v->get_int64());
    case json::kind::uint64:
      return std::to_string(v->get_uint64());
    case json::kind::double_: {
      const double d = v->get_double();
      // The range check keeps the cast to long long defined.
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15)
        return std::to_string(static_cast<long long>(d));
      return json::serialize(*v);
    }
    case json::kind::bool_:
      return v->get_bool() ? "true" : "false";
    default:
      return {};
  }
}

}  // namespace coldtrack::carriers
