#include "notify/sms/tencent.h"

#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <set>

#include "security/crypto.h"

namespace coldtrack::notify::sms::tencent {
namespace {

namespace json = boost::json;

// sms.md B.1.
constexpr std::string_view kService = "sms";
constexpr std::string_view kAction = "SendSms";
constexpr std::string_view kVersion = "2021-01-11";

struct CodeRule {
  std::string_view code;
  Disposition disposition;
};

// sms.md B.5, the one table of Tencent codes (request or number level). InternalError.* is
// matched by prefix in classify(); anything else unlisted is permanent (B.6: never retry a Code).
constexpr std::array<CodeRule, 9> kCodeRules{{
    {"Ok", {Outcome::kSent, false}},
    {"AuthFailure.SignatureFailure", {Outcome::kPermanent, true}},
    // Tencent did not process it: re-sign with a fresh timestamp and retry once; fix the clock.
    {"AuthFailure.SignatureExpire", {Outcome::kRetryable, true}},
    {"LimitExceeded.PhoneNumberDailyLimit", {Outcome::kRateLimited, false}},
    {"LimitExceeded.DeliveryFrequencyLimit", {Outcome::kRateLimited, false}},
    {"FailedOperation.PhoneNumberInBlacklist", {Outcome::kPermanent, false}},  // opted out
    {"InvalidParameterValue.IncorrectPhoneNumber", {Outcome::kPermanent, false}},
    {"FailedOperation.TemplateIncorrectOrUnapproved", {Outcome::kPermanent, true}},
    {"FailedOperation.SignatureIncorrectOrUnapproved", {Outcome::kPermanent, true}},
}};

struct Endpoint {
  std::string host;  // host[:port], lowercase
  std::string uri;   // path, "/" when absent
};

std::optional<Endpoint> parse_endpoint(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos || scheme_end == 0) return std::nullopt;
  std::string_view rest = url.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  Endpoint e;
  const std::string_view host = rest.substr(0, slash);
  const std::string_view path = slash == std::string_view::npos ? "/" : rest.substr(slash);
  if (host.empty() || host.find_first_of("?#@ ") != std::string_view::npos ||
      path.find_first_of("?# ") != std::string_view::npos) {
    return std::nullopt;
  }
  // Host names are case-insensitive; lowercasing here keeps the signed and sent bytes equal.
  for (char c : host) e.host.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  e.uri = path;
  return e;
}

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

std::int64_t int_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr) return 0;
  if (v->is_int64()) return v->get_int64();
  if (v->is_uint64()) return static_cast<std::int64_t>(v->get_uint64());
  return 0;
}

}  // namespace

std::string utc_date(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const year_month_day ymd{floor<days>(sys_seconds{seconds{unix_seconds}})};
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return buf;
}

std::string signing_key(std::string_view secret_key, std::string_view date,
                        std::string_view service) {
  const std::string k_date = security::hmac_sha256("TC3" + std::string(secret_key), date);
  const std::string k_service = security::hmac_sha256(k_date, service);
  return security::hmac_sha256(k_service, "tc3_request");
}

Tc3Signature tc3_sign(const Tc3Input& in) {
  Tc3Signature s;
  s.canonical_request = in.method + "\n" + in.uri + "\n" + in.query + "\n" +
                        "content-type:" + in.content_type + "\n" + "host:" + in.host + "\n" + "\n" +
                        std::string(kSignedHeaders) + "\n" + security::sha256_hex(in.payload);
  const std::string date = utc_date(in.timestamp);
  s.credential_scope = date + "/" + in.service + "/tc3_request";
  s.string_to_sign = std::string(kAlgorithm) + "\n" + std::to_string(in.timestamp) + "\n" +
                     s.credential_scope + "\n" + security::sha256_hex(s.canonical_request);
  s.signature =
      security::hmac_sha256_hex(signing_key(in.secret_key, date, in.service), s.string_to_sign);
  s.authorization = std::string(kAlgorithm) + " Credential=" + in.secret_id + "/" +
                    s.credential_scope + ", SignedHeaders=" + std::string(kSignedHeaders) +
                    ", Signature=" + s.signature;
  return s;
}

std::variant<std::string, BuildError> build_body(const Config& config, const Message& message) {
  if (config.sms_sdk_app_id.empty()) return BuildError{"sms_sdk_app_id", "is required"};
  if (config.sign_name.empty()) return BuildError{"sign_name", "is required"};
  if (message.template_id.empty()) return BuildError{"template_id", "is required"};
  if (message.phone_numbers.empty()) return BuildError{"phone_numbers", "must not be empty"};
  if (message.phone_numbers.size() > kMaxPhoneNumbers)
    return BuildError{"phone_numbers",
                      "must hold at most " + std::to_string(kMaxPhoneNumbers) + " numbers"};
  if (message.session_context.size() > kMaxSessionContextBytes)
    return BuildError{"session_context", "must be shorter than 512 bytes"};

  json::array phones;
  std::set<std::string> seen;
  for (const auto& raw : message.phone_numbers) {
    auto phone = to_e164_mainland(raw);
    if (!phone) return BuildError{"phone_numbers", "must be mainland China mobile numbers"};
    // Each listed number is one billed message; a repeat is a caller bug, not a resend.
    if (!seen.insert(*phone).second) return BuildError{"phone_numbers", "must not repeat a number"};
    phones.emplace_back(*phone);
  }
  json::array params;
  for (const auto& p : message.template_params) params.emplace_back(p);

  // json::object keeps insertion order: this is the documented field order (B.1, B.4).
  json::object body;
  body["PhoneNumberSet"] = std::move(phones);
  body["SmsSdkAppId"] = config.sms_sdk_app_id;
  body["SignName"] = config.sign_name;
  body["TemplateId"] = message.template_id;
  body["TemplateParamSet"] = std::move(params);
  if (!message.session_context.empty()) body["SessionContext"] = message.session_context;
  return json::serialize(body);
}

