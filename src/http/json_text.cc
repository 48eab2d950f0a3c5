#include "http/json_text.h"

#include <fmt/format.h>

#include <cmath>
#include <cstdlib>

namespace coldtrack::http {

std::string to_json_text(const boost::json::value& v) {
  std::string text = boost::json::serialize(v);
  if (text.find('E') == std::string::npos) return text;
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) {
        out += text[i + 1];
        i += 2;
        continue;
      }
      if (c == '"') in_string = false;
      ++i;
      continue;
    }
    if (c == '"') {
      in_string = true;
      out += c;
      ++i;
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
