// Anomaly detection: evaluates the rules on shipments (after every snapshot and in periodic
// sweeps) and on paid orders, and keeps one record per open problem. Blocking (worker pool or
// the sweeper's own thread).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "anomaly/rules.h"
#include "coldchain/excursion.h"
#include "service/eta_service.h"
#include "service/order_service.h"
#include "service/result.h"
#include "store/store.h"

namespace coldtrack::service {

struct SweepStats {
  std::int64_t shipments = 0;         // active shipments evaluated
  std::int64_t orders = 0;            // paid-unshipped orders evaluated
  std::int64_t rows_read = 0;         // rows the sweep read from the store
  std::int64_t subjects_written = 0;  // subjects handed to the store for reconciliation
  store::ReconcileResult changes;
  std::int64_t took_ms = 0;
};

class MonitorService {
 public:
  MonitorService(store::Store& store, anomaly::RuleSet rules, const EtaService& eta, Clock clock,
                 int page_size = 2000);

  // Evaluates the shipment rules on these shipments now (after a carrier snapshot).
  store::ReconcileResult check_shipments(const std::vector<std::int64_t>& ids);
  // Every active shipment and every paid, unshipped order.
  SweepStats sweep();
  // The temperature anomaly of one shipment from its latest assessment.
  store::ReconcileResult record_cold_chain(const store::TrackingRecord& shipment,
                                           const coldchain::Profile& profile,
                                           const coldchain::Assessment& assessment);

  Result<store::AnomalyPage> list(const store::AnomalyFilter& filter);
  Result<store::AnomalyRecord> get(std::int64_t id);
  // to: "acknowledged" | "resolved".
  Result<store::AnomalyRecord> transition(std::int64_t id, const std::string& to,
                                          const std::string& note, const Actor& actor);

  const anomaly::RuleSet& rules() const { return rules_; }

 private:
  struct PromiseMemo;
  store::SubjectCheck evaluate(const store::ShipmentWatch& w, domain::EpochMs now,
                               PromiseMemo* memo) const;
  void resolve_left_paid(domain::EpochMs now, SweepStats& stats);

  store::Store& store_;
  anomaly::RuleSet rules_;
  const EtaService& eta_;
  Clock clock_;
  int page_size_;
};

}  // namespace coldtrack::service
