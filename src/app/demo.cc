#include "app/demo.h"

#include <fmt/format.h>
#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <random>

#include "app/demo_catalogue.h"
#include "app/demo_transit.h"
#include "carriers/tracking.h"
#include "domain/masking.h"
#include "domain/status.h"
#include "service/tracking_service.h"

namespace coldtrack::app {
namespace {

using domain::OrderStatus;
namespace json = boost::json;

using demo::CarrierPick;
using demo::kCarriers;
using demo::kGiven;
using demo::kOrigin;
using demo::kPlaces;
using demo::kProducts;
using demo::kSurnames;
using demo::Place;

struct Customer {
  std::string name, phone;
  const Place* place;
  std::string detail;
};

constexpr std::int64_t kMinute = 60'000, kHour = 60 * kMinute, kDay = 24 * kHour;

}  // namespace

std::vector<store::OrderRecord> generate_demo_orders(int count, std::int64_t now,
                                                     const service::PiiCodec& pii,
                                                     std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return std::uniform_int_distribution<std::int64_t>(lo, hi)(rng);
  };

  std::vector<Customer> customers(static_cast<std::size_t>(std::max(1, count / 4)));
  for (std::size_t i = 0; i < customers.size(); ++i) {
    auto& c = customers[i];
    c.name = std::string(kSurnames[uniform(0, kSurnames.size() - 1)]) +
             kGiven[uniform(0, kGiven.size() - 1)];
    c.phone = fmt::format("1700000{:04}", i % 10000);
    c.place = &kPlaces[uniform(0, kPlaces.size() - 1)];
    c.detail =
        fmt::format("演示路{}号{}栋{}室", uniform(1, 999), uniform(1, 30), uniform(101, 2808));
  }

