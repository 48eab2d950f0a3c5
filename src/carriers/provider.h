// What every provider adapter offers. Adapters are pure protocol code (build requests, verify
// and parse responses and pushes); the transport (HTTP client) and the scheduling live
// elsewhere, so adapters are tested byte for byte against the protocol vectors.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>

#include "carriers/tracking.h"

namespace coldtrack::carriers {

// An HTTP request an adapter wants sent (the transport fills in nothing but the connection).
struct OutboundRequest {
  std::string method = "POST";
  std::string url;  // absolute, from configuration
  std::map<std::string, std::string> headers;
  std::string body;  // already encoded (form or JSON), exactly the signed bytes
};

// What to look up: the waybill, the carrier in ColdTrack's canonical code plus this provider's
// code for it, and the phone digits some carriers require.
struct WaybillRef {
  std::string carrier;           // canonical ("SF")
  std::string provider_carrier;  // provider's code ("SF" for Kdniao, "shunfeng" for Kuaidi100)
  std::string waybill_no;
  std::string phone;     // full receiver phone when known ("" otherwise)
  std::string order_no;  // ours, optional
};

// Outcome classes drive retries and the circuit breaker.
enum class Failure {
  kRetryable,  // network, timeout, 5xx, 429, unparseable body: back off and retry later
  kPermanent,  // signature/ID/config problems, unsupported carrier, unknown waybill: fix data
};

struct ProviderError {
  Failure kind;
  std::string message;  // provider's reason or ours; never contains secrets
};

using QueryResult = std::variant<Snapshot, ProviderError>;
using SubscribeResult = std::variant<std::monostate, ProviderError>;

// A verified push: zero or more snapshots, plus the exact reply body the provider expects.
struct PushResult {
  bool verified = false;  // false: signature missing or wrong; store nothing
  std::string error;      // why not verified / not parsed ("" when fine)
  std::vector<Snapshot> snapshots;
};

struct ReplyBody {
  std::string content_type;
  std::string body;
};

}  // namespace coldtrack::carriers
