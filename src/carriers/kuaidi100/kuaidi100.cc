#include "carriers/kuaidi100/kuaidi100.h"

#include "carriers/form.h"
#include "carriers/json_text.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <initializer_list>
#include <memory>
#include <optional>
#include <stdexcept>
#include <utility>

#include "carriers/mapping.h"
#include "security/crypto.h"

namespace coldtrack::carriers::kuaidi100 {
namespace {

namespace json = boost::json;

constexpr std::string_view kProvider = "kuaidi100";
constexpr std::string_view kFormContentType = "application/x-www-form-urlencoded";
constexpr std::string_view kJsonContentType = "application/json;charset=UTF-8";
// carriers-kuaidi100.md §2: the only reply Kuaidi100 accepts as success. "成功" is written as
// UTF-8 escapes so the bytes do not depend on the compiler's source/execution charset.
constexpr std::string_view kSuccessReply =
    "{\"result\":true,\"returnCode\":\"200\",\"message\":\"\xE6\x88\x90\xE5\x8A\x9F\"}";
// Provider messages are copied into ProviderError; keep them short.
constexpr std::size_t kMaxMessageBytes = 200;

// Documented returnCodes (carriers-kuaidi100.md §2 table and §4 "Retryable"/"Permanent"), as
// data so a reclassification is a one-line change. 200 and 501 are success for a subscription
// and are handled by the caller. Codes not listed here are treated as retryable: backoff and
// the 30-minute query rule bound the cost, while a wrong "permanent" would stop tracking.
struct ReturnCodeRule {
  std::string_view code;
  Failure kind;
  std::string_view meaning;
};
constexpr std::array kReturnCodes = {
    ReturnCodeRule{"500", Failure::kRetryable, "server error"},
    ReturnCodeRule{"600", Failure::kPermanent, "invalid key"},
    ReturnCodeRule{"601", Failure::kPermanent, "key expired"},
    ReturnCodeRule{"700", Failure::kPermanent, "bad data"},
    ReturnCodeRule{"701", Failure::kPermanent, "carrier refused for subscription"},
    ReturnCodeRule{"702", Failure::kPermanent, "carrier could not be identified"},
};

// ---- Small text helpers ------------------------------------------------------------------------

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool IsDigit(char c) {
  return c >= '0' && c <= '9';
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

char AsciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
char AsciiUpper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

std::string AsciiLower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = AsciiLower(c);
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

bool AllDigits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

// Cuts at a UTF-8 character boundary.
std::string Truncate(std::string_view s, std::size_t max) {
  if (s.size() <= max) return std::string(s);
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return std::string(s.substr(0, n)) + "...";
}

// ---- MD5 ---------------------------------------------------------------------------------------

struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

// UPPERCASE hex of MD5 over the concatenation of `parts` (streamed, not copied).
std::string Md5UpperHex(std::initializer_list<std::string_view> parts) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_md5(), nullptr) != 1) {
    throw std::runtime_error("kuaidi100: MD5 unavailable");
  }
  for (std::string_view p : parts) {
    if (!p.empty() && EVP_DigestUpdate(ctx.get(), p.data(), p.size()) != 1) {
      throw std::runtime_error("kuaidi100: MD5 update failed");
    }
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), digest, &len) != 1) {
    throw std::runtime_error("kuaidi100: MD5 final failed");
  }
  std::string hex =
      security::hex_encode(std::string_view(reinterpret_cast<const char*>(digest), len));
  for (char& c : hex) c = AsciiUpper(c);
  return hex;
}

// `expected` is our uppercase signature; `received` may be in either case (§2 push rule).
// Uppercasing the received value is not secret-dependent; the comparison is constant time.
bool SignMatches(std::string_view expected, std::string_view received) {
  std::string upper(Trim(received));
  for (char& c : upper) c = AsciiUpper(c);
  return security::constant_time_equal(expected, upper);
}

// ---- JSON helpers (values may arrive as strings or numbers: parse leniently) --------------------

std::optional<json::object> ParseObject(std::string_view body) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  return std::move(v.get_object());
}

std::string Text(const json::object& o, std::string_view name) {
  return scalar_text(o.if_contains(name));
}

std::string Code(const json::object& o, std::string_view name) {
  return std::string(Trim(Text(o, name)));
}

