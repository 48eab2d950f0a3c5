#include "cache/view_codec.h"

#include <boost/json.hpp>

#include <charconv>
#include <cstdint>
#include <system_error>

namespace coldtrack::cache {
namespace {

namespace json = boost::json;
using store::EpochMs;

struct Malformed {};

json::value opt_ms(const std::optional<EpochMs>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

// Shortest text that reads back as the same double (also for inf and nan).
json::value exact_double(double d) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  return json::value(json::string_view(buf, static_cast<std::size_t>(r.ptr - buf)));
}

// Field access that throws Malformed on anything unexpected, so a damaged or foreign entry is a
// cache miss rather than a wrong answer.
class Fields {
 public:
  explicit Fields(const json::value& v) {
    if (!v.is_object()) throw Malformed{};
    o_ = &v.get_object();
  }
  const json::value& at(std::string_view k) const {
    const auto* v = o_->if_contains(k);
    if (!v) throw Malformed{};
    return *v;
  }
  std::string str(std::string_view k) const {
    const auto& v = at(k);
    if (!v.is_string()) throw Malformed{};
    return std::string(v.get_string());
  }
  std::int64_t i64(std::string_view k) const {
    const auto& v = at(k);
    if (!v.is_int64()) throw Malformed{};
    return v.get_int64();
  }
  bool boolean(std::string_view k) const {
    const auto& v = at(k);
    if (!v.is_bool()) throw Malformed{};
    return v.get_bool();
  }
  std::optional<std::int64_t> opt_i64(std::string_view k) const {
    if (at(k).is_null()) return std::nullopt;
    return i64(k);
  }
  domain::OrderStatus status(std::string_view k) const {
    auto s = domain::parse_status(str(k));
    if (!s) throw Malformed{};
    return *s;
  }
  std::optional<domain::OrderStatus> opt_status(std::string_view k) const {
    if (at(k).is_null()) return std::nullopt;
    return status(k);
  }
  std::optional<double> opt_double(std::string_view k) const {
    if (at(k).is_null()) return std::nullopt;
    const auto text = str(k);
    double d = 0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), d);
    if (r.ec != std::errc() || r.ptr != text.data() + text.size()) throw Malformed{};
    return d;
  }
  const json::array& array(std::string_view k) const {
    const auto& v = at(k);
    if (!v.is_array()) throw Malformed{};
    return v.get_array();
  }

 private:
  const json::object* o_ = nullptr;
};

json::value parse(std::string_view text, json::storage_ptr sp) {
  json::parse_options opts;
  opts.allow_invalid_utf8 = true;  // sealed fields are binary
  std::error_code ec;
  auto v = json::parse(json::string_view(text.data(), text.size()), ec, std::move(sp), opts);
  if (ec) throw Malformed{};
  return v;
}

// ---- order --------------------------------------------------------------------------------

json::object event_json(const store::EventRecord& e) {
  return {{"status", domain::to_string(e.status)},
          {"from", e.from ? json::value(domain::to_string(*e.from)) : json::value(nullptr)},
          {"at", e.at},
          {"recorded_at", e.recorded_at},
          {"actor", e.actor},
          {"note", e.note}};
}

store::EventRecord event_of(const json::value& v) {
  Fields f(v);
  store::EventRecord e;
  e.status = f.status("status");
  e.from = f.opt_status("from");
  e.at = f.i64("at");
  e.recorded_at = f.i64("recorded_at");
  e.actor = f.str("actor");
  e.note = f.str("note");
  return e;
}

json::object shipment_json(const store::ShipmentRecord& s) {
  return {{"id", s.id},
          {"carrier", s.carrier},
          {"carrier_name", s.carrier_name},
          {"waybill_no", s.waybill_no},
          {"created_at", s.created_at},
          {"origin_city", s.origin_city},
          {"service", s.service},
          {"temp_class", s.temp_class}};
}

