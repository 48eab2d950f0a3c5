#include "http/order_json.h"

#include "http/tracking_json.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "common/json_text.h"
#include "domain/masking.h"
#include "domain/validation.h"
#include "http/json_fields.h"
#include "service/items_json.h"

namespace coldtrack::http {

namespace json = boost::json;
using domain::format_rfc3339;

json::object order_json(const domain::Order& o, View view, int tz) {
  json::object j;
  j["order_no"] = o.data.order_no;
  j["status"] = domain::to_string(o.status);
  j["status_label"] = domain::label_zh(o.status);
  if (view != View::kPublic) {
    const bool full = view == View::kRevealed;
    json::object customer{
        {"name", full ? o.data.customer.name : domain::mask_name(o.data.customer.name)},
        {"phone", full ? o.data.customer.phone : domain::mask_phone(o.data.customer.phone)}};
    if (!o.data.customer.openid.empty()) customer["openid"] = o.data.customer.openid;
    j["customer"] = std::move(customer);
    json::object address{{"province", o.data.address.province}, {"city", o.data.address.city}};
    if (full) {
      address["district"] = o.data.address.district;
      address["detail"] = o.data.address.detail;
    }
    j["address"] = std::move(address);
    // One writer of items (service/items_json.h), whether they were parsed or kept as stored.
    boost::system::error_code ec;
    auto items =
        json::parse(o.items_json.empty() ? service::items_json(o.data.items) : o.items_json, ec);
    j["items"] = ec ? json::value(json::array()) : std::move(items);
    j["amount_fen"] = o.data.amount_fen;
    j["shipping_fen"] = o.data.shipping_fen;
    j["discount_fen"] = o.data.discount_fen;
    j["remark"] = o.data.remark;
    j["updated_at"] = format_rfc3339(o.updated_at, tz);
    j["archived"] = o.archived;
  } else {
    j["city"] = o.data.address.city;
  }
  j["created_at"] = format_rfc3339(o.created_at, tz);
  if (!o.history.empty()) {
    json::array history;
    for (const auto& e : o.history) {
      json::object ev{{"status", domain::to_string(e.status)},
                      {"status_label", domain::label_zh(e.status)},
                      {"at", format_rfc3339(e.at, tz)}};
      if (view != View::kPublic) {
        ev["from"] = e.from ? json::value(domain::to_string(*e.from)) : json::value(nullptr);
        ev["recorded_at"] = format_rfc3339(e.recorded_at, tz);
        ev["actor"] = e.actor;
        ev["note"] = e.note;
      }
      history.push_back(std::move(ev));
    }
    j["history"] = std::move(history);
  }
  json::array shipments;
  for (const auto& s : o.shipments) {
    json::object sh{
        {"id", s.id},
        {"carrier", s.carrier},
        {"carrier_name", s.carrier_name},
        // Public: whoever knows the order number and four digits sees the carrier's
        // answer through us, not the waybill to ask the carrier directly.
        {"waybill_no", view == View::kPublic ? mask_waybill(s.waybill_no) : s.waybill_no},
        {"created_at", format_rfc3339(s.created_at, tz)},
        {"service", s.service},
        {"temp_class", s.temp_class}};
    sh["origin_city"] = s.origin_city.empty() ? json::value(nullptr) : json::value(s.origin_city);
    shipments.push_back(std::move(sh));
  }
  j["shipments"] = std::move(shipments);
  return j;
}

namespace {

// Appends JSON text. The layout is fixed, so keys, punctuation and commas are literal fragments
// whose sizes are known at compile time; values this file makes itself (status codes, labels,
// times, numbers) have nothing to escape, and data goes through common::append_json_string.
class Text {
 public:
  explicit Text(std::string& out) : out_(out) {}
  template <std::size_t N>
  void lit(const char (&s)[N]) {
    out_.append(s, N - 1);
  }
  void str(std::string_view v) { common::append_json_string(out_, v); }
  // A string of our own making with nothing to escape (codes, labels).
  void plain(std::string_view v) {
    char buf[64];
    if (v.size() > sizeof buf - 2) return str(v);
    buf[0] = '"';
    std::memcpy(buf + 1, v.data(), v.size());
    buf[v.size() + 1] = '"';
    out_.append(buf, v.size() + 2);
  }
  void time(domain::EpochMs t, int tz) {
    out_ += '"';
    domain::append_rfc3339(out_, t, tz);
    out_ += '"';
  }
  void num(std::int64_t v) {
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, static_cast<std::size_t>(end - buf));
  }
  void raw(std::string_view json) { out_.append(json.data(), json.size()); }
  std::string& out() { return out_; }

