// The order aggregate as the domain sees it: plain values, no storage or wire concerns.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "domain/status.h"
#include "domain/time.h"

namespace coldtrack::domain {

struct Customer {
  std::string name;
  std::string phone;   // normalized 11-digit mainland mobile
  std::string openid;  // WeChat openid, optional
};

struct Address {
  std::string province;
  std::string city;
  std::string district;  // optional
  std::string detail;
};

struct OrderItem {
  std::string sku;
  std::string name;
  std::string category;  // code from the categories table: frozen | chilled | ambient
  std::int64_t quantity = 0;
  std::int64_t unit_price_fen = 0;
};

// What a client submits to create an order.
struct NewOrder {
  std::string order_no;  // empty: generated
  Customer customer;
  Address address;
  std::vector<OrderItem> items;
  std::int64_t amount_fen = 0;  // = sum(quantity * unit_price_fen) + shipping_fen - discount_fen
  std::int64_t shipping_fen = 0;
  std::int64_t discount_fen = 0;
  std::string remark;
  std::optional<EpochMs> created_at;  // when the shop's system created it; default: now
};

struct StatusEvent {
  OrderStatus status = OrderStatus::kCreated;
  std::optional<OrderStatus> from;  // absent for the first (CREATED) event
  EpochMs at = 0;                   // when it happened (as reported)
  EpochMs recorded_at = 0;          // when ColdTrack learned it
  std::string actor;                // "apikey:<key>", "system:archiver", ...
  std::string note;
};

struct Shipment {
  std::int64_t id = 0;
  std::string carrier;  // canonical carrier code, e.g. "SF"
  std::string carrier_name;
  std::string waybill_no;
  EpochMs created_at = 0;
  std::string origin_city;  // "" = the shop's default origin
  std::string service = "standard";
  std::string temp_class;  // frozen | chilled | ambient: the strictest of the order's items
};

struct Order {
  NewOrder data;
  OrderStatus status = OrderStatus::kCreated;
  EpochMs created_at = 0;
  EpochMs updated_at = 0;
  bool archived = false;
  std::vector<StatusEvent> history;  // oldest first
  std::vector<Shipment> shipments;   // oldest first
  // True when data.customer.name and .phone hold their masked forms (a masked list's summary).
  bool pii_masked = false;
  // Set instead of data.items when the order was read as a masked list's summary: the items as
  // stored, JSON text in the API's own form (service/items_json.h), copied into the answer as
  // it is.
  std::string items_json;
};

}  // namespace coldtrack::domain
