#include "security/password.h"

#include <gtest/gtest.h>

namespace coldtrack::security {
namespace {

// A small cost keeps the test fast; the format and the checks are the same.
const ScryptCost kCheap{1 << 10, 8, 1};

TEST(Password, RightPasswordVerifiesWrongOneDoesNot) {
  const auto h = hash_password("冻饺子-correct-horse", kCheap);
  EXPECT_TRUE(h.starts_with("scrypt$1024$8$1$")) << h;
  EXPECT_TRUE(verify_password("冻饺子-correct-horse", h));
  EXPECT_FALSE(verify_password("冻饺子-correct-hors", h));
  EXPECT_FALSE(verify_password("", h));
  EXPECT_EQ(h.find("correct"), std::string::npos);
}

TEST(Password, SaltedSoTheSamePasswordHashesDifferently) {
  const auto a = hash_password("same-password", kCheap);
  const auto b = hash_password("same-password", kCheap);
  EXPECT_NE(a, b);
  EXPECT_TRUE(verify_password("same-password", a));
  EXPECT_TRUE(verify_password("same-password", b));
}

TEST(Password, DefaultCostIsTheStoredCost) {
  const auto h = hash_password("default-cost-pw");
  EXPECT_TRUE(h.starts_with("scrypt$32768$8$1$")) << h;
  EXPECT_TRUE(verify_password("default-cost-pw", h));
}

TEST(Password, MalformedOrForeignHashesNeverVerify) {
  const auto h = hash_password("pw-pw-pw-pw", kCheap);
  for (const std::string bad :
       {std::string(""), std::string("pw-pw-pw-pw"), std::string("bcrypt$1$2$3$4$5"),
        h.substr(0, h.size() - 4), h + "$extra", std::string("scrypt$x$8$1$AAAA$AAAA"),
        // A cost past the memory cap is refused, not attempted.
        std::string("scrypt$1099511627776$8$1$AAAAAAAAAAAAAAAAAAAAAA==$") +
            h.substr(h.rfind('$') + 1)})
    EXPECT_FALSE(verify_password("pw-pw-pw-pw", bad)) << bad;
}

}  // namespace
}  // namespace coldtrack::security
