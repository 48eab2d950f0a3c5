// WeChat Pay APIv3 payment notifications, receiver side (protocols/wechat-pay-v3-notify.md):
// verify the platform signature, decrypt the AEAD_AES_256_GCM resource, parse the transaction,
// build the documented replies, and check a transaction against the caller's order. Also the
// sender-side primitives (sign, encrypt) the WeChat Pay simulator needs. Pure: no I/O, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "domain/time.h"

namespace coldtrack::wechat {

inline constexpr std::string_view kSignatureType = "WECHATPAY2-SHA256-RSA2048";
inline constexpr std::string_view kAlgorithm = "AEAD_AES_256_GCM";
inline constexpr std::string_view kEventTransactionSuccess = "TRANSACTION.SUCCESS";
inline constexpr std::string_view kTradeStateSuccess = "SUCCESS";
inline constexpr std::string_view kCurrencyCny = "CNY";

// One platform certificate / WeChat Pay public key, selected by Wechatpay-Serial. Several may be
// configured at once so a key rotation does not drop notifications.
struct PlatformKey {
  std::string serial;
  std::string public_key_pem;  // SubjectPublicKeyInfo ("BEGIN PUBLIC KEY"), RSA
};

struct NotifyConfig {
  std::string apiv3_key;  // 32 ASCII bytes; secret: never logged, never in an error
  std::vector<PlatformKey> platform_keys;
  // Rejected when |now - Wechatpay-Timestamp| >= window_ms (doc §2.3: ">= 300 seconds").
  std::int64_t window_ms = 300'000;
};

// Start-up check: key length, at least one key, unique non-empty serials, every PEM an RSA
// public key. nullopt = fine; otherwise a message (never containing the APIv3 key).
std::optional<std::string> check_config(const NotifyConfig& config);

// Header values as received (the caller looks names up case-insensitively). Empty = absent.
struct NotifyHeaders {
  std::string timestamp;       // Wechatpay-Timestamp, Unix seconds
  std::string nonce;           // Wechatpay-Nonce
  std::string signature;       // Wechatpay-Signature, Base64
  std::string serial;          // Wechatpay-Serial
  std::string signature_type;  // Wechatpay-Signature-Type, optional
};

enum class NotifyError {
  kMissingHeader,             // timestamp, nonce, signature or serial absent
  kMalformedHeader,           // timestamp not a decimal number of seconds
  kUnsupportedSignatureType,  // Wechatpay-Signature-Type present and not kSignatureType
  kStaleTimestamp,            // outside the window, either direction
  kUnknownSerial,             // no configured key; certificate mode: refresh once and retry
  kBadSignature,              // not Base64, or does not verify
  kMalformedBody,             // signed body is not the documented JSON envelope
  kMalformedResource,         // resource fields missing/ill-typed, or nonce not 12 bytes
  kUnsupportedAlgorithm,      // resource.algorithm is not AEAD_AES_256_GCM
  kDecryptFailed,             // GCM tag mismatch (wrong APIv3 key or altered data)
  kMalformedTransaction,      // decrypted plaintext is not a valid transaction object
};

std::string_view to_string(NotifyError e);

struct NotifyFailure {
  NotifyError error;
  std::string reason;  // short English, for logs; names the offending field where there is one
};

// The decrypted `transaction` resource (doc §4). Optional fields are empty/nullopt when absent.
struct Transaction {
  std::string appid;
  std::string mchid;
  std::string out_trade_no;  // our order number
  std::string transaction_id;
  std::string trade_type;  // optional
  std::string trade_state;
  std::string trade_state_desc;  // optional
  std::string bank_type;         // optional
  std::string success_time;      // RFC 3339 as sent; required when trade_state is SUCCESS
  std::optional<domain::EpochMs> success_time_ms;
  std::string payer_openid;                        // optional
  std::int64_t amount_total = 0;                   // fen
  std::optional<std::int64_t> amount_payer_total;  // fen
  std::string amount_currency;
  std::string amount_payer_currency;  // optional
};

struct Notification {
  std::string id;
  std::string create_time;
  domain::EpochMs create_time_ms = 0;
  std::string event_type;
  std::string resource_type;
  std::string summary;  // optional
  std::string original_type;
  std::string plaintext;  // the decrypted resource, verbatim
  // Parsed only for TRANSACTION.SUCCESS; other events are authenticated and decrypted but left
  // for the caller to acknowledge and ignore (doc §3).
  std::optional<Transaction> transaction;
};

using OpenResult = std::variant<Notification, NotifyFailure>;

// Verifies the signature over the raw body first (doc §2, in its order), then parses the
// envelope, decrypts `resource` with the tag checked, and parses the transaction. Never throws.
OpenResult open_notification(const NotifyConfig& config, const NotifyHeaders& headers,
                             std::string_view body, domain::EpochMs now);

// Business checks of doc §5.2 against the caller's order. Empty = all good; otherwise one reason
// per mismatch (appid, mchid, trade_state, amount, currency). The out_trade_no lookup and the
// idempotent state change are the caller's.
std::vector<std::string> check_transaction(const Transaction& tx, std::string_view appid,
                                           std::string_view mchid, std::int64_t amount_fen);

// ---- Replies (doc §6) --------------------------------------------------------------------------

struct NotifyReply {
  int status = 204;
  std::string content_type;  // empty when there is no body
  std::string body;
};

// 204, no body.
NotifyReply success_reply();
// {"code":"FAIL","message":...} with the given 4xx/5xx status; WeChat Pay retries.
NotifyReply failure_reply(int status, std::string_view message);
// 401 for header/timestamp/serial/signature failures (doc §2), 400 for malformed content, 500 for
// kDecryptFailed (after a valid signature that means our APIv3 key is wrong). The message is a
// fixed phrase per error, not the detailed reason, so callers learn nothing from probing.
NotifyReply failure_reply(const NotifyFailure& failure);

// ---- Building blocks, shared with the simulator ------------------------------------------------

// "<timestamp>\n<nonce>\n<body>\n" (doc §2.5).
std::string signing_message(std::string_view timestamp, std::string_view nonce,
                            std::string_view body);

// RSA PKCS#1 v1.5 + SHA-256 over `message`. verify_signature takes the Base64 signature; false
// on any problem, including a PEM that is not an RSA public key.
bool verify_signature(std::string_view public_key_pem, std::string_view message,
                      std::string_view signature_b64);
// Base64 signature with an RSA private key (PKCS#8 or traditional PEM); nullopt if the key is
// unreadable or not RSA.
std::optional<std::string> sign_message(std::string_view private_key_pem, std::string_view message);

// AES-256-GCM with the APIv3 key: Base64(ciphertext || 16-byte tag), as in resource.ciphertext.
// nullopt if the key is not 32 bytes or the nonce is empty.
std::optional<std::string> encrypt_resource(std::string_view apiv3_key, std::string_view nonce,
                                            std::string_view associated_data,
                                            std::string_view plaintext);
// The inverse, tag verified; nullopt on a wrong key, altered data, or non-Base64 input.
std::optional<std::string> decrypt_resource(std::string_view apiv3_key, std::string_view nonce,
                                            std::string_view associated_data,
                                            std::string_view ciphertext_b64);

}  // namespace coldtrack::wechat
