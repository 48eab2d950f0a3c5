#include "notify/sms/aliyun.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "domain/validation.h"
#include "security/crypto.h"

namespace coldtrack::notify::sms {

namespace json = boost::json;

std::optional<std::string> to_e164_mainland(std::string_view phone) {
  auto digits = domain::normalize_mobile(phone);
  if (!digits) return std::nullopt;
  return "+86" + *digits;
}

namespace aliyun {
namespace {

// sms.md A.2: the fixed common parameters.
constexpr std::string_view kAction = "SendSms";
constexpr std::string_view kVersion = "2017-05-25";
constexpr std::string_view kSignatureMethod = "HMAC-SHA1";
constexpr std::string_view kSignatureVersion = "1.0";

struct CodeRule {
  std::string_view code;
  Disposition disposition;
};

// sms.md A.5, the one table of Aliyun codes. Anything not listed (and not "OK") is permanent:
// A.6 forbids retrying after any response that carries a Code.
constexpr std::array<CodeRule, 7> kCodeRules{{
    {"OK", {Outcome::kSent, false}},
    {"isv.BUSINESS_LIMIT_CONTROL", {Outcome::kRateLimited, false}},
    {"isv.MOBILE_NUMBER_ILLEGAL", {Outcome::kPermanent, false}},
    {"isv.TEMPLATE_MISSING_PARAMETERS", {Outcome::kPermanent, true}},  // our bug
    {"isv.PARAM_NOT_SUPPORT_URL", {Outcome::kPermanent, true}},        // template design
    {"isv.AMOUNT_NOT_ENOUGH", {Outcome::kPermanent, true}},            // balance
    {"SignatureDoesNotMatch", {Outcome::kPermanent, true}},            // signing bug / secret
}};

std::string hmac_sha1(std::string_view key, std::string_view data) {
  std::array<unsigned char, 20> out{};
  std::size_t len = 0;
  // EVP_Q_mac: size_t lengths and no deprecated HMAC_CTX (OpenSSL 3), like security/crypto.cc.
  if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA1", nullptr, key.data(), key.size(),
                reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
                out.size(), &len) == nullptr ||
      len != out.size()) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  return std::string(reinterpret_cast<const char*>(out.data()), len);
}

std::string_view method_name(Method m) {
  return m == Method::kGet ? "GET" : "POST";
}

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  if (v == nullptr || !v->is_string()) return {};
  return std::string(v->get_string());
}

}  // namespace

std::string percent_encode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0x0F]);
    }
  }
  return out;
}

std::string canonicalized_query(const Params& params) {
  // Sorted by the *encoded* name (A.3 step 3); std::map orders raw names, which differs as soon
  // as a name needs escaping.
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(params.size());
  for (const auto& [name, value] : params) {
    if (name == "Signature") continue;
    encoded.emplace_back(percent_encode(name), percent_encode(value));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out.append(name).append("=").append(value);
  }
  return out;
}

std::string string_to_sign(std::string_view method, std::string_view canonicalized_query) {
  std::string out(method);
  out.append("&").append(percent_encode("/")).append("&");
  out.append(percent_encode(canonicalized_query));
  return out;
}

std::string sign(std::string_view string_to_sign, std::string_view access_key_secret) {
  const std::string key = std::string(access_key_secret) + "&";
  return security::base64_encode(hmac_sha1(key, string_to_sign));
}

std::string signature(std::string_view method, const Params& params,
                      std::string_view access_key_secret) {
  return sign(string_to_sign(method, canonicalized_query(params)), access_key_secret);
}

bool verify_signature(std::string_view method, const Params& params_with_signature,
                      std::string_view access_key_secret) {
  const auto it = params_with_signature.find("Signature");
  if (it == params_with_signature.end()) return false;
  return security::constant_time_equal(signature(method, params_with_signature, access_key_secret),
                                       it->second);
}

