// WeChat Pay APIv3 notifications: the golden vectors of protocols/wechat-pay-v3-notify.md §7
// byte for byte, then round trips with a fresh RSA-2048 key for every refusal path.
#include "wechat/pay_notify.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <memory>
#include <string>

#include "security/crypto.h"

namespace coldtrack::wechat {
namespace {

// ---- Golden vectors (doc §7) -------------------------------------------------------------------

constexpr std::string_view kGoldenKey = "0123456789abcdef0123456789abcdef";
constexpr std::string_view kGoldenNonce = "fGHz9k3Lq2Wx";
constexpr std::string_view kGoldenAad = "transaction";
constexpr std::string_view kGoldenCiphertext =
    "Cgr106W5rKrLKHxf3rYasUwvIMARwP2RZPPHRudnt6jhcAVskxqX2OV3qck4Iv/"
    "FuEDh6xYgOpakiQLVhaTK1Cye+r4K7ptfSNtiQQzltRNHpP7QAVoNvYZNY2Z6PBQDXdGgfhkBHRxFSCcy6TGnQswfFcI70"
    "jSNKvj8SOs7/ypuY5fHzoYsLlut2zS0Eurorh9PKUXsKxhTD/sjn9B68sdbAWoeweipZ6K018kQjmmJsIybvvIe8vMN4D9"
    "g6xuwxdJ/ozzxGI98DaB1aRLTRuwBorKic5iwCOkYAUiqOSoD3gT9CIYSsfLP5ikqeUZbPwJ2ngV6czEbsF0SIJPILBFcr"
    "UHMA5FJoZiQltyErSeBV2xOs6yg0jO9pDpgeP0Eeqh+E63Sup/1SpGOZKp33EBcFe0tuaoqoZCwNHrO08ezuN7uBxiuj4s"
    "4Wl7ox6gcipCQz+Wmgl7q1f65eB+MdD4ohKC8l8lgjdQZSUmvJ1ty//rmJdn84ffwqdo8HLVJV2TwqojOc0YXA0mLln1PH"
    "AveI73BhVVnIxbR4tygjCsrspja";
constexpr std::string_view kGoldenPlaintext =
    R"({"appid":"wx0000000000000001","mchid":"1900000001","out_trade_no":"CT20261125001",)"
    R"("transaction_id":"4200000000202611250000000001","trade_type":"JSAPI","trade_state":"SUCCESS",)"
    R"("trade_state_desc":"支付成功","bank_type":"OTHERS","success_time":"2026-11-25T13:00:05+08:00",)"
    R"("payer":{"openid":"oTEST000000000000000000001"},"amount":{"total":4990,"payer_total":4990,)"
    R"("currency":"CNY","payer_currency":"CNY"}})";

constexpr std::string_view kGoldenPublicKey =
    "-----BEGIN PUBLIC KEY-----\n"
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAhrCN2jmQyanqoyo+rBjZ\n"
    "7Rk42YY7tUCg6eJWET4kiXIg1bjOwKsSRASfSSTqQ78Jb4VlhqZzsGlBO5gQN1kP\n"
    "MgHvTInijy3i4D2nKhKRagclqlQI9kbAfHGE/Th8zy9y1nwaxrwfWaHCY2+/roHw\n"
    "eGbQAOgLFaFK7WiFiT8CXyeIEOT+F0c8RQznJzbCF+zBCy9S7t9Y4Vsm2xIdsIH1\n"
    "HjqWuCqm9rjScRNS0t0GrluY5H19Be6qkySC7zW/W0vHK/KxmTpzTY6GcBDrswgQ\n"
    "lHiZVMQt2cEGkhh62pxoAUxb9P58dvp8ar8EPiQubOD5I+osNn+M0vbYuauhgU5H\n"
    "oQIDAQAB\n"
    "-----END PUBLIC KEY-----\n";
constexpr std::string_view kGoldenTimestamp = "1764046806";
constexpr std::string_view kGoldenHeaderNonce = "593BEC0C930BF1AFEB40B4A08C8FB242";
constexpr std::string_view kGoldenSerial = "TEST-SERIAL-0001";
constexpr std::string_view kGoldenSignature =
    "ZUF+WiDVb70vtyJhxZ7YTHBD68iAnGmSzd/Q3ZW3e//5a2Z9BHKT0aX1hFfmjiWTvTo/"
    "2pt831Ut1vlyF/rdSosJOodjE9w5Jgz7O9Vbmp9lDGpbFObQz+MLt2Yj8NDWcmJWLT91mvl+UQBUMVCH3NXCoWY/"
    "XRjSPvRAjz1/"
    "xLJ3xOWl8zM41eGVHDyvtjkilQD8R755nd1Hs23T7e49mQ8mFOPBqImOAd9kkHyeoAIkvwo9zE7O62rUXk6"
    "M44DhFj3o29geEXHsLs8U68HYGAxGKxaPxjm0colX8MvAyqBKCe6EmgWEP9q4HEqLgAu0epwPR1phdCsky/X6l4JkVg==";
// The body is the envelope with the §7.1 ciphertext; assembled so the long Base64 is written once.
std::string GoldenBody() {
  return std::string(R"({"id":"EV-2018022511223320873","create_time":"2026-11-25T13:00:06+08:00",)"
                     R"("resource_type":"encrypt-resource","event_type":"TRANSACTION.SUCCESS",)"
                     R"("summary":"支付成功","resource":{"original_type":"transaction",)"
                     R"("algorithm":"AEAD_AES_256_GCM","ciphertext":")") +
         std::string(kGoldenCiphertext) +
         R"(","associated_data":"transaction","nonce":"fGHz9k3Lq2Wx"}})";
}
constexpr domain::EpochMs kGoldenNow = 1764046806000;

