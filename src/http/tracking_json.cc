#include "http/tracking_json.h"

#include "carriers/tracking.h"
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

json::array tracking_json(const std::vector<store::TrackingRecord>& shipments, bool mask, int tz) {
  json::array out;
  for (const auto& s : shipments) {
    const auto status = carriers::parse_tracking_status(s.tracked ? s.status : "NO_INFO")
                            .value_or(carriers::TrackingStatus::kNoInfo);
    json::object o{{"carrier", s.carrier},
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
    out.push_back(std::move(o));
  }
  return out;
}

}  // namespace coldtrack::http
