#include "carriers/kdniao/kdniao.h"

#include "carriers/form.h"
#include "carriers/json_text.h"

#include <fmt/format.h>
#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <boost/json.hpp>
#include <cctype>
#include <chrono>
#include <exception>
#include <stdexcept>
#include <utility>
#include <variant>

#include "carriers/mapping.h"
#include "security/crypto.h"

namespace coldtrack::carriers::kdniao {
namespace json = boost::json;

namespace {

// ---- Protocol tables (one place each) ---------------------------------------------------------

// Kdniao ShipperCodes that need CustomerName (doc §4; carrier-codes.md §1 "phone" column).
constexpr std::array<std::string_view, 3> kCustomerNameCarriers = {"SF", "ZTO", "KYSY"};

// Push request types we accept (doc §1/§7: 101 = tracking snapshot; 102 = meaning unconfirmed,
// treated as the same shape).
constexpr std::array<std::string_view, 2> kPushRequestTypes = {"101", "102"};

// Success:false reasons that describe a passing condition on Kdniao's side rather than a problem
// with our data or configuration. The doc (§8) lists only permanent causes for Success:false
// (signature/ID, unsupported carrier, missing CustomerName, unknown waybill), so anything not
// matching here is permanent. Matched case-insensitively (ASCII) as substrings.
constexpr std::array<std::string_view, 17> kTransientReasonMarkers = {
    "繁忙",     "稍后",       "超时",     "频繁",         "限流",       "系统异常",
    "系统错误", "服务异常",   "busy",     "timeout",      "timed out",  "try again",
    "later",    "rate limit", "too many", "too frequent", "temporarily"};

// Success:false reasons that just mean "no traces yet" (doc §5/§8: not an error, NO_INFO).
constexpr std::array<std::string_view, 3> kNoTraceReasonMarkers = {"暂无轨迹", "暂无物流",
                                                                   "no trace"};

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string ascii_upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

template <std::size_t N>
bool contains_any(std::string_view text, const std::array<std::string_view, N>& markers) {
  const std::string lower = ascii_lower(text);
  return std::any_of(markers.begin(), markers.end(), [&](std::string_view m) {
    return lower.find(ascii_lower(m)) != std::string::npos;
  });
}

// ---- JSON helpers -----------------------------------------------------------------------------

std::string field_text(const json::object& o, std::string_view key) {
  return scalar_text(o.if_contains(key));
}

// Success as bool; nullopt when absent or not a boolean-ish value.
std::optional<bool> success_flag(const json::object& o) {
  const json::value* v = o.if_contains("Success");
  if (v == nullptr) return std::nullopt;
  if (v->is_bool()) return v->get_bool();
  if (v->is_string()) {
    const std::string s = ascii_lower(v->get_string());
    if (s == "true") return true;
    if (s == "false") return false;
  }
  return std::nullopt;
}

std::optional<json::value> parse_json(std::string_view text) {
  json::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec) return std::nullopt;
  return v;
}

// ---- Classification ---------------------------------------------------------------------------

// HTTP-level outcome; nullopt when the body should be inspected (2xx).
std::optional<ProviderError> classify_http(int http_status) {
  if (http_status >= 200 && http_status < 300) return std::nullopt;
  const std::string msg = fmt::format("kdniao: HTTP {}", http_status);
  if (http_status <= 0 || http_status == 408 || http_status == 429 || http_status >= 500)
    return ProviderError{Failure::kRetryable, msg};
  // 1xx/3xx/other 4xx: the URL or the gateway configuration is wrong; retrying will not help.
  return ProviderError{Failure::kPermanent, msg};
}

ProviderError failure_from_reason(std::string_view reason) {
  const std::string text =
      reason.empty() ? "kdniao: Success:false without Reason" : fmt::format("kdniao: {}", reason);
  return ProviderError{
      contains_any(reason, kTransientReasonMarkers) ? Failure::kRetryable : Failure::kPermanent,
      text};
}

// ---- Waybill parsing (query responses and push Data items share the shape) --------------------

std::vector<Trace> parse_traces(const json::object& o, std::string_view waybill) {
  std::vector<Trace> traces;
  const json::value* tv = o.if_contains("Traces");
  if (tv == nullptr || !tv->is_array()) return traces;
  for (const json::value& item : tv->get_array()) {
    if (!item.is_object()) continue;
    const json::object& t = item.get_object();
    const std::string when = field_text(t, "AcceptTime");
    const std::optional<EpochMs> time = parse_carrier_time(when);
    if (!time) {
      // Kept in raw_payload; a trace we cannot place in time would corrupt the ordering.
      spdlog::warn("kdniao: dropping trace with unparseable AcceptTime '{}' (LogisticCode {})",
                   when, waybill);
      continue;
    }
    Trace trace;
    trace.time = *time;
    trace.description = field_text(t, "AcceptStation");
    trace.location = field_text(t, "Location");
    trace.raw_code = field_text(t, "Action");
    traces.push_back(std::move(trace));
  }
  normalize_traces(traces);
  return traces;
}

// A snapshot without traces: the waybill's identity and raw codes only (NO_INFO, mapped).
Snapshot no_info_snapshot(const json::object& o, std::string raw_payload, std::string carrier,
                          std::string waybill) {
  Snapshot s;
  s.provider = std::string(kProviderName);
  s.provider_carrier = std::move(carrier);
  s.waybill_no = std::move(waybill);
  s.raw_state = field_text(o, "State");
  s.raw_substate = field_text(o, "StateEx");
  s.raw_payload = std::move(raw_payload);
  return s;
}

// A Success:true waybill object -> snapshot.
Snapshot snapshot_from(const json::object& o, std::string raw_payload, std::string carrier,
                       std::string waybill) {
  Snapshot s = no_info_snapshot(o, std::move(raw_payload), std::move(carrier), std::move(waybill));
  s.traces = parse_traces(o, s.waybill_no);
  // Doc §5: no traces yet is NO_INFO, whatever State says (raw codes are kept for re-mapping).
  if (!s.traces.empty()) {
    const Mapped m = map_kdniao(s.raw_state, s.raw_substate);
    s.unified = m.unified;
    s.mapped = m.known;
  }
  return s;
}

std::string last4_digits(std::string_view phone) {
  std::string digits;
  for (char c : phone)
    if (c >= '0' && c <= '9') digits.push_back(c);
  if (digits.size() < 4) return {};
  return digits.substr(digits.size() - 4);
}

bool same_waybill(std::string_view a, std::string_view b) {
  return ascii_upper(a) == ascii_upper(b);
}

}  // namespace