// `"result": false` (or "false" / 0) marks a failure whatever the HTTP status (§1).
bool IsFalse(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return false;
  if (v->is_bool()) return !v->get_bool();
  const std::string t = Code(o, name);
  return EqualsIgnoreCase(t, "false") || t == "0";
}

bool IsTrue(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return false;
  if (v->is_bool()) return v->get_bool();
  const std::string t = Code(o, name);
  return EqualsIgnoreCase(t, "true") || t == "1";
}

// ---- Errors ------------------------------------------------------------------------------------

ProviderError Error(Failure kind, std::string message) {
  return ProviderError{kind, "kuaidi100: " + std::move(message)};
}

ProviderError ClassifyReturnCode(std::string_view code, std::string_view message) {
  for (const ReturnCodeRule& rule : kReturnCodes) {
    if (rule.code == code) {
      std::string text = "returnCode " + std::string(code) + " (" + std::string(rule.meaning) + ")";
      if (!message.empty()) text += ": " + Truncate(message, kMaxMessageBytes);
      return Error(rule.kind, std::move(text));
    }
  }
  std::string text =
      code.empty() ? std::string("failure without returnCode") : "returnCode " + std::string(code);
  if (!message.empty()) text += ": " + Truncate(message, kMaxMessageBytes);
  return Error(Failure::kRetryable, std::move(text));
}

// HTTP statuses that say nothing about our request: retry later.
bool IsRetryableHttp(int status) {
  return status < 100 || status >= 500 || status == 429 || status == 408;
}

bool Is2xx(int status) {
  return status >= 200 && status < 300;
}

// A documented failure body: "result": false, or a returnCode other than 200 with no data.
std::optional<ProviderError> FailureOf(const json::object& o) {
  const std::string code = Code(o, "returnCode");
  const bool failed =
      IsFalse(o, "result") || (!code.empty() && code != "200" && !o.contains("data"));
  if (!failed) return std::nullopt;
  return ClassifyReturnCode(code, Text(o, "message"));
}

// ---- Status mapping ----------------------------------------------------------------------------

// Parent base state of a detailed sub-state (§3): 101-103 -> 1, 2xx -> 2, 301-304 -> 3,
// 401 -> 4, 501 -> 5, 1001-1003 -> 0. Base codes (0-8, 10-14) are their own parent.
std::string ParentState(std::string_view code) {
  if (code.size() == 3 && AllDigits(code)) return std::string(code.substr(0, 1));
  if (code.size() == 4 && AllDigits(code) && code.substr(0, 2) == "10") return "0";
  return std::string(code);
}

// Maps one code (base or sub-state), falling back from an unknown sub-state to its parent.
Mapped MapCode(std::string_view code) {
  const std::string parent = ParentState(code);
  if (parent == code) return map_kuaidi100(code, "");
  return map_kuaidi100(parent, code);
}

// ---- Snapshot ----------------------------------------------------------------------------------

// Builds a snapshot from a query-result object (the query response or a push's lastResult).
Snapshot SnapshotFrom(const json::object& r, std::string provider_carrier, std::string waybill_no,
                      std::string raw_payload) {
  Snapshot s;
  s.provider = std::string(kProvider);
  s.provider_carrier = std::move(provider_carrier);
  s.waybill_no = std::move(waybill_no);
  s.raw_payload = std::move(raw_payload);
  s.raw_state = Code(r, "state");

  // data[] is newest first (order=desc). The sub-state comes from the newest trace: the one
  // with the latest time, the first in API order among equal times.
  std::string newest_code;
  std::optional<EpochMs> newest_time;
  if (const json::value* data = r.if_contains("data"); data != nullptr && data->is_array()) {
    const json::array& items = data->get_array();
    for (const json::value& item : items) {
      if (!item.is_object()) continue;
      const json::object& t = item.get_object();
      std::optional<EpochMs> time = parse_carrier_time(Trim(Text(t, "time")));
      if (!time) time = parse_carrier_time(Trim(Text(t, "ftime")));
      // A trace without a readable time cannot be ordered; it stays in raw_payload only.
      if (!time) continue;
      Trace trace;
      trace.time = *time;
      trace.description = Text(t, "context");
      trace.location = Text(t, "location");
      if (trace.location.empty()) trace.location = Text(t, "areaName");
      trace.raw_code = Code(t, "statusCode");
      if (!newest_time || *time > *newest_time) {
        newest_time = *time;
        newest_code = trace.raw_code;
      }
      s.traces.push_back(std::move(trace));
    }
  }
  std::reverse(s.traces.begin(), s.traces.end());  // API order is newest first
  normalize_traces(s.traces);

  // §3 rule: the most specific code available (newest trace statusCode, else state), falling
  // back to its parent base state; if that code is unknown altogether, try `state`.
  const bool state_is_sub = !s.raw_state.empty() && ParentState(s.raw_state) != s.raw_state;
  s.raw_substate = !newest_code.empty() ? newest_code : (state_is_sub ? s.raw_state : "");
  const std::string& specific = !newest_code.empty() ? newest_code : s.raw_state;
  Mapped m = MapCode(specific);
  if (!m.known && specific != s.raw_state && !s.raw_state.empty()) m = MapCode(s.raw_state);
  s.unified = m.unified;
  s.mapped = m.known;
  return s;
}

