// Order use cases: validation, sealing of personal data, idempotency and audit around the
// store. Blocking (runs on the worker pool); knows nothing about HTTP.
#pragma once

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "domain/order.h"
#include "service/pii.h"
#include "service/result.h"
#include "store/store.h"

namespace coldtrack::service {

// Who is asking, for permission checks and the audit log.
struct Actor {
  std::string id;    // "apikey:ak_..." or "system:<job>"
  std::string role;  // admin | operator | viewer | system
  std::string request_id;
  std::string client_addr;
};

struct CreateOutcome {
  domain::Order order;
  bool created = false;  // false: the same request was already applied
};

struct ListQuery {
  std::optional<std::string> order_no, phone, openid, carrier, waybill_no;
  std::vector<domain::OrderStatus> statuses;  // any of these; empty: any status
  std::optional<domain::EpochMs> from, to;
  store::ArchiveScope archived = store::ArchiveScope::kExclude;
  int limit = 50;
  std::optional<std::string> cursor;  // opaque, from a previous page of the same order
  bool oldest_first = false;          // default: newest first
  // True: the page is only ever shown masked (every list the API answers), so each order is
  // read as a summary: address.detail is left empty (not decrypted) and the items stay as the
  // stored JSON text (domain::Order::items_json), which is already the answer's text.
  bool masked = false;
};

struct OrderList {
  std::vector<domain::Order> items;
  std::optional<std::string> next_cursor;
};

struct BatchEntry {
  std::string order_no;
  domain::OrderStatus status;
  domain::EpochMs updated_at;
  bool archived;
};

struct BatchResult {
  std::vector<BatchEntry> found;  // in request order
  std::vector<std::string> not_found;
};

using Clock = std::function<domain::EpochMs()>;

class OrderService {
 public:
  OrderService(store::Store& store, const PiiCodec& pii, Clock clock);

  Result<CreateOutcome> create(domain::NewOrder order, const Actor& actor);
  Result<domain::Order> change_status(const std::string& order_no, domain::OrderStatus to,
                                      std::optional<domain::EpochMs> at, const std::string& note,
                                      const Actor& actor);
  // `origin_city` ("" = the shop's default) and `service` describe the lane for ETA;
  // `shipped_at` (default now) is when the parcel was handed over, for waybills recorded later.
  Result<domain::Order> add_shipment(const std::string& order_no, const std::string& carrier,
                                     const std::string& waybill_no, const Actor& actor,
                                     const std::string& origin_city = "",
                                     const std::string& service = "standard",
                                     std::optional<domain::EpochMs> shipped_at = std::nullopt);
  // `reveal` writes an audit row; the caller has checked the role.
  Result<domain::Order> get(const std::string& order_no, bool reveal, const Actor& actor);
  Result<OrderList> list(const ListQuery& query);
  Result<BatchResult> batch_get(const std::vector<std::string>& order_nos);
  // Public tracking: the order only when the phone's last four digits match.
  std::optional<domain::Order> track(const std::string& order_no, const std::string& phone_last4);
  // Archives every order finished before now - after_days, in batches; returns how many moved.
  int archive(int after_days, int batch_size);
  // Stores the masked name and phone of orders written before they were kept (migration 16),
  // `batch` per transaction with the fill's position, live then archived, until the backlog is
  // done or `stop()` says so; returns how many were filled. Rows that do not open (another key)
  // are passed over.
  std::int64_t fill_masked_forms(int batch, const std::function<bool()>& stop);

  const std::set<std::string>& categories() const { return categories_; }
  domain::EpochMs now() const { return clock_(); }

 private:
  // `masked`: the order is only shown masked (ListQuery::masked), so it is read as a summary.
  domain::Order to_domain(store::OrderRecord&& r, bool masked = false) const;
  std::string generate_order_no() const;

  store::Store& store_;
  const PiiCodec& pii_;
  Clock clock_;
  std::set<std::string> categories_;
};

// Encodes/decodes the opaque list cursor.
std::string encode_cursor(const store::OrderCursor& c);
std::optional<store::OrderCursor> decode_cursor(std::string_view text);

}  // namespace coldtrack::service
