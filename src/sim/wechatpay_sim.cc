#include "sim/wechatpay_sim.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <memory>

#include "domain/time.h"
#include "security/crypto.h"
#include "wechat/pay_notify.h"

namespace coldtrack::sim {

namespace json = boost::json;

namespace {

constexpr std::array<std::string_view, 5> kModeNames = {"normal", "duplicate", "wrong_amount",
                                                        "stale_timestamp", "bad_signature"};
constexpr int kChinaOffsetMinutes = 8 * 60;

// `n` characters of [A-Za-z0-9] (the resource nonce is 12 ASCII characters, §3).
std::string random_alnum(std::size_t n) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (unsigned char b : security::random_bytes(n)) out.push_back(kAlphabet[b % kAlphabet.size()]);
  return out;
}

std::string random_digits(std::size_t n) {
  std::string out;
  for (unsigned char b : security::random_bytes(n)) out.push_back(static_cast<char>('0' + b % 10));
  return out;
}

std::string string_field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

}  // namespace

std::string_view to_string(WechatPayNotifier::Mode m) {
  return kModeNames[static_cast<std::size_t>(m)];
}

WechatPayNotifier::WechatPayNotifier(std::string apiv3_key, std::string private_key_pem,
                                     std::string serial)
    : apiv3_key_(std::move(apiv3_key)),
      private_key_pem_(std::move(private_key_pem)),
      serial_(std::move(serial)) {}

bool WechatPayNotifier::enabled() const {
  return apiv3_key_.size() == 32 && !private_key_pem_.empty() && !serial_.empty();
}

std::string WechatPayNotifier::public_key_pem() const {
  std::unique_ptr<BIO, decltype(&BIO_free)> in(
      BIO_new_mem_buf(private_key_pem_.data(), static_cast<int>(private_key_pem_.size())),
      &BIO_free);
  if (!in) return {};
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
  std::string pem;
  if (key && out && PEM_write_bio_PUBKEY(out.get(), key.get()) == 1) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(out.get(), &data);
    if (n > 0) pem.assign(data, static_cast<std::size_t>(n));
  }
  ERR_clear_error();
  return pem;
}

std::variant<WechatPayNotifier::Request, WechatPayNotifier::RequestError>
WechatPayNotifier::parse_request(std::string_view body) {
  std::error_code ec;
  const json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !v.is_object()) return RequestError{"body", "body must be a JSON object"};
  const json::object& o = v.as_object();
  Request r;
  Notice& n = r.notice;
  n.notify_url = string_field(o, "notify_url");
  if (!n.notify_url.starts_with("http://") && !n.notify_url.starts_with("https://"))
    return RequestError{"notify_url", "notify_url must be an http(s) URL"};
  for (auto [name, out] :
       {std::pair{"out_trade_no", &n.out_trade_no}, std::pair{"appid", &n.appid},
        std::pair{"mchid", &n.mchid}, std::pair{"payer_openid", &n.payer_openid}}) {
    *out = string_field(o, name);
    if (out->empty()) return RequestError{name, std::string(name) + " must be a non-empty string"};
  }
  n.transaction_id = string_field(o, "transaction_id");
  const json::value* amount = o.if_contains("amount_fen");
  if (amount == nullptr || !amount->is_int64() || amount->get_int64() < 1)
    return RequestError{"amount_fen", "amount_fen must be a positive integer (fen)"};
  n.amount_fen = amount->get_int64();
  if (o.contains("mode")) {
    const std::string mode = string_field(o, "mode");
    std::size_t i = 0;
    while (i < kModeNames.size() && kModeNames[i] != mode) ++i;
    if (i == kModeNames.size())
      return RequestError{"mode",
                          "mode must be normal, duplicate, wrong_amount, stale_timestamp or "
                          "bad_signature"};
    r.mode = static_cast<Mode>(i);
  }
  if (const json::value* a = o.if_contains("attempts")) {
    if (!a->is_int64() || a->get_int64() < 1 || a->get_int64() > kMaxAttempts)
      return RequestError{"attempts", "attempts must be an integer 1..10"};
    r.attempts = static_cast<int>(a->get_int64());
  }
  if (const json::value* d = o.if_contains("retry_delay_ms")) {
    if (!d->is_int64() || d->get_int64() < 0 || d->get_int64() > 10'000)
      return RequestError{"retry_delay_ms", "retry_delay_ms must be an integer 0..10000"};
    r.retry_delay_ms = d->get_int64();
  }
  return r;
}