BuildResult build_send_sms(const Config& config, const Message& message,
                           std::int64_t unix_seconds) {
  if (config.secret_id.empty()) return BuildError{"secret_id", "is required"};
  if (config.secret_key.empty()) return BuildError{"secret_key", "is required"};
  if (config.region.empty()) return BuildError{"region", "is required"};  // required [S3]
  const auto endpoint = parse_endpoint(config.endpoint);
  if (!endpoint) return BuildError{"endpoint", "must be an absolute http(s) URL without query"};
  auto body = build_body(config, message);
  if (auto* err = std::get_if<BuildError>(&body)) return std::move(*err);

  Tc3Input in;
  in.secret_id = config.secret_id;
  in.secret_key = config.secret_key;
  in.service = kService;
  in.host = endpoint->host;
  in.uri = endpoint->uri;
  in.payload = std::move(std::get<std::string>(body));
  in.timestamp = unix_seconds;
  const Tc3Signature sig = tc3_sign(in);

  HttpRequest req;
  req.method = "POST";
  req.url = config.endpoint;
  req.headers = {
      {"Content-Type", std::string(kContentType)},
      {"Host", endpoint->host},
      {"X-TC-Action", std::string(kAction)},
      {"X-TC-Version", std::string(kVersion)},
      {"X-TC-Timestamp", std::to_string(unix_seconds)},
      {"X-TC-Region", config.region},
      {"Authorization", sig.authorization},
  };
  req.body = std::move(in.payload);
  return req;
}

bool SendResult::all_sent() const {
  if (request.outcome != Outcome::kSent || numbers.empty()) return false;
  for (const auto& n : numbers)
    if (n.disposition.outcome != Outcome::kSent) return false;
  return true;
}

Disposition classify(std::string_view code) {
  for (const auto& rule : kCodeRules)
    if (rule.code == code) return rule.disposition;
  // "InternalError.*, HTTP 5xx, timeouts: ambiguous" (B.5): it may have been sent.
  if (code == "InternalError" || code.starts_with("InternalError.")) return {Outcome::kUncertain};
  return {Outcome::kPermanent, false};
}

SendResult parse_send_sms_response(int http_status, std::string_view body,
                                   const std::vector<std::string>& requested) {
  SendResult r;  // request: kUncertain until Tencent's own answer is recognised
  const auto not_ours = [&](std::string_view why) {
    r.error_message = "HTTP " + std::to_string(http_status) + ": " + std::string(why);
    return r;
  };
  json::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return not_ours("unparseable response");
  const auto* resp = v.get_object().if_contains("Response");
  if (resp == nullptr || !resp->is_object()) return not_ours("response without Response");
  const auto& o = resp->get_object();
  r.request_id = string_field(o, "RequestId");

  if (const auto* err = o.if_contains("Error")) {
    if (!err->is_object()) return not_ours("malformed Error");
    r.error_code = string_field(err->get_object(), "Code");
    r.error_message = string_field(err->get_object(), "Message");
    if (!r.error_code.empty()) r.request = classify(r.error_code);
    return r;
  }

  const auto* set = o.if_contains("SendStatusSet");
  if (set == nullptr || !set->is_array()) return not_ours("response without SendStatusSet");
  r.request = {Outcome::kSent, false};
  for (const auto& item : set->get_array()) {
    if (!item.is_object()) continue;
    const auto& s = item.get_object();
    NumberStatus n;
    n.phone_number = string_field(s, "PhoneNumber");
    n.code = string_field(s, "Code");
    n.message = string_field(s, "Message");
    n.serial_no = string_field(s, "SerialNo");
    n.fee = int_field(s, "Fee");
    n.iso_code = string_field(s, "IsoCode");
    if (!n.code.empty()) n.disposition = classify(n.code);  // else stays kUncertain
    r.numbers.push_back(std::move(n));
  }

  // A number we sent that the answer does not mention: we cannot tell whether it went out.
  for (const auto& raw : requested) {
    const std::string e164 = to_e164_mainland(raw).value_or(raw);
    bool found = false;
    for (const auto& n : r.numbers) found = found || n.phone_number == e164;
    if (!found) {
      NumberStatus n;
      n.phone_number = e164;
      n.message = "number missing from SendStatusSet";
      r.numbers.push_back(std::move(n));
    }
  }
  return r;
}

}  // namespace coldtrack::notify::sms::tencent
