#include "sim/sms_sim.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <optional>
#include <utility>

#include "carriers/kdniao/kdniao.h"
#include "domain/time.h"
#include "domain/validation.h"
#include "notify/sms/aliyun.h"
#include "notify/sms/tencent.h"
#include "security/crypto.h"

namespace coldtrack::sim {

namespace json = boost::json;
namespace aliyun = notify::sms::aliyun;
namespace tencent = notify::sms::tencent;

namespace {

constexpr std::int64_t kDayMs = 24LL * 3600 * 1000;
constexpr std::string_view kAliyunHost = "dysmsapi.aliyuncs.com";

// "8-4-4-4-12" hex like both providers' RequestIds (Aliyun uppercase, Tencent lowercase).
std::string request_id(bool upper) {
  std::string h = security::random_hex(16);
  if (upper)
    for (char& c : h) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

SmsGateway::Answer json_answer(int status, const json::object& body) {
  SmsGateway::Answer a;
  a.status = status;
  a.body = json::serialize(body);
  return a;
}

// ---- Aliyun answers ---------------------------------------------------------------------------

// A gateway refusal (authentication, missing parameters): HTTP 4xx, POP's error shape.
// Only SignatureDoesNotMatch is named by sms.md; the other codes are Aliyun's public POP codes
// (unverified).
SmsGateway::Answer aliyun_refuse(int status, std::string_view code, std::string message) {
  return json_answer(
      status, json::object{{"RequestId", request_id(true)},
                           {"HostId", kAliyunHost},
                           {"Code", code},
                           {"Message", std::move(message)},
                           {"Recommend", fmt::format("https://api.aliyun.com/troubleshoot?q={}"
                                                     "&product=Dysmsapi",
                                                     code)}});
}

// A business refusal (sms.md A.5 codes): HTTP 200 with Code and Message.
SmsGateway::Answer aliyun_business(std::string_view code, std::string_view message) {
  return json_answer(
      200, json::object{{"RequestId", request_id(true)}, {"Code", code}, {"Message", message}});
}

SmsGateway::Answer aliyun_missing(std::string_view name) {
  return aliyun_refuse(400, fmt::format("Missing{}", name),
                       fmt::format("{} is mandatory for this action.", name));
}

// ---- Tencent answers --------------------------------------------------------------------------

// Request-level failure (sms.md B.5): always HTTP 200.
SmsGateway::Answer tencent_error(std::string_view code, std::string_view message) {
  return json_answer(
      200, json::object{{"Response",
                         json::object{{"Error", json::object{{"Code", code}, {"Message", message}}},
                                      {"RequestId", request_id(false)}}}});
}

std::string header(const std::map<std::string, std::string>& headers, const char* name) {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::optional<std::int64_t> parse_int(std::string_view s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  std::int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Authorization: "TC3-HMAC-SHA256 Credential=ID/DATE/sms/tc3_request, SignedHeaders=..,
// Signature=..": the SecretId, or nullopt when the header does not have that shape.
std::optional<std::string> credential_id(std::string_view auth) {
  const std::string prefix = std::string(tencent::kAlgorithm) + " Credential=";
  if (!auth.starts_with(prefix)) return std::nullopt;
  auth.remove_prefix(prefix.size());
  const auto slash = auth.find('/');
  if (slash == std::string_view::npos || slash == 0) return std::nullopt;
  if (auth.find(", SignedHeaders=") == std::string_view::npos ||
      auth.find(", Signature=") == std::string_view::npos)
    return std::nullopt;
  return std::string(auth.substr(0, slash));
}

bool has_url(std::string_view s) {
  return s.find("http://") != std::string_view::npos ||
         s.find("https://") != std::string_view::npos || s.find("www.") != std::string_view::npos;
}

}  // namespace

std::string_view to_string(SmsGateway::Provider p) {
  return p == SmsGateway::Provider::kAliyun ? "aliyun" : "tencent";
}

SmsGateway::SmsGateway(Keys keys, Clock clock) : keys_(std::move(keys)), clock_(std::move(clock)) {}

std::int64_t SmsGateway::now_ms() const {
  if (clock_) return clock_();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

bool SmsGateway::take_fault_locked(Provider p, Fault* fault) {
  auto& q = faults_[static_cast<std::size_t>(p)];
  if (q.empty()) return false;
  *fault = q.front().fault;
  if (--q.front().remaining <= 0) q.pop_front();
  return true;
}

int SmsGateway::recent_locked(const std::string& key, std::int64_t now) {
  auto& times = sent_[key];
  while (!times.empty() && times.front() <= now - kDayMs) times.pop_front();
  return static_cast<int>(times.size());
}

bool SmsGateway::add_fault(Provider provider, Fault fault, int count) {
  if (fault == Fault::kSignatureExpire && provider != Provider::kTencent) return false;
  if (count < 1) return false;
  std::lock_guard lock(mu_);
  faults_[static_cast<std::size_t>(provider)].push_back(QueuedFault{fault, count});
  return true;
}

int SmsGateway::pending_faults(Provider provider) const {
  std::lock_guard lock(mu_);
  int n = 0;
  for (const QueuedFault& f : faults_[static_cast<std::size_t>(provider)]) n += f.remaining;
  return n;
}

// ---- Aliyun -----------------------------------------------------------------------------------

SmsGateway::Answer SmsGateway::aliyun(std::string_view method, std::string_view raw_query,
                                      std::string_view body) {
  if (method != "GET" && method != "POST")
    return aliyun_refuse(400, "UnsupportedHTTPMethod", "This http method is not supported.");
  // Decoded exactly once ('+' = space, %XX), like the other simulated form endpoints.
  auto params = carriers::kdniao::parse_form(raw_query);
  if (raw_query.empty()) params.emplace();
  if (params && method == "POST" && !body.empty()) {
    auto form = carriers::kdniao::parse_form(body);
    if (!form) {
      params.reset();
    } else {
      for (auto& [k, v] : *form)
        if (!params->emplace(k, std::move(v)).second) params.reset();
    }
  }
  if (!params) return aliyun_refuse(400, "InvalidParameter", "The parameters are malformed.");
  return aliyun_params(method, std::move(*params));
}

SmsGateway::Answer SmsGateway::aliyun_params(std::string_view method,
                                             std::map<std::string, std::string> p) {
  const auto get = [&p](const char* name) {
    auto it = p.find(name);
    return it == p.end() ? std::string() : it->second;
  };
  for (const char* name : {"AccessKeyId", "Signature", "SignatureMethod", "SignatureNonce",
                           "SignatureVersion", "Timestamp", "Action", "Version"})
    if (get(name).empty()) return aliyun_missing(name);
  if (get("AccessKeyId") != keys_.aliyun_access_key_id || keys_.aliyun_access_key_id.empty())
    return aliyun_refuse(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
  if (get("SignatureMethod") != "HMAC-SHA1" || get("SignatureVersion") != "1.0")
    return aliyun_refuse(400, "InvalidParameter", "SignatureMethod/SignatureVersion unsupported.");
  if (!aliyun::verify_signature(method, p, keys_.aliyun_access_key_secret)) {
    // Aliyun shows its string to sign, which is what one needs to find the bug.
    return aliyun_refuse(400, "SignatureDoesNotMatch",
                         "Specified signature is not matched with our calculation. server "
                         "string to sign is:" +
                             aliyun::string_to_sign(method, aliyun::canonicalized_query(p)));
  }
  const std::string ts = get("Timestamp");
  const auto sent_at = domain::parse_rfc3339(ts);
  if (!sent_at || !(ts.ends_with('Z') || ts.ends_with('z')))
    return aliyun_refuse(400, "InvalidTimeStamp.Format",
                         "Specified time stamp or date value is not well formatted.");

  const std::string nonce_key = get("AccessKeyId") + "\n" + get("SignatureNonce");
  Fault fault{};
  bool faulted = false;
  {
    std::lock_guard lock(mu_);
    const std::int64_t now = now_ms();
    if (*sent_at < now - kAliyunTimestampWindowS * 1000 ||
        *sent_at > now + kAliyunTimestampWindowS * 1000)
      return aliyun_refuse(400, "InvalidTimeStamp.Expired",
                           "Specified time stamp or date value is expired.");
    // A nonce only needs remembering while its timestamp could still be accepted.
    for (auto it = nonces_.begin(); it != nonces_.end();)
      it = it->second < now - 2 * kAliyunTimestampWindowS * 1000 ? nonces_.erase(it) : ++it;
    if (!nonces_.emplace(nonce_key, now).second)
      return aliyun_refuse(400, "SignatureNonceUsed",
                           "Specified signature nonce was used already.");
    faulted = take_fault_locked(Provider::kAliyun, &fault);
  }
  if (get("Action") != "SendSms")
    return aliyun_refuse(404, "InvalidAction.NotFound", "Specified api is not found.");
  if (get("Version") != "2017-05-25")
    return aliyun_refuse(400, "InvalidVersion", "Specified parameter Version is not valid.");

  if (faulted) {
    switch (fault) {
      case Fault::kRateLimit:
        return aliyun_business("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:50");
      case Fault::kPermanent:
        return aliyun_business("isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number");
      case Fault::kInternalError: {
        // A front end failing before Dysmsapi answers: no Code, so the sender cannot know.
        Answer a;
        a.status = 503;
        a.content_type = "text/html";
        a.body = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>";
        return a;
      }
      case Fault::kTimeout: {
        Answer a;
        a.status = 504;
        a.content_type = "text/plain";
        a.hold = true;
        return a;
      }
      case Fault::kSignatureExpire:
        break;  // never queued for Aliyun
    }
  }

  for (const char* name : {"PhoneNumbers", "SignName", "TemplateCode"})
    if (get(name).empty()) return aliyun_missing(name);
  std::vector<std::string> phones;
  {
    const std::string all = get("PhoneNumbers");
    std::size_t start = 0;
    while (start <= all.size()) {
      const std::size_t comma =
          std::min(all.find(aliyun::kPhoneNumberSeparator, start), all.size());
      phones.push_back(all.substr(start, comma - start));
      start = comma + 1;
    }
  }
  if (phones.size() > kAliyunMaxNumbers)
    return aliyun_business("isv.MOBILE_COUNT_OVER_LIMIT", "mobile count over limit");
  std::vector<std::string> normalized;
  for (const std::string& phone : phones) {
    auto n = domain::normalize_mobile(phone);
    if (!n) return aliyun_business("isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number");
    normalized.push_back(*n);
  }
  const std::string template_param = get("TemplateParam");
  if (!template_param.empty()) {
    std::error_code ec;
    const json::value v = json::parse(template_param, ec);
    if (ec || !v.is_object())
      return aliyun_business("isv.INVALID_JSON_PARAM", "JSON parameter is invalid");
    for (const auto& [k, item] : v.as_object())
      if (item.is_string() && has_url(item.get_string()))
        return aliyun_business("isv.PARAM_NOT_SUPPORT_URL", "URLs are not supported");
  }

  std::lock_guard lock(mu_);
  const std::int64_t now = now_ms();
  const std::string limit_prefix = "aliyun\n" + get("SignName") + "\n" + get("TemplateCode") + "\n";
  // A request counts once accepted (A.5): check every number first, then count them all.
  for (const std::string& n : normalized)
    if (recent_locked(limit_prefix + n, now) >= kAliyunDailyLimit)
      return aliyun_business("isv.BUSINESS_LIMIT_CONTROL",
                             fmt::format("触发天级流控Permits:{}", kAliyunDailyLimit));
  const std::string rid = request_id(true);
  const std::string biz_id = fmt::format("{}^0", 900'000'000'000'000'000ULL + next_id_++);
  for (std::size_t i = 0; i < phones.size(); ++i) {
    sent_[limit_prefix + normalized[i]].push_back(now);
    Message m;
    m.provider = Provider::kAliyun;
    m.phone = phones[i];
    m.sign_name = get("SignName");
    m.template_id = get("TemplateCode");
    m.params = template_param;
    m.reference = get("OutId");
    m.id = biz_id;
    m.request_id = rid;
    m.received_at_ms = now;
    messages_.push_back(std::move(m));
  }
  return json_answer(
      200, json::object{{"Message", "OK"}, {"RequestId", rid}, {"BizId", biz_id}, {"Code", "OK"}});
}

// ---- Tencent ----------------------------------------------------------------------------------

SmsGateway::Answer SmsGateway::tencent(std::string_view path,
                                       const std::map<std::string, std::string>& headers,
                                       std::string_view body) {
  // Codes other than those sms.md B.5 names are Tencent's public common error codes
  // (unverified).
  const std::string action = header(headers, "x-tc-action");
  if (action.empty())
    return tencent_error("MissingParameter",
                         "The request is missing a required parameter `Action`.");
  if (action != "SendSms")
    return tencent_error("InvalidAction", "The requested action `" + action + "` does not exist.");
  if (header(headers, "x-tc-version") != "2021-01-11")
    return tencent_error("NoSuchVersion", "The requested version does not exist.");
  if (header(headers, "x-tc-region").empty())
    return tencent_error("MissingParameter",
                         "The request is missing a required parameter `Region`.");
  const auto ts = parse_int(header(headers, "x-tc-timestamp"));
  if (!ts)
    return tencent_error("MissingParameter",
                         "The request is missing a required parameter `Timestamp`.");
  const std::string auth = header(headers, "authorization");
  const auto id = credential_id(auth);
  if (!id) return tencent_error("AuthFailure.InvalidAuthorization", "Authorization is invalid.");
  if (*id != keys_.tencent_secret_id || keys_.tencent_secret_id.empty())
    return tencent_error("AuthFailure.SecretIdNotFound", "The SecretId is not found.");
  const std::int64_t now = now_ms();
  if (*ts * 1000 < now - kTencentTimestampWindowS * 1000 ||
      *ts * 1000 > now + kTencentTimestampWindowS * 1000)
    return tencent_error("AuthFailure.SignatureExpire",
                         "Signature expired. Timestamp and server time cannot differ by more "
                         "than five minutes.");
  // Recomputed over the exact Content-Type, Host and body received (sms.md B.1: a rewritten
  // charset must fail here as it does at Tencent).
  tencent::Tc3Input in;
  in.secret_id = *id;
  in.secret_key = keys_.tencent_secret_key;
  in.service = "sms";
  in.host = header(headers, "host");
  in.uri = std::string(path);
  in.content_type = header(headers, "content-type");
  in.payload = std::string(body);
  in.timestamp = *ts;
  if (!security::constant_time_equal(tencent::tc3_sign(in).authorization, auth))
    return tencent_error("AuthFailure.SignatureFailure",
                         "The provided credentials could not be validated. Please check your "
                         "signature is correct.");

  Fault fault{};
  bool faulted = false;
  {
    std::lock_guard lock(mu_);
    faulted = take_fault_locked(Provider::kTencent, &fault);
  }
  if (faulted && fault == Fault::kSignatureExpire)
    return tencent_error("AuthFailure.SignatureExpire",
                         "Signature expired. Timestamp and server time cannot differ by more "
                         "than five minutes.");
  if (faulted && fault == Fault::kInternalError)
    return tencent_error("InternalError", "An internal error has occurred. Retry later.");
  if (faulted && fault == Fault::kTimeout) {
    Answer a;
    a.status = 504;
    a.content_type = "text/plain";
    a.hold = true;
    return a;
  }

  std::error_code ec;
  const json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return tencent_error("InvalidParameter", "The body is not JSON.");
  const json::object& req = v.as_object();
  const auto str = [&req](std::string_view key) -> std::optional<std::string> {
    const json::value* f = req.if_contains(key);
    if (f == nullptr) return std::string();
    if (!f->is_string()) return std::nullopt;
    return std::string(f->get_string());
  };
  for (const char* name : {"SmsSdkAppId", "SignName", "TemplateId", "SessionContext"})
    if (!str(name))
      return tencent_error("InvalidParameter", fmt::format("{} must be a string", name));
  const json::value* set = req.if_contains("PhoneNumberSet");
  if (set == nullptr || !set->is_array() || set->as_array().empty())
    return tencent_error("MissingParameter",
                         "The request is missing a required parameter `PhoneNumberSet`.");
  if (set->as_array().size() > tencent::kMaxPhoneNumbers)
    return tencent_error("LimitExceeded.PhoneNumberCountLimit",
                         "The number of phone numbers exceeds 200.");
  for (const char* name : {"SmsSdkAppId", "TemplateId", "SignName"})
    if (str(name)->empty())
      return tencent_error("MissingParameter",
                           fmt::format("The request is missing a required parameter `{}`.", name));
  if (*str("SmsSdkAppId") != keys_.tencent_sms_sdk_app_id)
    return tencent_error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.");
  const std::string session = *str("SessionContext");
  if (session.size() > tencent::kMaxSessionContextBytes)
    return tencent_error("InvalidParameterValue.ParameterLengthLimit",
                         "SessionContext must be shorter than 512 bytes.");
  json::array params;
  if (const json::value* ps = req.if_contains("TemplateParamSet")) {
    if (!ps->is_array()) return tencent_error("InvalidParameter", "TemplateParamSet is invalid.");
    for (const json::value& p : ps->as_array()) {
      if (!p.is_string())
        return tencent_error("InvalidParameter", "TemplateParamSet must hold strings.");
      params.push_back(p);
    }
  }
  for (const json::value& p : set->as_array())
    if (!p.is_string())
      return tencent_error("InvalidParameter", "PhoneNumberSet must hold strings.");

  std::lock_guard lock(mu_);
  const std::string rid = request_id(false);
  const std::string params_text = json::serialize(params);
  json::array statuses;
  for (const json::value& p : set->as_array()) {
    const std::string raw(p.get_string());
    const auto e164 = notify::sms::to_e164_mainland(raw);
    const std::string key = "tencent\n" + keys_.tencent_sms_sdk_app_id + "\n" + e164.value_or("");
    std::string code = "Ok", message = "send success", serial, iso = "CN";
    if (!e164 || (faulted && fault == Fault::kPermanent)) {
      code = "InvalidParameterValue.IncorrectPhoneNumber";
      message = "The phone number is incorrect.";
    } else if ((faulted && fault == Fault::kRateLimit) ||
               recent_locked(key, now) >= kTencentDailyLimit) {
      code = "LimitExceeded.PhoneNumberDailyLimit";
      message = "The number of messages sent to this number today exceeds the limit.";
    }
    if (code == "Ok") {
      serial = fmt::format("2645:{:020}", 104'000'000'000'000'000ULL + next_id_++);
      sent_[key].push_back(now);
      Message m;
      m.provider = Provider::kTencent;
      m.phone = raw;
      m.sign_name = *str("SignName");
      m.template_id = *str("TemplateId");
      m.params = params_text;
      m.reference = session;
      m.id = serial;
      m.request_id = rid;
      m.received_at_ms = now;
      messages_.push_back(std::move(m));
    } else if (!e164) {
      iso = "";
    }
    statuses.push_back(json::object{{"SerialNo", serial},
                                    {"PhoneNumber", e164.value_or(raw)},
                                    {"Fee", code == "Ok" ? 1 : 0},
                                    {"SessionContext", session},
                                    {"Code", code},
                                    {"Message", message},
                                    {"IsoCode", iso}});
  }
  return json_answer(
      200,
      json::object{{"Response", json::object{{"SendStatusSet", statuses}, {"RequestId", rid}}}});
}

// ---- Records ----------------------------------------------------------------------------------

std::vector<SmsGateway::Message> SmsGateway::messages() const {
  std::lock_guard lock(mu_);
  return messages_;
}

std::string SmsGateway::messages_json() const {
  std::lock_guard lock(mu_);
  json::array list;
  for (const Message& m : messages_) {
    json::object o{
        {"provider", to_string(m.provider)}, {"phone", m.phone}, {"sign_name", m.sign_name}};
    std::error_code ec;
    json::value params = json::parse(m.params, ec);
    if (ec) params = nullptr;
    if (m.provider == Provider::kAliyun) {
      o["template_code"] = m.template_id;
      o["template_param"] = std::move(params);
      o["out_id"] = m.reference;
      o["biz_id"] = m.id;
    } else {
      o["template_id"] = m.template_id;
      o["template_params"] = std::move(params);
      o["session_context"] = m.reference;
      o["serial_no"] = m.id;
    }
    o["request_id"] = m.request_id;
    o["received_at_ms"] = m.received_at_ms;
    list.push_back(std::move(o));
  }
  return json::serialize(json::object{{"messages", std::move(list)}});
}

void SmsGateway::reset() {
  std::lock_guard lock(mu_);
  nonces_.clear();
  sent_.clear();
  for (auto& q : faults_) q.clear();
  messages_.clear();
}

}  // namespace coldtrack::sim
