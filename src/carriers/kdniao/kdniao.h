// Kdniao (快递鸟) tracking adapter: pure protocol code (protocols/carriers-kdniao.md). Builds the
// signed query/subscribe forms, classifies responses, verifies and parses pushes, and offers the
// server side (form verification, push construction) a simulator needs. No sockets, no clocks.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "carriers/provider.h"
#include "carriers/tracking.h"

namespace coldtrack::carriers::kdniao {

inline constexpr std::string_view kProviderName = "kdniao";
inline constexpr std::string_view kFormContentType =
    "application/x-www-form-urlencoded;charset=utf-8";
inline constexpr std::string_view kJsonContentType = "application/json;charset=utf-8";

struct Config {
  std::string ebusiness_id;
  std::string api_key;  // secret: never logged
  std::string query_url;
  std::string subscribe_url;
  std::string query_request_type = "8002";
  std::string subscribe_request_type = "8008";
  // Where Kdniao pushes to. Kdniao registers the push URL per account (doc §7), so it is not
  // sent in the subscribe request; it is kept here for the simulator and for operators.
  std::string callback_url;
};

// The one place that lists the Kdniao ShipperCodes whose queries and subscriptions require
// CustomerName (last 4 phone digits): SF, ZTO and Kuayue (doc §4, carrier-codes.md §1).
bool requires_customer_name(std::string_view shipper_code);

// application/x-www-form-urlencoded helpers (WHATWG URL spec serializer/parser). Exposed for
// the simulator and tests.
std::string form_encode(std::string_view value);
// Decodes one value ('+' -> space, %XX -> byte); nullopt on a malformed escape.
std::optional<std::string> form_decode(std::string_view value);
// Splits and decodes a whole body exactly once. nullopt on a malformed escape or an empty or
// duplicated field name.
std::optional<std::map<std::string, std::string>> parse_form(std::string_view body);

class Protocol {
 public:
  explicit Protocol(Config config);

  const Config& config() const { return config_; }

  // Base64(lowercase hex MD5(request_data + api_key)), i.e. always 44 characters ending in '='.
  // NOT url-encoded: form encoding happens once, when the body is built.
  static std::string data_sign(std::string_view request_data, std::string_view api_key);

  // The complete form body for one call, fields in the documented order
  // (RequestData, EBusinessID, RequestType, DataSign, DataType), each value encoded once.
  std::string encode_request_form(std::string_view request_data,
                                  std::string_view request_type) const;

  // Instant query (config.query_request_type) / subscription (config.subscribe_request_type).
  // CustomerName is the last 4 digits of ref.phone when the carrier requires it and the phone
  // has at least 4 digits (otherwise it is left out and Kdniao reports the problem).
  OutboundRequest build_query(const WaybillRef& ref) const;
  OutboundRequest build_subscribe(const WaybillRef& ref) const;

  QueryResult parse_query_response(int http_status, std::string_view body,
                                   const WaybillRef& ref) const;
  SubscribeResult parse_subscribe_response(int http_status, std::string_view body) const;

  // A push form from Kdniao (RequestType 101/102). Decodes the form once, verifies DataSign in
  // constant time, and only then parses RequestData. Never throws.
  PushResult parse_push(std::string_view body) const;
  // {"EBusinessID":..,"UpdateTime":"yyyy-MM-dd HH:mm:ss" (China time),"Success":..,"Reason":..}
  ReplyBody push_reply(bool success, std::string_view reason, EpochMs now) const;

  // ---- Server side (simulator) ----------------------------------------------------------------
  // Decodes the form once and checks DataSign over RequestData. `fields` (optional) receives the
  // decoded fields whenever the form itself decodes, even if the signature is wrong.
  static bool verify_request_form(std::string_view body, std::string_view api_key,
                                  std::map<std::string, std::string>* fields);
  // What Kdniao POSTs to our callback: RequestData (raw JSON) + RequestType=101 + DataSign,
  // form-encoded once.
  std::string build_push_form(const std::string& request_data_json) const;

 private:
  std::string request_json(const WaybillRef& ref) const;
  OutboundRequest make_request(const std::string& url, std::string_view request_type,
                               const std::string& request_data) const;

  Config config_;
};

}  // namespace coldtrack::carriers::kdniao
