#include "service/coldchain_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cmath>
#include <map>

namespace coldtrack::service {
namespace json = boost::json;

namespace {

json::value opt_number(const std::optional<double>& v) {
  if (!v) return nullptr;
  return std::round(*v * 100.0) / 100.0;
}

json::value opt_time(const std::optional<domain::EpochMs>& v) {
  if (!v) return nullptr;
  return *v;
}

}  // namespace

std::string assessment_json(const coldchain::Profile& profile, const coldchain::Assessment& a) {
  json::array zones;
  for (const auto& z : a.zones) {
    zones.push_back(json::object{{"zone", z.zone},
                                 {"severity", coldchain::to_string(z.severity)},
                                 {"cumulative_minutes", z.cumulative_ms / 60'000},
                                 {"longest_minutes", z.longest_ms / 60'000},
                                 {"fired", z.fired}});
  }
  json::array excursions;
  for (const auto& e : a.excursions) {
    excursions.push_back(json::object{{"device_id", e.device_id},
                                      {"zone", e.zone},
                                      {"severity", coldchain::to_string(e.severity)},
                                      {"trigger", e.trigger},
                                      {"started_at", e.started_at},
                                      {"fired_at", e.fired_at},
                                      {"ended_at", opt_time(e.ended_at)},
                                      {"peak_c", std::round(e.peak_c * 100.0) / 100.0},
                                      {"duration_minutes", e.duration_ms / 60'000}});
  }
  json::object o{{"profile", profile.category},
                 {"readings", a.readings},
                 {"first_at", opt_time(a.first_at)},
                 {"last_at", opt_time(a.last_at)},
                 {"min_c", opt_number(a.min_c)},
                 {"max_c", opt_number(a.max_c)},
                 {"mkt_c", opt_number(a.mkt_c)},
                 {"exposure_degree_minutes", std::round(a.exposure_degree_minutes * 10.0) / 10.0},
                 {"thaw_risk", coldchain::to_string(a.thaw_risk)},
                 {"worst", a.worst ? json::value(coldchain::to_string(*a.worst)) : nullptr},
                 {"data_gap_minutes", a.data_gap_ms / 60'000},
                 {"zones", std::move(zones)},
                 {"excursions", std::move(excursions)}};
  return json::serialize(o);
}

ColdChainService::ColdChainService(store::Store& store, MonitorService& monitor, Clock clock,
                                   coldchain::ValidationLimits limits, double mkt_delta_h_j_per_mol)
    : store_(store),
      monitor_(monitor),
      clock_(std::move(clock)),
      limits_(limits),
      mkt_delta_h_(mkt_delta_h_j_per_mol) {}

Result<TemperatureIngest> ColdChainService::ingest(
    std::int64_t shipment_id, std::vector<coldchain::Reading> readings,
    std::vector<coldchain::ReadingProblem> malformed) {
  auto shipment = store_.find_shipment(shipment_id);
  if (!shipment) return not_found(fmt::format("no shipment {}", shipment_id));
  TemperatureIngest out;
  out.received = static_cast<int>(readings.size() + malformed.size());
  // One refusal lists every bad reading: parse problems and range problems, by index.
  auto problems = coldchain::validate(readings, clock_(), limits_);
  if (!malformed.empty() || !problems.empty()) {
    // `readings` holds only the well-formed ones; map their indexes back to the batch's.
    std::vector<std::size_t> original;
    {
      std::vector<std::size_t> bad;
      for (const auto& m : malformed) bad.push_back(m.index);
      std::sort(bad.begin(), bad.end());
      bad.erase(std::unique(bad.begin(), bad.end()), bad.end());
      std::size_t next = 0, b = 0;
      for (std::size_t i = 0; i < readings.size(); ++i) {
        while (b < bad.size() && bad[b] == next) {
          ++next;
          ++b;
        }
        original.push_back(next++);
      }
    }
    for (auto& p : problems) p.index = original[p.index];
    out.problems = std::move(malformed);
    out.problems.insert(out.problems.end(), problems.begin(), problems.end());
    std::sort(out.problems.begin(), out.problems.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    return out;
  }
  if (shipment->archived)
    return Error{ErrorCode::kConflict, "the shipment's order is archived", {}, std::nullopt};
  std::vector<store::TemperatureRecord> rows;
  rows.reserve(readings.size());
  for (const auto& r : readings) rows.push_back({r.device_id, r.at, r.temp_c});
  out.inserted = store_.insert_temperatures(shipment_id, rows, clock_());
  out.duplicates = static_cast<int>(readings.size()) - out.inserted;
  out.cold_chain = assess(*shipment);
  return out;
}

store::ColdChainRecord ColdChainService::assess(const store::TrackingRecord& shipment) {
  store::ColdChainRecord k;
  k.shipment_id = shipment.shipment_id;
  k.updated_at = clock_();
  std::vector<coldchain::Reading> readings;
  for (auto& r : store_.temperatures(shipment.shipment_id))
    readings.push_back({std::move(r.device_id), r.at, r.temp_c});
  k.readings = static_cast<std::int64_t>(readings.size());
  auto profile = coldchain::profile_for(shipment.temp_class);
  if (!profile) {
    // Ambient goods: the readings are kept and charted, but no rule applies.
    k.profile = shipment.temp_class.empty() ? "ambient" : shipment.temp_class;
    k.thaw_risk = "none";
    k.summary_json = fmt::format(R"({{"profile":"{}","readings":{}}})", k.profile, k.readings);
    store_.save_cold_chain(k);
    return k;
  }
  profile->mkt_delta_h_j_per_mol = mkt_delta_h_;
  const auto a = coldchain::assess(*profile, std::move(readings), shipment.shipped_at);
  k.profile = profile->category;
  k.thaw_risk = std::string(coldchain::to_string(a.thaw_risk));
  k.worst = a.worst ? std::string(coldchain::to_string(*a.worst)) : "";
  k.mkt_c = a.mkt_c;
  k.summary_json = assessment_json(*profile, a);
  store_.save_cold_chain(k);
  monitor_.record_cold_chain(shipment, *profile, a);
  return k;
}

Result<TemperatureChart> ColdChainService::chart(std::int64_t shipment_id, std::size_t max_points,
                                                 std::optional<domain::EpochMs> from,
                                                 std::optional<domain::EpochMs> to) {
  auto shipment = store_.find_shipment(shipment_id);
  if (!shipment) return not_found(fmt::format("no shipment {}", shipment_id));
  std::map<std::string, std::vector<coldchain::Reading>> by_device;
  for (auto& r : store_.temperatures(shipment_id)) {
    if (from && r.at < *from) continue;
    if (to && r.at >= *to) continue;
    by_device[r.device_id].push_back({r.device_id, r.at, r.temp_c});
  }
  TemperatureChart out;
  for (auto& [device, series] : by_device)
    out.series.push_back({device, coldchain::downsample(series, max_points)});
  out.cold_chain = shipment->cold_chain;
  out.shipment = std::move(*shipment);
  return out;
}

}  // namespace coldtrack::service