store::ShipmentRecord shipment_of(const json::value& v) {
  Fields f(v);
  store::ShipmentRecord s;
  s.id = f.i64("id");
  s.carrier = f.str("carrier");
  s.carrier_name = f.str("carrier_name");
  s.waybill_no = f.str("waybill_no");
  s.created_at = f.i64("created_at");
  s.origin_city = f.str("origin_city");
  s.service = f.str("service");
  s.temp_class = f.str("temp_class");
  return s;
}

// ---- tracking -----------------------------------------------------------------------------

json::value cold_chain_json(const std::optional<store::ColdChainRecord>& k) {
  if (!k) return nullptr;
  return json::object{{"shipment_id", k->shipment_id},
                      {"profile", k->profile},
                      {"readings", k->readings},
                      {"thaw_risk", k->thaw_risk},
                      {"worst", k->worst},
                      {"mkt_c", k->mkt_c ? exact_double(*k->mkt_c) : json::value(nullptr)},
                      {"summary_json", k->summary_json},
                      {"updated_at", k->updated_at}};
}

std::optional<store::ColdChainRecord> cold_chain_of(const json::value& v) {
  if (v.is_null()) return std::nullopt;
  Fields f(v);
  store::ColdChainRecord k;
  k.shipment_id = f.i64("shipment_id");
  k.profile = f.str("profile");
  k.readings = f.i64("readings");
  k.thaw_risk = f.str("thaw_risk");
  k.worst = f.str("worst");
  k.mkt_c = f.opt_double("mkt_c");
  k.summary_json = f.str("summary_json");
  k.updated_at = f.i64("updated_at");
  return k;
}

json::object tracking_json(const store::TrackingRecord& r) {
  return {{"shipment_id", r.shipment_id},
          {"order_no", r.order_no},
          {"carrier", r.carrier},
          {"carrier_name", r.carrier_name},
          {"waybill_no", r.waybill_no},
          {"tracked", r.tracked},
          {"provider", r.provider},
          {"status", r.status},
          {"reason", r.reason},
          {"raw_state", r.raw_state},
          {"raw_substate", r.raw_substate},
          {"location", r.location},
          {"last_event_at", opt_ms(r.last_event_at)},
          {"trace_count", r.trace_count},
          {"traces_json", r.traces_json},
          {"raw_payload", r.raw_payload},
          {"heard_at", opt_ms(r.heard_at)},
          {"status_at", opt_ms(r.status_at)},
          {"shipped_at", r.shipped_at},
          {"origin_city", r.origin_city},
          {"dest_city", r.dest_city},
          {"service", r.service},
          {"temp_class", r.temp_class},
          {"cold_chain", cold_chain_json(r.cold_chain)},
          {"archived", r.archived}};
}

store::TrackingRecord tracking_of(const json::value& v) {
  Fields f(v);
  store::TrackingRecord r;
  r.shipment_id = f.i64("shipment_id");
  r.order_no = f.str("order_no");
  r.carrier = f.str("carrier");
  r.carrier_name = f.str("carrier_name");
  r.waybill_no = f.str("waybill_no");
  r.tracked = f.boolean("tracked");
  r.provider = f.str("provider");
  r.status = f.str("status");
  r.reason = f.str("reason");
  r.raw_state = f.str("raw_state");
  r.raw_substate = f.str("raw_substate");
  r.location = f.str("location");
  r.last_event_at = f.opt_i64("last_event_at");
  r.trace_count = f.i64("trace_count");
  r.traces_json = f.str("traces_json");
  r.raw_payload = f.str("raw_payload");
  r.heard_at = f.opt_i64("heard_at");
  r.status_at = f.opt_i64("status_at");
  r.shipped_at = f.i64("shipped_at");
  r.origin_city = f.str("origin_city");
  r.dest_city = f.str("dest_city");
  r.service = f.str("service");
  r.temp_class = f.str("temp_class");
  r.cold_chain = cold_chain_of(f.at("cold_chain"));
  r.archived = f.boolean("archived");
  return r;
}

}  // namespace

