#include "http/json_text.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace coldtrack::http {

namespace {

// Most answers hold no double at all (orders, lists): a walk over the tree, without allocating,
// lets them skip the rewrite below (a character-by-character copy that was 6 % of serving a
// list page when it ran for every body containing an 'E', i.e. any status such as "CREATED").
bool has_double(const boost::json::value& v) {
  switch (v.kind()) {
    case boost::json::kind::double_:
      return true;
    case boost::json::kind::array:
      for (const auto& e : v.get_array())
        if (has_double(e)) return true;
      return false;
    case boost::json::kind::object:
      for (const auto& kv : v.get_object())
        if (has_double(kv.value())) return true;
      return false;
    default:
      return false;
  }
}

}  // namespace

std::string to_json_text(const boost::json::value& v) {
  std::string text = boost::json::serialize(v);
  if (!has_double(v) || text.find('E') == std::string::npos) return text;
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '"') {  // a whole string at once, escapes included
      std::size_t j = i + 1;
      while (j < text.size() && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      j = std::min(j + 1, text.size());
      out.append(text, i, j - i);
      i = j;
      continue;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t j = i + 1;
      while (j < text.size() &&
             (std::isdigit(static_cast<unsigned char>(text[j])) || text[j] == '.' ||
              text[j] == 'e' || text[j] == 'E' || text[j] == '+' || text[j] == '-'))
        ++j;
      const std::string token = text.substr(i, j - i);
      if (token.find_first_of("eE") != std::string::npos) {
        const double d = std::strtod(token.c_str(), nullptr);
        // fmt's "{}" is the shortest representation that reads back as the same double; it
        // only falls back to an exponent for very large or small magnitudes.
        if (std::isfinite(d) && std::fabs(d) < 1e15 && (d == 0 || std::fabs(d) >= 1e-4)) {
          out += fmt::format("{}", d);
        } else {
          out += token;
        }
      } else {
        out += token;
      }
      i = j;
      continue;
    }
    out += c;
    ++i;
  }
  return out;
}

}  // namespace coldtrack::http
