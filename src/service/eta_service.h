// Delivery-time prediction for stored shipments: one lane model learned from our own delivered
// shipments, rebuilt periodically and swapped in whole, so readers never wait for a rebuild.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "eta/eta.h"
#include "store/store.h"

namespace coldtrack::service {

class EtaService {
 public:
  // `default_origin` is the city parcels leave from when a shipment does not say.
  EtaService(store::MonitoringStore& store, eta::Options options, std::string default_origin);

  // Relearns from every delivered shipment (blocking). Returns the number of samples.
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
  mutable std::mutex mu_;
  std::shared_ptr<const eta::Model> model_;
};

// The lane samples of delivered shipments, with the default origin filled in.
std::vector<eta::Delivered> to_samples(const std::vector<store::DeliveredShipment>& rows,
                                       const std::string& default_origin);

}  // namespace coldtrack::service
