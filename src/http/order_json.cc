#include "http/order_json.h"

#include "http/tracking_json.h"

#include <algorithm>
#include <charconv>

#include "domain/masking.h"
#include "domain/validation.h"
#include "http/json_fields.h"

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
    for (const auto& it : o.data.items) {
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

// Appends JSON text. Strings go through Boost.JSON's serializer (escaping), numbers through
// std::to_chars; commas are placed by the caller's structure (first-member flags).
class TextWriter {
 public:
  explicit TextWriter(std::string& out) : out_(out) {}
  void open(char c) { out_ += c, first_ = true; }
  void close(char c) { out_ += c, first_ = false; }
  void key(std::string_view k) {
    comma();
    quoted(k);
    out_ += ':';
    first_ = true;  // the value follows without a comma
  }
  void str(std::string_view v) {
    comma();
    quoted(v);
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
  // A member with a string value.
  void member(std::string_view k, std::string_view v) { key(k), str(v); }
  void member_num(std::string_view k, std::int64_t v) { key(k), num(v); }
  // Before a value or key: a comma unless it is the first in its container or follows a key.
  void comma() {
    if (!first_) out_ += ',';
    first_ = false;
  }
  void open_member(std::string_view k, char c) { key(k), comma(), open(c); }

 private:
  void quoted(std::string_view v) {
    // Most strings need no escape: copied as they are, which is what the serializer would write
    // (it escapes only '"', '\\' and control characters, never UTF-8 bytes).
    const bool plain = std::none_of(v.begin(), v.end(), [](char c) {
      return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
    });
    if (plain) {
      out_ += '"';
      out_ += v;
      out_ += '"';
      return;
    }
    sr_.reset(v);
    char buf[512];
    while (!sr_.done()) {
      const auto part = sr_.read(buf, sizeof buf);
      out_.append(part.data(), part.size());
    }
  }

  std::string& out_;
  boost::json::serializer sr_;
  bool first_ = true;
};

}  // namespace

void append_order_json(std::string& out, const domain::Order& o, View view, int tz) {
  TextWriter w(out);
  w.open('{');
  w.member("order_no", o.data.order_no);
  w.member("status", domain::to_string(o.status));
  w.member("status_label", domain::label_zh(o.status));
  if (view != View::kPublic) {
    const bool full = view == View::kRevealed;
    w.open_member("customer", '{');
    w.member("name", full ? o.data.customer.name : domain::mask_name(o.data.customer.name));
    w.member("phone", full ? o.data.customer.phone : domain::mask_phone(o.data.customer.phone));
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
    w.open_member("items", '[');
    for (const auto& it : o.data.items) {
      w.comma();
      w.open('{');
      w.member("sku", it.sku);
      w.member("name", it.name);
      w.member("category", it.category);
      w.member_num("quantity", it.quantity);
      w.member_num("unit_price_fen", it.unit_price_fen);
      w.close('}');
    }
    w.close(']');
    w.member_num("amount_fen", o.data.amount_fen);
    w.member_num("shipping_fen", o.data.shipping_fen);
    w.member_num("discount_fen", o.data.discount_fen);
    w.member("remark", o.data.remark);
    w.member("updated_at", format_rfc3339(o.updated_at, tz));
    w.key("archived");
    w.boolean(o.archived);
  } else {
    w.member("city", o.data.address.city);
  }
  w.member("created_at", format_rfc3339(o.created_at, tz));
  if (!o.history.empty()) {
    w.open_member("history", '[');
    for (const auto& e : o.history) {
      w.comma();
      w.open('{');
      w.member("status", domain::to_string(e.status));
      w.member("status_label", domain::label_zh(e.status));
      w.member("at", format_rfc3339(e.at, tz));
      if (view != View::kPublic) {
        w.key("from");
        if (e.from)
          w.str(domain::to_string(*e.from));
        else
          w.null();
        w.member("recorded_at", format_rfc3339(e.recorded_at, tz));
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
    w.member("created_at", format_rfc3339(s.created_at, tz));
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