// ---- Request building --------------------------------------------------------------------------

void CheckRef(const WaybillRef& ref) {
  if (Trim(ref.provider_carrier).empty()) {
    throw std::invalid_argument("kuaidi100: carrier " + ref.carrier +
                                " not supported by this provider");
  }
  if (Trim(ref.waybill_no).empty()) throw std::invalid_argument("kuaidi100: empty waybill number");
}

// §1 `phone`: a platform virtual number ("13800138000-1234") is sent as the 4 digits after '-'.
// Anything else is sent as given (trimmed).
std::string PhoneParam(std::string_view phone) {
  phone = Trim(phone);
  const std::size_t dash = phone.rfind('-');
  if (dash != std::string_view::npos) {
    const std::string_view head = phone.substr(0, dash);
    const std::string_view ext = phone.substr(dash + 1);
    if (head.size() == 11 && head.front() == '1' && AllDigits(head) && ext.size() == 4 &&
        AllDigits(ext)) {
      return std::string(ext);
    }
  }
  return std::string(phone);
}

OutboundRequest FormRequest(const std::string& url, std::string body) {
  OutboundRequest req;
  req.method = "POST";
  req.url = url;
  req.headers.emplace("Content-Type", std::string(kFormContentType));
  req.body = std::move(body);
  return req;
}

std::atomic<bool> g_warned_empty_salt{false};

}  // namespace

// ---- Form encoding (the shared encoder, carriers/form.h) -------------------------------------

std::string form_encode(std::string_view value) {
  return form::encode(value);
}

std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
  return form::encode(fields);
}

bool form_decode(std::string_view body, std::map<std::string, std::string>& out) {
  auto fields = form::parse(body, /*allow_empty_names=*/true);
  if (!fields) return false;
  out = std::move(*fields);
  return true;
}

// ---- Protocol ----------------------------------------------------------------------------------

Protocol::Protocol(Config config) : config_(std::move(config)) {}

std::string Protocol::query_sign(std::string_view param, std::string_view key,
                                 std::string_view customer) {
  return Md5UpperHex({param, key, customer});
}

std::string Protocol::push_sign(std::string_view param, std::string_view salt) {
  return Md5UpperHex({param, salt});
}

bool Protocol::needs_phone(std::string_view com) const {
  com = Trim(com);
  for (const std::string& c : config_.phone_carriers) {
    if (EqualsIgnoreCase(c, com)) return true;
  }
  return false;
}

OutboundRequest Protocol::build_query(const WaybillRef& ref) const {
  CheckRef(ref);
  const std::string com = AsciiLower(Trim(ref.provider_carrier));
  json::object p;
  p["com"] = com;
  p["num"] = Trim(ref.waybill_no);
  if (needs_phone(com)) {
    const std::string phone = PhoneParam(ref.phone);
    if (!phone.empty()) {
      p["phone"] = phone;
    } else {
      // Sent anyway: Kuaidi100's answer is recorded on the shipment. Never log the phone.
      spdlog::warn("kuaidi100: carrier {} needs a phone for queries but none is known", com);
    }
  }
  p["resultv2"] = "4";  // sub-states (§1)
  p["show"] = "0";      // JSON
  p["order"] = "desc";  // newest first (the default; explicit so parsing never guesses)
  const std::string param = json::serialize(p);  // serialised once: signed and sent as is
  return FormRequest(config_.query_url,
                     form_encode({{"customer", config_.customer},
                                  {"sign", query_sign(param, config_.key, config_.customer)},
                                  {"param", param}}));
}

