#include "carriers/cainiao/cainiao.h"

#include <openssl/evp.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_set>

#include "security/crypto.h"

namespace coldtrack::carriers::cainiao {
namespace {

namespace json = boost::json;

constexpr std::string_view kProvider = "cainiao";
constexpr std::size_t kMaxErrorText = 200;

std::string_view trim(std::string_view s) {
  constexpr std::string_view kSpace = " \t\r\n";
  const auto b = s.find_first_not_of(kSpace);
  if (b == std::string_view::npos) return {};
  const auto e = s.find_last_not_of(kSpace);
  return s.substr(b, e - b + 1);
}

// Printable ASCII only, bounded: provider text must not forge log lines or bloat errors.
// (Non-ASCII bytes become '?'.)
std::string printable(std::string_view s, std::size_t max = kMaxErrorText) {
  std::string out(s.substr(0, max));
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u >= 0x7f) c = '?';
  }
  return out;
}

void warn_unknown_status_once(std::string_view raw) {
  constexpr std::size_t kMaxRemembered = 1024;
  static std::mutex mu;
  static std::unordered_set<std::string> seen;
  std::string shown = printable(raw, 64);
  {
    std::lock_guard lock(mu);
    if (seen.size() >= kMaxRemembered || !seen.insert(shown).second) return;
  }
  spdlog::warn("cainiao: unknown status code '{}' (kept previous status; add a status_map row)",
               shown);
}

std::string escape_json(std::string_view v) {
  const std::string quoted = json::serialize(json::string(v));
  return quoted.substr(1, quoted.size() - 2);
}

std::string escape_xml(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string last4(std::string_view phone) {
  std::string digits;
  for (char c : phone) {
    if (c >= '0' && c <= '9') digits += c;
  }
  return digits.size() <= 4 ? digits : digits.substr(digits.size() - 4);
}

std::optional<std::string_view> placeholder_value(std::string_view name, const WaybillRef& ref,
                                                  const std::string& phone_last4) {
  if (name == "carrier") return ref.carrier;
  if (name == "provider_carrier") return ref.provider_carrier;
  if (name == "waybill_no") return ref.waybill_no;
  if (name == "phone") return ref.phone;
  if (name == "phone_last4") return phone_last4;
  if (name == "order_no") return ref.order_no;
  return std::nullopt;
}

// Renders `tmpl`, or returns nullopt and sets `bad` to the first unknown/unterminated
// placeholder.
std::optional<std::string> render(std::string_view tmpl, const WaybillRef& ref,
                                  TemplateEscape escape, std::string* bad) {
  const std::string phone_last4 = last4(ref.phone);
  std::string out;
  std::size_t pos = 0;
  while (true) {
    const auto open = tmpl.find("{{", pos);
    if (open == std::string_view::npos) {
      out.append(tmpl.substr(pos));
      return out;
    }
    out.append(tmpl.substr(pos, open - pos));
    const auto close = tmpl.find("}}", open + 2);
    if (close == std::string_view::npos) {
      if (bad) *bad = std::string(tmpl.substr(open));
      return std::nullopt;
    }
    const std::string_view name = trim(tmpl.substr(open + 2, close - open - 2));
    const auto value = placeholder_value(name, ref, phone_last4);
    if (!value) {
      if (bad) *bad = std::string(tmpl.substr(open, close + 2 - open));
      return std::nullopt;
    }
    out += escape == TemplateEscape::kJson ? escape_json(*value) : escape_xml(*value);
    pos = close + 2;
  }
}

// Follows a dot-separated path of object keys; nullptr when absent or path is "".
const json::value* at_path(const json::value& root, std::string_view path) {
  if (path.empty()) return nullptr;
  const json::value* cur = &root;
  while (true) {
    const auto dot = path.find('.');
    const std::string_view key = path.substr(0, dot);
    const auto* obj = cur->if_object();
    if (obj == nullptr) return nullptr;
    const auto it = obj->find(key);
    if (it == obj->end()) return nullptr;
    cur = &it->value();
    if (dot == std::string_view::npos) return cur;
    path.remove_prefix(dot + 1);
  }
}

// A scalar as text: strings as is, integers in decimal, bools as true/false; "" otherwise.
std::string scalar_text(const json::value* v) {
  if (v == nullptr) return {};
  if (const auto* s = v->if_string()) return std::string(s->data(), s->size());
  if (const auto* i = v->if_int64()) return std::to_string(*i);
  if (const auto* u = v->if_uint64()) return std::to_string(*u);
  if (const auto* b = v->if_bool()) return *b ? "true" : "false";
  return {};
}

std::optional<EpochMs> trace_time(const json::value* v) {
  if (v == nullptr) return std::nullopt;
  if (const auto* s = v->if_string())
    return parse_carrier_time(std::string_view(s->data(), s->size()));
  if (const auto* i = v->if_int64()) return *i;  // epoch milliseconds
  if (const auto* u = v->if_uint64()) return static_cast<EpochMs>(*u);
  return std::nullopt;
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
  if (needle.empty()) return false;
  auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
  const auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(),
                              [&](char a, char b) { return lower(a) == lower(b); });
  return it != haystack.end();
}