std::string encode_order(const store::OrderRecord& o) {
  json::array history, shipments;
  history.reserve(o.history.size());
  for (const auto& e : o.history) history.push_back(event_json(e));
  shipments.reserve(o.shipments.size());
  for (const auto& s : o.shipments) shipments.push_back(shipment_json(s));
  const json::object j{{"id", o.id},
                       {"order_no", o.order_no},
                       {"status", domain::to_string(o.status)},
                       {"name_sealed", o.name_sealed},
                       {"phone_sealed", o.phone_sealed},
                       {"phone_index", o.phone_index},
                       {"phone_last4", o.phone_last4},
                       {"name_masked", o.name_masked},
                       {"phone_masked", o.phone_masked},
                       {"openid", o.openid},
                       {"province", o.province},
                       {"city", o.city},
                       {"district", o.district},
                       {"detail_sealed", o.detail_sealed},
                       {"items_json", o.items_json},
                       {"amount_fen", o.amount_fen},
                       {"shipping_fen", o.shipping_fen},
                       {"discount_fen", o.discount_fen},
                       {"remark", o.remark},
                       {"body_hash", o.body_hash},
                       {"created_at", o.created_at},
                       {"updated_at", o.updated_at},
                       {"finished_at", opt_ms(o.finished_at)},
                       {"archived", o.archived},
                       {"history", std::move(history)},
                       {"shipments", std::move(shipments)}};
  return json::serialize(j);
}

std::optional<store::OrderRecord> decode_order(std::string_view text) {
  try {
    json::monotonic_resource mr;
    const auto v = parse(text, &mr);
    Fields f(v);
    store::OrderRecord o;
    o.id = f.i64("id");
    o.order_no = f.str("order_no");
    o.status = f.status("status");
    o.name_sealed = f.str("name_sealed");
    o.phone_sealed = f.str("phone_sealed");
    o.phone_index = f.str("phone_index");
    o.phone_last4 = f.str("phone_last4");
    o.name_masked = f.str("name_masked");
    o.phone_masked = f.str("phone_masked");
    o.openid = f.str("openid");
    o.province = f.str("province");
    o.city = f.str("city");
    o.district = f.str("district");
    o.detail_sealed = f.str("detail_sealed");
    o.items_json = f.str("items_json");
    o.amount_fen = f.i64("amount_fen");
    o.shipping_fen = f.i64("shipping_fen");
    o.discount_fen = f.i64("discount_fen");
    o.remark = f.str("remark");
    o.body_hash = f.str("body_hash");
    o.created_at = f.i64("created_at");
    o.updated_at = f.i64("updated_at");
    o.finished_at = f.opt_i64("finished_at");
    o.archived = f.boolean("archived");
    for (const auto& e : f.array("history")) o.history.push_back(event_of(e));
    for (const auto& s : f.array("shipments")) o.shipments.push_back(shipment_of(s));
    return o;
  } catch (const Malformed&) {
    return std::nullopt;
  }
}

std::string encode_tracking(const std::vector<store::TrackingRecord>& shipments) {
  json::array a;
  a.reserve(shipments.size());
  for (const auto& r : shipments) a.push_back(tracking_json(r));
  return json::serialize(json::object{{"shipments", std::move(a)}});
}

std::optional<std::vector<store::TrackingRecord>> decode_tracking(std::string_view text) {
  try {
    json::monotonic_resource mr;
    const auto v = parse(text, &mr);
    Fields f(v);
    std::vector<store::TrackingRecord> out;
    const auto& a = f.array("shipments");
    out.reserve(a.size());
    for (const auto& r : a) out.push_back(tracking_of(r));
    return out;
  } catch (const Malformed&) {
    return std::nullopt;
  }
}

}  // namespace coldtrack::cache
