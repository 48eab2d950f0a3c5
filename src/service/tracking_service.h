// Carrier tracking use cases: ingest snapshots (pushes and poll results) and read an order's
// tracking. Blocking (runs on the worker pool).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "carriers/tracking.h"
#include "service/order_service.h"
#include "store/store.h"

namespace coldtrack::service {

struct IngestResult {
  int snapshots = 0;
  int unknown_waybills = 0;  // acknowledged (so the provider stops retrying) and logged
  int applied = 0;           // shipment updates that won the ordering rule
  int stale = 0;             // duplicates or older snapshots, ignored
  int status_changes = 0;
  int order_changes = 0;
};

class TrackingService {
 public:
  TrackingService(store::Store& store, Clock clock);
  // Called after each ingest with the shipments that took a snapshot (the anomaly rules run
  // on every new snapshot). Set once at start-up, before any ingest.
  void on_applied(std::function<void(const std::vector<std::int64_t>&)> hook) {
    on_applied_ = std::move(hook);
  }

  IngestResult ingest(const std::vector<carriers::Snapshot>& snapshots);
  std::optional<std::vector<store::TrackingRecord>> order_tracking(const std::string& order_no);
  // The provider corrected our carrier code for a waybill; returns shipments moved.
  int reassign_carrier(const std::string& provider, const std::string& waybill_no,
                       const std::string& old_code, const std::string& new_code);

 private:
  store::Store& store_;
  Clock clock_;
  std::function<void(const std::vector<std::int64_t>&)> on_applied_;
};

// Traces as stored: [{"time":ms,"description":...,"location":...,"raw_code":...}] oldest first.
std::string traces_to_json(const std::vector<carriers::Trace>& traces);
std::vector<carriers::Trace> traces_from_json(const std::string& json);

}  // namespace coldtrack::service
