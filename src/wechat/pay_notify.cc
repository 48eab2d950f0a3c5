#include "wechat/pay_notify.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <boost/json.hpp>

#include <charconv>
#include <climits>
#include <memory>
#include <set>
#include <utility>

#include "security/crypto.h"

namespace coldtrack::wechat {
namespace {

namespace json = boost::json;

constexpr std::size_t kApiV3KeySize = 32;
constexpr std::size_t kResourceNonceSize = 12;
constexpr std::size_t kGcmTagSize = 16;
// 10^12 s is ~31,700 years: anything longer is not a Unix timestamp, and the bound keeps the
// conversion to milliseconds far from overflow.
constexpr std::int64_t kMaxTimestampSeconds = 1'000'000'000'000;

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* c) const { EVP_CIPHER_CTX_free(c); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;
using MdCtx = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

bool FitsInt(std::size_t n) {
  return n <= static_cast<std::size_t>(INT_MAX);
}

// OpenSSL's default PEM callback prompts on the terminal for an encrypted key; a server must
// never block on stdin, so every read supplies "no passphrase".
int NoPassphrase(char*, int, int, void*) {
  return 0;
}

// Failed OpenSSL calls leave entries in the thread's error queue; drop them so they are not
// misattributed to an unrelated later call on the same thread.
struct ClearErrorsOnExit {
  ~ClearErrorsOnExit() { ERR_clear_error(); }
};

enum class KeyKind { kPublic, kPrivate };

// RSA only: the scheme is WECHATPAY2-SHA256-RSA2048, and accepting e.g. an EC key would let a
// misconfiguration silently switch the signature algorithm.
Pkey ReadRsaKey(std::string_view pem, KeyKind kind) {
  if (pem.empty() || !FitsInt(pem.size())) return nullptr;
  std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return nullptr;
  Pkey key(kind == KeyKind::kPublic
               ? PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr)
               : PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_RSA) return nullptr;
  return key;
}

bool VerifyRaw(EVP_PKEY* key, std::string_view message, std::string_view signature) {
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  return ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key) == 1 &&
         EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 &&
         EVP_DigestVerify(ctx.get(), Bytes(signature), signature.size(), Bytes(message),
                          message.size()) == 1;
}

NotifyFailure Fail(NotifyError e, std::string reason) {
  return {e, std::move(reason)};
}

// Strict "Unix seconds as a decimal string": digits only, no sign, no spaces.
std::optional<std::int64_t> ParseSeconds(std::string_view text) {
  if (text.empty() || text.size() > 13) return std::nullopt;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t v = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || ptr != text.data() + text.size() || v > kMaxTimestampSeconds) {
    return std::nullopt;
  }
  return v;
}

// Reads typed members of one JSON object; the first problem is kept, naming the field's path.
class Fields {
 public:
  Fields(const json::object& obj, std::string path) : obj_(obj), path_(std::move(path)) {}

  std::string name(std::string_view field) const {
    return path_.empty() ? std::string(field) : path_ + "." + std::string(field);
  }

  // JSON null counts as absent: an optional field sent as null is just not there.
  bool str(std::string_view field, std::string& out, bool required) {
    const json::value* v = find(field, required);
    if (!v) return !failed();
    if (!v->is_string()) return fail("field " + name(field) + " must be a string");
    out.assign(v->get_string().data(), v->get_string().size());
    return true;
  }

  // Integers only (4990.0 is ill-typed: money is never floating point), and never negative.
  bool amount(std::string_view field, std::optional<std::int64_t>& out, bool required) {
    const json::value* v = find(field, required);
    if (!v) return !failed();
    if (v->is_int64() && v->get_int64() >= 0) {
      out = v->get_int64();
      return true;
    }
    if (v->is_int64() || v->is_uint64()) {
      return fail("field " + name(field) + " must be a non-negative integer (fen)");
    }
    return fail("field " + name(field) + " must be an integer (fen)");
  }

  bool object(std::string_view field, const json::object*& out, bool required) {
    const json::value* v = find(field, required);
    if (!v) return !failed();
    if (!v->is_object()) return fail("field " + name(field) + " must be an object");
    out = &v->get_object();
    return true;
  }

  bool fail(std::string reason) {
    if (!error_) error_ = std::move(reason);
    return false;
  }
  bool failed() const { return error_.has_value(); }
  const std::string& error() const { return *error_; }

 private:
  const json::value* find(std::string_view field, bool required) {
    const json::value* v = obj_.if_contains(field);
    if (v && v->is_null()) v = nullptr;
    if (!v && required) fail("missing field " + name(field));
    return v;
  }

  const json::object& obj_;
  std::string path_;
  std::optional<std::string> error_;
};

