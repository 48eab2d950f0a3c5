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
    json::array items;
    const auto parsed = o.items_json.empty() ? std::vector<domain::OrderItem>()
                                             : service::parse_items_json(o.items_json);
    for (const auto& it : o.items_json.empty() ? o.data.items : parsed) {
      items.push_back(json::object{{"sku", it.sku},
                                   {"name", it.name},
                                   {"category", it.category},
                                   {"quantity", it.quantity},
                                   {"unit_price_fen", it.unit_price_fen}});
    }
    j["items"] = std::move(items);
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

// Appends JSON text; commas are placed by the caller's structure (first-member flags). Keys and
// the values this file makes itself (status codes, labels, times) have nothing to escape and
// are copied as they are; data goes through common::append_json_string.
class TextWriter {
 public:
  explicit TextWriter(std::string& out) : out_(out) {}
  void open(char c) { out_ += c, first_ = true; }
  void close(char c) { out_ += c, first_ = false; }
  // `k` is one of this file's literal keys (short, nothing to escape).
  void key(std::string_view k) {
    char buf[64];
    char* p = buf;
    if (!first_) *p++ = ',';
    *p++ = '"';
    std::memcpy(p, k.data(), k.size());
    p += k.size();
    *p++ = '"', *p++ = ':';
    out_.append(buf, p);
    first_ = true;  // the value follows without a comma
  }
  void str(std::string_view v) {
    comma();
    common::append_json_string(out_, v);
  }
  // A string of our own making with nothing to escape (codes, labels, digits).
  void plain(std::string_view v) {
    comma();
    out_ += '"';
    out_ += v;
    out_ += '"';
  }
  void time(domain::EpochMs t, int tz) {
    comma();
    out_ += '"';
    domain::append_rfc3339(out_, t, tz);
    out_ += '"';
  }
  void num(std::int64_t v) {
    comma();
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
    out_.append(buf, end);
  }
  void boolean(bool v) {
    comma();
    out_ += v ? "true" : "false";
  }
  void null() {
    comma();
    out_ += "null";
  }
  // JSON text made elsewhere, copied as it is.
  void raw(std::string_view json) {
    comma();
    out_ += json;
  }
  void member(std::string_view k, std::string_view v) { key(k), str(v); }
  void member_plain(std::string_view k, std::string_view v) { key(k), plain(v); }
  void member_num(std::string_view k, std::int64_t v) { key(k), num(v); }
  void member_time(std::string_view k, domain::EpochMs t, int tz) { key(k), time(t, tz); }
  // Before a value or key: a comma unless it is the first in its container or follows a key.
  void comma() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void open_member(std::string_view k, char c) { key(k), comma(), open(c); }

 private:
  std::string& out_;
  bool first_ = true;
};

}  // namespace

void append_order_json(std::string& out, const domain::Order& o, View view, int tz) {
  TextWriter w(out);
  w.open('{');
  w.member("order_no", o.data.order_no);
  w.member_plain("status", domain::to_string(o.status));
  w.member_plain("status_label", domain::label_zh(o.status));
  if (view != View::kPublic) {
    const bool full = view == View::kRevealed;
    w.open_member("customer", '{');
    // A summary's name and phone are masked already (and never revealed: full needs a get).
    const bool as_is = full || o.pii_masked;
    w.member("name", as_is ? o.data.customer.name : domain::mask_name(o.data.customer.name));
    w.member("phone", as_is ? o.data.customer.phone : domain::mask_phone(o.data.customer.phone));
    if (!o.data.customer.openid.empty()) w.member("openid", o.data.customer.openid);
    w.close('}');
    w.open_member("address", '{');
    w.member("province", o.data.address.province);
    w.member("city", o.data.address.city);
    if (full) {
      w.member("district", o.data.address.district);
      w.member("detail", o.data.address.detail);
    }
    w.close('}');
    w.key("items");
    if (!o.items_json.empty()) {
      w.raw(o.items_json);  // stored in the answer's form (service/items_json.h)
    } else {
      w.comma();
      service::append_items_json(out, o.data.items);
    }
    w.member_num("amount_fen", o.data.amount_fen);
    w.member_num("shipping_fen", o.data.shipping_fen);
    w.member_num("discount_fen", o.data.discount_fen);
    w.member("remark", o.data.remark);
    w.member_time("updated_at", o.updated_at, tz);
    w.key("archived");
    w.boolean(o.archived);
  } else {
    w.member("city", o.data.address.city);
  }
  w.member_time("created_at", o.created_at, tz);
  if (!o.history.empty()) {
    w.open_member("history", '[');
    for (const auto& e : o.history) {
      w.comma();
      w.open('{');
      w.member_plain("status", domain::to_string(e.status));
      w.member_plain("status_label", domain::label_zh(e.status));
      w.member_time("at", e.at, tz);
      if (view != View::kPublic) {
        w.key("from");
        if (e.from)
          w.plain(domain::to_string(*e.from));
        else
          w.null();
        w.member_time("recorded_at", e.recorded_at, tz);
        w.member("actor", e.actor);
        w.member("note", e.note);
      }
      w.close('}');
    }
    w.close(']');
  }
  w.open_member("shipments", '[');
  for (const auto& s : o.shipments) {
    w.comma();
    w.open('{');
    w.member_num("id", s.id);
    w.member("carrier", s.carrier);
    w.member("carrier_name", s.carrier_name);
    w.member("waybill_no", view == View::kPublic ? mask_waybill(s.waybill_no) : s.waybill_no);
    w.member_time("created_at", s.created_at, tz);
    w.member("service", s.service);
    w.member("temp_class", s.temp_class);
    w.key("origin_city");
    if (s.origin_city.empty())
      w.null();
    else
      w.str(s.origin_city);
    w.close('}');
  }
  w.close(']');
  w.close('}');
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
