// Cold-chain temperature data: batch ingest (validated as a whole, stored idempotently by
// device + time), the shipment's assessment against its category's rules, and chart series.
// Blocking (runs on the worker pool).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "coldchain/excursion.h"
#include "coldchain/readings.h"
#include "service/monitor_service.h"
#include "service/result.h"
#include "store/store.h"

namespace coldtrack::service {

struct TemperatureIngest {
  // Non-empty: the batch was refused and nothing was stored.
  std::vector<coldchain::ReadingProblem> problems;
  int received = 0, inserted = 0, duplicates = 0;
  store::ColdChainRecord cold_chain;
};

struct TemperatureSeries {
  std::string device_id;
  std::vector<coldchain::ChartPoint> points;
};

struct TemperatureChart {
  store::TrackingRecord shipment;
  std::vector<TemperatureSeries> series;
  std::optional<store::ColdChainRecord> cold_chain;
};

class ColdChainService {
 public:
  ColdChainService(store::Store& store, MonitorService& monitor, Clock clock,
                   coldchain::ValidationLimits limits = {},
                   double mkt_delta_h_j_per_mol = 83'144.0);

  // `malformed` are problems found while parsing (wrong types); they refuse the batch too.
  Result<TemperatureIngest> ingest(std::int64_t shipment_id,
                                   std::vector<coldchain::Reading> readings,
                                   std::vector<coldchain::ReadingProblem> malformed);
  // Up to `max_points` per device, within [from, to) when given.
  Result<TemperatureChart> chart(std::int64_t shipment_id, std::size_t max_points,
                                 std::optional<domain::EpochMs> from,
                                 std::optional<domain::EpochMs> to);

 private:
  store::ColdChainRecord assess(const store::TrackingRecord& shipment);

  store::Store& store_;
  MonitorService& monitor_;
  Clock clock_;
  coldchain::ValidationLimits limits_;
  double mkt_delta_h_;
};

// The stored summary of an assessment (JSON object text).
std::string assessment_json(const coldchain::Profile& profile, const coldchain::Assessment& a);

}  // namespace coldtrack::service