std::optional<json::object> ParseObject(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

struct Resource {
  std::string algorithm, ciphertext, associated_data, original_type, nonce;
};

std::variant<Transaction, std::string> ParseTransaction(std::string_view plaintext) {
  std::optional<json::object> root = ParseObject(plaintext);
  if (!root) return std::string("not a JSON object");
  Transaction tx;
  Fields f(*root, "");
  const json::object* amount = nullptr;
  const json::object* payer = nullptr;
  f.str("appid", tx.appid, true) && f.str("mchid", tx.mchid, true) &&
      f.str("out_trade_no", tx.out_trade_no, true) &&
      f.str("transaction_id", tx.transaction_id, true) &&
      f.str("trade_type", tx.trade_type, false) && f.str("trade_state", tx.trade_state, true) &&
      f.str("trade_state_desc", tx.trade_state_desc, false) &&
      f.str("bank_type", tx.bank_type, false) &&
      // A paid transaction always has a success_time; other states (if one ever arrives)
      // legitimately lack it.
      f.str("success_time", tx.success_time, tx.trade_state == kTradeStateSuccess) &&
      f.object("payer", payer, false) && f.object("amount", amount, true);
  if (f.failed()) return f.error();
  if (!tx.success_time.empty()) {
    tx.success_time_ms = domain::parse_rfc3339(tx.success_time);
    if (!tx.success_time_ms) return std::string("field success_time is not an RFC 3339 time");
  }
  if (payer) {
    Fields p(*payer, "payer");
    if (!p.str("openid", tx.payer_openid, false)) return p.error();
  }
  Fields a(*amount, "amount");
  std::optional<std::int64_t> total;
  a.amount("total", total, true) && a.amount("payer_total", tx.amount_payer_total, false) &&
      a.str("currency", tx.amount_currency, true) &&
      a.str("payer_currency", tx.amount_payer_currency, false);
  if (a.failed()) return a.error();
  tx.amount_total = *total;
  return tx;
}

}  // namespace

std::string_view to_string(NotifyError e) {
  switch (e) {
    case NotifyError::kMissingHeader:
      return "missing header";
    case NotifyError::kMalformedHeader:
      return "malformed header";
    case NotifyError::kUnsupportedSignatureType:
      return "unsupported signature type";
    case NotifyError::kStaleTimestamp:
      return "timestamp outside the allowed window";
    case NotifyError::kUnknownSerial:
      return "unknown platform serial";
    case NotifyError::kBadSignature:
      return "signature verification failed";
    case NotifyError::kMalformedBody:
      return "malformed body";
    case NotifyError::kMalformedResource:
      return "malformed resource";
    case NotifyError::kUnsupportedAlgorithm:
      return "unsupported resource algorithm";
    case NotifyError::kDecryptFailed:
      return "resource decryption failed";
    case NotifyError::kMalformedTransaction:
      return "malformed transaction";
  }
  return "unknown error";
}

std::optional<std::string> check_config(const NotifyConfig& config) {
  if (config.apiv3_key.size() != kApiV3KeySize) {
    return "wechat pay: apiv3_key must be 32 bytes, got " + std::to_string(config.apiv3_key.size());
  }
  if (config.window_ms <= 0) return std::string("wechat pay: window_ms must be positive");
  if (config.platform_keys.empty()) {
    return std::string("wechat pay: no platform public key configured");
  }
  ClearErrorsOnExit clear;
  std::set<std::string_view> seen;
  for (const PlatformKey& k : config.platform_keys) {
    if (k.serial.empty()) return std::string("wechat pay: platform key with an empty serial");
    if (!seen.insert(k.serial).second) {
      return "wechat pay: duplicate platform serial " + k.serial;
    }
    if (!ReadRsaKey(k.public_key_pem, KeyKind::kPublic)) {
      return "wechat pay: platform key " + k.serial + " is not a PEM RSA public key";
    }
  }
  return std::nullopt;
}

