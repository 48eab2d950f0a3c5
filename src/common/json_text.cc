#include "common/json_text.h"

#include <boost/json/serializer.hpp>
#include <boost/json/string_view.hpp>

#include <cstdint>
#include <cstring>

namespace coldtrack::common {

namespace {

constexpr std::uint64_t kOnes = 0x0101010101010101ull;
constexpr std::uint64_t kHighs = 0x8080808080808080ull;

// Eight bytes at a time (written by hand: no library tests a word for these three byte kinds).
// A byte b is flagged when b < 0x20, b == '"' or b == '\\'; the tests are exact as booleans.
bool word_needs_escape(std::uint64_t x) {
  const std::uint64_t below_space = (x - kOnes * 0x20) & ~x;
  const std::uint64_t q = x ^ (kOnes * '"');
  const std::uint64_t b = x ^ (kOnes * '\\');
  const std::uint64_t quote = (q - kOnes) & ~q;
  const std::uint64_t backslash = (b - kOnes) & ~b;
  return ((below_space | quote | backslash) & kHighs) != 0;
}

bool byte_needs_escape(unsigned char c) {
  return c < 0x20 || c == '"' || c == '\\';
}

}  // namespace

bool json_needs_escape(std::string_view v) {
  const char* p = v.data();
  std::size_t n = v.size();
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t x;
    std::memcpy(&x, p, 8);
    if (word_needs_escape(x)) return true;
  }
  for (; n > 0; ++p, --n)
    if (byte_needs_escape(static_cast<unsigned char>(*p))) return true;
  return false;
}

void append_json_string(std::string& out, std::string_view v) {
  if (!json_needs_escape(v)) {
    // What the serializer would write: it escapes nothing else (UTF-8 bytes stay as they are).
    const std::size_t at = out.size();
    out.resize(at + v.size() + 2);
    char* p = out.data() + at;
    *p = '"';
    std::memcpy(p + 1, v.data(), v.size());
    p[v.size() + 1] = '"';
    return;
  }
  boost::json::serializer sr;
  sr.reset(boost::json::string_view(v.data(), v.size()));
  char buf[512];
  while (!sr.done()) {
    const auto part = sr.read(buf, sizeof buf);
    out.append(part.data(), part.size());
  }
}

}  // namespace coldtrack::common
