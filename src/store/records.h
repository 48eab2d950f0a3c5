// Persisted shapes, shared by every store backend. Personal data arrives here already sealed
// (see service/pii.h), so no backend ever sees a phone number in clear.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/status.h"
#include "domain/time.h"

namespace coldtrack::store {

using domain::EpochMs;

struct EventRecord {
  domain::OrderStatus status = domain::OrderStatus::kCreated;
  std::optional<domain::OrderStatus> from;
  EpochMs at = 0;
  EpochMs recorded_at = 0;
  std::string actor;
  std::string note;
};

struct ShipmentRecord {
  std::int64_t id = 0;  // filled on read
  std::string carrier;
  std::string carrier_name;  // filled on read from the carriers table
  std::string waybill_no;
  EpochMs created_at = 0;
  std::string origin_city;  // where it leaves from ("" = the shop's configured origin)
  std::string service = "standard";
  std::string temp_class;  // filled on read: frozen | chilled | ambient (strictest item)
};

struct OrderRecord {
  std::int64_t id = 0;
  std::string order_no;
  domain::OrderStatus status = domain::OrderStatus::kCreated;
  std::string name_sealed;   // AES-256-GCM
  std::string phone_sealed;  // AES-256-GCM
  std::string phone_index;   // HMAC-SHA256 blind index (hex)
  std::string phone_last4;   // clear, for public tracking
  // The masked forms every masked view shows ("张*", "138****5678"), kept beside the sealed
  // fields so that masked lists open no ciphertext. Empty on rows written before they existed:
  // those are opened and masked on read.
  std::string name_masked, phone_masked;
  std::string openid;
  std::string province, city, district;
  std::string detail_sealed;  // AES-256-GCM
  std::string items_json;
  std::int64_t amount_fen = 0, shipping_fen = 0, discount_fen = 0;
  std::string remark;
  std::string body_hash;  // idempotency: hash of the normalized create request
  EpochMs created_at = 0, updated_at = 0;
  std::optional<EpochMs> finished_at;
  bool archived = false;
  std::vector<EventRecord> history;       // filled when details are requested
  std::vector<ShipmentRecord> shipments;  // filled for single and list reads
};

struct AuditRecord {
  std::int64_t id = 0;
  EpochMs at = 0;
  std::string actor;  // "apikey:<key>" or "system:<job>"
  std::string role;
  std::string action;  // "order.create", "order.status", "order.reveal", ...
  std::string target;  // "order:<order_no>", "apikey:<key>", ...
  std::string request_id;
  std::string client_addr;
  std::string detail;  // JSON text, never personal data
};

struct ApiKeyRecord {
  std::string key;
  std::string secret_sealed;  // AES-256-GCM with the data key
  std::string role;
  std::string name;
  EpochMs created_at = 0;
  bool revoked = false;
};

struct CarrierRecord {
  std::string code, name_zh, kdniao_code, kuaidi100_code;
  bool needs_phone = false;
  bool cold_chain = false;
  std::string wechat_code;  // WeChat's delivery_id (shipping-info upload); "" = not known
};

struct CategoryRecord {
  std::string code, name_zh;
  std::optional<int> min_temp_c, max_temp_c;
};

// An outbox message written in the same transaction as the change it announces.
struct OutboxRecord {
  std::string topic;  // "order.created", "order.status_changed", "order.shipment_added"
  std::string key;    // idempotency key for consumers
  std::string payload;
};

// An anomaly as stored. `subject` names what it is about ("shipment:<id>" or
// "order:<order_no>"); at most one unresolved anomaly exists per subject and kind.
struct AnomalyRecord {
  std::int64_t id = 0;
  std::string kind, subject, order_no;
  std::optional<std::int64_t> shipment_id;
  std::string carrier;
  std::string severity;  // info | warning | major | critical
  std::string reason;    // short code, e.g. "NO_UPDATE", "REJECTED", "above_-15"
  std::string evidence;  // JSON object text
  std::string state;     // open | acknowledged | resolved
  EpochMs opened_at = 0, updated_at = 0;
  std::optional<EpochMs> acknowledged_at;
  std::string acknowledged_by;
  std::optional<EpochMs> resolved_at;
  std::string resolved_by;
  std::string resolution;  // "auto: ..." or the staff's note
};

// A payment a provider confirmed.
struct PaymentRecord {
  std::string order_no;
  std::string provider;  // "wechatpay"
  std::string transaction_id, notify_id;
  std::int64_t amount_fen = 0;
  std::string payer_openid;
  EpochMs success_time = 0, received_at = 0;
};

// What was uploaded to WeChat's shipping-info service for one payment.
struct ShippingLedgerRecord {
  int used = 0;
  std::optional<EpochMs> last_upload_time;
  bool unresolved = false;
};

// One temperature reading as stored (idempotent by shipment + device + time).
struct TemperatureRecord {
  std::string device_id;
  EpochMs at = 0;
  double temp_c = 0;
};

// The latest cold-chain assessment of a shipment.
struct ColdChainRecord {
  std::int64_t shipment_id = 0;
  std::string profile;  // frozen | chilled
  std::int64_t readings = 0;
  std::string thaw_risk;  // none | low | medium | high
  std::string worst;      // highest severity fired, "" when none
  std::optional<double> mkt_c;
  std::string summary_json;
  EpochMs updated_at = 0;
};

}  // namespace coldtrack::store