OpenResult open_notification(const NotifyConfig& config, const NotifyHeaders& headers,
                             std::string_view body, domain::EpochMs now) {
  // ---- §2: authenticate the raw bytes before looking inside them.
  const std::pair<const std::string*, std::string_view> required[] = {
      {&headers.timestamp, "Wechatpay-Timestamp"},
      {&headers.nonce, "Wechatpay-Nonce"},
      {&headers.signature, "Wechatpay-Signature"},
      {&headers.serial, "Wechatpay-Serial"},
  };
  for (const auto& [value, header] : required) {
    if (value->empty())
      return Fail(NotifyError::kMissingHeader, "missing header " + std::string(header));
  }
  if (!headers.signature_type.empty() && headers.signature_type != kSignatureType) {
    return Fail(NotifyError::kUnsupportedSignatureType,
                "Wechatpay-Signature-Type is not " + std::string(kSignatureType));
  }
  const std::optional<std::int64_t> seconds = ParseSeconds(headers.timestamp);
  if (!seconds) {
    return Fail(NotifyError::kMalformedHeader, "Wechatpay-Timestamp is not Unix seconds");
  }
  // Unsigned arithmetic: the true distance always fits, whatever `now` is.
  const std::uint64_t ts_ms = static_cast<std::uint64_t>(*seconds) * 1000;
  const std::uint64_t now_u = static_cast<std::uint64_t>(now);
  const std::uint64_t skew = now >= 0 && now_u >= ts_ms ? now_u - ts_ms : ts_ms - now_u;
  if (config.window_ms <= 0 || skew >= static_cast<std::uint64_t>(config.window_ms)) {
    return Fail(NotifyError::kStaleTimestamp,
                "Wechatpay-Timestamp is " + std::to_string(skew / 1000) + " s from now");
  }
  const PlatformKey* platform = nullptr;
  for (const PlatformKey& k : config.platform_keys) {
    if (k.serial == headers.serial) platform = &k;
  }
  if (!platform) {
    return Fail(NotifyError::kUnknownSerial, "no platform key for serial " + headers.serial);
  }
  {
    ClearErrorsOnExit clear;
    const std::optional<std::string> signature = security::base64_decode(headers.signature);
    if (!signature) return Fail(NotifyError::kBadSignature, "Wechatpay-Signature is not Base64");
    const Pkey key = ReadRsaKey(platform->public_key_pem, KeyKind::kPublic);
    if (!key) {
      return Fail(NotifyError::kBadSignature,
                  "platform key " + platform->serial + " is not a PEM RSA public key");
    }
    if (!VerifyRaw(key.get(), signing_message(headers.timestamp, headers.nonce, body),
                   *signature)) {
      return Fail(NotifyError::kBadSignature, "signature does not verify");
    }
  }

  // ---- §3: the envelope.
  std::optional<json::object> root = ParseObject(body);
  if (!root) return Fail(NotifyError::kMalformedBody, "body is not a JSON object");
  Notification n;
  Fields env(*root, "");
  const json::object* res_obj = nullptr;
  env.str("id", n.id, true) && env.str("create_time", n.create_time, true) &&
      env.str("event_type", n.event_type, true) &&
      env.str("resource_type", n.resource_type, true) && env.str("summary", n.summary, false) &&
      env.object("resource", res_obj, true);
  if (env.failed()) return Fail(NotifyError::kMalformedBody, env.error());
  const std::optional<domain::EpochMs> created = domain::parse_rfc3339(n.create_time);
  if (!created) {
    return Fail(NotifyError::kMalformedBody, "field create_time is not an RFC 3339 time");
  }
  n.create_time_ms = *created;

  // ---- §4: decrypt.
  Resource r;
  Fields rf(*res_obj, "resource");
  // associated_data "may be an empty string" [S1]; absent is read the same way, and the GCM tag
  // decides whether that was right.
  rf.str("algorithm", r.algorithm, true) && rf.str("ciphertext", r.ciphertext, true) &&
      rf.str("nonce", r.nonce, true) && rf.str("associated_data", r.associated_data, false) &&
      rf.str("original_type", r.original_type, false);
  if (rf.failed()) return Fail(NotifyError::kMalformedResource, rf.error());
  if (r.algorithm != kAlgorithm) {
    return Fail(NotifyError::kUnsupportedAlgorithm,
                "resource.algorithm is not " + std::string(kAlgorithm));
  }
  if (r.nonce.size() != kResourceNonceSize) {
    return Fail(NotifyError::kMalformedResource, "resource.nonce is not 12 bytes");
  }
  const std::optional<std::string> sealed = security::base64_decode(r.ciphertext);
  if (!sealed) return Fail(NotifyError::kMalformedResource, "resource.ciphertext is not Base64");
  if (sealed->size() < kGcmTagSize) {
    return Fail(NotifyError::kMalformedResource,
                "resource.ciphertext is shorter than the 16-byte tag");
  }
  if (config.apiv3_key.size() != kApiV3KeySize) {
    return Fail(NotifyError::kDecryptFailed, "configured APIv3 key is not 32 bytes");
  }
  std::optional<std::string> plaintext =
      security::aes256gcm_decrypt(config.apiv3_key, r.nonce, *sealed, r.associated_data);
  if (!plaintext) {
    return Fail(NotifyError::kDecryptFailed,
                "GCM tag mismatch (wrong APIv3 key or altered resource)");
  }
  n.original_type = std::move(r.original_type);
  n.plaintext = std::move(*plaintext);

  if (n.event_type == kEventTransactionSuccess) {
    auto tx = ParseTransaction(n.plaintext);
    if (auto* why = std::get_if<std::string>(&tx)) {
      return Fail(NotifyError::kMalformedTransaction, "transaction: " + *why);
    }
    n.transaction = std::move(std::get<Transaction>(tx));
  }
  return n;
}