OutboundRequest Protocol::build_subscribe(const WaybillRef& ref) const {
  CheckRef(ref);
  if (Trim(config_.callback_url).empty()) {
    throw std::invalid_argument("kuaidi100: callback_url is not configured");
  }
  const std::string com = AsciiLower(Trim(ref.provider_carrier));
  json::object parameters;
  parameters["callbackurl"] = config_.callback_url;
  if (!config_.salt.empty()) parameters["salt"] = config_.salt;
  parameters["resultv2"] = "4";
  if (needs_phone(com)) {
    const std::string phone = PhoneParam(ref.phone);
    if (!phone.empty()) {
      parameters["phone"] = phone;
    } else {
      spdlog::warn("kuaidi100: carrier {} needs a phone for subscriptions but none is known", com);
    }
  }
  json::object p;
  p["company"] = com;
  p["number"] = Trim(ref.waybill_no);
  p["key"] = config_.key;
  p["parameters"] = std::move(parameters);
  return FormRequest(config_.subscribe_url,
                     form_encode({{"schema", "json"}, {"param", json::serialize(p)}}));
}

QueryResult Protocol::parse_query_response(int http_status, std::string_view body,
                                           const WaybillRef& ref) const {
  try {
    if (IsRetryableHttp(http_status)) {
      return Error(Failure::kRetryable, "HTTP " + std::to_string(http_status));
    }
    std::optional<json::object> obj = ParseObject(body);
    if (!obj) {
      if (Is2xx(http_status)) return Error(Failure::kRetryable, "response is not a JSON object");
      return Error(Failure::kPermanent, "unexpected HTTP " + std::to_string(http_status));
    }
    if (std::optional<ProviderError> failure = FailureOf(*obj)) return *std::move(failure);
    if (!Is2xx(http_status)) {
      return Error(Failure::kPermanent, "unexpected HTTP " + std::to_string(http_status));
    }
    if (!obj->contains("data") && !obj->contains("state")) {
      return Error(Failure::kRetryable, "response has neither data nor state");
    }
    const std::string nu(Trim(Text(*obj, "nu")));
    if (!nu.empty() && !EqualsIgnoreCase(nu, Trim(ref.waybill_no))) {
      return Error(Failure::kRetryable, "response is for another waybill");
    }
    return SnapshotFrom(*obj, AsciiLower(Trim(ref.provider_carrier)),
                        std::string(Trim(ref.waybill_no)), std::string(body));
  } catch (const std::exception& e) {
    return Error(Failure::kRetryable, std::string("cannot parse response: ") + e.what());
  }
}

SubscribeResult Protocol::parse_subscribe_response(int http_status, std::string_view body) const {
  try {
    if (IsRetryableHttp(http_status)) {
      return Error(Failure::kRetryable, "HTTP " + std::to_string(http_status));
    }
    std::optional<json::object> obj = ParseObject(body);
    if (!obj) {
      if (Is2xx(http_status)) return Error(Failure::kRetryable, "response is not a JSON object");
      return Error(Failure::kPermanent, "unexpected HTTP " + std::to_string(http_status));
    }
    const std::string code = Code(*obj, "returnCode");
    if (Is2xx(http_status)) {
      // 501: already subscribed and still tracked -> success (§2), whatever "result" says.
      if (code == "501") return std::monostate{};
      if (!IsFalse(*obj, "result") && (code == "200" || (code.empty() && IsTrue(*obj, "result")))) {
        return std::monostate{};
      }
    } else if (code.empty()) {
      return Error(Failure::kPermanent, "unexpected HTTP " + std::to_string(http_status));
    }
    return ClassifyReturnCode(code, Text(*obj, "message"));
  } catch (const std::exception& e) {
    return Error(Failure::kRetryable, std::string("cannot parse response: ") + e.what());
  }
}

PushResult Protocol::parse_push(std::string_view body) const {
  return parse_push(body, nullptr);
}