 private:
  std::string& out_;
};

void write_order(Text& t, const domain::Order& o, View view, int tz) {
  t.lit(R"({"order_no":)");
  t.str(o.data.order_no);
  t.lit(R"(,"status":)");
  t.plain(domain::to_string(o.status));
  t.lit(R"(,"status_label":)");
  t.plain(domain::label_zh(o.status));
  if (view != View::kPublic) {
    const bool full = view == View::kRevealed;
    // A summary's name and phone are masked already (and never revealed: full needs a get).
    const bool as_is = full || o.pii_masked;
    t.lit(R"(,"customer":{"name":)");
    t.str(as_is ? o.data.customer.name : domain::mask_name(o.data.customer.name));
    t.lit(R"(,"phone":)");
    t.str(as_is ? o.data.customer.phone : domain::mask_phone(o.data.customer.phone));
    if (!o.data.customer.openid.empty()) {
      t.lit(R"(,"openid":)");
      t.str(o.data.customer.openid);
    }
    t.lit(R"(},"address":{"province":)");
    t.str(o.data.address.province);
    t.lit(R"(,"city":)");
    t.str(o.data.address.city);
    if (full) {
      t.lit(R"(,"district":)");
      t.str(o.data.address.district);
      t.lit(R"(,"detail":)");
      t.str(o.data.address.detail);
    }
    t.lit(R"(},"items":)");
    if (!o.items_json.empty())
      t.raw(o.items_json);  // stored in the answer's form (service/items_json.h)
    else
      service::append_items_json(t.out(), o.data.items);
    t.lit(R"(,"amount_fen":)");
    t.num(o.data.amount_fen);
    t.lit(R"(,"shipping_fen":)");
    t.num(o.data.shipping_fen);
    t.lit(R"(,"discount_fen":)");
    t.num(o.data.discount_fen);
    t.lit(R"(,"remark":)");
    t.str(o.data.remark);
    t.lit(R"(,"updated_at":)");
    t.time(o.updated_at, tz);
    if (o.archived)
      t.lit(R"(,"archived":true)");
    else
      t.lit(R"(,"archived":false)");
  } else {
    t.lit(R"(,"city":)");
    t.str(o.data.address.city);
  }
  t.lit(R"(,"created_at":)");
  t.time(o.created_at, tz);
  if (!o.history.empty()) {
    t.lit(R"(,"history":[)");
    for (std::size_t i = 0; i < o.history.size(); ++i) {
      const auto& e = o.history[i];
      if (i > 0) t.lit(",");
      t.lit(R"({"status":)");
      t.plain(domain::to_string(e.status));
      t.lit(R"(,"status_label":)");
      t.plain(domain::label_zh(e.status));
      t.lit(R"(,"at":)");
      t.time(e.at, tz);
      if (view != View::kPublic) {
        t.lit(R"(,"from":)");
        if (e.from)
          t.plain(domain::to_string(*e.from));
        else
          t.lit("null");
        t.lit(R"(,"recorded_at":)");
        t.time(e.recorded_at, tz);
        t.lit(R"(,"actor":)");
        t.str(e.actor);
        t.lit(R"(,"note":)");
        t.str(e.note);
      }
      t.lit("}");
    }
    t.lit("]");
  }
  t.lit(R"(,"shipments":[)");
  for (std::size_t i = 0; i < o.shipments.size(); ++i) {
    const auto& s = o.shipments[i];
    if (i > 0) t.lit(",");
    t.lit(R"({"id":)");
    t.num(s.id);
    t.lit(R"(,"carrier":)");
    t.str(s.carrier);
    t.lit(R"(,"carrier_name":)");
    t.str(s.carrier_name);
    t.lit(R"(,"waybill_no":)");
    t.str(view == View::kPublic ? mask_waybill(s.waybill_no) : s.waybill_no);
    t.lit(R"(,"created_at":)");
    t.time(s.created_at, tz);
    t.lit(R"(,"service":)");
    t.str(s.service);
    t.lit(R"(,"temp_class":)");
    t.str(s.temp_class);
    t.lit(R"(,"origin_city":)");
    if (s.origin_city.empty())
      t.lit("null");
    else
      t.str(s.origin_city);
    t.lit("}");
  }
  t.lit("]}");
}

}  // namespace