  std::vector<store::OrderRecord> out;
  out.reserve(static_cast<std::size_t>(count));
  for (int n = 0; n < count; ++n) {
    const auto& c = customers[uniform(0, customers.size() - 1)];
    store::OrderRecord o;
    o.name_sealed = pii.seal(c.name, "customer.name");
    o.phone_sealed = pii.seal(c.phone, "customer.phone");
    o.phone_index = pii.phone_index(c.phone);
    o.phone_last4 = c.phone.substr(7);
    o.name_masked = domain::mask_name(c.name);
    o.phone_masked = domain::mask_phone(c.phone);
    o.province = c.place->province;
    o.city = c.place->city;
    o.district = c.place->district;
    o.detail_sealed = pii.seal(c.detail, "address.detail");
    json::array items;
    std::int64_t total = 0;
    const int lines = static_cast<int>(uniform(1, 3));
    for (int l = 0; l < lines; ++l) {
      const auto& p = kProducts[uniform(0, kProducts.size() - 1)];
      const auto qty = uniform(1, 4);
      total += qty * p.price_fen;
      items.push_back(json::object{{"sku", p.sku},
                                   {"name", p.name},
                                   {"category", p.category},
                                   {"quantity", qty},
                                   {"unit_price_fen", p.price_fen}});
    }
    o.items_json = json::serialize(items);
    o.shipping_fen = total >= 9900 ? 0 : 1200;  // free cold-chain shipping from 99 yuan
    o.discount_fen = uniform(0, 4) == 0 ? 500 : 0;
    o.amount_fen = total + o.shipping_fen - o.discount_fen;
    o.remark = "演示数据";

    // Pick where this order's lifecycle ends, then lay its steps out in time so the last one
    // is in the past: open orders are recent, finished ones spread over the 90 days.
    using S = OrderStatus;
    struct Path {
      int weight;
      std::vector<S> steps;
      bool open;
    };
    static const std::vector<Path> kPaths = {
        {2, {S::kCreated}, true},
        {4, {S::kCreated, S::kCancelled}, false},
        {4, {S::kCreated, S::kPaid}, true},
        {2, {S::kCreated, S::kPaid, S::kRefunded}, false},
        {5, {S::kCreated, S::kPaid, S::kShipped}, true},
        {11, {S::kCreated, S::kPaid, S::kShipped, S::kInTransit}, true},
        {1, {S::kCreated, S::kPaid, S::kShipped, S::kInTransit, S::kException}, true},
        {30, {S::kCreated, S::kPaid, S::kShipped, S::kInTransit, S::kDelivered}, false},
        {35,
         {S::kCreated, S::kPaid, S::kShipped, S::kInTransit, S::kDelivered, S::kCompleted},
         false},
        {3,
         {S::kCreated, S::kPaid, S::kShipped, S::kInTransit, S::kDelivered, S::kRefunding},
         true},
        {3,
         {S::kCreated, S::kPaid, S::kShipped, S::kInTransit, S::kDelivered, S::kRefunding,
          S::kRefunded},
         false},
    };
    auto roll = uniform(0, 99);
    const Path* chosen = &kPaths.back();
    for (const auto& p : kPaths) {
      if (roll < p.weight) {
        chosen = &p;
        break;
      }
      roll -= p.weight;
    }
    std::vector<std::pair<OrderStatus, std::int64_t>> path;
    std::int64_t created = 0;
    const bool delivers =
        std::find(chosen->steps.begin(), chosen->steps.end(), S::kDelivered) != chosen->steps.end();
    const CarrierPick& cp = kCarriers[uniform(0, kCarriers.size() - 1)];
    if (delivers) {
      // Delivered history comes from the transit world model (demo_transit.h), laid out in
      // absolute time because hand-over hour, cut-offs and weekends matter.
      created = now - uniform(10 * kDay, 90 * kDay);
      std::int64_t at = created;
      TransitTimes transit{};
      for (auto s : chosen->steps) {
        switch (s) {
          case S::kCreated:
            break;
          case S::kPaid:
            at += uniform(kMinute, 30 * kMinute);
            break;
          case S::kShipped:
            at += uniform(2 * kHour, 30 * kHour);
            transit = draw_transit(rng, kOrigin, c.place->city, cp.code, at);
            break;
          case S::kInTransit:
            at = transit.picked_up_at;
            break;
          case S::kDelivered:
            at = transit.delivered_at;
            break;
          case S::kCompleted:
            at += uniform(7 * kDay, 8 * kDay);
            break;
          default:
            at += uniform(kHour, 2 * kDay);
            break;
        }
        path.emplace_back(s, at);
      }
      // Keep the whole story in the past; whole weeks keep hours and weekdays as drawn.
      const std::int64_t latest_allowed = now - kHour;
      if (path.back().second > latest_allowed) {
        const std::int64_t week = 7 * kDay;
        const std::int64_t weeks = (path.back().second - latest_allowed + week - 1) / week;
        for (auto& step : path) step.second -= weeks * week;
        created -= weeks * week;
      }
    } else {
      std::int64_t t = 0;
      for (auto s : chosen->steps) {
        switch (s) {
          case S::kCreated:
            break;
          case S::kCancelled:
            t += uniform(5 * kMinute, 2 * kHour);
            break;
          case S::kPaid:
            t += uniform(kMinute, 30 * kMinute);
            break;
          case S::kShipped:
            t += uniform(2 * kHour, 30 * kHour);
            break;
          case S::kInTransit:
            t += uniform(2 * kHour, 10 * kHour);
            break;
          default:
            t += uniform(kHour, 2 * kDay);
            break;
        }
        path.emplace_back(s, t);
      }
      // Parcels still on the road left recently (most carriers deliver in 1-3 days), so the
      // demo shows a realistic share of trouble rather than a wall of late parcels.
      const bool on_road = chosen->steps.back() == S::kShipped ||
                           chosen->steps.back() == S::kInTransit ||
                           chosen->steps.back() == S::kException;
      const std::int64_t age_of_last = !chosen->open
                                           ? uniform(kHour, std::max(kHour, 90 * kDay - t))
                                       : on_road ? uniform(5 * kMinute, 20 * kHour)
                                                 : uniform(5 * kMinute, 2 * kDay);
      created = now - age_of_last - t;
      for (auto& step : path) step.second += created;
    }
    o.created_at = created;
    o.order_no = fmt::format("DEMO{}{:05}", domain::format_rfc3339(created, 480).substr(0, 10), n);
    std::erase(o.order_no, '-');
    o.body_hash = "demo:" + o.order_no;
    std::optional<OrderStatus> prev;
    for (const auto& [s, at] : path) {
      o.history.push_back({s, prev, at, at, "system:demo", ""});
      if (s == OrderStatus::kShipped) {
        store::ShipmentRecord sh;
        sh.origin_city = kOrigin;
        sh.carrier = cp.code;
        sh.waybill_no = fmt::format("{}{:012}", cp.prefix, uniform(0, 999'999'999'999));
        sh.created_at = at;
        o.shipments.push_back(std::move(sh));
        o.history.back().note = o.shipments.back().carrier + " " + o.shipments.back().waybill_no;
      }
      prev = s;
    }
    o.status = path.back().first;
    o.updated_at = path.back().second;
    if (domain::is_finished(o.status)) o.finished_at = o.updated_at;
    out.push_back(std::move(o));
  }
  return out;
}

std::vector<std::string> give_demo_customer(std::vector<store::OrderRecord>& orders,
                                            const std::string& openid, const service::PiiCodec& pii,
                                            std::int64_t now) {
  using S = OrderStatus;
  const std::vector<std::pair<S, int>> quota = {
      {S::kCreated, 1},   {S::kPaid, 1},      {S::kShipped, 1},   {S::kInTransit, 3},
      {S::kException, 1}, {S::kDelivered, 2}, {S::kCompleted, 2}, {S::kRefunding, 1},
      {S::kRefunded, 1},  {S::kCancelled, 1}};
  auto frozen_and_away = [now](const store::OrderRecord& o) {
    const bool frozen = o.items_json.find("\"frozen\"") != std::string::npos;
    return frozen && !o.shipments.empty() && o.shipments.front().created_at < now - 9 * kHour;
  };
  std::vector<store::OrderRecord*> by_age;
  for (auto& o : orders) by_age.push_back(&o);
  std::stable_sort(by_age.begin(), by_age.end(), [&](const auto* a, const auto* b) {
    const bool fa = frozen_and_away(*a), fb = frozen_and_away(*b);
    return fa != fb ? fa : a->created_at > b->created_at;
  });
  const std::string name = "林小雪", phone = "17000009999", detail = "演示路88号3栋1201室";
  std::vector<std::string> given;
  for (const auto& [status, count] : quota) {
    int left = count;
    for (auto* o : by_age) {
      if (left == 0) break;
      if (o->status != status || !o->openid.empty()) continue;
      o->openid = openid;
      o->name_sealed = pii.seal(name, "customer.name");
      o->phone_sealed = pii.seal(phone, "customer.phone");
      o->phone_index = pii.phone_index(phone);
      o->phone_last4 = phone.substr(7);
      o->name_masked = domain::mask_name(name);
      o->phone_masked = domain::mask_phone(phone);
      o->detail_sealed = pii.seal(detail, "address.detail");
      given.push_back(o->order_no);
      --left;
    }
  }
  return given;
}

std::vector<store::TrackingUpdate> generate_demo_tracking(
    const std::vector<store::OrderRecord>& orders, std::int64_t now, std::uint64_t seed) {
  using S = OrderStatus;
  std::mt19937_64 rng(seed);
  std::vector<store::TrackingUpdate> out;
  for (const auto& o : orders) {
    const bool exception = o.status == S::kException;
    if (o.shipments.empty() || (o.status != S::kShipped && o.status != S::kInTransit && !exception))
      continue;
    const auto& sh = o.shipments.front();
    const auto origin = sh.origin_city.empty() ? std::string(kOrigin) : sh.origin_city;
    const auto t = draw_transit(rng, origin, o.city, sh.carrier, sh.created_at);
    std::vector<carriers::Trace> traces;
    auto add = [&](std::int64_t at, std::string text, std::string where) {
      if (at <= now) traces.push_back({at, std::move(text), std::move(where), ""});
    };
    add(t.picked_up_at, "快递员已揽收", origin);
    add(t.picked_up_at + 3 * kHour, fmt::format("快件已发往{}转运中心", o.city), origin);
    const std::int64_t hub =
        std::max(t.picked_up_at + 4 * kHour, t.out_for_delivery_at - 5 * kHour);
    // Line-haul scans: carriers scan at every hub, a few hours apart.
    for (std::int64_t at = t.picked_up_at + 9 * kHour; at < hub - 2 * kHour; at += 6 * kHour)
      add(at, "快件在运输途中，已到达中转场", "");
    add(hub, fmt::format("快件已到达{}转运中心", o.city), o.city);
    std::string status = traces.empty() ? "AWAITING_PICKUP" : "IN_TRANSIT";
    std::string reason;
    // A parcel the generator keeps on the road never shows as delivered; one the world model
    // would already have delivered simply stays at the destination hub (it is running late).
    if (o.status == S::kShipped) {
      traces.resize(std::min<std::size_t>(traces.size(), 1));
      status = traces.empty() ? "AWAITING_PICKUP" : "PICKED_UP";
    } else if (t.out_for_delivery_at <= now && now < t.delivered_at) {
      add(t.out_for_delivery_at, "快递员正在派送", o.city);
      status = "OUT_FOR_DELIVERY";
    }
    if (exception) {
      const std::int64_t failed = std::min(now - kHour, t.out_for_delivery_at + 2 * kHour);
      traces.push_back(
          {std::max(failed, sh.created_at + kHour), "派送失败，电话无人接听", o.city, ""});
      status = "EXCEPTION";
      reason = "UNREACHABLE";
    }
    if (traces.empty()) continue;  // the carrier knows nothing yet
    carriers::normalize_traces(traces);
    store::TrackingUpdate u;
    u.provider = "demo";
    u.carrier = sh.carrier;
    u.provider_carrier = sh.carrier;
    u.waybill_no = sh.waybill_no;
    u.status = status;
    u.reason = reason;
    u.raw_state = status;
    u.location = traces.back().location;
    u.newest_event_at = traces.back().time;
    u.trace_count = static_cast<std::int64_t>(traces.size());
    u.traces_json = service::traces_to_json(traces);
    u.raw_payload = "{}";
    u.now = now;
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace coldtrack::app