std::optional<std::string> WechatPayNotifier::build_body(const Notice& n, bool wrong_amount) const {
  const std::int64_t total = n.amount_fen + (wrong_amount ? 1 : 0);
  const domain::EpochMs now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  const std::string success_time = domain::format_rfc3339(now / 1000 * 1000, kChinaOffsetMinutes);
  // §4's transaction fields, in the doc's order.
  const json::object tx{{"appid", n.appid},
                        {"mchid", n.mchid},
                        {"out_trade_no", n.out_trade_no},
                        {"transaction_id", n.transaction_id},
                        {"trade_type", "JSAPI"},
                        {"trade_state", "SUCCESS"},
                        {"trade_state_desc", "支付成功"},
                        {"bank_type", "OTHERS"},
                        {"success_time", success_time},
                        {"payer", json::object{{"openid", n.payer_openid}}},
                        {"amount", json::object{{"total", total},
                                                {"payer_total", total},
                                                {"currency", "CNY"},
                                                {"payer_currency", "CNY"}}}};
  const std::string nonce = random_alnum(12);
  const auto ciphertext =
      wechat::encrypt_resource(apiv3_key_, nonce, "transaction", json::serialize(tx));
  if (!ciphertext) return std::nullopt;
  const json::object body{{"id", "EV-" + n.transaction_id},
                          {"create_time", success_time},
                          {"resource_type", "encrypt-resource"},
                          {"event_type", wechat::kEventTransactionSuccess},
                          {"summary", "支付成功"},
                          {"resource", json::object{{"original_type", "transaction"},
                                                    {"algorithm", wechat::kAlgorithm},
                                                    {"ciphertext", *ciphertext},
                                                    {"associated_data", "transaction"},
                                                    {"nonce", nonce}}}};
  return json::serialize(body);
}

std::optional<WechatPayNotifier::Signed> WechatPayNotifier::sign(std::string body,
                                                                 std::int64_t unix_s,
                                                                 bool bad_signature) const {
  const std::string ts = std::to_string(unix_s);
  const std::string nonce = security::random_hex(16);
  // A bad signature is a real RSA signature over a message the receiver will not rebuild.
  const auto sig = wechat::sign_message(
      private_key_pem_, wechat::signing_message(ts, nonce, bad_signature ? body + " " : body));
  if (!sig) return std::nullopt;
  Signed s;
  s.headers = {{"Content-Type", "application/json"},
               {"Wechatpay-Serial", serial_},
               {"Wechatpay-Signature", *sig},
               {"Wechatpay-Timestamp", ts},
               {"Wechatpay-Nonce", nonce},
               {"Wechatpay-Signature-Type", std::string(wechat::kSignatureType)}};
  s.body = std::move(body);
  return s;
}

json::object WechatPayNotifier::deliver(Request r, const Clock& now_s, const Post& post,
                                        const Sleep& sleep) const {
  Notice& n = r.notice;
  if (n.transaction_id.empty()) n.transaction_id = "42000000002026" + random_digits(14);
  json::object report{{"delivered", false},
                      {"notification_id", "EV-" + n.transaction_id},
                      {"transaction_id", n.transaction_id},
                      {"out_trade_no", n.out_trade_no},
                      {"mode", to_string(r.mode)}};
  json::array attempts;
  // One notification, re-signed for every attempt (fresh timestamp and nonce).
  const auto body = build_body(n, r.mode == Mode::kWrongAmount);
  if (!body) {
    report["error"] = "could not encrypt the resource (APIv3 key must be 32 bytes)";
    report["attempts"] = std::move(attempts);
    return report;
  }
  const auto send = [&](int attempt, bool first, bool duplicate) {
    const bool stale = first && r.mode == Mode::kStaleTimestamp;
    const bool bad = first && r.mode == Mode::kBadSignature;
    const auto s = sign(*body, now_s() - (stale ? kStaleSkewS : 0), bad);
    PostResult res;
    if (s) {
      res = post(n.notify_url, *s);
    } else {
      res.error = "could not sign (platform private key unreadable)";
    }
    attempts.push_back(json::object{{"attempt", attempt},
                                    {"status", res.status},
                                    {"error", res.error},
                                    {"tampered", stale || bad || r.mode == Mode::kWrongAmount},
                                    {"duplicate", duplicate}});
    return res.status >= 200 && res.status < 300;
  };
  bool delivered = false;
  for (int i = 0; i < r.attempts && !delivered; ++i) {
    if (i > 0) sleep(std::chrono::milliseconds(r.retry_delay_ms));
    delivered = send(i + 1, i == 0, false);
  }
  if (delivered && r.mode == Mode::kDuplicate)
    send(static_cast<int>(attempts.size()) + 1, false, true);
  report["delivered"] = delivered;
  report["attempts"] = std::move(attempts);
  return report;
}

}  // namespace coldtrack::sim