NotifyConfig GoldenConfig() {
  return NotifyConfig{std::string(kGoldenKey),
                      {PlatformKey{std::string(kGoldenSerial), std::string(kGoldenPublicKey)}}};
}

NotifyHeaders GoldenHeaders() {
  return NotifyHeaders{std::string(kGoldenTimestamp), std::string(kGoldenHeaderNonce),
                       std::string(kGoldenSignature), std::string(kGoldenSerial),
                       std::string(kSignatureType)};
}

NotifyError ErrorOf(const OpenResult& r) {
  EXPECT_TRUE(std::holds_alternative<NotifyFailure>(r)) << "expected a refusal";
  return std::holds_alternative<NotifyFailure>(r) ? std::get<NotifyFailure>(r).error
                                                  : NotifyError::kMissingHeader;
}

std::string ReasonOf(const OpenResult& r) {
  return std::holds_alternative<NotifyFailure>(r) ? std::get<NotifyFailure>(r).reason : "";
}

const Notification& Ok(const OpenResult& r) {
  static const Notification kEmpty;
  EXPECT_TRUE(std::holds_alternative<Notification>(r)) << ReasonOf(r);
  return std::holds_alternative<Notification>(r) ? std::get<Notification>(r) : kEmpty;
}

TEST(WechatPayGolden, DecryptsResourceVector) {
  const auto sealed = security::base64_decode(kGoldenCiphertext);
  ASSERT_TRUE(sealed);
  EXPECT_EQ(sealed->size(), 420u);
  EXPECT_EQ(security::hex_encode(sealed->substr(404)), "c18555672316d1e2dca08c2b2bb298da");

  const auto plain = decrypt_resource(kGoldenKey, kGoldenNonce, kGoldenAad, kGoldenCiphertext);
  ASSERT_TRUE(plain);
  EXPECT_EQ(*plain, kGoldenPlaintext);
  EXPECT_EQ(plain->size(), 404u);
  EXPECT_EQ(security::sha256_hex(*plain),
            "ce980cba00bbbc78b306ab66ac24a9fb722e9de959eb93847cbf84ffa61e970c");
}

TEST(WechatPayGolden, EncryptReproducesCiphertext) {
  EXPECT_EQ(encrypt_resource(kGoldenKey, kGoldenNonce, kGoldenAad, kGoldenPlaintext),
            std::string(kGoldenCiphertext));
}

TEST(WechatPayGolden, SignatureVerifies) {
  const std::string body = GoldenBody();
  EXPECT_EQ(body.size(), 873u);
  EXPECT_EQ(security::sha256_hex(body),
            "0b6e04326dfb2607f4c9b8c8b564de0c51adb04a9f8c15674259ba08c3f411c1");
  const std::string message = signing_message(kGoldenTimestamp, kGoldenHeaderNonce, body);
  EXPECT_EQ(message, "1764046806\n593BEC0C930BF1AFEB40B4A08C8FB242\n" + body + "\n");
  EXPECT_TRUE(verify_signature(kGoldenPublicKey, message, kGoldenSignature));
}

TEST(WechatPayGolden, OpensNotification) {
  const OpenResult r = open_notification(GoldenConfig(), GoldenHeaders(), GoldenBody(), kGoldenNow);
  const Notification& n = Ok(r);
  EXPECT_EQ(n.id, "EV-2018022511223320873");
  EXPECT_EQ(n.create_time, "2026-11-25T13:00:06+08:00");
  EXPECT_EQ(n.create_time_ms, 1795582806000);
  EXPECT_EQ(n.event_type, "TRANSACTION.SUCCESS");
  EXPECT_EQ(n.resource_type, "encrypt-resource");
  EXPECT_EQ(n.summary, "支付成功");
  EXPECT_EQ(n.original_type, "transaction");
  EXPECT_EQ(n.plaintext, kGoldenPlaintext);
  ASSERT_TRUE(n.transaction);
  const Transaction& tx = *n.transaction;
  EXPECT_EQ(tx.appid, "wx0000000000000001");
  EXPECT_EQ(tx.mchid, "1900000001");
  EXPECT_EQ(tx.out_trade_no, "CT20261125001");
  EXPECT_EQ(tx.transaction_id, "4200000000202611250000000001");
  EXPECT_EQ(tx.trade_type, "JSAPI");
  EXPECT_EQ(tx.trade_state, "SUCCESS");
  EXPECT_EQ(tx.trade_state_desc, "支付成功");
  EXPECT_EQ(tx.bank_type, "OTHERS");
  EXPECT_EQ(tx.success_time, "2026-11-25T13:00:05+08:00");
  EXPECT_EQ(tx.success_time_ms, 1795582805000);
  EXPECT_EQ(tx.payer_openid, "oTEST000000000000000000001");
  EXPECT_EQ(tx.amount_total, 4990);
  EXPECT_EQ(tx.amount_payer_total, 4990);
  EXPECT_EQ(tx.amount_currency, "CNY");
  EXPECT_EQ(tx.amount_payer_currency, "CNY");
  EXPECT_TRUE(check_transaction(tx, "wx0000000000000001", "1900000001", 4990).empty());
}

