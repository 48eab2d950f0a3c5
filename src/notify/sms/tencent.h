// Tencent Cloud SMS SendSms (API 3.0, 2021-01-11, TC3-HMAC-SHA256): pure protocol code
// (protocols/sms.md Part B). Builds the signed JSON POST, parses the per-number answer. No
// sockets, no clocks: the time is passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "notify/sms/aliyun.h"  // shared SMS vocabulary (HttpRequest, Outcome, phone helpers)

namespace coldtrack::notify::sms::tencent {

inline constexpr std::string_view kDefaultEndpoint = "https://sms.tencentcloudapi.com/";
// Signed and sent from this one constant: the bytes must be identical (sms.md B.1).
inline constexpr std::string_view kContentType = "application/json; charset=utf-8";
inline constexpr std::string_view kAlgorithm = "TC3-HMAC-SHA256";
inline constexpr std::string_view kSignedHeaders = "content-type;host";
inline constexpr std::size_t kMaxPhoneNumbers = 200;         // per request [S3]
inline constexpr std::size_t kMaxSessionContextBytes = 511;  // "< 512 bytes" [S3]

struct Config {
  // scheme://host[:port]/path: Host (lowercased) and the canonical URI come from it.
  std::string endpoint{kDefaultEndpoint};
  std::string secret_id;
  std::string secret_key;  // secret: never logged
  std::string region = "ap-guangzhou";
  std::string sms_sdk_app_id;  // "1400006666"
  std::string sign_name;       // approved signature text (UTF-8)
};

struct Message {
  std::vector<std::string> phone_numbers;    // any form domain::normalize_mobile accepts
  std::string template_id;                   // "1110"
  std::vector<std::string> template_params;  // in template order
  std::string session_context;               // optional: our notification id, echoed back
};

// ---- TC3-HMAC-SHA256, any service (the official example is CVM) --------------------------------

struct Tc3Input {
  std::string secret_id;
  std::string secret_key;
  std::string service;  // "sms"
  std::string host;     // exactly the Host header sent
  std::string method = "POST";
  std::string uri = "/";
  std::string query;  // canonical query string ("" for POST)
  std::string content_type{kContentType};
  std::string payload;  // exactly the body sent
  std::int64_t timestamp = 0;
};

struct Tc3Signature {
  std::string canonical_request;
  std::string credential_scope;  // Date/service/tc3_request
  std::string string_to_sign;
  std::string signature;      // lowercase hex
  std::string authorization;  // the Authorization header value
};

// "yyyy-mm-dd" of the UTC day (not Beijing time) of `unix_seconds`.
std::string utc_date(std::int64_t unix_seconds);
// HMAC chain "TC3"+key -> date -> service -> "tc3_request" (raw 32 bytes).
std::string signing_key(std::string_view secret_key, std::string_view date,
                        std::string_view service);
Tc3Signature tc3_sign(const Tc3Input& in);

// ---- SendSms -----------------------------------------------------------------------------------

// {"PhoneNumberSet":[..],"SmsSdkAppId":..,"SignName":..,"TemplateId":..,"TemplateParamSet":[..]
// [,"SessionContext":..]}: compact, this field order, numbers in E.164.
std::variant<std::string, BuildError> build_body(const Config& config, const Message& message);
// POST to the endpoint with Content-Type, Host, X-TC-Action, X-TC-Version, X-TC-Timestamp,
// X-TC-Region and Authorization, in that order.
BuildResult build_send_sms(const Config& config, const Message& message, std::int64_t unix_seconds);

// One SendStatusSet entry (or a requested number the answer left out: kUncertain, no code).
struct NumberStatus {
  std::string phone_number;  // E.164 as echoed
  Disposition disposition;
  std::string code;  // "Ok" only on success (note the case)
  std::string message;
  std::string serial_no;
  std::int64_t fee = 0;
  std::string iso_code;
};

struct SendResult {
  // Request level: kSent when Tencent answered with SendStatusSet (then look at `numbers`),
  // otherwise the Error's class (or kUncertain for an answer that is not Tencent's).
  Disposition request;
  std::string error_code;  // Response.Error.Code ("" when none); `numbers` is then empty
  std::string error_message;
  std::string request_id;
  std::vector<NumberStatus> numbers;

  // True only when the request succeeded and every number's Code is "Ok".
  bool all_sent() const;
};

// Per-code handling, request or number level; unknown codes are permanent (never retry a Code).
Disposition classify(std::string_view code);
// `requested`: the numbers sent (any accepted form); those missing from SendStatusSet are
// reported as kUncertain. Never throws.
SendResult parse_send_sms_response(int http_status, std::string_view body,
                                   const std::vector<std::string>& requested = {});

}  // namespace coldtrack::notify::sms::tencent