// The shared encoder (carriers/form.h), under the names the simulator and tests use.
std::string form_encode(std::string_view value) {
  return form::encode(value);
}
std::optional<std::string> form_decode(std::string_view value) {
  return form::decode(value);
}
std::optional<std::map<std::string, std::string>> parse_form(std::string_view body) {
  return form::parse(body);
}

bool requires_customer_name(std::string_view shipper_code) {
  const std::string code = ascii_upper(shipper_code);
  return std::find(kCustomerNameCarriers.begin(), kCustomerNameCarriers.end(), code) !=
         kCustomerNameCarriers.end();
}

// ---- Protocol ---------------------------------------------------------------------------------

Protocol::Protocol(Config config) : config_(std::move(config)) {}

std::string Protocol::data_sign(std::string_view request_data, std::string_view api_key) {
  std::string input;
  input.reserve(request_data.size() + api_key.size());
  input.append(request_data);
  input.append(api_key);
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int md_len = 0;
  if (EVP_Digest(input.data(), input.size(), md, &md_len, EVP_md5(), nullptr) != 1 ||
      md_len != 16) {
    throw std::runtime_error("kdniao: MD5 unavailable");
  }
  const std::string hex =
      security::hex_encode(std::string_view(reinterpret_cast<const char*>(md), md_len));
  return security::base64_encode(hex);
}

std::string Protocol::encode_request_form(std::string_view request_data,
                                          std::string_view request_type) const {
  const std::string sign = data_sign(request_data, config_.api_key);
  std::string body;
  body.reserve(request_data.size() * 3 + 160);
  body += "RequestData=";
  body += form_encode(request_data);
  body += "&EBusinessID=";
  body += form_encode(config_.ebusiness_id);
  body += "&RequestType=";
  body += form_encode(request_type);
  body += "&DataSign=";
  body += form_encode(sign);
  body += "&DataType=2";
  return body;
}