std::vector<std::string> check_transaction(const Transaction& tx, std::string_view appid,
                                           std::string_view mchid, std::int64_t amount_fen) {
  std::vector<std::string> out;
  if (tx.appid != appid) {
    out.push_back("appid " + tx.appid + " != expected " + std::string(appid));
  }
  if (tx.mchid != mchid) {
    out.push_back("mchid " + tx.mchid + " != expected " + std::string(mchid));
  }
  if (tx.trade_state != kTradeStateSuccess) {
    out.push_back("trade_state " + tx.trade_state + " != SUCCESS");
  }
  if (tx.amount_total != amount_fen) {
    out.push_back("amount.total " + std::to_string(tx.amount_total) + " != order amount " +
                  std::to_string(amount_fen));
  }
  if (tx.amount_currency != kCurrencyCny) {
    out.push_back("amount.currency " + tx.amount_currency + " != CNY");
  }
  return out;
}

NotifyReply success_reply() {
  return NotifyReply{204, "", ""};
}

NotifyReply failure_reply(int status, std::string_view message) {
  json::object o;
  o["code"] = "FAIL";
  o["message"] = message;
  return NotifyReply{status, "application/json", json::serialize(o)};
}

NotifyReply failure_reply(const NotifyFailure& failure) {
  int status = 401;
  switch (failure.error) {
    case NotifyError::kMissingHeader:
    case NotifyError::kMalformedHeader:
    case NotifyError::kUnsupportedSignatureType:
    case NotifyError::kStaleTimestamp:
    case NotifyError::kUnknownSerial:
    case NotifyError::kBadSignature:
      status = 401;
      break;
    case NotifyError::kMalformedBody:
    case NotifyError::kMalformedResource:
    case NotifyError::kUnsupportedAlgorithm:
    case NotifyError::kMalformedTransaction:
      status = 400;
      break;
    case NotifyError::kDecryptFailed:
      status = 500;
      break;
  }
  return failure_reply(status, to_string(failure.error));
}

std::string signing_message(std::string_view timestamp, std::string_view nonce,
                            std::string_view body) {
  std::string m;
  m.reserve(timestamp.size() + nonce.size() + body.size() + 3);
  m.append(timestamp).append(1, '\n').append(nonce).append(1, '\n').append(body).append(1, '\n');
  return m;
}

bool verify_signature(std::string_view public_key_pem, std::string_view message,
                      std::string_view signature_b64) {
  ClearErrorsOnExit clear;
  const std::optional<std::string> signature = security::base64_decode(signature_b64);
  if (!signature) return false;
  const Pkey key = ReadRsaKey(public_key_pem, KeyKind::kPublic);
  return key && VerifyRaw(key.get(), message, *signature);
}

std::optional<std::string> sign_message(std::string_view private_key_pem,
                                        std::string_view message) {
  ClearErrorsOnExit clear;
  const Pkey key = ReadRsaKey(private_key_pem, KeyKind::kPrivate);
  if (!key) return std::nullopt;
  MdCtx ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  std::size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, EVP_sha256(), nullptr, key.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &len, Bytes(message), message.size()) != 1) {
    return std::nullopt;
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, Bytes(message),
                     message.size()) != 1) {
    return std::nullopt;
  }
  sig.resize(len);
  return security::base64_encode(sig);
}

std::optional<std::string> encrypt_resource(std::string_view apiv3_key, std::string_view nonce,
                                            std::string_view associated_data,
                                            std::string_view plaintext) {
  if (apiv3_key.size() != kApiV3KeySize || nonce.empty() || !FitsInt(nonce.size()) ||
      !FitsInt(associated_data.size()) || !FitsInt(plaintext.size())) {
    return std::nullopt;
  }
  ClearErrorsOnExit clear;
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, Bytes(apiv3_key), Bytes(nonce)) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, Bytes(associated_data),
                        static_cast<int>(associated_data.size())) != 1) {
    return std::nullopt;
  }
  std::string out(plaintext.size() + kGcmTagSize, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_EncryptUpdate(ctx.get(), dst, &len, Bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), dst + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kGcmTagSize),
                          dst + plaintext.size()) != 1) {
    return std::nullopt;
  }
  return security::base64_encode(out);
}

std::optional<std::string> decrypt_resource(std::string_view apiv3_key, std::string_view nonce,
                                            std::string_view associated_data,
                                            std::string_view ciphertext_b64) {
  const std::optional<std::string> sealed = security::base64_decode(ciphertext_b64);
  if (!sealed) return std::nullopt;
  return security::aes256gcm_decrypt(apiv3_key, nonce, *sealed, associated_data);
}

}  // namespace coldtrack::wechat
