// Kuaidi100 (快递100) adapter: real-time query, poll subscription and push receiver, as pure
// protocol code (no sockets). Reference: protocols/carriers-kuaidi100.md; status mapping:
// carriers/mapping.h (protocols/carrier-codes.md §4).
//
// Secrets: `key` travels inside the subscribe request body and `salt` inside the subscribe
// param, so OutboundRequest bodies must never be logged. Nothing here logs key, salt or phone.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "carriers/provider.h"
#include "carriers/tracking.h"

namespace coldtrack::carriers::kuaidi100 {

struct Config {
  std::string customer;  // authorisation code, sent with every query
  std::string key;       // secret; signs queries, sent inside the subscribe param only
  std::string salt;      // secret we choose; Kuaidi100 signs pushes with it ("" still signs)
  std::string query_url = "https://poll.kuaidi100.com/poll/query.do";
  std::string subscribe_url = "https://poll.kuaidi100.com/poll";
  std::string callback_url;  // our push receiver (plain http unless Kuaidi100 enabled https)
  // The one place listing Kuaidi100 `com` codes whose query/subscription needs `phone`
  // (carriers-kuaidi100.md §1: SF and ZTO; Kuaidi100 also lists SF freight; carrier-codes.md
  // §1). Compared case-insensitively. The phone is sent only to these carriers (data
  // minimisation), never to others even when known.
  std::vector<std::string> phone_carriers = {"shunfeng", "zhongtong", "shunfengkuaiyun"};
};

// What a push says besides the snapshot (carriers-kuaidi100.md §2 "Push").
struct PushMeta {
  enum class Status { kPolling, kShutdown, kAbort, kUpdateAll, kUnknown };
  Status status = Status::kUnknown;
  std::string raw_status;  // as sent ("polling", ...)
  std::string message;     // e.g. "3天查询无记录" on abort
  bool auto_check = false;
  std::string com_old;
  std::string com_new;
  // Non-empty when Kuaidi100 announces that our carrier code was wrong: autoCheck=1 with
  // comNew, or an abort with comNew set. The shipment's carrier should become this code.
  std::string corrected_com;
  // shutdown (normally signed) or abort: Kuaidi100 stopped tracking this waybill.
  bool tracking_stopped() const { return status == Status::kShutdown || status == Status::kAbort; }
};

class Protocol {
 public:
  explicit Protocol(Config config);

  // UPPERCASE_HEX(MD5(param + key + customer)).
  static std::string query_sign(std::string_view param, std::string_view key,
                                std::string_view customer);
  // UPPERCASE_HEX(MD5(param + salt)); an empty salt still yields a signature.
  static std::string push_sign(std::string_view param, std::string_view salt);

  // Real-time query: form fields customer, sign, param. `param` is serialised once and those
  // exact bytes are both signed and sent. Throws std::invalid_argument when the waybill has no
  // Kuaidi100 carrier code ("carrier not supported by this provider": the router must pick
  // another provider before calling) or no waybill number.
  OutboundRequest build_query(const WaybillRef& ref) const;
  // Poll subscription: form fields schema=json, param (company, number, key, parameters with
  // callbackurl, salt (omitted when empty), resultv2=4 and phone when required). Same
  // preconditions as build_query; also throws when callback_url is not configured.
  OutboundRequest build_subscribe(const WaybillRef& ref) const;

  // Never throws. Snapshot on success; ProviderError otherwise (kRetryable: transport-level
  // trouble, 5xx/429/408, non-JSON or unexpected bodies, returnCode 500 or unknown codes;
  // kPermanent: returnCode 600/601/700/701/702, other unexpected HTTP statuses).
  QueryResult parse_query_response(int http_status, std::string_view body,
                                   const WaybillRef& ref) const;
  // Never throws. returnCode 200 and 501 (already subscribed) are success.
  SubscribeResult parse_subscribe_response(int http_status, std::string_view body) const;

  // Push receiver: form-encoded body with `param` and `sign`. The sign is verified
  // (case-insensitively, constant time, over the exact decoded param bytes) before the
  // content is parsed. Never throws. `meta` (optional) receives the push status fields.
  PushResult parse_push(std::string_view body) const;
  PushResult parse_push(std::string_view body, PushMeta* meta) const;
  // Success: exactly {"result":true,"returnCode":"200","message":"成功"} (message ignored).
  // Failure: {"result":false,"returnCode":"500","message":<message>}; Kuaidi100 will retry.
  ReplyBody push_reply(bool success, std::string_view message) const;

  // ---- Server side, for the Kuaidi100 simulator ----
  // Decodes a query form and checks its sign with `key` (signType absent or MD5 only). On
  // success fills `fields` (when non-null) with the decoded form fields; on failure leaves it
  // untouched.
  static bool verify_query_form(std::string_view body, std::string_view key,
                                std::map<std::string, std::string>* fields);
  // The form Kuaidi100 POSTs to our callback: param=<param_json>&sign=push_sign(param, salt).
  std::string build_push_form(const std::string& param_json) const;

  bool needs_phone(std::string_view com) const;
  const Config& config() const { return config_; }

 private:
  Config config_;
};

// application/x-www-form-urlencoded helpers (exposed for tests and the simulator).
// Encodes every byte except ALPHA / DIGIT / "-._*" as %XX (uppercase hex); space as '+'.
std::string form_encode(std::string_view value);
// Encodes pairs in the given order.
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);
// Decodes "a=1&b=2" ('+' = space, %XX). False on malformed escapes or a repeated name (a
// repeated `param` or `sign` would make "the exact signed string" ambiguous).
bool form_decode(std::string_view body, std::map<std::string, std::string>& out);

}  // namespace coldtrack::carriers::kuaidi100
