// Cainiao (菜鸟) LINK gateway adapter (protocols/carriers-cainiao.md). Pure protocol code.
//
// The envelope (form fields msg_type / logistic_provider_id / logistics_interface /
// data_digest / to_code) and data_digest = Base64(raw MD5(content + secret)) are confirmed and
// implemented generically. Everything about the tracking business layer (API names, request
// body, response field names, status codes) is NOT confirmed, so all of it lives in
// CainiaoMapping (§5): configuration overrides its fields, and the defaults below are
// ColdTrack's own PLACEHOLDER schema, which the built-in simulator speaks. Swapping to the real
// schema must only change a CainiaoMapping value, never the code.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "carriers/provider.h"
#include "carriers/tracking.h"

namespace coldtrack::carriers::cainiao {

// One row of the Cainiao status table: provider code -> unified status (+ reason).
struct StatusRow {
  std::string code;
  TrackingStatus status = TrackingStatus::kNoInfo;
  std::string reason;  // required (a known reason) when status is EXCEPTION
};

// PLACEHOLDER status table: the placeholder schema sends ColdTrack's own status codes
// ("IN_TRANSIT", "DELIVERED", ...; "EXCEPTION" -> reason OTHER). The real Cainiao codes are
// unknown (carriers-cainiao.md §5 `status_map`: empty); add their rows here or in configuration.
std::vector<StatusRow> placeholder_status_map();

// Where each trace field is found inside one element of the trace list.
struct TraceFields {
  std::string time = "time";  // "yyyy-MM-dd HH:mm:ss" (China time), RFC 3339, or epoch ms
  std::string description = "desc";
  std::string location = "city";
  std::string status = "status";  // per-trace status code ("" = not present)
};

enum class TemplateEscape {
  kJson,  // placeholder values are escaped for a JSON string literal
  kXml,   // ... for XML text / attribute values
};

// The one table of Cainiao business details (carriers-cainiao.md §5). Every default is a
// placeholder unless noted.
struct CainiaoMapping {
  // `query.msg_type` / `subscribe.msg_type`: API names (unknown).
  std::string query_msg_type = "COLDTRACK_PLACEHOLDER_TRACE_QUERY";
  std::string subscribe_msg_type = "COLDTRACK_PLACEHOLDER_TRACE_SUBSCRIBE";

  // `query.request_template`: the logistics_interface text. Placeholders, substituted with
  // escaped values: {{carrier}} (canonical), {{provider_carrier}}, {{waybill_no}}, {{phone}},
  // {{phone_last4}}, {{order_no}}. Any other {{...}} makes the configuration invalid.
  std::string query_request_template =
      R"({"cpCode":"{{provider_carrier}}","mailNo":"{{waybill_no}}","phoneLast4":"{{phone_last4}}"})";
  TemplateEscape template_escape = TemplateEscape::kJson;

  // `to_code`: target party code; sent only when not empty.
  std::string to_code;

  // Gateway-level result fields. These three are the confirmed LINK error shape
  // ({"success":false,"errorCode":"S02","errorMsg":"..."}); `success` may be a bool or the
  // string "true"/"false".
  std::string success_field = "success";
  std::string error_code_field = "errorCode";
  std::string error_msg_field = "errorMsg";

  // `response.*`: dot-separated paths into the JSON response ("" = not used).
  std::string status_path = "data.status";      // summary status code for the waybill
  std::string reason_path = "data.reason";      // optional reason code (carrier-codes.md §2)
  std::string trace_list_path = "data.traces";  // array of trace objects
  TraceFields trace_fields;

  // `status_map`.
  std::vector<StatusRow> status_map = placeholder_status_map();

  // Gateway / business error classes. `S02` (digest check failed) is confirmed permanent.
  // Codes not listed are retryable when errorMsg contains one of `retryable_error_keywords`
  // ("system busy" style), otherwise permanent (credentials, unknown API, invalid waybill).
  std::vector<std::pair<std::string, Failure>> error_classes = {{"S02", Failure::kPermanent}};
  std::vector<std::string> retryable_error_keywords = {"busy", "繁忙",     "timeout",
                                                       "超时", "稍后重试", "try again"};
};

struct Config {
  std::string gateway_url = "https://link.cainiao.com/gateway/link.do";
  std::string app_key;     // logistic_provider_id
  std::string secret_key;  // never logged
  CainiaoMapping mapping;
};

// "" when the configuration is usable, else a message naming the offending key.
std::string validate(const Config& config);

class Protocol {
 public:
  // Throws std::invalid_argument when validate(config) reports a problem.
  explicit Protocol(Config config);

  // Base64(raw 16-byte MD5(content + secret)), 24 characters.
  static std::string data_digest(std::string_view content, std::string_view secret);

  // The logistics_interface text for `ref` (query.request_template with escaped values).
  std::string render_query_content(const WaybillRef& ref) const;

  // POST form to gateway_url: msg_type, logistic_provider_id, logistics_interface,
  // data_digest[, to_code], each value percent-encoded (RFC 3986 unreserved kept).
  OutboundRequest build_query(const WaybillRef& ref) const;

  // 5xx / 429 / 408 / non-JSON / unexpected shape -> kRetryable; other non-2xx -> kPermanent;
  // gateway/business errors classified by `error_classes` (S02 permanent).
  QueryResult parse_query_response(int http_status, std::string_view body,
                                   const WaybillRef& ref) const;

  // status_map lookup (code trimmed); known=false (NO_INFO) for an unknown or empty code.
  struct MappedStatus {
    Unified unified;
    bool known = false;
  };
  MappedStatus map_status(std::string_view code) const;

  const Config& config() const { return config_; }

 private:
  Config config_;
};

// application/x-www-form-urlencoded value encoding used for the body (space -> %20).
std::string form_encode(std::string_view value);

}  // namespace coldtrack::carriers::cainiao