std::string Protocol::request_json(const WaybillRef& ref) const {
  json::object o;
  o["OrderCode"] = ref.order_no;
  o["ShipperCode"] = ref.provider_carrier;
  o["LogisticCode"] = ref.waybill_no;
  if (requires_customer_name(ref.provider_carrier)) {
    const std::string last4 = last4_digits(ref.phone);
    if (!last4.empty()) {
      o["CustomerName"] = last4;
    } else {
      spdlog::warn(
          "kdniao: {} requires CustomerName but no phone digits are known (LogisticCode {})",
          ref.provider_carrier, ref.waybill_no);
    }
  }
  return json::serialize(o);
}

OutboundRequest Protocol::make_request(const std::string& url, std::string_view request_type,
                                       const std::string& request_data) const {
  OutboundRequest req;
  req.method = "POST";
  req.url = url;
  req.headers["Content-Type"] = std::string(kFormContentType);
  req.body = encode_request_form(request_data, request_type);
  return req;
}

OutboundRequest Protocol::build_query(const WaybillRef& ref) const {
  return make_request(config_.query_url, config_.query_request_type, request_json(ref));
}

OutboundRequest Protocol::build_subscribe(const WaybillRef& ref) const {
  return make_request(config_.subscribe_url, config_.subscribe_request_type, request_json(ref));
}

QueryResult Protocol::parse_query_response(int http_status, std::string_view body,
                                           const WaybillRef& ref) const {
  try {
    if (auto err = classify_http(http_status)) return *err;
    const std::optional<json::value> parsed = parse_json(body);
    if (!parsed || !parsed->is_object())
      return ProviderError{Failure::kRetryable, "kdniao: response is not a JSON object"};
    const json::object& o = parsed->get_object();
    const std::optional<bool> success = success_flag(o);
    if (!success)
      return ProviderError{Failure::kRetryable, "kdniao: response without a Success flag"};

    std::string waybill = field_text(o, "LogisticCode");
    if (waybill.empty()) waybill = ref.waybill_no;
    if (!ref.waybill_no.empty() && !same_waybill(waybill, ref.waybill_no))
      return ProviderError{Failure::kRetryable,
                           fmt::format("kdniao: response is for LogisticCode {}, asked for {}",
                                       waybill, ref.waybill_no)};
    std::string carrier = field_text(o, "ShipperCode");
    if (carrier.empty()) carrier = ref.provider_carrier;

    if (!*success) {
      const std::string reason = field_text(o, "Reason");
      if (contains_any(reason, kNoTraceReasonMarkers))
        return no_info_snapshot(o, std::string(body), std::move(carrier), std::move(waybill));
      spdlog::info("kdniao: query failed, RequestType {}, LogisticCode {}, Reason '{}'",
                   config_.query_request_type, ref.waybill_no, reason);
      return failure_from_reason(reason);
    }
    return snapshot_from(o, std::string(body), std::move(carrier), std::move(waybill));
  } catch (const std::exception& e) {
    return ProviderError{Failure::kRetryable, fmt::format("kdniao: bad response: {}", e.what())};
  }
}

SubscribeResult Protocol::parse_subscribe_response(int http_status, std::string_view body) const {
  try {
    if (auto err = classify_http(http_status)) return *err;
    const std::optional<json::value> parsed = parse_json(body);
    if (!parsed || !parsed->is_object())
      return ProviderError{Failure::kRetryable, "kdniao: response is not a JSON object"};
    const json::object& o = parsed->get_object();
    const std::optional<bool> success = success_flag(o);
    if (!success)
      return ProviderError{Failure::kRetryable, "kdniao: response without a Success flag"};
    if (*success) return std::monostate{};
    const std::string reason = field_text(o, "Reason");
    spdlog::info("kdniao: subscribe failed, RequestType {}, Reason '{}'",
                 config_.subscribe_request_type, reason);
    return failure_from_reason(reason);
  } catch (const std::exception& e) {
    return ProviderError{Failure::kRetryable, fmt::format("kdniao: bad response: {}", e.what())};
  }
}