ProviderError error(Failure kind, std::string message) {
  return ProviderError{kind, "cainiao: " + std::move(message)};
}

}  // namespace

std::vector<StatusRow> placeholder_status_map() {
  using S = TrackingStatus;
  return {
      {"NO_INFO", S::kNoInfo, ""},
      {"AWAITING_PICKUP", S::kAwaitingPickup, ""},
      {"PICKED_UP", S::kPickedUp, ""},
      {"IN_TRANSIT", S::kInTransit, ""},
      {"OUT_FOR_DELIVERY", S::kOutForDelivery, ""},
      {"AT_PICKUP_POINT", S::kAtPickupPoint, ""},
      {"DELIVERED", S::kDelivered, ""},
      {"EXCEPTION", S::kException, "OTHER"},
      {"RETURNING", S::kReturning, ""},
      {"RETURNED", S::kReturned, ""},
      {"CUSTOMS", S::kCustoms, ""},
  };
}

std::string form_encode(std::string_view value) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(value.size() * 3);
  for (char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

std::string validate(const Config& config) {
  const auto& m = config.mapping;
  if (config.gateway_url.empty()) return "cainiao.gateway_url: must not be empty";
  if (config.app_key.empty()) return "cainiao.app_key: must not be empty";
  if (config.secret_key.empty()) return "cainiao.secret_key: must not be empty";
  if (trim(m.query_msg_type).empty()) return "cainiao.mapping.query.msg_type: must not be empty";
  if (m.query_request_template.empty())
    return "cainiao.mapping.query.request_template: must not be empty";
  std::string bad;
  if (!render(m.query_request_template, WaybillRef{}, m.template_escape, &bad))
    return "cainiao.mapping.query.request_template: unknown placeholder " + bad;
  if (m.trace_fields.time.empty()) return "cainiao.mapping.response.trace_fields.time: empty";
  std::unordered_set<std::string> codes;
  for (const auto& row : m.status_map) {
    const std::string code(trim(row.code));
    if (code.empty()) return "cainiao.mapping.status_map: empty code";
    if (!codes.insert(code).second) return "cainiao.mapping.status_map: duplicate code " + code;
    if (row.status == TrackingStatus::kException && !is_known_reason(row.reason))
      return "cainiao.mapping.status_map." + code + ": EXCEPTION needs a known reason";
    if (!row.reason.empty() && !is_known_reason(row.reason))
      return "cainiao.mapping.status_map." + code + ": unknown reason " + row.reason;
  }
  return {};
}

Protocol::Protocol(Config config) : config_(std::move(config)) {
  if (auto problem = validate(config_); !problem.empty()) throw std::invalid_argument(problem);
}

std::string Protocol::data_digest(std::string_view content, std::string_view secret) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  const bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_md5(), nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, content.data(), content.size()) == 1 &&
                  EVP_DigestUpdate(ctx, secret.data(), secret.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, md, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok || len != 16) throw std::runtime_error("cainiao: MD5 unavailable");
  return security::base64_encode(std::string_view(reinterpret_cast<const char*>(md), len));
}

std::string Protocol::render_query_content(const WaybillRef& ref) const {
  // validate() has checked the template, so rendering cannot fail here.
  return render(config_.mapping.query_request_template, ref, config_.mapping.template_escape,
                nullptr)
      .value_or(std::string{});
}

OutboundRequest Protocol::build_query(const WaybillRef& ref) const {
  const auto& m = config_.mapping;
  const std::string content = render_query_content(ref);
  std::string body;
  body += "msg_type=" + form_encode(trim(m.query_msg_type));
  body += "&logistic_provider_id=" + form_encode(config_.app_key);
  body += "&logistics_interface=" + form_encode(content);
  body += "&data_digest=" + form_encode(data_digest(content, config_.secret_key));
  if (!trim(m.to_code).empty()) body += "&to_code=" + form_encode(trim(m.to_code));

  OutboundRequest req;
  req.method = "POST";
  req.url = config_.gateway_url;
  req.headers["Content-Type"] = "application/x-www-form-urlencoded; charset=UTF-8";
  req.body = std::move(body);
  return req;
}

