#include "service/order_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "domain/masking.h"
#include "domain/validation.h"
#include "security/crypto.h"
#include "service/items_json.h"

namespace coldtrack::service {
namespace {

namespace json = boost::json;
using domain::OrderStatus;
constexpr domain::EpochMs kFutureSlackMs = 5 * 60 * 1000;

// Hash of the normalized request: what makes "the same order again" recognisable.
std::string body_hash(const domain::NewOrder& o) {
  json::object j{{"order_no", o.order_no},
                 {"name", o.customer.name},
                 {"phone", o.customer.phone},
                 {"openid", o.customer.openid},
                 {"province", o.address.province},
                 {"city", o.address.city},
                 {"district", o.address.district},
                 {"detail", o.address.detail},
                 {"items", json::parse(items_json(o.items))},
                 {"amount_fen", o.amount_fen},
                 {"shipping_fen", o.shipping_fen},
                 {"discount_fen", o.discount_fen},
                 {"remark", o.remark}};
  if (o.created_at) j["created_at"] = *o.created_at;
  return security::sha256_hex(json::serialize(j));
}

store::AuditRecord audit_of(const Actor& a, domain::EpochMs now, std::string action,
                            std::string target, std::string detail = "{}") {
  return store::AuditRecord{0,
                            now,
                            a.id,
                            a.role,
                            std::move(action),
                            std::move(target),
                            a.request_id,
                            a.client_addr,
                            std::move(detail)};
}

Error conflict(const store::Conflict& c) {
  return Error{ErrorCode::kConflict, c.message, {}, c.current};
}

}  // namespace

std::string encode_cursor(const store::OrderCursor& c) {
  return security::base64url_encode(fmt::format("{}.{}", c.created_at, c.id));
}

std::optional<store::OrderCursor> decode_cursor(std::string_view text) {
  auto raw = security::base64url_decode(text);
  if (!raw) return std::nullopt;
  const auto dot = raw->find('.');
  if (dot == std::string::npos) return std::nullopt;
  try {
    std::size_t used1 = 0, used2 = 0;
    const auto a = std::stoll(raw->substr(0, dot), &used1);
    const auto b = std::stoll(raw->substr(dot + 1), &used2);
    if (used1 != dot || used2 != raw->size() - dot - 1) return std::nullopt;
    return store::OrderCursor{a, b};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

OrderService::OrderService(store::Store& store, const PiiCodec& pii, Clock clock)
    : store_(store), pii_(pii), clock_(std::move(clock)) {
  for (const auto& c : store_.categories()) categories_.insert(c.code);
}

std::string OrderService::generate_order_no() const {
  const auto stamp = domain::format_rfc3339(clock_(), 480);  // order numbers read in China time
  std::string digits;
  for (char c : stamp.substr(0, 19))
    if (c >= '0' && c <= '9') digits += c;
  return fmt::format("CT{}{}", digits, security::random_hex(4));
}

domain::Order OrderService::to_domain(store::OrderRecord&& r, bool masked) const {
  domain::Order o;
  o.data.order_no = std::move(r.order_no);
  if (masked && !r.name_masked.empty() && !r.phone_masked.empty()) {
    // Shown masked anyway: the stored masked forms, no ciphertext opened.
    o.data.customer.name = std::move(r.name_masked);
    o.data.customer.phone = std::move(r.phone_masked);
    o.pii_masked = true;
  } else {
    // A record that fails to open was sealed with another key: show that instead of failing.
    o.data.customer.name = pii_.open(r.name_sealed, "customer.name").value_or("(undecryptable)");
    o.data.customer.phone = pii_.open(r.phone_sealed, "customer.phone").value_or("");
  }
  o.data.customer.openid = std::move(r.openid);
  o.data.address = {std::move(r.province), std::move(r.city), std::move(r.district),
                    masked
                        ? std::string()
                        : pii_.open(r.detail_sealed, "address.detail").value_or("(undecryptable)")};
  // A masked list leaves the items as stored: their text is already the answer's.
  if (masked && is_items_array(r.items_json))
    o.items_json = std::move(r.items_json);
  else
    o.data.items = parse_items_json(r.items_json);
  o.data.amount_fen = r.amount_fen;
  o.data.shipping_fen = r.shipping_fen;
  o.data.discount_fen = r.discount_fen;
  o.data.remark = std::move(r.remark);
  o.data.created_at = r.created_at;
  o.status = r.status;
  o.created_at = r.created_at;
  o.updated_at = r.updated_at;
  o.archived = r.archived;
  o.history.reserve(r.history.size());
  for (auto& e : r.history)
    o.history.push_back(
        {e.status, e.from, e.at, e.recorded_at, std::move(e.actor), std::move(e.note)});
  o.shipments.reserve(r.shipments.size());
  for (auto& s : r.shipments)
    o.shipments.push_back({s.id, std::move(s.carrier), std::move(s.carrier_name),
                           std::move(s.waybill_no), s.created_at, std::move(s.origin_city),
                           std::move(s.service), std::move(s.temp_class)});
  return o;
}

Result<CreateOutcome> OrderService::create(domain::NewOrder order, const Actor& actor) {
  const auto now = clock_();
  if (auto err = domain::validate_new_order(order, categories_, now))
    return invalid(err->field, err->message);
  const bool generated = order.order_no.empty();
  if (generated) order.order_no = generate_order_no();

  store::OrderRecord r;
  r.order_no = order.order_no;
  r.status = OrderStatus::kCreated;
  r.name_sealed = pii_.seal(order.customer.name, "customer.name");
  r.phone_sealed = pii_.seal(order.customer.phone, "customer.phone");
  r.phone_index = pii_.phone_index(order.customer.phone);
  r.phone_last4 = order.customer.phone.substr(order.customer.phone.size() - 4);
  r.name_masked = domain::mask_name(order.customer.name);
  r.phone_masked = domain::mask_phone(order.customer.phone);
  r.openid = order.customer.openid;
  r.province = order.address.province;
  r.city = order.address.city;
  r.district = order.address.district;
  r.detail_sealed = pii_.seal(order.address.detail, "address.detail");
  r.items_json = items_json(order.items);
  r.amount_fen = order.amount_fen;
  r.shipping_fen = order.shipping_fen;
  r.discount_fen = order.discount_fen;
  r.remark = order.remark;
  r.body_hash = body_hash(order);
  r.created_at = order.created_at.value_or(now);
  r.updated_at = now;

  auto result = store_.create_order(r, actor.id,
                                    audit_of(actor, now, "order.create", "order:" + order.order_no,
                                             fmt::format(R"({{"amount_fen":{},"items":{}}})",
                                                         order.amount_fen, order.items.size())));
  if (auto* c = std::get_if<store::Created>(&result))
    return CreateOutcome{to_domain(std::move(c->order)), true};
  if (auto* e = std::get_if<store::AlreadyExists>(&result))
    return CreateOutcome{to_domain(std::move(e->order)), false};
  return conflict(std::get<store::Conflict>(result));
}

Result<domain::Order> OrderService::change_status(const std::string& order_no, OrderStatus to,
                                                  std::optional<domain::EpochMs> at,
                                                  const std::string& note, const Actor& actor) {
  const auto now = clock_();
  if (at && *at > now + kFutureSlackMs) return invalid("at", "is in the future");
  if (!domain::is_valid_note(note))
    return invalid("note", "must be at most 500 characters of text without control characters");
  store::StatusChange change{order_no, to, at.value_or(now), now, actor.id, note};
  auto result = store_.change_status(
      change, audit_of(actor, now, "order.status", "order:" + order_no,
                       fmt::format(R"({{"to":"{}"}})", domain::to_string(to))));
  if (auto* c = std::get_if<store::Changed>(&result)) return to_domain(std::move(c->order));
  if (std::holds_alternative<store::NotFound>(result)) return not_found("order not found");
  if (auto* r = std::get_if<store::InvalidReference>(&result)) return invalid(r->field, r->message);
  return conflict(std::get<store::Conflict>(result));
}

Result<domain::Order> OrderService::add_shipment(const std::string& order_no,
                                                 const std::string& carrier,
                                                 const std::string& waybill_no, const Actor& actor,
                                                 const std::string& origin_city,
                                                 const std::string& service,
                                                 std::optional<domain::EpochMs> shipped_at) {
  const auto now = clock_();
  if (!domain::is_valid_waybill_no(waybill_no))
    return invalid("waybill_no", "must be 4-40 characters of A-Z, a-z, 0-9 or '-'");
  if (shipped_at && *shipped_at > now + kFutureSlackMs)
    return invalid("shipped_at", "is in the future");
  store::ShipmentRecord sh;
  sh.carrier = carrier;
  sh.waybill_no = waybill_no;
  sh.created_at = shipped_at.value_or(now);
  sh.origin_city = origin_city;
  sh.service = service.empty() ? "standard" : service;
  auto result = store_.add_shipment(
      order_no, sh, actor.id,
      audit_of(actor, now, "order.shipment", "order:" + order_no,
               fmt::format(R"({{"carrier":"{}","waybill_no":"{}"}})", carrier, waybill_no)));
  if (auto* c = std::get_if<store::Changed>(&result)) return to_domain(std::move(c->order));
  if (std::holds_alternative<store::NotFound>(result)) return not_found("order not found");
  if (auto* r = std::get_if<store::InvalidReference>(&result)) return invalid(r->field, r->message);
  return conflict(std::get<store::Conflict>(result));
}

Result<domain::Order> OrderService::get(const std::string& order_no, bool reveal,
                                        const Actor& actor) {
  auto r = store_.get_order(order_no);
  if (!r) return not_found("order not found");
  if (reveal) store_.append_audit(audit_of(actor, clock_(), "order.reveal", "order:" + order_no));
  return to_domain(std::move(*r));
}

Result<OrderList> OrderService::list(const ListQuery& q) {
  store::OrderFilter f;
  f.order_no = q.order_no;
  f.openid = q.openid;
  f.carrier = q.carrier;
  f.waybill_no = q.waybill_no;
  f.statuses = q.statuses;
  f.from = q.from;
  f.to = q.to;
  f.archived = q.archived;
  f.oldest_first = q.oldest_first;
  f.summary = q.masked;
  if (q.limit < 1) return invalid("limit", "must be a positive integer");
  f.limit = q.limit;
  if (q.phone) {
    auto phone = domain::normalize_mobile(*q.phone);
    if (!phone) return invalid("phone", "must be a mainland China mobile number");
    f.phone_index = pii_.phone_index(*phone);
  }
  if (q.cursor) {
    f.after = decode_cursor(*q.cursor);
    if (!f.after) return invalid("cursor", "is not a cursor returned by this API");
  }
  auto page = store_.list_orders(f);
  OrderList out;
  out.items.reserve(page.items.size());
  for (auto& r : page.items) out.items.push_back(to_domain(std::move(r), q.masked));
  if (page.next) out.next_cursor = encode_cursor(*page.next);
  return out;
}

Result<BatchResult> OrderService::batch_get(const std::vector<std::string>& order_nos) {
  auto rows = store_.get_orders(order_nos);
  BatchResult out;
  for (const auto& no : order_nos) {
    auto it = std::find_if(rows.begin(), rows.end(),
                           [&](const store::OrderRecord& r) { return r.order_no == no; });
    if (it == rows.end()) {
      out.not_found.push_back(no);
    } else {
      out.found.push_back({it->order_no, it->status, it->updated_at, it->archived});
    }
  }
  return out;
}

std::optional<domain::Order> OrderService::track(const std::string& order_no,
                                                 const std::string& phone_last4) {
  auto r = store_.get_order(order_no);
  if (!r || !security::constant_time_equal(r->phone_last4, phone_last4)) return std::nullopt;
  return to_domain(std::move(*r));
}

std::int64_t OrderService::fill_masked_forms(int batch, const std::function<bool()>& stop) {
  std::int64_t filled = 0;
  for (const bool archived : {false, true}) {
    for (bool more = true; more && !stop();) {
      auto next = store_.orders_without_masked_forms(archived, batch);
      if (!next) break;  // the backlog is done
      more = next->more;
      std::vector<store::MaskedFormsRow> done;
      for (auto& r : next->rows) {
        auto name = pii_.open(r.name_sealed, "customer.name");
        auto phone = pii_.open(r.phone_sealed, "customer.phone");
        if (!name || !phone) continue;  // sealed with another key: left as it is
        r.name_masked = domain::mask_name(*name);
        r.phone_masked = domain::mask_phone(*phone);
        done.push_back(std::move(r));
      }
      store_.set_masked_forms(archived, done, next->done_to);
      filled += static_cast<std::int64_t>(done.size());
    }
  }
  return filled;
}

int OrderService::archive(int after_days, int batch_size) {
  if (batch_size < 1 || after_days < 1) return 0;
  const auto cutoff = clock_() - static_cast<domain::EpochMs>(after_days) * 86'400'000;
  int total = 0;
  for (;;) {
    const int n = store_.archive_batch(cutoff, batch_size);
    total += n;
    if (n < batch_size) break;
  }
  if (total > 0) {
    store_.append_audit(store::AuditRecord{0, clock_(), "system:archiver", "system",
                                           "order.archive", "orders", "", "",
                                           fmt::format(R"({{"moved":{}}})", total)});
  }
  return total;
}

}  // namespace coldtrack::service