TEST(WechatPayGolden, SignatureTypeHeaderIsOptional) {
  NotifyHeaders h = GoldenHeaders();
  h.signature_type.clear();
  Ok(open_notification(GoldenConfig(), h, GoldenBody(), kGoldenNow));
}

TEST(WechatPayGolden, AnyBodyByteChangeFails) {
  const std::string body = GoldenBody();
  // First byte, a byte inside the Chinese summary, the last byte, and a trailing newline added.
  for (std::size_t i : {std::size_t{0}, body.find("支") + 1, body.size() - 1}) {
    std::string altered = body;
    altered[i] = static_cast<char>(altered[i] ^ 0x01);
    EXPECT_EQ(ErrorOf(open_notification(GoldenConfig(), GoldenHeaders(), altered, kGoldenNow)),
              NotifyError::kBadSignature)
        << "byte " << i;
  }
  EXPECT_EQ(ErrorOf(open_notification(GoldenConfig(), GoldenHeaders(), body + "\n", kGoldenNow)),
            NotifyError::kBadSignature);
}

TEST(WechatPayGolden, NonceOrTimestampChangeFails) {
  NotifyHeaders h = GoldenHeaders();
  h.nonce[0] = '6';
  EXPECT_EQ(ErrorOf(open_notification(GoldenConfig(), h, GoldenBody(), kGoldenNow)),
            NotifyError::kBadSignature);
  h = GoldenHeaders();
  h.timestamp = "1764046807";  // still inside the window, but not what was signed
  EXPECT_EQ(ErrorOf(open_notification(GoldenConfig(), h, GoldenBody(), kGoldenNow)),
            NotifyError::kBadSignature);
}

TEST(WechatPayGolden, TimestampThreeHundredSecondsAwayIsRefused) {
  // Doc §2.3: reject when |now - timestamp| >= 300 s, even with a valid signature.
  for (domain::EpochMs now : {kGoldenNow + 300'000, kGoldenNow - 300'000}) {
    EXPECT_EQ(ErrorOf(open_notification(GoldenConfig(), GoldenHeaders(), GoldenBody(), now)),
              NotifyError::kStaleTimestamp);
  }
  for (domain::EpochMs now : {kGoldenNow + 299'999, kGoldenNow - 299'999}) {
    Ok(open_notification(GoldenConfig(), GoldenHeaders(), GoldenBody(), now));
  }
}

// ---- Own key pair: round trips and every refusal ------------------------------------------------

struct KeyPair {
  std::string private_pem;
  std::string public_pem;
};

std::string ToPem(EVP_PKEY* key, bool is_private) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  const int ok =
      is_private ? PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr)
                 : PEM_write_bio_PUBKEY(bio.get(), key);
  if (ok != 1) return {};
  char* data = nullptr;
  const long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(len));
}

KeyPair MakePair(EVP_PKEY* key) {
  return {ToPem(key, true), ToPem(key, false)};
}

KeyPair NewRsaPair() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_RSA_gen(2048), EVP_PKEY_free);
  return key ? MakePair(key.get()) : KeyPair{};
}

constexpr std::string_view kKey = "ColdTrackTestApiV3Key0123456789A";  // 32 bytes
constexpr std::string_view kSerial = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
constexpr std::int64_t kTs = 1795582806;  // 2026-11-25T13:00:06+08:00
constexpr domain::EpochMs kNow = kTs * 1000;

constexpr std::string_view kTxJson =
    R"({"appid":"wxd678efh567hg6787","mchid":"1230000109","out_trade_no":"SHOP20261125001",)"
    R"("transaction_id":"4200000001202611251234567890","trade_type":"JSAPI",)"
    R"("trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"CMC",)"
    R"("success_time":"2026-11-25T13:00:05+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},)"
    R"("amount":{"total":9180,"payer_total":9180,"currency":"CNY","payer_currency":"CNY"}})";

