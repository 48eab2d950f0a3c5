#include "service/eta_service.h"

#include <stdexcept>

namespace coldtrack::service {

namespace {
constexpr domain::EpochMs kDayMs = 24 * 3600 * 1000;
}  // namespace

eta::Delivered to_sample(const store::DeliveredShipment& r, const std::string& default_origin) {
  eta::Delivered d;
  d.lane = {r.origin_city.empty() ? default_origin : r.origin_city, r.dest_city, r.carrier,
            r.service.empty() ? "standard" : r.service};
  d.shipped_at = r.shipped_at;
  d.delivered_at = r.delivered_at;
  d.out_for_delivery_at = r.out_for_delivery_at;
  return d;
}

EtaService::EtaService(store::MonitoringStore& store, eta::Options options,
                       std::string default_origin, EtaHistory history)
    : store_(store),
      options_(std::move(options)),
      default_origin_(std::move(default_origin)),
      history_(std::move(history)),
      model_(std::make_shared<eta::Model>(options_)) {
  if (history_.days > 0 && !history_.now)
    throw std::invalid_argument("EtaService: a history window needs a clock");
}

std::size_t EtaService::refresh() {
  auto model = std::make_shared<eta::Model>(options_);
  store::DeliveredScan scan;
  if (history_.days > 0) scan.since = history_.now() - history_.days * kDayMs;
  std::size_t samples = 0;
  store_.scan_delivered_shipments(scan, [&](const store::DeliveredShipment& r) {
    model->add(to_sample(r, default_origin_));
    ++samples;
  });
  std::lock_guard lock(mu_);
  model_ = std::move(model);
  return samples;
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
