#include "service/tracking_service.h"

#include <spdlog/spdlog.h>
#include <boost/json.hpp>

#include "carriers/lifecycle.h"

namespace coldtrack::service {

namespace json = boost::json;

std::string traces_to_json(const std::vector<carriers::Trace>& traces) {
  json::array a;
  a.reserve(traces.size());
  for (const auto& t : traces) {
    a.push_back(json::object{{"time", t.time},
                             {"description", t.description},
                             {"location", t.location},
                             {"raw_code", t.raw_code}});
  }
  return json::serialize(a);
}

std::vector<carriers::Trace> traces_from_json(const std::string& text) {
  std::vector<carriers::Trace> out;
  boost::system::error_code ec;
  auto v = json::parse(text, ec);
  if (ec || !v.is_array()) return out;
  for (const auto& e : v.as_array()) {
    if (!e.is_object()) continue;
    const auto& o = e.as_object();
    carriers::Trace t;
    if (auto* p = o.if_contains("time"); p && p->is_int64()) t.time = p->as_int64();
    if (auto* p = o.if_contains("description"); p && p->is_string()) t.description = p->as_string();
    if (auto* p = o.if_contains("location"); p && p->is_string()) t.location = p->as_string();
    if (auto* p = o.if_contains("raw_code"); p && p->is_string()) t.raw_code = p->as_string();
    out.push_back(std::move(t));
  }
  return out;
}

TrackingService::TrackingService(store::Store& store, Clock clock)
    : store_(store), clock_(std::move(clock)) {}

IngestResult TrackingService::ingest(const std::vector<carriers::Snapshot>& snapshots) {
  IngestResult out;
  std::vector<std::int64_t> applied;
  for (const auto& snap : snapshots) {
    ++out.snapshots;
    store::TrackingUpdate u;
    u.provider = snap.provider;
    u.provider_carrier = snap.provider_carrier;
    u.carrier = store_.carrier_for_provider_code(snap.provider, snap.provider_carrier).value_or("");
    u.waybill_no = snap.waybill_no;
    if (snap.mapped) {
      u.status = std::string(carriers::to_string(snap.unified.status));
      u.reason = snap.unified.reason;
      u.order_target = carriers::order_status_for(snap.unified.status);
    }
    u.raw_state = snap.raw_state;
    u.raw_substate = snap.raw_substate;
    if (!snap.traces.empty()) u.location = snap.traces.back().location;
    u.newest_event_at = carriers::newest_trace_time(snap);
    u.trace_count = static_cast<std::int64_t>(snap.traces.size());
    u.traces_json = traces_to_json(snap.traces);
    u.raw_payload = snap.raw_payload;
    u.now = clock_();
    const auto r = store_.apply_tracking(u);
    if (r.shipments == 0) {
      ++out.unknown_waybills;
      spdlog::info("{} snapshot for unknown waybill {} ({}), acknowledged", snap.provider,
                   snap.waybill_no, snap.provider_carrier);
    }
    out.applied += r.applied;
    out.stale += r.shipments - r.applied;
    out.status_changes += r.status_changes;
    out.order_changes += r.order_changes;
    applied.insert(applied.end(), r.shipment_ids.begin(), r.shipment_ids.end());
  }
  if (on_applied_ && !applied.empty()) {
    // The snapshot is stored either way; a failed check is caught up by the next sweep.
    try {
      on_applied_(applied);
    } catch (const std::exception& e) {
      spdlog::error("anomaly check after tracking update failed: {}", e.what());
    }
  }
  return out;
}

std::optional<std::vector<store::TrackingRecord>> TrackingService::order_tracking(
    const std::string& order_no) {
  return store_.order_tracking(order_no);
}

int TrackingService::reassign_carrier(const std::string& provider, const std::string& waybill_no,
                                      const std::string& old_code, const std::string& new_code) {
  const int n = store_.reassign_carrier(
      provider, waybill_no, old_code, new_code,
      store::AuditRecord{
          0, clock_(), "carrier:" + provider, "system", "shipment.carrier", "waybill:" + waybill_no,
          "", "",
          boost::json::serialize(boost::json::object{{"from", old_code}, {"to", new_code}})});
  if (n == 0)
    spdlog::warn("{} corrected the carrier of {} to {}, which matches no carrier we track",
                 provider, waybill_no, new_code);
  return n;
}

}  // namespace coldtrack::service
