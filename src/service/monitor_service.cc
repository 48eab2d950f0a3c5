#include "service/monitor_service.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <unordered_map>

namespace coldtrack::service {
namespace {

constexpr domain::EpochMs kQuarterHour = 15 * 60'000;

std::string shipment_subject(std::int64_t id) {
  return fmt::format("shipment:{}", id);
}

// True when the findings are exactly the unresolved anomalies the watch already reports (same
// kinds, severities and reasons): reconciling would change nothing, so the sweep skips the
// store for this subject.
bool unchanged(const store::ShipmentWatch& w, const store::SubjectCheck& check) {
  std::size_t open_evaluated = 0;
  for (const auto& k : w.open_kinds)
    if (std::find(check.kinds.begin(), check.kinds.end(), k) != check.kinds.end()) ++open_evaluated;
  if (open_evaluated != check.findings.size()) return false;
  for (const auto& f : check.findings) {
    const auto state = f.kind + ":" + f.severity + ":" + f.reason;
    if (std::find(w.open_states.begin(), w.open_states.end(), state) == w.open_states.end())
      return false;
  }
  return true;
}

}  // namespace

// The promised interval depends only on the lane and the hand-over time, so a sweep computes it
// once per lane and quarter hour instead of once per shipment.
struct MonitorService::PromiseMemo {
  std::unordered_map<std::string, std::optional<domain::EpochMs>> latest;
};

MonitorService::MonitorService(store::Store& store, anomaly::RuleSet rules, const EtaService& eta,
                               Clock clock, int page_size)
    : store_(store),
      rules_(std::move(rules)),
      eta_(eta),
      clock_(std::move(clock)),
      page_size_(page_size) {}

store::SubjectCheck MonitorService::evaluate(const store::ShipmentWatch& w, domain::EpochMs now,
                                             PromiseMemo* memo) const {
  anomaly::ShipmentFacts f;
  f.carrier = w.carrier;
  f.temp_class = w.temp_class;
  f.shipped_at = w.shipped_at;
  f.tracked = w.tracked;
  f.status = w.status;
  f.reason = w.reason;
  f.status_at = w.status_at;
  f.last_event_at = w.last_event_at;
  f.received_at = w.received_at;
  if (memo) {
    const auto quarter = w.shipped_at - w.shipped_at % kQuarterHour;
    const auto key =
        fmt::format("{}|{}|{}|{}|{}", w.origin_city, w.dest_city, w.carrier, w.service, quarter);
    auto it = memo->latest.find(key);
    if (it == memo->latest.end()) {
      auto rounded = w;  // copied only on a miss: once per lane and quarter hour
      rounded.shipped_at = quarter;
      auto p = eta_.promised(rounded);
      it = memo->latest.emplace(key, p ? std::optional(p->latest) : std::nullopt).first;
    }
    f.eta_latest = it->second;
  } else if (auto p = eta_.promised(w)) {
    f.eta_latest = p->latest;
  }
  store::SubjectCheck check;
  check.subject = shipment_subject(w.shipment_id);
  check.kinds = anomaly::shipment_kinds();
  for (auto& found : anomaly::evaluate_shipment(f, rules_.resolve(w.carrier, w.temp_class), now)) {
    check.findings.push_back({std::move(found.kind), check.subject, w.order_no, w.shipment_id,
                              w.carrier, std::move(found.severity), std::move(found.reason),
                              std::move(found.evidence)});
  }
  return check;
}

store::ReconcileResult MonitorService::check_shipments(const std::vector<std::int64_t>& ids) {
  const auto now = clock_();
  std::vector<store::SubjectCheck> checks;
  for (const auto& w : store_.watch_shipments(ids)) checks.push_back(evaluate(w, now, nullptr));
  return store_.reconcile_anomalies(checks, now);
}

SweepStats MonitorService::sweep() {
  const auto started = std::chrono::steady_clock::now();
  const auto now = clock_();
  SweepStats stats;
  PromiseMemo memo;
  auto add = [&stats](const store::ReconcileResult& r) {
    stats.changes.opened += r.opened;
    stats.changes.updated += r.updated;
    stats.changes.resolved += r.resolved;
  };
  for (std::int64_t after = 0;;) {
    const auto page = store_.active_shipments(after, page_size_);
    if (page.empty()) break;
    stats.rows_read += static_cast<std::int64_t>(page.size());
    std::vector<store::SubjectCheck> checks;
    for (const auto& w : page) {
      ++stats.shipments;
      auto check = evaluate(w, now, &memo);
      // Only subjects with something to open, update or resolve reach the store.
      if (!unchanged(w, check)) checks.push_back(std::move(check));
    }
    stats.subjects_written += static_cast<std::int64_t>(checks.size());
    add(store_.reconcile_anomalies(checks, now));
    after = page.back().shipment_id;
    if (static_cast<int>(page.size()) < page_size_) break;
  }
  // Paid but not shipped within the promise of the order's strictest category (the store
  // returns the candidates for the shortest promise of any class).
  const std::vector<std::string> order_kinds = {std::string(anomaly::kNotShipped)};
  std::map<std::string, anomaly::Thresholds, std::less<>> by_class;
  domain::EpochMs shortest = 0;
  for (const char* c : {"frozen", "chilled", "ambient"}) {
    by_class[c] = rules_.resolve("", c);
    const auto promise = by_class[c].ship_promise_ms;
    shortest = shortest == 0 ? promise : std::min(shortest, promise);
  }
  for (std::int64_t after = 0;;) {
    const auto before = after;
    const auto page = store_.unshipped_orders(now - shortest, after, page_size_);
    stats.rows_read += static_cast<std::int64_t>(page.size());
    std::vector<store::SubjectCheck> checks;
    for (const auto& o : page) {
      ++stats.orders;
      store::SubjectCheck check{"order:" + o.order_no, order_kinds, {}};
      const auto it = by_class.find(o.temp_class);
      const auto& thresholds = it != by_class.end() ? it->second : by_class["ambient"];
      if (auto f = anomaly::evaluate_unshipped(o.paid_at, thresholds, now))
        check.findings.push_back({f->kind, check.subject, o.order_no, std::nullopt, "", f->severity,
                                  f->reason, f->evidence});
      checks.push_back(std::move(check));
    }
    stats.subjects_written += static_cast<std::int64_t>(checks.size());
    add(store_.reconcile_anomalies(checks, now));
    if (after == before) break;
  }
  resolve_left_paid(now, stats);
  stats.took_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::steady_clock::now() - started)
                      .count();
  return stats;
}

