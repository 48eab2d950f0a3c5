#include "service/eta_service.h"

#include <spdlog/spdlog.h>

namespace coldtrack::service {

std::vector<eta::Delivered> to_samples(const std::vector<store::DeliveredShipment>& rows,
                                       const std::string& default_origin) {
  std::vector<eta::Delivered> out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    eta::Delivered d;
    d.lane = {r.origin_city.empty() ? default_origin : r.origin_city, r.dest_city, r.carrier,
              r.service.empty() ? "standard" : r.service};
    d.shipped_at = r.shipped_at;
    d.delivered_at = r.delivered_at;
    d.out_for_delivery_at = r.out_for_delivery_at;
    out.push_back(std::move(d));
  }
  return out;
}

EtaService::EtaService(store::MonitoringStore& store, eta::Options options,
                       std::string default_origin)
    : store_(store),
      options_(std::move(options)),
      default_origin_(std::move(default_origin)),
      model_(std::make_shared<eta::Model>(options_)) {}

std::size_t EtaService::refresh() {
  auto model = std::make_shared<eta::Model>(options_);
  const auto samples = to_samples(store_.delivered_shipments(0), default_origin_);
  for (const auto& d : samples) model->add(d);
  std::lock_guard lock(mu_);
  model_ = std::move(model);
  return samples.size();
}

std::shared_ptr<const eta::Model> EtaService::model() const {
  std::lock_guard lock(mu_);
  return model_;
}

eta::Lane EtaService::lane(const std::string& origin, const std::string& dest,
                           const std::string& carrier, const std::string& service) const {
  return {origin.empty() ? default_origin_ : origin, dest, carrier,
          service.empty() ? "standard" : service};
}

std::optional<eta::Eta> EtaService::predict(const store::TrackingRecord& r,
                                            domain::EpochMs now) const {
  eta::Progress p;
  p.lane = lane(r.origin_city, r.dest_city, r.carrier, r.service);
  p.shipped_at = r.shipped_at;
  p.tracking_status = r.tracked ? r.status : "";
  p.status_at = r.status_at;
  return model()->predict(p, now);
}

std::optional<eta::Eta> EtaService::promised(const store::ShipmentWatch& w) const {
  eta::Progress p;
  p.lane = lane(w.origin_city, w.dest_city, w.carrier, w.service);
  p.shipped_at = w.shipped_at;
  return model()->predict(p, w.shipped_at);
}

}  // namespace coldtrack::service