PushResult Protocol::parse_push(std::string_view body, PushMeta* meta) const {
  PushResult result;
  try {
    std::map<std::string, std::string> fields;
    if (!form_decode(body, fields)) {
      result.error = "malformed form body";
      return result;
    }
    const auto param_it = fields.find("param");
    const auto sign_it = fields.find("sign");
    if (param_it == fields.end() || sign_it == fields.end()) {
      result.error = "missing param or sign";
      return result;
    }
    const std::string& param = param_it->second;  // exact bytes after one form decode
    if (config_.salt.empty() && !g_warned_empty_salt.exchange(true)) {
      spdlog::warn("kuaidi100: push salt is empty; push signatures cannot detect forgery");
    }
    if (!SignMatches(push_sign(param, config_.salt), sign_it->second)) {
      result.error = "signature mismatch";
      return result;
    }
    result.verified = true;

    std::optional<json::object> obj = ParseObject(param);
    if (!obj) {
      result.error = "param is not a JSON object";
      return result;
    }
    PushMeta m;
    m.raw_status = Code(*obj, "status");
    if (m.raw_status == "polling") {
      m.status = PushMeta::Status::kPolling;
    } else if (m.raw_status == "shutdown") {
      m.status = PushMeta::Status::kShutdown;
    } else if (m.raw_status == "abort") {
      m.status = PushMeta::Status::kAbort;
    } else if (m.raw_status == "updateall") {
      m.status = PushMeta::Status::kUpdateAll;
    }
    m.message = Text(*obj, "message");
    m.auto_check = IsTrue(*obj, "autoCheck");
    m.com_old = AsciiLower(Trim(Text(*obj, "comOld")));
    m.com_new = AsciiLower(Trim(Text(*obj, "comNew")));
    if (!m.com_new.empty() && m.com_new != m.com_old &&
        (m.auto_check || m.status == PushMeta::Status::kAbort)) {
      m.corrected_com = m.com_new;
    }
    // `billstatus` (deprecated) is ignored.

    const json::value* last = obj->if_contains("lastResult");
    if (last != nullptr && last->is_object()) {
      const json::object& lr = last->get_object();
      const std::string nu(Trim(Text(lr, "nu")));
      if (nu.empty()) {
        result.error = "lastResult without nu";
      } else {
        std::string com = AsciiLower(Trim(Text(lr, "com")));
        if (com.empty()) com = !m.com_new.empty() ? m.com_new : m.com_old;
        result.snapshots.push_back(SnapshotFrom(lr, std::move(com), nu, param));
      }
    } else if (m.status == PushMeta::Status::kPolling || m.status == PushMeta::Status::kUpdateAll) {
      result.error = "push without lastResult";
    }
    if (meta != nullptr) *meta = std::move(m);
  } catch (const std::exception& e) {
    result.snapshots.clear();
    result.error = std::string("cannot process push: ") + e.what();
  } catch (...) {
    result.snapshots.clear();
    result.error = "cannot process push";
  }
  return result;
}

ReplyBody Protocol::push_reply(bool success, std::string_view message) const {
  ReplyBody reply;
  reply.content_type = std::string(kJsonContentType);
  if (success) {
    reply.body = std::string(kSuccessReply);
  } else {
    json::object o;
    o["result"] = false;
    o["returnCode"] = "500";
    o["message"] = message;
    reply.body = json::serialize(o);
  }
  return reply;
}

bool Protocol::verify_query_form(std::string_view body, std::string_view key,
                                 std::map<std::string, std::string>* fields) {
  try {
    std::map<std::string, std::string> f;
    if (!form_decode(body, f)) return false;
    const auto customer = f.find("customer");
    const auto param = f.find("param");
    const auto sign = f.find("sign");
    if (customer == f.end() || param == f.end() || sign == f.end()) return false;
    if (const auto type = f.find("signType");
        type != f.end() && !EqualsIgnoreCase(Trim(type->second), "MD5")) {
      return false;  // only MD5 is implemented
    }
    if (!SignMatches(query_sign(param->second, key, customer->second), sign->second)) {
      return false;
    }
    if (fields != nullptr) *fields = std::move(f);
    return true;
  } catch (...) {
    return false;
  }
}

std::string Protocol::build_push_form(const std::string& param_json) const {
  return form_encode({{"param", param_json}, {"sign", push_sign(param_json, config_.salt)}});
}

}  // namespace coldtrack::carriers::kuaidi100