// A "not shipped" anomaly whose order has shipped (or was cancelled) resolves itself: those
// orders are no longer PAID, so the sweep above never sees them again.
void MonitorService::resolve_left_paid(domain::EpochMs now, SweepStats& stats) {
  const std::vector<std::string> order_kinds = {std::string(anomaly::kNotShipped)};
  for (const char* state : {"open", "acknowledged"}) {
    store::AnomalyFilter f;
    f.kind = std::string(anomaly::kNotShipped);
    f.state = state;
    f.limit = 500;
    for (;;) {
      auto page = store_.list_anomalies(f);
      std::vector<std::string> nos;
      for (const auto& a : page.items) nos.push_back(a.order_no);
      std::vector<store::SubjectCheck> checks;
      for (const auto& o : store_.get_orders(nos)) {
        if (o.status == domain::OrderStatus::kPaid) continue;
        checks.push_back({"order:" + o.order_no, order_kinds, {}});
      }
      stats.rows_read += static_cast<std::int64_t>(page.items.size());
      const auto r = store_.reconcile_anomalies(checks, now);
      stats.changes.resolved += r.resolved;
      if (!page.next_before_id) break;
      f.before_id = page.next_before_id;
    }
  }
}

store::ReconcileResult MonitorService::record_cold_chain(const store::TrackingRecord& shipment,
                                                         const coldchain::Profile& profile,
                                                         const coldchain::Assessment& a) {
  const auto now = clock_();
  store::SubjectCheck check;
  check.subject = shipment_subject(shipment.shipment_id);
  check.kinds = {std::string(anomaly::kTemperature)};
  if (a.worst) {
    // The most severe excursion names the anomaly; the first of that severity is its evidence.
    const coldchain::Excursion* chosen = nullptr;
    for (const auto& e : a.excursions)
      if (e.severity == *a.worst && !chosen) chosen = &e;
    std::string evidence = "{}";
    std::string reason = "EXCURSION";
    if (chosen) {
      reason = chosen->zone;
      std::string label;
      for (const auto& z : profile.zones)
        if (z.name == chosen->zone) label = z.label_zh;
      evidence = fmt::format(
          R"({{"zone":"{}","zone_label":{},"trigger":"{}","device_id":{},"started_at":{},)"
          R"("fired_at":{},"peak_c":{:.2f},"duration_minutes":{},"thaw_risk":"{}",)"
          R"("exposure_degree_minutes":{:.1f}}})",
          chosen->zone, boost::json::serialize(boost::json::value(label)), chosen->trigger,
          boost::json::serialize(boost::json::value(chosen->device_id)), chosen->started_at,
          chosen->fired_at, chosen->peak_c, chosen->duration_ms / 60'000,
          coldchain::to_string(a.thaw_risk), a.exposure_degree_minutes);
    }
    check.findings.push_back({std::string(anomaly::kTemperature), check.subject, shipment.order_no,
                              shipment.shipment_id, shipment.carrier,
                              std::string(coldchain::to_string(*a.worst)), reason, evidence});
  }
  return store_.reconcile_anomalies({check}, now);
}

Result<store::AnomalyPage> MonitorService::list(const store::AnomalyFilter& filter) {
  return store_.list_anomalies(filter);
}

Result<store::AnomalyRecord> MonitorService::get(std::int64_t id) {
  auto a = store_.get_anomaly(id);
  if (!a) return not_found(fmt::format("no anomaly {}", id));
  return std::move(*a);
}

Result<store::AnomalyRecord> MonitorService::transition(std::int64_t id, const std::string& to,
                                                        const std::string& note,
                                                        const Actor& actor) {
  store::AnomalyTransition t{id, to, actor.id, note, clock_()};
  store::AuditRecord audit;
  audit.at = t.now;
  audit.actor = actor.id;
  audit.role = actor.role;
  audit.action = to == "resolved" ? "anomaly.resolve" : "anomaly.acknowledge";
  audit.target = fmt::format("anomaly:{}", id);
  audit.request_id = actor.request_id;
  audit.client_addr = actor.client_addr;
  // The staff's note, so it can be read back later (an acknowledgement keeps it nowhere else).
  audit.detail = boost::json::serialize(boost::json::object{{"note", note}});
  auto r = store_.transition_anomaly(t, audit);
  if (std::holds_alternative<store::NotFound>(r))
    return not_found(fmt::format("no anomaly {}", id));
  if (auto* c = std::get_if<store::AnomalyConflict>(&r))
    return Error{ErrorCode::kConflict, c->message, {}, std::nullopt};
  return std::move(std::get<store::AnomalyChanged>(r).anomaly);
}

}  // namespace coldtrack::service
