// Aliyun SMS SendSms (RPC style, signature v1): pure protocol code (protocols/sms.md Part A).
// Builds the signed GET URL or POST form, classifies responses. No sockets, no clocks: the
// nonce and the time are passed in.
//
// The first half of this header is the vocabulary both SMS adapters share (tencent.h includes
// it); it moves to the SmsSender interface header once that exists.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace coldtrack::notify::sms {

// ---- Shared by both providers ------------------------------------------------------------------

// An HTTP request the transport sends as is: headers in order, body exactly the signed bytes.
struct HttpRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// Why no request could be built (our input, never the provider's answer).
struct BuildError {
  std::string field;
  std::string message;
};

using BuildResult = std::variant<HttpRequest, BuildError>;

// Neither SendSms is idempotent (sms.md A.6, B.6), so a provider answer is never retried except
// where the provider says nothing was processed.
enum class Outcome {
  kSent,         // accepted for this number
  kRateLimited,  // a frequency/daily limit: defer or drop this message, never hammer
  kPermanent,    // answered with a failure code: do not retry
  kRetryable,    // provider did not process it (Tencent SignatureExpire): re-sign, retry once
  kUncertain,    // an answer without a usable code (5xx, garbage, InternalError): may have been
                 // sent; do not retry, reconcile by OutId / SessionContext
};

struct Disposition {
  Outcome outcome = Outcome::kUncertain;
  bool alert = false;  // operator must act (credentials, clock, balance, template/sign config)
};

// Retry budget for transport failures with no response at all (connect, DNS, TLS, timeout before
// any answer), with the same OutId / SessionContext. Both providers: at most once.
inline constexpr int kMaxTransportRetries = 1;

// A mainland mobile in any form domain::normalize_mobile accepts, in E.164 ("+8613800138000"),
// as Tencent wants it.
std::optional<std::string> to_e164_mainland(std::string_view phone);

// ---- Aliyun ------------------------------------------------------------------------------------

namespace aliyun {

inline constexpr std::string_view kDefaultEndpoint = "https://dysmsapi.aliyuncs.com/";
inline constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";
// (unverified) sms.md only says PhoneNumbers holds "mobile number(s)"; joining several with a
// half-width comma is Aliyun's public API reference, not checked against the doc. The one place
// this is decided.
inline constexpr std::string_view kPhoneNumberSeparator = ",";

struct Config {
  std::string endpoint{kDefaultEndpoint};  // with the trailing '/'; the simulator's in tests
  std::string access_key_id;
  std::string access_key_secret;  // secret: never logged
  std::string sign_name;          // approved SMS signature (UTF-8, e.g. 冷链小店)
  std::string region_id = "cn-hangzhou";
  std::string format = "JSON";  // the response parser understands JSON only
};

struct Message {
  std::vector<std::string> phone_numbers;  // any form domain::normalize_mobile accepts
  std::string template_code;               // "SMS_71390007"
  std::string template_param;              // a JSON object as text, sent verbatim
  std::string out_id;                      // optional: our notification id, for reconciliation
};

enum class Method { kGet, kPost };

// Unencoded parameter name -> value.
using Params = std::map<std::string, std::string>;

// RFC 3986 over UTF-8 bytes: A-Z a-z 0-9 - _ . ~ kept, everything else %XX uppercase.
std::string percent_encode(std::string_view s);
// Encoded name=value pairs sorted by encoded name, joined by '&'. Any "Signature" is skipped.
std::string canonicalized_query(const Params& params);
// METHOD & %2F & percent_encode(canonicalized query).
std::string string_to_sign(std::string_view method, std::string_view canonicalized_query);
// Base64(HMAC-SHA1(access_key_secret + "&", string_to_sign)).
std::string sign(std::string_view string_to_sign, std::string_view access_key_secret);
// All three steps over params (without "Signature").
std::string signature(std::string_view method, const Params& params,
                      std::string_view access_key_secret);
// Server side (simulator): recomputes over params minus "Signature", compares in constant time.
bool verify_signature(std::string_view method, const Params& params_with_signature,
                      std::string_view access_key_secret);

// "2017-07-12T02:42:19Z" from Unix seconds.
std::string format_timestamp(std::int64_t unix_seconds);

// The documented common + business parameters, unsigned. Validates and normalizes numbers.
std::variant<Params, BuildError> build_params(const Config& config, const Message& message,
                                              std::string_view signature_nonce,
                                              std::int64_t unix_seconds);
// The signed request: GET puts "Signature=..&<canonicalized query>" after endpoint + '?', POST
// sends the same string as an application/x-www-form-urlencoded body to the endpoint.
BuildResult build_send_sms(const Config& config, const Message& message,
                           std::string_view signature_nonce, std::int64_t unix_seconds,
                           Method method = Method::kPost);

// What a SendSms answer means (sms.md A.5). `Code` is missing only when the answer was not ours.
struct SendResult {
  Disposition disposition;
  std::string code;  // "OK", "isv.BUSINESS_LIMIT_CONTROL", ... ("" when absent)
  std::string message;
  std::string request_id;
  std::string biz_id;  // store on success
};

// Per-code handling; unknown non-OK codes are permanent (never retry after a Code).
Disposition classify(std::string_view code);
// Any HTTP status: Aliyun reports errors as JSON with 4xx too. Never throws.
SendResult parse_send_sms_response(int http_status, std::string_view body);

}  // namespace aliyun
}  // namespace coldtrack::notify::sms