class WechatPayRoundTrip : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    pair_ = new KeyPair(NewRsaPair());
    other_ = new KeyPair(NewRsaPair());
  }
  static void TearDownTestSuite() {
    delete pair_;
    delete other_;
    pair_ = other_ = nullptr;
  }

  void SetUp() override {
    ASSERT_FALSE(pair_->private_pem.empty());
    ASSERT_FALSE(other_->public_pem.empty());
  }

  static NotifyConfig Config() {
    return NotifyConfig{std::string(kKey), {PlatformKey{std::string(kSerial), pair_->public_pem}}};
  }

  // The envelope around a resource; `resource` is raw JSON so tests can break it.
  static std::string Envelope(std::string_view resource,
                              std::string_view event_type = kEventTransactionSuccess) {
    return R"({"id":"EV-1","create_time":"2026-11-25T13:00:06+08:00","resource_type":)"
           R"("encrypt-resource","event_type":")" +
           std::string(event_type) + R"(","summary":"支付成功","resource":)" +
           std::string(resource) + "}";
  }

  static std::string Resource(std::string_view ciphertext_b64,
                              std::string_view nonce = "n0nce1234567",
                              std::string_view aad = "transaction",
                              std::string_view algorithm = kAlgorithm) {
    return R"({"original_type":"transaction","algorithm":")" + std::string(algorithm) +
           R"(","ciphertext":")" + std::string(ciphertext_b64) + R"(","associated_data":")" +
           std::string(aad) + R"(","nonce":")" + std::string(nonce) + R"("})";
  }

  // A correct body for `plaintext` (encrypted with kKey, nonce n0nce1234567, aad transaction).
  static std::string Body(std::string_view plaintext = kTxJson,
                          std::string_view event_type = kEventTransactionSuccess) {
    const auto ct = encrypt_resource(kKey, "n0nce1234567", "transaction", plaintext);
    EXPECT_TRUE(ct);
    return Envelope(Resource(ct.value_or("")), event_type);
  }

  static NotifyHeaders Sign(std::string_view body, std::int64_t ts = kTs,
                            const KeyPair* key = nullptr) {
    const std::string timestamp = std::to_string(ts);
    const std::string nonce = "C5AC7F0B2E1D4A3F9A1B2C3D4E5F6A7B";
    const auto sig =
        sign_message((key ? key : pair_)->private_pem, signing_message(timestamp, nonce, body));
    EXPECT_TRUE(sig);
    return NotifyHeaders{timestamp, nonce, sig.value_or(""), std::string(kSerial),
                         std::string(kSignatureType)};
  }

  static OpenResult Open(std::string_view body, domain::EpochMs now = kNow) {
    return open_notification(Config(), Sign(body), body, now);
  }

  static KeyPair* pair_;
  static KeyPair* other_;
};

KeyPair* WechatPayRoundTrip::pair_ = nullptr;
KeyPair* WechatPayRoundTrip::other_ = nullptr;