bool Protocol::verify_request_form(std::string_view body, std::string_view api_key,
                                   std::map<std::string, std::string>* fields) {
  try {
    auto decoded = parse_form(body);
    if (!decoded) return false;
    if (fields != nullptr) *fields = *decoded;
    if (api_key.empty()) return false;
    const auto data = decoded->find("RequestData");
    const auto sign = decoded->find("DataSign");
    if (data == decoded->end() || sign == decoded->end()) return false;
    // Exactly one decode: a DataSign that is still percent-encoded does not match.
    return security::constant_time_equal(data_sign(data->second, api_key), sign->second);
  } catch (const std::exception&) {
    return false;
  }
}

PushResult Protocol::parse_push(std::string_view body) const {
  PushResult result;
  try {
    std::map<std::string, std::string> fields;
    if (!verify_request_form(body, config_.api_key, &fields)) {
      result.verified = false;
      if (config_.api_key.empty())
        result.error = "no ApiKey configured";
      else if (fields.empty())
        result.error = "malformed form body";
      else if (!fields.contains("RequestData") || !fields.contains("DataSign"))
        result.error = "missing RequestData or DataSign";
      else
        result.error = "DataSign mismatch";
      return result;
    }
    result.verified = true;

    const auto type = fields.find("RequestType");
    if (type == fields.end() || std::find(kPushRequestTypes.begin(), kPushRequestTypes.end(),
                                          type->second) == kPushRequestTypes.end()) {
      result.error = fmt::format("unsupported RequestType '{}'",
                                 type == fields.end() ? std::string() : type->second);
      return result;
    }

    const std::optional<json::value> parsed = parse_json(fields["RequestData"]);
    if (!parsed || !parsed->is_object()) {
      result.error = "RequestData is not a JSON object";
      return result;
    }
    const json::value* data = parsed->get_object().if_contains("Data");
    if (data == nullptr || !data->is_array()) {
      result.error = "RequestData has no Data array";
      return result;
    }

    std::size_t malformed = 0;
    for (const json::value& item : data->get_array()) {
      if (!item.is_object()) {
        ++malformed;
        continue;
      }
      const json::object& o = item.get_object();
      std::string waybill = field_text(o, "LogisticCode");
      if (waybill.empty()) {
        ++malformed;
        continue;
      }
      // Data items are query-response shaped; a missing Success is read as success.
      if (!success_flag(o).value_or(true)) {
        const std::string reason = field_text(o, "Reason");
        if (contains_any(reason, kNoTraceReasonMarkers)) {
          result.snapshots.push_back(no_info_snapshot(
              o, json::serialize(item), field_text(o, "ShipperCode"), std::move(waybill)));
        } else {
          spdlog::warn("kdniao: push item failed, RequestType {}, LogisticCode {}, Reason '{}'",
                       type->second, waybill, reason);
        }
        continue;
      }
      result.snapshots.push_back(snapshot_from(o, json::serialize(item),
                                               field_text(o, "ShipperCode"), std::move(waybill)));
    }
    if (malformed > 0) {
      spdlog::warn("kdniao: push had {} malformed Data item(s)", malformed);
      if (result.snapshots.empty())
        result.error = fmt::format("{} malformed Data item(s), none usable", malformed);
    }
  } catch (const std::exception& e) {
    result.snapshots.clear();
    result.error = fmt::format("push not parsed: {}", e.what());
  }
  return result;
}

ReplyBody Protocol::push_reply(bool success, std::string_view reason, EpochMs now) const {
  using namespace std::chrono;
  const sys_time<milliseconds> china{milliseconds{now} + hours{8}};
  const auto day = floor<days>(china);
  const year_month_day ymd{day};
  const hh_mm_ss hms{floor<seconds>(china - day)};
  const std::string update_time =
      fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  hms.hours().count(), hms.minutes().count(), hms.seconds().count());
  json::object o;
  o["EBusinessID"] = config_.ebusiness_id;
  o["UpdateTime"] = update_time;
  o["Success"] = success;
  o["Reason"] = reason;
  return ReplyBody{std::string(kJsonContentType), json::serialize(o)};
}

std::string Protocol::build_push_form(const std::string& request_data_json) const {
  std::string body = "RequestData=";
  body += form_encode(request_data_json);
  body += "&RequestType=101&DataSign=";
  body += form_encode(data_sign(request_data_json, config_.api_key));
  return body;
}

}  // namespace coldtrack::carriers::kdniao