Protocol::MappedStatus Protocol::map_status(std::string_view code) const {
  const std::string_view c = trim(code);
  if (c.empty()) return {};
  for (const auto& row : config_.mapping.status_map) {
    if (trim(row.code) == c) return {Unified{row.status, row.reason}, true};
  }
  warn_unknown_status_once(c);
  return {};
}

QueryResult Protocol::parse_query_response(int http_status, std::string_view body,
                                           const WaybillRef& ref) const {
  const auto& m = config_.mapping;
  if (http_status < 100 || http_status >= 500 || http_status == 429 || http_status == 408)
    return error(Failure::kRetryable, "HTTP " + std::to_string(http_status));
  if (http_status < 200 || http_status >= 300)
    return error(Failure::kPermanent, "HTTP " + std::to_string(http_status));

  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(body.data(), body.size()), ec);
  if (ec || !root.is_object()) return error(Failure::kRetryable, "response is not a JSON object");

  // Gateway / business failure: success=false (bool or "false"), or no success flag but an
  // error code.
  const json::value* success = at_path(root, m.success_field);
  const std::string error_code(trim(scalar_text(at_path(root, m.error_code_field))));
  bool failed = false;
  if (success != nullptr) {
    const std::string flag(trim(scalar_text(success)));
    if (flag == "true" || flag == "TRUE" || flag == "True") {
      failed = false;
    } else if (flag == "false" || flag == "FALSE" || flag == "False") {
      failed = true;
    } else {
      return error(Failure::kRetryable, "unexpected '" + m.success_field + "' value");
    }
  } else {
    failed = !error_code.empty();
  }
  if (failed) {
    const std::string msg = scalar_text(at_path(root, m.error_msg_field));
    Failure kind = Failure::kPermanent;
    bool classified = false;
    for (const auto& [code, cls] : m.error_classes) {
      if (code == error_code) {
        kind = cls;
        classified = true;
        break;
      }
    }
    if (!classified) {
      for (const auto& kw : m.retryable_error_keywords) {
        if (contains_ci(msg, kw)) {
          kind = Failure::kRetryable;
          break;
        }
      }
    }
    std::string text = error_code.empty() ? std::string("error") : printable(error_code, 32);
    if (error_code == "S02") text += " (data_digest check failed)";
    if (!msg.empty()) text += ": " + printable(msg);
    return error(kind, std::move(text));
  }

  Snapshot snap;
  snap.provider = std::string(kProvider);
  snap.provider_carrier = ref.provider_carrier;
  snap.waybill_no = ref.waybill_no;
  snap.raw_payload = std::string(body);

  if (const json::value* list = at_path(root, m.trace_list_path)) {
    if (!list->is_null()) {
      const auto* arr = list->if_array();
      if (arr == nullptr) return error(Failure::kRetryable, "trace list is not an array");
      const auto& f = m.trace_fields;
      std::size_t skipped = 0;
      for (const auto& item : *arr) {
        if (!item.is_object()) {
          ++skipped;
          continue;
        }
        const auto t = trace_time(at_path(item, f.time));
        if (!t) {
          ++skipped;
          continue;
        }
        Trace tr;
        tr.time = *t;
        tr.description = scalar_text(at_path(item, f.description));
        tr.location = scalar_text(at_path(item, f.location));
        tr.raw_code = std::string(trim(scalar_text(at_path(item, f.status))));
        snap.traces.push_back(std::move(tr));
      }
      if (skipped != 0) {
        spdlog::warn("cainiao: skipped {} trace(s) without a parseable time for one waybill",
                     skipped);
      }
    }
  }
  normalize_traces(snap.traces);

  // Status: the summary code, else the newest trace's code (most specific available).
  snap.raw_state = std::string(trim(scalar_text(at_path(root, m.status_path))));
  std::string code = snap.raw_state;
  if (code.empty() && !snap.traces.empty()) {
    snap.raw_substate = snap.traces.back().raw_code;
    code = snap.raw_substate;
  }
  if (code.empty()) {
    // Nothing to map. No traces yet is "no info", not an error; traces without any status
    // code cannot be classified, so the previous status must be kept.
    snap.unified = Unified{TrackingStatus::kNoInfo, ""};
    snap.mapped = snap.traces.empty();
    return snap;
  }
  const auto mapped = map_status(code);
  snap.unified = mapped.unified;
  snap.mapped = mapped.known;
  if (mapped.known) {
    const std::string reason(trim(scalar_text(at_path(root, m.reason_path))));
    if (!reason.empty() && is_known_reason(reason)) snap.unified.reason = reason;
  }
  return snap;
}

}  // namespace coldtrack::carriers::cainiao
