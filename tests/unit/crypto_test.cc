#include "security/crypto.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace coldtrack::security {
namespace {

std::string Unhex(std::string_view hex) {
  auto bytes = hex_decode(hex);
  if (!bytes) throw std::invalid_argument("bad hex in test vector");
  return *bytes;
}

// ---- Digests and MACs -------------------------------------------------------------------------

TEST(CryptoSha256, FipsVectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex(std::string_view{}),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(CryptoSha256, RawDigestIs32Bytes) {
  const std::string d = sha256("abc");
  ASSERT_EQ(d.size(), 32u);
  EXPECT_EQ(hex_encode(d), sha256_hex("abc"));
}

TEST(CryptoHmacSha256, Rfc4231TestCase1) {
  const std::string key(20, '\x0b');
  EXPECT_EQ(hmac_sha256_hex(key, "Hi There"),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(CryptoHmacSha256, Rfc4231TestCase2) {
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(CryptoHmacSha256, Rfc4231TestCase6LongKey) {
  // Key longer than the block size is hashed first; exercises that path.
  const std::string key(131, '\xaa');
  EXPECT_EQ(hmac_sha256_hex(key, "Test Using Larger Than Block-Size Key - Hash Key First"),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(CryptoHmacSha256, EmptyKeyAndData) {
  // Python: hmac.new(b"", b"", hashlib.sha256).hexdigest()
  EXPECT_EQ(hmac_sha256_hex("", ""),
            "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
  EXPECT_EQ(hmac_sha256("k", "d").size(), 32u);
  EXPECT_EQ(hex_encode(hmac_sha256("k", "d")), hmac_sha256_hex("k", "d"));
}

TEST(CryptoHmacSha256, RepeatedAndInterleavedKeysOnSeveralThreads) {
  // Each thread reuses a context keyed with its last key: the same key again, another key, an
  // empty key, a key that is a prefix of the last one must all give the reference values.
  struct Case {
    std::string key, data, hex;
  };
  const std::vector<Case> cases{
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {"", "", "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
  };
  // A key that is a prefix of another one: Python hmac.new(b"Jef", b"x", sha256).
  const std::string jef = "ddef05eeef638febcfcd82eba0863509e67bbdb908e8cbb4533e565a4e031262";
  std::atomic<int> wrong{0};
  auto run = [&](int seed) {
    for (int i = 0; i < 2000; ++i) {
      const auto& c = cases[static_cast<std::size_t>((i * 7 + seed) % 11 % cases.size())];
      if (hmac_sha256_hex(c.key, c.data) != c.hex) ++wrong;
      if (i % 5 == 0 && hmac_sha256_hex("Jef", "x") != jef) ++wrong;
    }
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) threads.emplace_back(run, t);
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), cases[1].hex);
  EXPECT_EQ(hmac_sha256_hex("Jef", "x"), jef);
  EXPECT_EQ(hmac_sha256_hex("Jefe", "what do ya want for nothing?"), cases[1].hex);
  EXPECT_EQ(jef, "ddef05eeef638febcfcd82eba0863509e67bbdb908e8cbb4533e565a4e031262");
}

// ---- Hex --------------------------------------------------------------------------------------

TEST(CryptoHex, EncodeIsLowercase) {
  EXPECT_EQ(hex_encode(""), "");
  EXPECT_EQ(hex_encode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
}

TEST(CryptoHex, DecodeEitherCase) {
  EXPECT_EQ(hex_decode("0001abff"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(hex_decode("0001ABFF"), std::string("\x00\x01\xab\xff", 4));
  EXPECT_EQ(hex_decode("aBcD"), std::string("\xab\xcd"));
  EXPECT_EQ(hex_decode(""), std::string());
}

TEST(CryptoHex, RoundTripAllBytes) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  EXPECT_EQ(hex_decode(hex_encode(all)), all);
}

TEST(CryptoHex, RejectsMalformed) {
  EXPECT_FALSE(hex_decode("abc").has_value());   // odd length
  EXPECT_FALSE(hex_decode("0").has_value());     // odd length
  EXPECT_FALSE(hex_decode("zz").has_value());    // non-hex
  EXPECT_FALSE(hex_decode("0g").has_value());    // non-hex in low nibble
  EXPECT_FALSE(hex_decode("0x12").has_value());  // prefix is not accepted
  EXPECT_FALSE(hex_decode("12 4").has_value());  // whitespace
  EXPECT_FALSE(hex_decode(std::string("1\0", 2)).has_value());
}

// ---- Base64 -----------------------------------------------------------------------------------

TEST(CryptoBase64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_decode("Zm9vYmE="), "fooba");
  EXPECT_EQ(base64_decode("Zm9vYg=="), "foob");
  EXPECT_EQ(base64_decode("Zm9vYmFy"), "foobar");
  EXPECT_EQ(base64_decode(""), std::string());
}

TEST(CryptoBase64, StandardAlphabetUsesPlusSlash) {
  EXPECT_EQ(base64_encode("\xfb\xff\xbf"), "+/+/");
  EXPECT_EQ(base64_decode("+/+/"), "\xfb\xff\xbf");
}

TEST(CryptoBase64, RoundTripAllLengths) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    EXPECT_EQ(base64_decode(base64_encode(data)), data) << "len " << i;
    data.push_back(static_cast<char>(i * 37 + 11));
  }
}

TEST(CryptoBase64, RejectsMalformed) {
  EXPECT_FALSE(base64_decode("Zg").has_value());        // missing padding
  EXPECT_FALSE(base64_decode("Zg=").has_value());       // short padding
  EXPECT_FALSE(base64_decode("Zm9").has_value());       // missing padding
  EXPECT_FALSE(base64_decode("Z===").has_value());      // too much padding
  EXPECT_FALSE(base64_decode("====").has_value());      // only padding
  EXPECT_FALSE(base64_decode("Zg==Zg==").has_value());  // padding in the middle
  EXPECT_FALSE(base64_decode("Z=g=").has_value());      // '=' inside a quantum
  EXPECT_FALSE(base64_decode("Zm9v!").has_value());     // bad char
  EXPECT_FALSE(base64_decode("Zm9*").has_value());      // bad char
  EXPECT_FALSE(base64_decode("Zm9v\n").has_value());    // whitespace
  EXPECT_FALSE(base64_decode("Zm 9").has_value());      // whitespace
  EXPECT_FALSE(base64_decode("-_-_").has_value());      // URL-safe alphabet
  EXPECT_FALSE(base64_decode("Zh==").has_value());      // non-zero trailing bits
  EXPECT_FALSE(base64_decode("Zm9=").has_value());      // non-zero trailing bits
  EXPECT_FALSE(base64_decode(std::string("Zg=\0", 4)).has_value());
}

TEST(CryptoBase64Url, UrlSafeAlphabetNoPadding) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
  EXPECT_EQ(base64url_decode("-_-_"), "\xfb\xff\xbf");
  EXPECT_EQ(base64url_decode("Zg"), "f");
  EXPECT_EQ(base64url_decode("Zm8"), "fo");
  EXPECT_EQ(base64url_decode(""), std::string());
}

TEST(CryptoBase64Url, RoundTripAllLengths) {
  std::string data;
  for (int i = 0; i < 300; ++i) {
    const std::string enc = base64url_encode(data);
    EXPECT_EQ(enc.find_first_of("+/="), std::string::npos) << enc;
    EXPECT_EQ(base64url_decode(enc), data) << "len " << i;
    data.push_back(static_cast<char>(i * 53 + 7));
  }
}

TEST(CryptoBase64Url, RejectsMalformed) {
  EXPECT_FALSE(base64url_decode("Zg==").has_value());   // padding is not accepted
  EXPECT_FALSE(base64url_decode("Zm8=").has_value());   // padding is not accepted
  EXPECT_FALSE(base64url_decode("Z").has_value());      // impossible length (6 bits)
  EXPECT_FALSE(base64url_decode("Zm9vY").has_value());  // impossible length
  EXPECT_FALSE(base64url_decode("+/+/").has_value());   // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9v.").has_value());  // bad char
  EXPECT_FALSE(base64url_decode("Zm 9v").has_value());  // whitespace
  EXPECT_FALSE(base64url_decode("Zh").has_value());     // non-zero trailing bits
}

// ---- Random and comparison --------------------------------------------------------------------

TEST(CryptoRandom, SizesAndUniqueness) {
  EXPECT_EQ(random_bytes(0), "");
  EXPECT_EQ(random_bytes(1).size(), 1u);
  EXPECT_EQ(random_bytes(1000).size(), 1000u);
  EXPECT_EQ(random_hex(0), "");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string h = random_hex(16);
    ASSERT_EQ(h.size(), 32u);
    EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos) << h;
    seen.insert(h);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(CryptoConstantTimeEqual, Semantics) {
  EXPECT_TRUE(constant_time_equal("", ""));
  EXPECT_TRUE(constant_time_equal(std::string_view{}, ""));
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_TRUE(constant_time_equal(std::string("a\0b", 3), std::string("a\0b", 3)));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "Abc"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));  // prefix, different size
  EXPECT_FALSE(constant_time_equal("ab", "abc"));  // prefix, different size
  EXPECT_FALSE(constant_time_equal("", "a"));
  EXPECT_FALSE(constant_time_equal(std::string("a\0b", 3), std::string("a\0c", 3)));
}

// ---- AES-256-GCM ------------------------------------------------------------------------------

class CryptoAesGcm : public ::testing::Test {
 protected:
  const std::string key_ = random_bytes(32);
};

TEST_F(CryptoAesGcm, SealLayoutAndRoundTrip) {
  const std::string pt = "cold chain order CT20261125001";
  const std::string sealed = aes256gcm_seal(key_, pt, "aad");
  ASSERT_EQ(sealed.size(), 12 + pt.size() + 16);
  EXPECT_EQ(sealed.find(pt), std::string::npos);
  EXPECT_EQ(aes256gcm_open(key_, sealed, "aad"), pt);
  // The layout is nonce || ciphertext||tag, so the explicit-nonce API must agree.
  EXPECT_EQ(aes256gcm_decrypt(key_, sealed.substr(0, 12), sealed.substr(12), "aad"), pt);
}

TEST_F(CryptoAesGcm, RoundTripEmptyAndBinary) {
  EXPECT_EQ(aes256gcm_open(key_, aes256gcm_seal(key_, "")), std::string());
  ASSERT_EQ(aes256gcm_seal(key_, "").size(), 28u);
  std::string bin;
  for (int i = 0; i < 1000; ++i) bin.push_back(static_cast<char>(i));
  EXPECT_EQ(aes256gcm_open(key_, aes256gcm_seal(key_, bin)), bin);
}

TEST_F(CryptoAesGcm, NonceIsRandomPerSeal) {
  const std::string a = aes256gcm_seal(key_, "same");
  const std::string b = aes256gcm_seal(key_, "same");
  EXPECT_NE(a.substr(0, 12), b.substr(0, 12));
  EXPECT_NE(a, b);
}

TEST_F(CryptoAesGcm, OpenFailsOnWrongKey) {
  const std::string sealed = aes256gcm_seal(key_, "secret");
  std::string other = key_;
  other[0] ^= 0x01;
  EXPECT_FALSE(aes256gcm_open(other, sealed).has_value());
  EXPECT_FALSE(aes256gcm_open(key_.substr(0, 16), sealed).has_value());  // wrong key size
  EXPECT_FALSE(aes256gcm_open("", sealed).has_value());
}

TEST_F(CryptoAesGcm, AlternatingKeysAndFailuresOnOneThreadAndAcrossThreads) {
  // Opening reuses a per-thread context keyed with the last key: a key differing only in its
  // last byte, a failed open in between, and other threads must never see another's state.
  std::string near = key_;
  near.back() ^= 0x01;
  const std::string a = aes256gcm_seal(key_, "A", "f"), b = aes256gcm_seal(near, "B", "f");
  for (int i = 0; i < 50; ++i) {
    EXPECT_EQ(aes256gcm_open(key_, a, "f"), "A");
    EXPECT_FALSE(aes256gcm_open(near, a, "f").has_value());
    EXPECT_EQ(aes256gcm_open(near, b, "f"), "B");
    EXPECT_FALSE(aes256gcm_open(key_, b, "f").has_value());
    EXPECT_FALSE(aes256gcm_open(key_, a, "g").has_value());  // other field name
    // Another nonce length re-keys the context; the next 96-bit open still works.
    EXPECT_FALSE(aes256gcm_decrypt(key_, a.substr(0, 11), a.substr(12), "f").has_value());
  }
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const std::string& k = t % 2 ? near : key_;
      const std::string& mine = t % 2 ? b : a;
      const std::string want = t % 2 ? "B" : "A";
      for (int i = 0; i < 2000; ++i)
        if (aes256gcm_open(k, mine, "f") != want) ++bad;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_F(CryptoAesGcm, OpenFailsOnAnyFlippedBit) {
  const std::string sealed = aes256gcm_seal(key_, "secret payload", "aad");
  ASSERT_TRUE(aes256gcm_open(key_, sealed, "aad").has_value());
  // Every bit of nonce, ciphertext and tag is authenticated.
  for (std::size_t i = 0; i < sealed.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = sealed;
      bad[i] ^= static_cast<char>(1 << bit);
      EXPECT_FALSE(aes256gcm_open(key_, bad, "aad").has_value()) << "byte " << i << " bit " << bit;
    }
  }
}

TEST_F(CryptoAesGcm, OpenFailsOnFlippedCiphertextAndTagBit) {
  const std::string sealed = aes256gcm_seal(key_, "secret payload");
  std::string bad_ct = sealed;
  bad_ct[12] ^= 0x01;  // first ciphertext byte
  EXPECT_FALSE(aes256gcm_open(key_, bad_ct).has_value());
  std::string bad_tag = sealed;
  bad_tag[sealed.size() - 1] ^= 0x80;  // last tag byte
  EXPECT_FALSE(aes256gcm_open(key_, bad_tag).has_value());
}

TEST_F(CryptoAesGcm, OpenFailsOnWrongAad) {
  const std::string sealed = aes256gcm_seal(key_, "secret", "order:1");
  EXPECT_FALSE(aes256gcm_open(key_, sealed, "order:2").has_value());
  EXPECT_FALSE(aes256gcm_open(key_, sealed).has_value());
  const std::string no_aad = aes256gcm_seal(key_, "secret");
  EXPECT_FALSE(aes256gcm_open(key_, no_aad, "x").has_value());
  EXPECT_EQ(aes256gcm_open(key_, no_aad, ""), "secret");
}

TEST_F(CryptoAesGcm, OpenFailsOnTruncatedInput) {
  const std::string sealed = aes256gcm_seal(key_, "secret");
  for (std::size_t n = 0; n < sealed.size(); ++n) {
    EXPECT_FALSE(aes256gcm_open(key_, sealed.substr(0, n)).has_value()) << "len " << n;
  }
  EXPECT_FALSE(aes256gcm_open(key_, sealed + "x").has_value());  // extended
}

TEST_F(CryptoAesGcm, SealRejectsBadKeySize) {
  EXPECT_THROW(aes256gcm_seal(std::string(16, 'k'), "x"), std::invalid_argument);
  EXPECT_THROW(aes256gcm_seal(std::string(33, 'k'), "x"), std::invalid_argument);
  EXPECT_THROW(aes256gcm_seal("", "x"), std::invalid_argument);
}

// McGrew & Viega, "The Galois/Counter Mode of Operation", Test Case 16 (256-bit key, 96-bit IV,
// with AAD); also in NIST's gcmEncryptExtIV256 set.
TEST(CryptoAesGcmKnownAnswer, McGrewViegaTestCase16) {
  const std::string key = Unhex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  const std::string iv = Unhex("cafebabefacedbaddecaf888");
  const std::string aad = Unhex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  const std::string pt = Unhex(
      "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
      "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  const std::string ct = Unhex(
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662");
  const std::string tag = Unhex("76fc6ece0f4e1768cddf8853bb2d551b");

  EXPECT_EQ(aes256gcm_decrypt(key, iv, ct + tag, aad), pt);
  // Same vector through the sealed layout.
  EXPECT_EQ(aes256gcm_open(key, iv + ct + tag, aad), pt);

  std::string bad_tag = tag;
  bad_tag[0] ^= 0x01;
  EXPECT_FALSE(aes256gcm_decrypt(key, iv, ct + bad_tag, aad).has_value());
  EXPECT_FALSE(aes256gcm_decrypt(key, iv, ct + tag, aad.substr(1)).has_value());
  EXPECT_FALSE(aes256gcm_decrypt(key, iv, ct + tag.substr(0, 15), aad).has_value());
}

// McGrew & Viega Test Case 13: all-zero key/IV, empty plaintext and AAD (tag only).
TEST(CryptoAesGcmKnownAnswer, McGrewViegaTestCase13EmptyPlaintext) {
  const std::string key(32, '\0');
  const std::string iv(12, '\0');
  EXPECT_EQ(aes256gcm_decrypt(key, iv, Unhex("530f8afbc74536b9a963b4f1c4cb738b"), ""),
            std::string());
}

// Generated independently with python3 `cryptography`:
//   AESGCM(bytes(range(32))).encrypt(bytes.fromhex("cafebabefacedbaddecaf888"),
//                                    b"ColdTrack WeChat Pay v3 resource", b"certificate")
TEST(CryptoAesGcmKnownAnswer, WeChatStyleExplicitNonce) {
  std::string key;
  for (int i = 0; i < 32; ++i) key.push_back(static_cast<char>(i));
  const std::string ct_and_tag = Unhex(
      "c9cccc42fe082e782d2b0ab83875e84b2d70a128ff6f59543cba771ecbfb069a"
      "490b8a70cec4946c2e9cddf34f977a54");
  EXPECT_EQ(aes256gcm_decrypt(key, "\xca\xfe\xba\xbe\xfa\xce\xdb\xad\xde\xca\xf8\x88", ct_and_tag,
                              "certificate"),
            "ColdTrack WeChat Pay v3 resource");
}

TEST(CryptoAesGcmKnownAnswer, DecryptRejectsBadParameters) {
  const std::string key(32, '\0');
  const std::string iv(12, '\0');
  const std::string tag = Unhex("530f8afbc74536b9a963b4f1c4cb738b");
  EXPECT_FALSE(aes256gcm_decrypt(key.substr(0, 31), iv, tag, "").has_value());
  EXPECT_FALSE(aes256gcm_decrypt(key + "x", iv, tag, "").has_value());
  EXPECT_FALSE(aes256gcm_decrypt(key, "", tag, "").has_value());
  EXPECT_FALSE(aes256gcm_decrypt(key, iv.substr(0, 11), tag, "").has_value());  // wrong nonce
  EXPECT_FALSE(aes256gcm_decrypt(key, iv, "", "").has_value());
  EXPECT_FALSE(aes256gcm_decrypt(key, iv, tag.substr(0, 8), "").has_value());
}

}  // namespace
}  // namespace coldtrack::security
