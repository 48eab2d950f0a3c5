// Text for the command-line tools' progress and reports.
#pragma once

#include <cstdint>
#include <string>

namespace coldtrack::app {

// 1234567 -> "1,234,567": row and order counts people read at a glance.
inline std::string thousands(std::int64_t n) {
  std::string digits = std::to_string(n < 0 ? -n : n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

}  // namespace coldtrack::app
