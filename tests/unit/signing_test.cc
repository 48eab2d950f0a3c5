#include "security/signing.h"

#include <gtest/gtest.h>

#include <string>

#include "security/crypto.h"

namespace coldtrack::security {
namespace {

// ---- canonical_query --------------------------------------------------------------------------

TEST(SigningCanonicalQuery, SortsByNameThenValue) {
  EXPECT_EQ(canonical_query("b=2&a=3&a=1"), "a=1&a=3&b=2");
  EXPECT_EQ(canonical_query("phone=13800138000&limit=2"), "limit=2&phone=13800138000");
  EXPECT_EQ(canonical_query("a=1&b=2"), "a=1&b=2");
  EXPECT_EQ(canonical_query("a=1&a=1"), "a=1&a=1");  // duplicates are kept
}

TEST(SigningCanonicalQuery, EmptyAndDegenerate) {
  EXPECT_EQ(canonical_query(""), "");
  EXPECT_EQ(canonical_query("&"), "");
  EXPECT_EQ(canonical_query("&&&"), "");
  EXPECT_EQ(canonical_query("x"), "x");
  EXPECT_EQ(canonical_query("a=1&&b=2"), "a=1&b=2");
  EXPECT_EQ(canonical_query("&b=2&a=1&"), "a=1&b=2");
  EXPECT_EQ(canonical_query("a="), "a=");
  EXPECT_EQ(canonical_query("=1"), "=1");
}

TEST(SigningCanonicalQuery, PairWithoutEqualsIsKeptVerbatim) {
  EXPECT_EQ(canonical_query("z=1&flag&a=2"), "a=2&flag&z=1");
  // "x" and "x=" are distinct on the wire and both survive, in a deterministic order.
  EXPECT_EQ(canonical_query("x=&x"), "x&x=");
  EXPECT_EQ(canonical_query("x&x="), "x&x=");
}

TEST(SigningCanonicalQuery, ComparesNameBeforeValueNotWholePair) {
  // Whole-pair sorting would put "a-b=0" first because '-' (0x2D) < '=' (0x3D).
  EXPECT_EQ(canonical_query("a-b=0&a=1"), "a=1&a-b=0");
  EXPECT_EQ(canonical_query("ab=1&a=2"), "a=2&ab=1");
  // Only the first '=' splits name from value.
  EXPECT_EQ(canonical_query("a=b=c&a=b"), "a=b&a=b=c");
}

TEST(SigningCanonicalQuery, RawBytesNoDecoding) {
  // Percent-escapes and '+' are not decoded: "%41" stays as is and sorts as '%' (0x25).
  EXPECT_EQ(canonical_query("a=B&%41=1"), "%41=1&a=B");
  EXPECT_EQ(canonical_query("q=a+b&q=a%20b"), "q=a%20b&q=a+b");
  // Bytewise: uppercase sorts before lowercase.
  EXPECT_EQ(canonical_query("b=1&B=1&a=1&A=1"), "A=1&B=1&a=1&b=1");
  // Bytes are compared unsigned: UTF-8 "é" (0xC3 0xA9) sorts after ASCII 'z'.
  EXPECT_EQ(canonical_query("\xc3\xa9=1&z=1"), "z=1&\xc3\xa9=1");
}

// ---- string_to_sign ---------------------------------------------------------------------------

TEST(SigningStringToSign, ExactLayout) {
  EXPECT_EQ(string_to_sign("POST", "/p", "b=2&a=1", "123", "nn", "x"),
            "POST\n/p\na=1&b=2\n123\nnn\n"
            "2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881");
}

TEST(SigningStringToSign, EmptyQueryAndBodyKeepAllLines) {
  EXPECT_EQ(string_to_sign("GET", "/", "", "1", "n", ""),
            "GET\n/\n\n1\nn\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(SigningStringToSign, FieldsAreVerbatim) {
  // No case folding of the method and no decoding of the path.
  EXPECT_EQ(string_to_sign("get", "/a%2Fb", "", "1", "n", ""),
            "get\n/a%2Fb\n\n1\nn\n" + sha256_hex(""));
}

// ---- Published vectors (docs/signing-vector.md) -----------------------------------------------
// Expected values were computed independently with Python's hashlib/hmac.

constexpr char kSecret[] = "demo-secret-0123456789abcdef";
constexpr char kTimestamp[] = "1764046800";
constexpr char kNonce[] = "n0nce-42";

TEST(SigningPublishedVector, PostWithJsonBody) {
  const std::string body = R"({"status":"PAID"})";
  EXPECT_EQ(sha256_hex(body), "a9e80df314fe077d2eb47e2006807f1941e426381fdea9cc6f28682cd07fd25e");
  EXPECT_EQ(string_to_sign("POST", "/api/orders/CT20261125001/status", "b=2&a=1", kTimestamp,
                           kNonce, body),
            "POST\n"
            "/api/orders/CT20261125001/status\n"
            "a=1&b=2\n"
            "1764046800\n"
            "n0nce-42\n"
            "a9e80df314fe077d2eb47e2006807f1941e426381fdea9cc6f28682cd07fd25e");
  EXPECT_EQ(sign_request(kSecret, "POST", "/api/orders/CT20261125001/status", "b=2&a=1", kTimestamp,
                         kNonce, body),
            "4d412d131fd5fbfd24eccba9b1e2b59b2a34ade8cc2b049960fd293d4b3629f8");
}

TEST(SigningPublishedVector, GetWithEmptyBody) {
  EXPECT_EQ(
      string_to_sign("GET", "/api/orders", "phone=13800138000&limit=2", kTimestamp, kNonce, ""),
      "GET\n"
      "/api/orders\n"
      "limit=2&phone=13800138000\n"
      "1764046800\n"
      "n0nce-42\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sign_request(kSecret, "GET", "/api/orders", "phone=13800138000&limit=2", kTimestamp,
                         kNonce, ""),
            "2f871b59614893f3bc1519ddb8de223cec4dabef3de8c5fe6fec7f55017d9a2e");
}

// ---- sign_request properties ------------------------------------------------------------------

TEST(SigningSignRequest, IsHmacOfStringToSign) {
  const std::string sts = string_to_sign("PUT", "/x", "k=v", "1", "n", "body");
  EXPECT_EQ(sign_request("s", "PUT", "/x", "k=v", "1", "n", "body"), hmac_sha256_hex("s", sts));
}

TEST(SigningSignRequest, QueryOrderDoesNotMatter) {
  EXPECT_EQ(sign_request(kSecret, "GET", "/api/orders", "limit=2&phone=13800138000", kTimestamp,
                         kNonce, ""),
            "2f871b59614893f3bc1519ddb8de223cec4dabef3de8c5fe6fec7f55017d9a2e");
}

TEST(SigningSignRequest, EveryFieldIsCovered) {
  const std::string base = sign_request("s", "POST", "/p", "a=1", "1", "n", "b");
  EXPECT_EQ(base.size(), 64u);
  EXPECT_NE(sign_request("t", "POST", "/p", "a=1", "1", "n", "b"), base);
  EXPECT_NE(sign_request("s", "PUT", "/p", "a=1", "1", "n", "b"), base);
  EXPECT_NE(sign_request("s", "POST", "/q", "a=1", "1", "n", "b"), base);
  EXPECT_NE(sign_request("s", "POST", "/p", "a=2", "1", "n", "b"), base);
  EXPECT_NE(sign_request("s", "POST", "/p", "a=1", "2", "n", "b"), base);
  EXPECT_NE(sign_request("s", "POST", "/p", "a=1", "1", "m", "b"), base);
  EXPECT_NE(sign_request("s", "POST", "/p", "a=1", "1", "n", "c"), base);
}

}  // namespace
}  // namespace coldtrack::security