void append_order_json(std::string& out, const domain::Order& o, View view, int tz) {
  Text t(out);
  write_order(t, o, view, tz);
}

std::string order_page_json(const service::OrderList& page, View view, int tz) {
  std::string text = R"({"items":[)";
  text.reserve(1024 + page.items.size() * 1024);
  for (std::size_t i = 0; i < page.items.size(); ++i) {
    if (i > 0) text += ',';
    append_order_json(text, page.items[i], view, tz);
  }
  text += R"(],"next_cursor":)";
  if (page.next_cursor)
    common::append_json_string(text, *page.next_cursor);
  else
    text += "null";
  text += '}';
  return text;
}

service::Result<domain::NewOrder> parse_new_order(const json::object& body) {
  domain::NewOrder o;
  FieldReader r(body, "");
  const json::object* customer = nullptr;
  const json::object* address = nullptr;
  const json::array* items = nullptr;
  bool ok = r.only({"order_no", "customer", "address", "items", "amount_fen", "shipping_fen",
                    "discount_fen", "remark", "created_at"}) &&
            r.str("order_no", o.order_no, false) && r.object("customer", customer, true) &&
            r.object("address", address, true) && r.array("items", items, true) &&
            r.int64("amount_fen", o.amount_fen, true) &&
            r.int64("shipping_fen", o.shipping_fen, false) &&
            r.int64("discount_fen", o.discount_fen, false) && r.str("remark", o.remark, false) &&
            r.time("created_at", o.created_at);
  if (!ok) return r.error();
  // order_no is checked before anything else so a 1 MB order number is named as such.
  if (!o.order_no.empty() && !domain::is_valid_order_no(o.order_no))
    return service::invalid("order_no", "must be 1-64 characters of A-Z, a-z, 0-9, '_' or '-'");

  FieldReader c(*customer, "customer");
  ok = c.only({"name", "phone", "openid"}) && c.str("name", o.customer.name, true) &&
       c.str("phone", o.customer.phone, true) && c.str("openid", o.customer.openid, false);
  if (!ok) return c.error();

  FieldReader a(*address, "address");
  ok = a.only({"province", "city", "district", "detail"}) &&
       a.str("province", o.address.province, true) && a.str("city", o.address.city, true) &&
       a.str("district", o.address.district, false) && a.str("detail", o.address.detail, true);
  if (!ok) return a.error();

  if (items->size() > domain::kMaxItems)
    return service::invalid("items", "must contain at most 200 items");
  for (std::size_t i = 0; i < items->size(); ++i) {
    const auto path = "items[" + std::to_string(i) + "]";
    if (!(*items)[i].is_object()) return service::invalid(path, "must be an object");
    FieldReader it((*items)[i].as_object(), path);
    domain::OrderItem item;
    ok = it.only({"sku", "name", "category", "quantity", "unit_price_fen"}) &&
         it.str("sku", item.sku, true) && it.str("name", item.name, true) &&
         it.str("category", item.category, true) && it.int64("quantity", item.quantity, true) &&
         it.int64("unit_price_fen", item.unit_price_fen, true);
    if (!ok) return it.error();
    o.items.push_back(std::move(item));
  }
  return o;
}

}  // namespace coldtrack::http