std::string format_timestamp(std::int64_t unix_seconds) {
  using namespace std::chrono;
  const sys_seconds t{seconds{unix_seconds}};
  const auto day = floor<days>(t);
  const year_month_day ymd{day};
  const hh_mm_ss hms{t - day};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::variant<Params, BuildError> build_params(const Config& config, const Message& message,
                                              std::string_view signature_nonce,
                                              std::int64_t unix_seconds) {
  if (config.access_key_id.empty()) return BuildError{"access_key_id", "is required"};
  if (config.access_key_secret.empty()) return BuildError{"access_key_secret", "is required"};
  if (config.sign_name.empty()) return BuildError{"sign_name", "is required"};
  if (config.format != "JSON" && config.format != "XML")
    return BuildError{"format", "must be JSON or XML"};
  if (signature_nonce.empty()) return BuildError{"signature_nonce", "is required"};
  if (message.template_code.empty()) return BuildError{"template_code", "is required"};
  if (message.phone_numbers.empty()) return BuildError{"phone_numbers", "must not be empty"};

  std::string phones;
  std::set<std::string> seen;
  for (const auto& raw : message.phone_numbers) {
    auto phone = domain::normalize_mobile(raw);
    if (!phone) return BuildError{"phone_numbers", "must be mainland China mobile numbers"};
    // Each listed number is one billed message; a repeat is a caller bug, not a resend.
    if (!seen.insert(*phone).second) return BuildError{"phone_numbers", "must not repeat a number"};
    if (!phones.empty()) phones.append(kPhoneNumberSeparator);
    phones.append(*phone);
  }

  if (!message.template_param.empty()) {
    // Sent verbatim (the signed bytes are the caller's text), but it must be a JSON object.
    json::error_code ec;
    const auto v = json::parse(message.template_param, ec);
    if (ec || !v.is_object()) return BuildError{"template_param", "must be a JSON object"};
  }

  Params p;
  p.emplace("AccessKeyId", config.access_key_id);
  p.emplace("Action", kAction);
  p.emplace("Format", config.format);
  p.emplace("RegionId", config.region_id);
  p.emplace("SignatureMethod", kSignatureMethod);
  p.emplace("SignatureNonce", signature_nonce);
  p.emplace("SignatureVersion", kSignatureVersion);
  p.emplace("Timestamp", format_timestamp(unix_seconds));
  p.emplace("Version", kVersion);
  p.emplace("PhoneNumbers", std::move(phones));
  p.emplace("SignName", config.sign_name);
  p.emplace("TemplateCode", message.template_code);
  if (!message.template_param.empty()) p.emplace("TemplateParam", message.template_param);
  if (!message.out_id.empty()) p.emplace("OutId", message.out_id);
  return p;
}

BuildResult build_send_sms(const Config& config, const Message& message,
                           std::string_view signature_nonce, std::int64_t unix_seconds,
                           Method method) {
  auto built = build_params(config, message, signature_nonce, unix_seconds);
  if (auto* err = std::get_if<BuildError>(&built)) return std::move(*err);
  const auto& params = std::get<Params>(built);

  const std::string_view verb = method_name(method);
  const std::string canonical = canonicalized_query(params);
  const std::string sig = sign(string_to_sign(verb, canonical), config.access_key_secret);
  // Signature first, then the canonical query: the shape of the doc's request URL (A.4).
  std::string query = "Signature=" + percent_encode(sig) + "&" + canonical;

  HttpRequest req;
  req.method = verb;
  if (method == Method::kGet) {
    req.url = config.endpoint + "?" + query;
  } else {
    req.url = config.endpoint;
    req.headers.emplace_back("Content-Type", kFormContentType);
    req.body = std::move(query);
  }
  return req;
}

Disposition classify(std::string_view code) {
  for (const auto& rule : kCodeRules)
    if (rule.code == code) return rule.disposition;
  // A server-side failure carries a Code too, but says nothing about whether the message went
  // out (sms.md: 5xx and internal errors are ambiguous): uncertain, never retried.
  if (code.starts_with("InternalError") || code.starts_with("ServiceUnavailable"))
    return {Outcome::kUncertain, false};
  return {Outcome::kPermanent, false};
}

SendResult parse_send_sms_response(int http_status, std::string_view body) {
  // The HTTP status decides nothing: a Code does (errors come with 4xx), and without one the
  // answer is not Aliyun's verdict (proxy page, truncated body) whatever the status.
  SendResult r;  // kUncertain until a Code is found
  const auto not_ours = [&](std::string_view why) {
    r.message = "HTTP " + std::to_string(http_status) + ": " + std::string(why);
    return r;
  };
  json::error_code ec;
  const auto v = json::parse(body, ec);
  if (ec || !v.is_object()) return not_ours("unparseable response");
  const auto& o = v.get_object();
  r.code = string_field(o, "Code");
  r.message = string_field(o, "Message");
  r.request_id = string_field(o, "RequestId");
  r.biz_id = string_field(o, "BizId");
  if (r.code.empty()) return not_ours("response without Code");
  r.disposition = classify(r.code);
  return r;
}

}  // namespace aliyun
}  // namespace coldtrack::notify::sms
