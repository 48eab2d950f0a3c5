#include "http/order_json.h"

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
    json::object sh{{"id", s.id},
                    {"carrier", s.carrier},
                    {"carrier_name", s.carrier_name},
                    {"waybill_no", s.waybill_no},
                    {"created_at", format_rfc3339(s.created_at, tz)},
                    {"service", s.service},
                    {"temp_class", s.temp_class}};
    sh["origin_city"] = s.origin_city.empty() ? json::value(nullptr) : json::value(s.origin_city);
    shipments.push_back(std::move(sh));
  }
  j["shipments"] = std::move(shipments);
  return j;
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
