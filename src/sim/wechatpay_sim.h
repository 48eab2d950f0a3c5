// The simulator playing WeChat Pay's payment notification (protocols/wechat-pay-v3-notify.md §8):
// builds the TRANSACTION.SUCCESS notification exactly as §3-4 describe (resource sealed with
// AES-256-GCM under the APIv3 key, 12-character nonce, associated_data "transaction"), signs
// "<timestamp>\n<nonce>\n<body>\n" with the platform private key (RSA PKCS#1 v1.5 + SHA-256,
// §2), POSTs it with the Wechatpay-* headers and retries non-2xx answers on a compressed
// schedule. Signing and sealing are the product's own building blocks (wechat/pay_notify.h).
//
// Modes (§8 "duplicates, wrong amounts, stale timestamps and bad signatures on demand"):
//   normal           retried until 2xx or attempts run out
//   duplicate        once delivered, the same body is sent once more (freshly signed)
//   wrong_amount     amount.total and payer_total are amount_fen + 1 on every attempt
//   stale_timestamp  the first attempt is signed 600 s in the past; retries are current
//   bad_signature    the first attempt's signature is over another message; retries are right
//
// The sending itself is injected (Post), so this class has no I/O and tests need no server.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace coldtrack::sim {

class WechatPayNotifier {
 public:
  static constexpr int kMaxAttempts = 10;
  static constexpr std::int64_t kStaleSkewS = 600;  // well outside the 300 s window (§2.3)

  enum class Mode { kNormal, kDuplicate, kWrongAmount, kStaleTimestamp, kBadSignature };

  struct Notice {
    std::string notify_url, out_trade_no, appid, mchid, payer_openid;
    std::string transaction_id;  // "" = a fresh 28-digit one
    std::int64_t amount_fen = 0;
  };
  // POST /sim/wechatpay/notify's body.
  struct Request {
    Notice notice;
    Mode mode = Mode::kNormal;
    int attempts = 3;                   // 1..kMaxAttempts, the first included
    std::int64_t retry_delay_ms = 200;  // between attempts (WeChat Pay waits 15 s, §5)
  };
  struct RequestError {
    std::string field, message;
  };
  struct Signed {
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
  };
  struct PostResult {
    int status = 0;  // 0: no answer (see error)
    std::string error;
  };
  using Post = std::function<PostResult(const std::string& url, const Signed& notification)>;
  using Sleep = std::function<void(std::chrono::milliseconds)>;
  using Clock = std::function<std::int64_t()>;  // Unix seconds

  WechatPayNotifier(std::string apiv3_key, std::string private_key_pem, std::string serial);

  // Key, private key and serial all configured.
  bool enabled() const;
  const std::string& serial() const { return serial_; }
  // The public half of the platform key (SubjectPublicKeyInfo PEM) for ColdTrack's
  // configuration; "" when the private key is unreadable.
  std::string public_key_pem() const;

  // {"notify_url","out_trade_no","amount_fen","appid","mchid","payer_openid",
  //  "transaction_id"?, "mode"?, "attempts"?, "retry_delay_ms"?}
  static std::variant<Request, RequestError> parse_request(std::string_view body);

  // The notification body (§3) for `notice`; `transaction_id` must be set.
  std::optional<std::string> build_body(const Notice& notice, bool wrong_amount) const;
  // The headers for `body` signed at `unix_s` (bad_signature: over another message).
  std::optional<Signed> sign(std::string body, std::int64_t unix_s, bool bad_signature) const;

  // Sends with retries; the report:
  // {"delivered":bool,"notification_id","transaction_id","out_trade_no","mode",
  //  "attempts":[{"attempt":1,"status":500,"error":"","tampered":bool,"duplicate":bool}, ...]}
  boost::json::object deliver(Request request, const Clock& now_s, const Post& post,
                              const Sleep& sleep) const;

 private:
  std::string apiv3_key_, private_key_pem_, serial_;
};

std::string_view to_string(WechatPayNotifier::Mode m);

}  // namespace coldtrack::sim
