// Delivery-time prediction for stored shipments: one lane model learned from our own delivered
// shipments, rebuilt periodically and swapped in whole, so readers never wait for a rebuild.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "eta/eta.h"
#include "store/store.h"

namespace coldtrack::service {

// How much history the model learns from. Lanes change (carriers, hubs, seasons), and relearning
// years of history on every refresh costs time for nothing.
struct EtaHistory {
  int days = 0;                          // deliveries of the last `days` days; 0: all of them
  std::function<domain::EpochMs()> now;  // required when days > 0
};

class EtaService {
 public:
  // `default_origin` is the city parcels leave from when a shipment does not say.
  EtaService(store::MonitoringStore& store, eta::Options options, std::string default_origin,
             EtaHistory history = {});

  // Relearns from the delivered shipments in the history window (blocking), streaming them
  // into a new model: memory stays that of the histograms, whatever the history's size.
  // Returns the number of samples.
  std::size_t refresh();

  // The current prediction, sharpened by the shipment's progress; nullopt once delivered or
  // returned.
  std::optional<eta::Eta> predict(const store::TrackingRecord& r, domain::EpochMs now) const;
  // The interval as predicted at hand-over (what the customer was told). The "late" rule
  // compares against this one: the current prediction moves later as a parcel runs late.
  std::optional<eta::Eta> promised(const store::ShipmentWatch& w) const;

  eta::Lane lane(const std::string& origin, const std::string& dest, const std::string& carrier,
                 const std::string& service) const;
  const eta::Options& options() const { return options_; }

 private:
  std::shared_ptr<const eta::Model> model() const;

  store::MonitoringStore& store_;
  eta::Options options_;
  std::string default_origin_;
  EtaHistory history_;
  mutable std::mutex mu_;
  std::shared_ptr<const eta::Model> model_;
};

// The lane sample of a delivered shipment, with the default origin filled in.
eta::Delivered to_sample(const store::DeliveredShipment& row, const std::string& default_origin);

}  // namespace coldtrack::service