TEST_F(WechatPayRoundTrip, SignVerifyDecryptParse) {
  const std::string body = Body();
  const NotifyHeaders h = Sign(body);
  EXPECT_TRUE(verify_signature(pair_->public_pem, signing_message(h.timestamp, h.nonce, body),
                               h.signature));
  const OpenResult r = open_notification(Config(), h, body, kNow);
  const Notification& n = Ok(r);
  ASSERT_TRUE(n.transaction);
  EXPECT_EQ(n.transaction->out_trade_no, "SHOP20261125001");
  EXPECT_EQ(n.transaction->amount_total, 9180);
  EXPECT_EQ(n.transaction->success_time_ms, 1795582805000);
  EXPECT_EQ(n.transaction->payer_openid, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o");
}

TEST_F(WechatPayRoundTrip, SignedByAnotherKeyIsRefused) {
  const std::string body = Body();
  EXPECT_EQ(ErrorOf(open_notification(Config(), Sign(body, kTs, other_), body, kNow)),
            NotifyError::kBadSignature);
}

TEST_F(WechatPayRoundTrip, FlippedSignatureByteIsRefused) {
  const std::string body = Body();
  NotifyHeaders h = Sign(body);
  std::string raw = *security::base64_decode(h.signature);
  for (std::size_t i : {std::size_t{0}, raw.size() / 2, raw.size() - 1}) {
    std::string flipped = raw;
    flipped[i] = static_cast<char>(flipped[i] ^ 0x80);
    h.signature = security::base64_encode(flipped);
    EXPECT_EQ(ErrorOf(open_notification(Config(), h, body, kNow)), NotifyError::kBadSignature);
  }
}

TEST_F(WechatPayRoundTrip, BodyChangedByOneByteIsRefused) {
  const std::string body = Body();
  const NotifyHeaders h = Sign(body);
  std::string altered = body;
  altered[altered.find("EV-1") + 3] = '2';
  EXPECT_EQ(ErrorOf(open_notification(Config(), h, altered, kNow)), NotifyError::kBadSignature);
}

TEST_F(WechatPayRoundTrip, TimestampWindowEdgesBothDirections) {
  const std::string body = Body();
  const NotifyHeaders h = Sign(body);
  const NotifyConfig c = Config();
  // Doc §2.3 refuses |now - ts| >= 300 s: 299 s (and 299.999 s) is the last accepted distance.
  for (domain::EpochMs d : {0, 299'000, 299'999}) {
    Ok(open_notification(c, h, body, kNow + d));
    Ok(open_notification(c, h, body, kNow - d));
  }
  for (domain::EpochMs d : {300'000, 301'000, 86'400'000}) {
    EXPECT_EQ(ErrorOf(open_notification(c, h, body, kNow + d)), NotifyError::kStaleTimestamp);
    EXPECT_EQ(ErrorOf(open_notification(c, h, body, kNow - d)), NotifyError::kStaleTimestamp);
  }
}

TEST_F(WechatPayRoundTrip, WindowIsAParameter) {
  const std::string body = Body();
  const NotifyHeaders h = Sign(body);
  NotifyConfig c = Config();
  c.window_ms = 60'000;
  Ok(open_notification(c, h, body, kNow + 59'000));
  EXPECT_EQ(ErrorOf(open_notification(c, h, body, kNow + 60'000)), NotifyError::kStaleTimestamp);
  EXPECT_EQ(ErrorOf(open_notification(c, h, body, kNow - 60'000)), NotifyError::kStaleTimestamp);
}

TEST_F(WechatPayRoundTrip, MalformedTimestampIsRefused) {
  const std::string body = Body();
  for (std::string ts : {"17955828O6", "+1795582806", " 1795582806", "1795582806.0",
                         "99999999999999999999", "1795582806000000"}) {
    NotifyHeaders h = Sign(body);
    h.timestamp = ts;
    EXPECT_EQ(ErrorOf(open_notification(Config(), h, body, kNow)), NotifyError::kMalformedHeader)
        << ts;
  }
}

TEST_F(WechatPayRoundTrip, UnknownSerialIsRefused) {
  const std::string body = Body();
  NotifyHeaders h = Sign(body);
  h.serial = "0000000000000000000000000000000000000000";
  const OpenResult r = open_notification(Config(), h, body, kNow);
  EXPECT_EQ(ErrorOf(r), NotifyError::kUnknownSerial);
  EXPECT_NE(ReasonOf(r).find(h.serial), std::string::npos);
}

TEST_F(WechatPayRoundTrip, KeyIsSelectedBySerialDuringRotation) {
  const std::string body = Body();
  NotifyConfig c = Config();
  c.platform_keys.insert(c.platform_keys.begin(), PlatformKey{"NEW-SERIAL", other_->public_pem});
  ASSERT_FALSE(check_config(c));
  Ok(open_notification(c, Sign(body), body, kNow));  // old key, old serial
  NotifyHeaders h = Sign(body, kTs, other_);
  h.serial = "NEW-SERIAL";
  Ok(open_notification(c, h, body, kNow));  // new key, new serial
  h.serial = std::string(kSerial);          // new key claiming the old serial
  EXPECT_EQ(ErrorOf(open_notification(c, h, body, kNow)), NotifyError::kBadSignature);
}

TEST_F(WechatPayRoundTrip, MissingHeadersAreNamed) {
  const std::string body = Body();
  const struct {
    std::string NotifyHeaders::*field;
    const char* name;
  } cases[] = {{&NotifyHeaders::timestamp, "Wechatpay-Timestamp"},
               {&NotifyHeaders::nonce, "Wechatpay-Nonce"},
               {&NotifyHeaders::signature, "Wechatpay-Signature"},
               {&NotifyHeaders::serial, "Wechatpay-Serial"}};
  for (const auto& c : cases) {
    NotifyHeaders h = Sign(body);
    (h.*c.field).clear();
    const OpenResult r = open_notification(Config(), h, body, kNow);
    EXPECT_EQ(ErrorOf(r), NotifyError::kMissingHeader) << c.name;
    EXPECT_NE(ReasonOf(r).find(c.name), std::string::npos) << ReasonOf(r);
  }
}

TEST_F(WechatPayRoundTrip, OtherSignatureTypeIsRefused) {
  const std::string body = Body();
  NotifyHeaders h = Sign(body);
  h.signature_type = "WECHATPAY2-SM2-WITH-SM3";
  EXPECT_EQ(ErrorOf(open_notification(Config(), h, body, kNow)),
            NotifyError::kUnsupportedSignatureType);
}

TEST_F(WechatPayRoundTrip, NonBase64SignatureIsRefused) {
  const std::string body = Body();
  for (std::string sig : {"not base64!", "QUJD=", "@@@@"}) {
    NotifyHeaders h = Sign(body);
    h.signature = sig;
    EXPECT_EQ(ErrorOf(open_notification(Config(), h, body, kNow)), NotifyError::kBadSignature)
        << sig;
  }
}

TEST_F(WechatPayRoundTrip, NonRsaPlatformKeyIsNeverUsed) {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> ec(EVP_EC_gen("P-256"), EVP_PKEY_free);
  ASSERT_TRUE(ec);
  const KeyPair ec_pair = MakePair(ec.get());
  NotifyConfig c = Config();
  c.platform_keys[0].public_key_pem = ec_pair.public_pem;
  EXPECT_TRUE(check_config(c));
  const std::string body = Body();
  EXPECT_EQ(ErrorOf(open_notification(c, Sign(body), body, kNow)), NotifyError::kBadSignature);
  EXPECT_FALSE(sign_message(ec_pair.private_pem, "x"));
  EXPECT_FALSE(sign_message("not a key", "x"));
  EXPECT_FALSE(verify_signature("not a key", "x", "QUJD"));
}

TEST_F(WechatPayRoundTrip, SignedGarbageBodyIsMalformed) {
  for (std::string body : {"", "not json", "[1,2]", "{\"id\":", "\"str\""}) {
    EXPECT_EQ(ErrorOf(Open(body)), NotifyError::kMalformedBody) << body;
  }
}

TEST_F(WechatPayRoundTrip, EnvelopeFieldsAreNamed) {
  const std::string good = Body();
  const struct {
    std::string from, to, field;
  } cases[] = {
      {R"("id":"EV-1",)", "", "missing field id"},
      {R"("id":"EV-1")", R"("id":1)", "field id must be a string"},
      {R"("event_type":"TRANSACTION.SUCCESS",)", "", "missing field event_type"},
      {R"("create_time":"2026-11-25T13:00:06+08:00")", R"("create_time":"2026-11-25 13:00")",
       "create_time"},
      {R"("resource":{)", R"("resource":[],"x":{)", "field resource must be an object"},
  };
  for (const auto& c : cases) {
    std::string body = good;
    const auto at = body.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    body.replace(at, c.from.size(), c.to);
    const OpenResult r = Open(body);
    EXPECT_EQ(ErrorOf(r), NotifyError::kMalformedBody) << body;
    EXPECT_NE(ReasonOf(r).find(c.field), std::string::npos) << ReasonOf(r);
  }
}

TEST_F(WechatPayRoundTrip, ResourceFieldsAreChecked) {
  const std::string ct = *encrypt_resource(kKey, "n0nce1234567", "transaction", kTxJson);
  const OpenResult missing = Open(Envelope(R"({"algorithm":"AEAD_AES_256_GCM","nonce":"x"})"));
  EXPECT_EQ(ErrorOf(missing), NotifyError::kMalformedResource);
  EXPECT_NE(ReasonOf(missing).find("resource.ciphertext"), std::string::npos);
  EXPECT_EQ(ErrorOf(Open(Envelope(Resource(ct, "short")))), NotifyError::kMalformedResource);
  EXPECT_EQ(ErrorOf(Open(Envelope(Resource(ct, "n0nce1234567", "transaction", "AES_256_CBC")))),
            NotifyError::kUnsupportedAlgorithm);
}

TEST_F(WechatPayRoundTrip, WrongApiV3KeyIsRefused) {
  NotifyConfig c = Config();
  c.apiv3_key = "ColdTrackTestApiV3Key0123456789B";
  const std::string body = Body();
  const OpenResult r = open_notification(c, Sign(body), body, kNow);
  EXPECT_EQ(ErrorOf(r), NotifyError::kDecryptFailed);
  EXPECT_EQ(ReasonOf(r).find(c.apiv3_key), std::string::npos);
  EXPECT_EQ(ReasonOf(r).find(kKey), std::string::npos);
  c.apiv3_key = "short";
  EXPECT_EQ(ErrorOf(open_notification(c, Sign(body), body, kNow)), NotifyError::kDecryptFailed);
}

TEST_F(WechatPayRoundTrip, AlteredCiphertextOrTagIsRefused) {
  const std::string sealed =
      *security::base64_decode(*encrypt_resource(kKey, "n0nce1234567", "transaction", kTxJson));
  for (std::size_t i :
       {std::size_t{0}, sealed.size() - 20, sealed.size() - 16, sealed.size() - 1}) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    EXPECT_EQ(ErrorOf(Open(Envelope(Resource(security::base64_encode(bad))))),
              NotifyError::kDecryptFailed)
        << "byte " << i;
  }
  // Truncated: by one byte, by the whole tag, and below the tag size.
  EXPECT_EQ(ErrorOf(Open(Envelope(Resource(security::base64_encode(sealed.substr(1)))))),
            NotifyError::kDecryptFailed);
  EXPECT_EQ(ErrorOf(Open(
                Envelope(Resource(security::base64_encode(sealed.substr(0, sealed.size() - 16)))))),
            NotifyError::kDecryptFailed);
  EXPECT_EQ(ErrorOf(Open(Envelope(Resource(security::base64_encode(sealed.substr(0, 15)))))),
            NotifyError::kMalformedResource);
  EXPECT_EQ(ErrorOf(Open(Envelope(Resource("")))), NotifyError::kMalformedResource);
}

TEST_F(WechatPayRoundTrip, NonBase64CiphertextIsRefused) {
  const std::string ct = *encrypt_resource(kKey, "n0nce1234567", "transaction", kTxJson);
  for (std::string bad : {ct.substr(1), "%%%%" + ct.substr(4), ct + "="}) {
    EXPECT_EQ(ErrorOf(Open(Envelope(Resource(bad)))), NotifyError::kMalformedResource);
  }
}

TEST_F(WechatPayRoundTrip, AssociatedDataIsAuthenticated) {
  const std::string ct = *encrypt_resource(kKey, "n0nce1234567", "transaction", kTxJson);
  EXPECT_EQ(ErrorOf(Open(Envelope(Resource(ct, "n0nce1234567", "certificate")))),
            NotifyError::kDecryptFailed);
  EXPECT_EQ(ErrorOf(Open(Envelope(Resource(ct, "n0nce1234568")))), NotifyError::kDecryptFailed);
  // Empty associated_data is legal [S1].
  const std::string empty_aad = *encrypt_resource(kKey, "n0nce1234567", "", kTxJson);
  Ok(Open(Envelope(Resource(empty_aad, "n0nce1234567", ""))));
  EXPECT_EQ(decrypt_resource(kKey, "n0nce1234567", "", empty_aad), kTxJson);
}

TEST_F(WechatPayRoundTrip, TransactionFieldsAreNamed) {
  const struct {
    std::string from, to, field;
  } cases[] = {
      {R"("total":9180,)", "", "missing field amount.total"},
      {R"("total":9180)", R"("total":"9180")", "amount.total must be an integer"},
      {R"("total":9180)", R"("total":9180.0)", "amount.total must be an integer"},
      {R"("total":9180)", R"("total":-1)", "amount.total must be a non-negative"},
      {R"("payer_total":9180)", R"("payer_total":true)", "amount.payer_total"},
      {R"(,"currency":"CNY")", "", "missing field amount.currency"},
      {R"("appid":"wxd678efh567hg6787",)", "", "missing field appid"},
      {R"("mchid":"1230000109")", R"("mchid":1230000109)", "field mchid must be a string"},
      {R"("out_trade_no":"SHOP20261125001",)", "", "missing field out_trade_no"},
      {R"("transaction_id":"4200000001202611251234567890",)", "", "transaction_id"},
      {R"("success_time":"2026-11-25T13:00:05+08:00",)", "", "missing field success_time"},
      {R"(+08:00",)", R"(",)", "success_time is not an RFC 3339"},
      {R"("payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"})", R"("payer":{"openid":7})",
       "payer.openid"},
      {R"(,"amount":{"total":9180,"payer_total":9180,"currency":"CNY","payer_currency":"CNY"})", "",
       "missing field amount"},
  };
  for (const auto& c : cases) {
    std::string tx(kTxJson);
    const auto at = tx.find(c.from);
    ASSERT_NE(at, std::string::npos) << c.from;
    tx.replace(at, c.from.size(), c.to);
    const OpenResult r = Open(Body(tx));
    EXPECT_EQ(ErrorOf(r), NotifyError::kMalformedTransaction) << tx;
    EXPECT_NE(ReasonOf(r).find(c.field), std::string::npos) << ReasonOf(r);
  }
  EXPECT_EQ(ErrorOf(Open(Body("garbage"))), NotifyError::kMalformedTransaction);
  EXPECT_EQ(ErrorOf(Open(Body("\xff\xfe"))), NotifyError::kMalformedTransaction);
}

TEST_F(WechatPayRoundTrip, OptionalTransactionFieldsMayBeAbsent) {
  const std::string tx =
      R"({"appid":"a","mchid":"m","out_trade_no":"o","transaction_id":"t","trade_state":"CLOSED",)"
      R"("trade_state_desc":null,"amount":{"total":1,"currency":"CNY"}})";
  const OpenResult r = Open(Body(tx));
  const Notification& n = Ok(r);
  ASSERT_TRUE(n.transaction);
  EXPECT_FALSE(n.transaction->success_time_ms);
  EXPECT_FALSE(n.transaction->amount_payer_total);
  EXPECT_EQ(n.transaction->trade_state_desc, "");
  EXPECT_EQ(check_transaction(*n.transaction, "a", "m", 1).size(), 1u);  // trade_state
}

TEST_F(WechatPayRoundTrip, OtherEventsAreDecryptedButNotParsed) {
  const std::string refund = R"({"mchid":"1230000109","refund_status":"SUCCESS"})";
  const OpenResult r = Open(Body(refund, "REFUND.SUCCESS"));
  const Notification& n = Ok(r);
  EXPECT_EQ(n.event_type, "REFUND.SUCCESS");
  EXPECT_FALSE(n.transaction);
  EXPECT_EQ(n.plaintext, refund);
}

// ---- Business checks, replies, configuration ---------------------------------------------------

Transaction GoodTx() {
  Transaction tx;
  tx.appid = "wx0000000000000001";
  tx.mchid = "1900000001";
  tx.trade_state = "SUCCESS";
  tx.amount_total = 4990;
  tx.amount_currency = "CNY";
  return tx;
}

bool HasReason(const std::vector<std::string>& reasons, std::string_view needle) {
  for (const auto& r : reasons) {
    if (r.find(needle) != std::string::npos) return true;
  }
  return false;
}

TEST(WechatPayCheck, MatchingTransactionPasses) {
  EXPECT_TRUE(check_transaction(GoodTx(), "wx0000000000000001", "1900000001", 4990).empty());
}

TEST(WechatPayCheck, EachMismatchIsReported) {
  const auto check = [](Transaction tx) {
    return check_transaction(tx, "wx0000000000000001", "1900000001", 4990);
  };
  Transaction tx = GoodTx();
  tx.appid = "wx0000000000000002";
  EXPECT_TRUE(HasReason(check(tx), "appid"));
  tx = GoodTx();
  tx.mchid = "1900000002";
  EXPECT_TRUE(HasReason(check(tx), "mchid"));
  tx = GoodTx();
  tx.amount_total = 4989;
  EXPECT_TRUE(HasReason(check(tx), "amount.total 4989 != order amount 4990"));
  tx = GoodTx();
  tx.amount_currency = "USD";
  EXPECT_TRUE(HasReason(check(tx), "currency"));
  tx = GoodTx();
  tx.trade_state = "REFUND";
  EXPECT_TRUE(HasReason(check(tx), "trade_state"));
  for (std::string Transaction::*f : {&Transaction::appid, &Transaction::mchid,
                                      &Transaction::trade_state, &Transaction::amount_currency}) {
    tx = GoodTx();
    tx.*f = "";
    EXPECT_EQ(check(tx).size(), 1u);
  }
  tx.appid = "x";
  tx.mchid = "y";
  tx.amount_total = 1;
  tx.trade_state = "NOTPAY";
  EXPECT_EQ(check(tx).size(), 5u);
}

TEST(WechatPayReply, SuccessHasNoBody) {
  const NotifyReply r = success_reply();
  EXPECT_TRUE(r.status == 200 || r.status == 204);
  EXPECT_TRUE(r.body.empty());
  EXPECT_TRUE(r.content_type.empty());
}

TEST(WechatPayReply, FailureIsCodeAndMessage) {
  const NotifyReply r = failure_reply(500, "order \"CT1\" not found");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body, R"({"code":"FAIL","message":"order \"CT1\" not found"})");
}

TEST(WechatPayReply, FailureStatusFollowsTheError) {
  EXPECT_EQ(failure_reply(NotifyFailure{NotifyError::kBadSignature, "x"}).status, 401);
  EXPECT_EQ(failure_reply(NotifyFailure{NotifyError::kStaleTimestamp, "x"}).status, 401);
  EXPECT_EQ(failure_reply(NotifyFailure{NotifyError::kUnknownSerial, "x"}).status, 401);
  EXPECT_EQ(failure_reply(NotifyFailure{NotifyError::kMissingHeader, "x"}).status, 401);
  EXPECT_EQ(failure_reply(NotifyFailure{NotifyError::kMalformedBody, "x"}).status, 400);
  EXPECT_EQ(failure_reply(NotifyFailure{NotifyError::kDecryptFailed, "x"}).status, 500);
  // The detailed reason is for our logs, not for the caller.
  const NotifyReply r =
      failure_reply(NotifyFailure{NotifyError::kUnknownSerial, "no platform key for serial S"});
  EXPECT_EQ(r.body, R"({"code":"FAIL","message":"unknown platform serial"})");
}

TEST(WechatPayConfig, Checks) {
  EXPECT_FALSE(check_config(GoldenConfig()));
  NotifyConfig c = GoldenConfig();
  c.apiv3_key = "0123456789abcdef";
  ASSERT_TRUE(check_config(c));
  EXPECT_NE(check_config(c)->find("32 bytes"), std::string::npos);
  EXPECT_EQ(check_config(c)->find(c.apiv3_key), std::string::npos);
  c = GoldenConfig();
  c.platform_keys.push_back(c.platform_keys[0]);
  EXPECT_TRUE(check_config(c));
  c = GoldenConfig();
  c.platform_keys[0].public_key_pem =
      "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
  EXPECT_TRUE(check_config(c));
  c = GoldenConfig();
  c.platform_keys.clear();
  EXPECT_TRUE(check_config(c));
  c = GoldenConfig();
  c.window_ms = 0;
  EXPECT_TRUE(check_config(c));
}

TEST(WechatPayCrypto, EncryptRejectsBadParameters) {
  EXPECT_FALSE(encrypt_resource("short", "n0nce1234567", "", "x"));
  EXPECT_FALSE(encrypt_resource(kGoldenKey, "", "", "x"));
  const auto ct = encrypt_resource(kGoldenKey, kGoldenNonce, "", "");
  ASSERT_TRUE(ct);
  EXPECT_EQ(security::base64_decode(*ct)->size(), 16u);
  EXPECT_EQ(decrypt_resource(kGoldenKey, kGoldenNonce, "", *ct), "");
  EXPECT_FALSE(decrypt_resource(kGoldenKey, kGoldenNonce, "", "!!!!"));
}

}  // namespace
}  // namespace coldtrack::wechat

namespace coldtrack {
namespace {

TEST(WechatPayDemoKey, AGeneratedPlatformKeySignsWhatItsPublicHalfVerifies) {
  const auto key = security::generate_rsa_key();
  EXPECT_NE(key.private_pem.find("BEGIN PRIVATE KEY"), std::string::npos);
  EXPECT_NE(key.public_pem.find("BEGIN PUBLIC KEY"), std::string::npos);
  const auto sig = wechat::sign_message(key.private_pem, "1764046806\nnonce\n{}\n");
  ASSERT_TRUE(sig.has_value());
  EXPECT_TRUE(wechat::verify_signature(key.public_pem, "1764046806\nnonce\n{}\n", *sig));
  EXPECT_FALSE(wechat::verify_signature(key.public_pem, "1764046807\nnonce\n{}\n", *sig));
  EXPECT_NE(security::generate_rsa_key().public_pem, key.public_pem);  // fresh each time
}

}  // namespace
}  // namespace coldtrack
