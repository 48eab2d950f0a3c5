#include "http/tracking_json.h"

#include <algorithm>
#include <cmath>

#include "carriers/tracking.h"
#include "coldchain/excursion.h"
#include "domain/time.h"
#include "service/tracking_service.h"

namespace coldtrack::http {

namespace json = boost::json;

std::string mask_waybill(std::string_view w) {
  if (w.size() <= 8)
    return std::string(w.size() > 4 ? w.size() - 4 : 0, '*') +
           std::string(w.substr(w.size() > 4 ? w.size() - 4 : 0));
  return std::string(w.substr(0, 4)) + std::string(w.size() - 8, '*') +
         std::string(w.substr(w.size() - 4));
}

json::object eta_json(const eta::Eta& e, int tz) {
  return json::object{{"earliest", domain::format_rfc3339(e.earliest, tz)},
                      {"latest", domain::format_rfc3339(e.latest, tz)},
                      {"most_likely", domain::format_rfc3339(e.most_likely, tz)},
                      {"confidence", std::round(e.confidence * 100.0) / 100.0},
                      {"basis", e.basis},
                      {"basis_detail", e.basis_detail},
                      {"samples", e.samples}};
}

namespace {

// Stored thaw-risk codes as grades; an unreadable one counts as none.
coldchain::ThawRisk risk_of(std::string_view code) {
  return coldchain::parse_thaw_risk(code).value_or(coldchain::ThawRisk::kNone);
}

}  // namespace

void times_to_rfc3339(json::value& v, int tz) {
  if (auto* arr = v.if_array()) {
    for (auto& x : *arr) times_to_rfc3339(x, tz);
    return;
  }
  auto* obj = v.if_object();
  if (!obj) return;
  for (auto& [key, value] : *obj) {
    if ((key.ends_with("_at") || key == "since") && value.is_int64()) {
      value = domain::format_rfc3339(value.as_int64(), tz);
    } else {
      times_to_rfc3339(value, tz);
    }
  }
}

json::value cold_chain_json(const std::optional<store::ColdChainRecord>& k, int tz) {
  if (!k) return nullptr;
  json::object o;
  boost::system::error_code ec;
  auto parsed = json::parse(k->summary_json, ec);
  if (!ec && parsed.is_object()) {
    times_to_rfc3339(parsed, tz);
    o = std::move(parsed.as_object());
  }
  o["profile"] = k->profile;
  o["readings"] = k->readings;
  o["thaw_risk"] = k->thaw_risk;
  o["thaw_risk_label"] = coldchain::label_zh(risk_of(k->thaw_risk));
  o["worst"] = k->worst.empty() ? json::value(nullptr) : json::value(k->worst);
  return o;
}

json::value order_eta_json(const std::vector<store::TrackingRecord>& shipments,
                           const service::EtaService& eta, domain::EpochMs now, int tz) {
  std::optional<eta::Eta> chosen;
  for (const auto& s : shipments) {
    auto e = eta.predict(s, now);
    if (e && (!chosen || e->most_likely > chosen->most_likely)) chosen = std::move(e);
  }
  if (!chosen) return nullptr;
  return eta_json(*chosen, tz);
}

std::string_view order_thaw_risk(const std::vector<store::TrackingRecord>& shipments) {
  auto worst = coldchain::ThawRisk::kNone;
  for (const auto& s : shipments)
    if (s.cold_chain) worst = std::max(worst, risk_of(s.cold_chain->thaw_risk));
  return coldchain::to_string(worst);
}

json::array tracking_json(const std::vector<store::TrackingRecord>& shipments, bool mask, int tz,
                          const service::EtaService* eta, domain::EpochMs now) {
  json::array out;
  for (const auto& s : shipments) {
    const auto status = carriers::parse_tracking_status(s.tracked ? s.status : "NO_INFO")
                            .value_or(carriers::TrackingStatus::kNoInfo);
    json::object o{{"shipment_id", s.shipment_id},
                   {"carrier", s.carrier},
                   {"carrier_name", s.carrier_name},
                   {"waybill_no", mask ? mask_waybill(s.waybill_no) : s.waybill_no},
                   {"status", carriers::to_string(status)},
                   {"status_label", carriers::label_zh(status)}};
    o["reason"] = s.reason.empty() ? json::value(nullptr) : json::value(s.reason);
    o["reason_label"] =
        s.reason.empty() ? json::value(nullptr) : json::value(carriers::reason_label_zh(s.reason));
    o["location"] = s.location.empty() ? json::value(nullptr) : json::value(s.location);
    o["last_update"] = s.last_event_at ? json::value(domain::format_rfc3339(*s.last_event_at, tz))
                                       : json::value(nullptr);
    o["freshness"] =
        s.heard_at ? json::value(domain::format_rfc3339(*s.heard_at, tz)) : json::value(nullptr);
    json::array traces;
    const auto list = service::traces_from_json(s.traces_json);
    for (auto it = list.rbegin(); it != list.rend(); ++it) {  // newest first
      json::object t{{"time", domain::format_rfc3339(it->time, tz)},
                     {"description", it->description}};
      t["location"] = it->location.empty() ? json::value(nullptr) : json::value(it->location);
      traces.push_back(std::move(t));
    }
    o["traces"] = std::move(traces);
    o["temp_class"] = s.temp_class;
    if (eta) {
      auto e = eta->predict(s, now);
      o["eta"] = e ? json::value(eta_json(*e, tz)) : json::value(nullptr);
    }
    o["cold_chain"] = cold_chain_json(s.cold_chain, tz);
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace coldtrack::http
