// common/json_text: the word-at-a-time escape test must agree with the byte-by-byte rule at every
// position, and the text must be what Boost.JSON's serializer writes.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <random>

#include "common/json_text.h"

namespace coldtrack::common {
namespace {

bool by_bytes(std::string_view v) {
  for (unsigned char c : v)
    if (c < 0x20 || c == '"' || c == '\\') return true;
  return false;
}

TEST(JsonText, EveryByteAtEveryPositionOfEveryLength) {
  for (std::size_t len = 1; len <= 19; ++len) {
    for (std::size_t at = 0; at < len; ++at) {
      for (int b = 0; b < 256; ++b) {
        // Neighbours that stress borrows between bytes: 0x00-ish, 0x20, 0x80 and 0xFF.
        for (char fill : {'a', ' ', '\x80', '\xff', '!'}) {
          std::string v(len, fill);
          v[at] = static_cast<char>(b);
          ASSERT_EQ(json_needs_escape(v), by_bytes(v))
              << "len " << len << " at " << at << " byte " << b << " fill " << int(fill);
        }
      }
    }
  }
  EXPECT_FALSE(json_needs_escape(""));
}

TEST(JsonText, SameTextAsTheSerializer) {
  std::mt19937 rng(7);
  const std::string alphabet = "ab\"\\\n\t\x01\x1f \x7f/<>水饺冷链\xe2\x80\xa8";
  for (int i = 0; i < 5000; ++i) {
    std::string v;
    const auto n = rng() % 40;
    for (std::size_t k = 0; k < n; ++k) v += alphabet[rng() % alphabet.size()];
    std::string out = "x";
    append_json_string(out, v);
    ASSERT_EQ(out, "x" + boost::json::serialize(boost::json::value(boost::json::string(v))));
  }
}

}  // namespace
}  // namespace coldtrack::common
